/**
 * Benchmark (replicas): two kernel processes on one PostgreSQL database; the one leading the
 * default queue is killed (SIGKILL) while a job waits, and the time to the other's scheduling
 * decision for it is measured (the kernel's default 2 s scheduler tick). Each round uses fresh
 * replicas on the same database.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleFirstPartyPlugins } from '../core/plugins/default-plugins.js';
import { ADMIN_TOKEN, removeHome, tempHome } from './bench-kernel.js';
import { createBenchDatabase } from './bench-postgres.js';
import { type BenchPlugin, pluginZip } from './fixtures.js';
import { type BenchResult, median, result, round } from './stats.js';

const ROUNDS = 5;
const BIN = fileURLToPath(new URL('../../bin/spindle.js', import.meta.url));
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** A target whose deploy succeeds at once on one large agent, and a job type with nothing to prepare. */
const TARGET: BenchPlugin = {
  name: 'bench-target',
  version: '1.0.0',
  source: `module.exports = definePlugin({ activate(ctx) {
  ctx.infrastructure.registerTarget('bench', {
    async agents() { return [{ id: 'big', target: 'bench', capacity: { cpu: 1e6, memory: 1e9 }, allocated: {} }]; },
    async deploy(req) { return { replicas: [{ id: req.job.id, address: 'http://127.0.0.1:9' }] }; },
    async stop() {}, async list() { return []; }, async logs() { return { text: '', offset: 0 }; },
  });
  ctx.jobTypes.register({ name: 'bench', version: '1.0.0', async prepare() { return { command: ['true'], env: {}, healthPath: '/' }; } });
} });`,
};

interface Replica {
  url: string;
  child: ChildProcess;
}

async function startReplica(home: string, databaseUrl: string, id: string): Promise<Replica> {
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--home', home], {
    env: {
      ...process.env,
      SPINDLE_ADMIN_TOKEN: ADMIN_TOKEN,
      SPINDLE_DATABASE_URL: databaseUrl,
      SPINDLE_REPLICA_ID: id,
      SPINDLE_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica ${id} did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`replica ${id} exited with ${code}:\n${out}`)));
  });
  return { url, child };
}

const api = (r: Replica, p: string, init: RequestInit = {}) =>
  fetch(r.url + p, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });

function deploy(r: Replica, name: string): Promise<Response> {
  const form = new FormData();
  form.set(
    'manifest',
    JSON.stringify({ name, version: '1.0.0', jobtype: 'bench:1.x', resources: { cpu: 1, memory: 1 } }),
  );
  form.set(
    'source',
    new Blob([new Uint8Array(pluginZip({ name: 'src', version: '0.0.0', source: '' }))], { type: 'application/zip' }),
    'source.zip',
  );
  return api(r, '/api/v1/jobs', { method: 'POST', body: form });
}

async function events(r: Replica, name: string): Promise<{ from: string | null; to: string; at: string }[]> {
  return (
    (await (await api(r, `/api/v1/jobs/${name}/1.0.0`)).json()) as {
      events: { from: string | null; to: string; at: string }[];
    }
  ).events;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const scheduledAt = async (r: Replica, name: string) => (await events(r, name)).find((e) => e.to === 'SCHEDULED')?.at;

export async function runFailover(): Promise<BenchResult[]> {
  const database = await createBenchDatabase();
  const homes: string[] = [];
  const children: ChildProcess[] = [];
  const samples: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const home = () => {
        homes.push(tempHome('spindle-bench-failover-'));
        return homes.at(-1)!;
      };
      const a = await startReplica(home(), database.url, `a${round}`);
      children.push(a.child);
      if (round === 0) {
        const [fifo] = await bundleFirstPartyPlugins(['scheduler-fifo']);
        await api(a, '/api/v1/plugins', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ path: fifo }),
        });
        await api(a, '/api/v1/plugins', {
          method: 'POST',
          headers: { 'content-type': 'application/zip' },
          body: new Uint8Array(pluginZip(TARGET)),
        });
      }
      // A job through `a` makes it the default queue's leader.
      await deploy(a, `lead-${round}`);
      await until('a leading', () => scheduledAt(a, `lead-${round}`));
      const b = await startReplica(home(), database.url, `b${round}`);
      children.push(b.child);
      await until(
        'the plugins on b',
        async () =>
          ((await (await api(b, '/api/v1/plugins/bench-target')).json()) as { activeVersion: string | null })
            .activeVersion ?? undefined,
      );
      // A job waits on b (b does not lead, so its own pass leaves it); then a dies. If a's tick
      // took the job first, another one is sent.
      let waiting = '';
      for (let attempt = 0; attempt < 10 && !waiting; attempt++) {
        const name = `wait-${round}-${attempt}`;
        await deploy(b, name);
        await new Promise((r) => setTimeout(r, 300));
        if (!(await scheduledAt(b, name))) waiting = name;
      }
      if (!waiting) throw new Error('the leader kept scheduling the waiting jobs before it could be killed');
      const killedAt = Date.now();
      a.child.kill('SIGKILL');
      const at = await until('b scheduling the waiting job', () => scheduledAt(b, waiting));
      samples.push(Date.parse(at) - killedAt);
      b.child.kill('SIGTERM');
      await new Promise((r) => b.child.once('exit', r));
    }
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await database.drop().catch(() => undefined);
    for (const home of homes) removeHome(home);
  }
  return [
    result({
      id: 'replicas.failover',
      metric:
        "ms from SIGKILL of the leading replica to the other replica's decision on a waiting job (median; default 2 s tick)",
      value: round(median(samples), 0),
      unit: 'ms',
      ratio: null,
      goal: { op: '<=', limit: 5_000 },
      summary: { medianMs: round(median(samples), 0), maxMs: round(Math.max(...samples), 0), rounds: samples.length },
      raw: { failoverMs: samples.map((v) => round(v, 0)) },
      notes: ['two `spindle start` processes, PostgreSQL on loopback (SPINDLE_BENCH_PG_URL)'],
    }),
  ];
}
