/**
 * Benchmark (jobs): requests per second through the job proxy (`/pub/job/<name>/latest/<path>`)
 * vs straight to the job, in one run. The "job" is a small Node HTTP server in its own process
 * (as a job is), run by a test infrastructure plugin, so the figure measures the kernel's proxy,
 * not Python. The load generator runs in a third process; all three share this machine's 2 cores.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { ADMIN_TOKEN, type BenchKernel, removeHome, startBenchKernel, tempHome } from './bench-kernel.js';
import { type BenchPlugin, pluginZip } from './fixtures.js';
import { type LoadSpec, load } from './load-generator.js';
import { type BenchResult, median, result, round } from './stats.js';

const REQUESTS = 4_000;
const CONCURRENCY = 16;
const ROUNDS = 5;
const LOAD: LoadSpec = { method: 'POST', body: '{"numbers":[40,2]}', requests: REQUESTS, concurrency: CONCURRENCY };
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

function upstreamTarget(address: string): BenchPlugin[] {
  return [
    {
      name: 'bench-target',
      version: '1.0.0',
      source: `module.exports = definePlugin({ activate(ctx) {
  ctx.infrastructure.registerTarget('bench', {
    async agents() { return [{ id: 'bench', target: 'bench', capacity: { cpu: 64, memory: 65536 }, allocated: {} }]; },
    async deploy(req) { return { replicas: [{ id: req.job.id + '-0', address: '${address}' }] }; },
    async stop() {}, async list() { return []; }, async logs() { return { text: '', offset: 0 }; },
  });
} });`,
    },
    {
      name: 'bench-jobtype',
      version: '1.0.0',
      source: `module.exports = definePlugin({ activate(ctx) { ctx.jobTypes.register({ name: 'bench', version: '1.0.0', async prepare() { return { command: ['true'], env: {}, healthPath: '/' }; } }); } });`,
    },
    {
      name: 'bench-scheduler',
      version: '1.0.0',
      source: `module.exports = definePlugin({ activate(ctx) { ctx.scheduling.registerScheduler('fifo', { async schedule(s) { return { placements: s.pending.map((j) => ({ jobId: j.id, agentId: s.agents[0].id })), waiting: [] }; } }); } });`,
    },
  ];
}

async function deployJob(k: BenchKernel): Promise<void> {
  const form = new FormData();
  form.set(
    'manifest',
    JSON.stringify({ name: 'echo', version: '1.0.0', jobtype: 'bench:1.x', resources: { cpu: 0.1, memory: 16 } }),
  );
  form.set('source', new Blob([new Uint8Array(pluginZip({ name: 'src', version: '1.0.0', source: '' }))]), 'src.zip');
  const res = await fetch(`${k.running.url}/api/v1/jobs`, { method: 'POST', body: form, headers: auth });
  if (res.status !== 201) throw new Error(`deploy: ${res.status} ${await res.text()}`);
  await k.running.kernel.jobs.settled();
  await k.running.kernel.jobs.settled();
}

const UPSTREAM = `
const server = require('http').createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('42'));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;

async function startUpstream(): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, ['-e', UPSTREAM], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`the upstream exited with ${code}`)));
  });
  return { child, address: `http://127.0.0.1:${port}` };
}

export async function runProxyThroughput(): Promise<BenchResult[]> {
  const { child: upstream, address } = await startUpstream();
  const home = tempHome('spindle-bench-proxy-');
  const k = await startBenchKernel(home);
  const proxied: number[] = [];
  const direct: number[] = [];
  try {
    for (const plugin of upstreamTarget(address)) await k.upload(pluginZip(plugin));
    await deployJob(k);
    await load(`${k.running.url}/pub/job/echo/latest/perform`, auth, LOAD); // warm-up
    await load(`${address}/perform`, {}, LOAD);
    for (let round = 0; round < ROUNDS; round++) {
      proxied.push(await load(`${k.running.url}/pub/job/echo/latest/perform`, auth, LOAD));
      direct.push(await load(`${address}/perform`, {}, LOAD));
    }
  } finally {
    await k.running.close();
    upstream.kill();
    removeHome(home);
  }
  const ratio = median(direct) / median(proxied);
  return [
    result({
      id: 'proxy.throughput',
      metric: `requests/s straight to the job / through the job proxy (${CONCURRENCY} keep-alive clients, POST JSON; ≤ 1.667 = the proxy keeps ≥ 0.6 of direct)`,
      value: round(ratio, 3),
      unit: '×',
      ratio: round(ratio, 4),
      goal: { op: '<=', limit: 1.667 },
      summary: {
        proxiedRps: round(median(proxied), 0),
        directRps: round(median(direct), 0),
        requests: REQUESTS,
        rounds: ROUNDS,
      },
      raw: { proxiedRps: proxied.map((v) => round(v, 0)), directRps: direct.map((v) => round(v, 0)) },
      notes: [
        'load generator, kernel and job are three processes on 2 cores: the proxied side runs one more busy process',
      ],
    }),
  ];
}
