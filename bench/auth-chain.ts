/**
 * Benchmark (auth): an authenticated API read (`GET /api/v1/jobs/<name>`) through the full auth
 * chain — auth-sso-jwt (preAuth: no cookie, bails out), auth-token (authenticate: a user token;
 * authorize: its scopes) — vs the same route on the same kernel with auth switched off, in one run.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { buildHttpServer } from '../core/http/build-http-server.js';
import { bundlePlugin } from '../plugin-sdk/bundler/bundle-plugin.js';
import { ADMIN_TOKEN, removeHome, startBenchKernel, tempHome } from './bench-kernel.js';
import { type BenchPlugin, pluginZip } from './fixtures.js';
import { type LoadSpec, load } from './load-generator.js';
import { type BenchResult, median, result, round } from './stats.js';

const ROUNDS = 5;
const LOAD: LoadSpec = { method: 'GET', requests: 4_000, concurrency: 16 };
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

const jobPlugins: BenchPlugin[] = [
  {
    name: 'bench-target',
    version: '1.0.0',
    source: `module.exports = definePlugin({ activate(ctx) { ctx.infrastructure.registerTarget('bench', {
      async agents() { return [{ id: 'bench', target: 'bench', capacity: { cpu: 64, memory: 65536 }, allocated: {} }]; },
      async deploy(req) { return { replicas: [{ id: req.job.id + '-0', address: 'http://127.0.0.1:9' }] }; },
      async stop() {}, async list() { return []; }, async logs() { return { text: '', offset: 0 }; } }); } });`,
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

async function post(url: string, body: unknown, headers = admin): Promise<Response> {
  return fetch(url, { method: 'POST', body: JSON.stringify(body), headers });
}

export async function runAuthChain(): Promise<BenchResult[]> {
  const home = tempHome('spindle-bench-auth-');
  const k = await startBenchKernel(home);
  const open = await buildHttpServer(k.running.kernel, { logger: pino({ level: 'silent' }), authOff: true });
  await open.listen({ port: 0, host: '127.0.0.1' });
  const openUrl = `http://127.0.0.1:${(open.server.address() as AddressInfo).port}`;
  const url = k.running.url;
  const chained: number[] = [];
  const off: number[] = [];
  try {
    for (const plugin of jobPlugins) await k.upload(pluginZip(plugin));
    for (const name of ['auth-sso-jwt', 'auth-token']) {
      const { zipPath } = await bundlePlugin(path.join(ROOT, 'plugins', name), { outDir: path.join(home, 'bundles') });
      await post(`${url}/api/v1/plugins`, { path: zipPath });
    }
    await fetch(`${url}/api/v1/plugins/auth-sso-jwt/config`, {
      method: 'PUT',
      body: JSON.stringify({ audience: 'spindle', hmacSecret: 'bench-secret-0123456789abcdef' }),
      headers: admin,
    });
    const form = new FormData();
    form.set(
      'manifest',
      JSON.stringify({ name: 'echo', version: '1.0.0', jobtype: 'bench:1.x', resources: { cpu: 0.1, memory: 16 } }),
    );
    form.set('source', new Blob([new Uint8Array(pluginZip({ name: 'src', version: '1.0.0', source: '' }))]), 'src.zip');
    await fetch(`${url}/api/v1/jobs`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const routes = `${url}/api/v1/plugins/auth-token/routes`;
    await post(`${routes}/users`, {
      username: 'reader',
      password: 'reader-password',
      grants: [{ scope: 'read_job', jobs: { family: 'echo' } }],
    });
    const { token } = (await (await post(`${routes}/users/reader/tokens`, {})).json()) as { token: string };
    const user = { authorization: `Bearer ${token}` };
    const probe = await fetch(`${url}/api/v1/jobs/echo`, { headers: user });
    if (probe.status !== 200)
      throw new Error(`the user token cannot read the job: ${probe.status} ${await probe.text()}`);
    await load(`${url}/api/v1/jobs/echo`, user, LOAD); // warm-up
    await load(`${openUrl}/api/v1/jobs/echo`, {}, LOAD);
    for (let round = 0; round < ROUNDS; round++) {
      chained.push(await load(`${url}/api/v1/jobs/echo`, user, LOAD));
      off.push(await load(`${openUrl}/api/v1/jobs/echo`, {}, LOAD));
    }
  } finally {
    await open.close();
    await k.running.close();
    removeHome(home);
  }
  const ratio = median(off) / median(chained);
  return [
    result({
      id: 'auth.chain',
      metric:
        'GET /api/v1/jobs/<name> req/s with auth off / through the auth chain (SSO bail-out, token, scopes; ≤ 1.176 = keeps ≥ 0.85)',
      value: round(ratio, 3),
      unit: '×',
      ratio: round(ratio, 4),
      goal: { op: '<=', limit: 1.176 },
      summary: {
        chainRps: round(median(chained), 0),
        authOffRps: round(median(off), 0),
        rounds: ROUNDS,
        requests: LOAD.requests,
      },
      raw: { chainRps: chained.map((v) => round(v, 0)), authOffRps: off.map((v) => round(v, 0)) },
      notes: ['both servers run on the same kernel in this process; the load generator is a separate process'],
    }),
  ];
}
