/**
 * What running a plugin in a process of its own costs, each side by side in one run:
 * - a no-op provider call (a scheduler's `schedule` on an empty snapshot), isolated vs in-process,
 *   p50 and p99 (goal: p50 at most 100 µs more; go-plugin's gRPC transport alone is 128 µs p50);
 * - a plugin route under 16 keep-alive clients: isolated / in-process throughput (goal ≥ 0.7);
 * - a DRF pass of 10,000 pending jobs on 1,000 agents through the real scheduler-drf plugin,
 *   isolated / in-process decisions per second (goal ≥ 0.5);
 * - 100 hot swaps of an isolated plugin while 4 clients loop on its route (goal: 0 failures);
 * - /health p99 while an isolated plugin spins a core at 100 % / when idle (goal ≤ 2×).
 */
import { spawn } from 'node:child_process';
import { bundleFirstPartyPlugins } from '../core/plugins/default-plugins.js';
import type { SchedulingSnapshot } from '../plugin-sdk/index.js';
import { ADMIN_TOKEN, type BenchKernel, getRoute, removeHome, startBenchKernel, tempHome } from './bench-kernel.js';
import { pluginZip } from './fixtures.js';
import { load, probe } from './load-generator.js';
import { makeWorkload } from './scheduler-workload.js';
import { type BenchResult, median, nowMs, percentile, result, round, sleep } from './stats.js';

const ROUND_TRIPS = 4_000;
const ROUND_TRIP_ROUNDS = 5;
const ROUTE_REQUESTS = 4_000;
const ROUTE_ROUNDS = 3;
const DRF_ROUNDS = 9;
const SWAPS = 100;
const HEALTH_PROBES = 1_500;
const HEALTH_ROUNDS = 3;

const plugin = (name: string, isolated: boolean, body: string, version = '1.0.0') =>
  pluginZip({
    name,
    version,
    manifest: isolated ? { isolation: 'process' } : {},
    source: `module.exports = definePlugin({ activate(ctx) { ${body} } });`,
  });

const EMPTY: SchedulingSnapshot = { queue: 'q', pending: [], agents: [], allocatedByOwner: {} };

async function install(k: BenchKernel, zip: Buffer, query = ''): Promise<void> {
  const { status, body } = await k.upload(zip, query);
  if (status !== 201) throw new Error(`install failed (${status}): ${JSON.stringify(body).slice(0, 300)}`);
}

/** Per-call latency in µs of `n` sequential calls. */
async function latencies(call: () => Promise<unknown>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await call();
    out.push(Number(process.hrtime.bigint() - start) / 1_000);
  }
  return out;
}

async function roundTrip(k: BenchKernel): Promise<BenchResult> {
  await install(
    k,
    plugin(
      'rt-in',
      false,
      `ctx.scheduling.registerScheduler('noop-in', { async schedule() { return { placements: [], waiting: [] }; } });`,
    ),
  );
  await install(
    k,
    plugin(
      'rt-iso',
      true,
      `ctx.scheduling.registerScheduler('noop-iso', { async schedule() { return { placements: [], waiting: [] }; } });`,
    ),
  );
  const { schedulers } = k.running.kernel.registries;
  const calls = {
    in: () => schedulers.get('noop-in')!.schedule(EMPTY),
    iso: () => schedulers.get('noop-iso')!.schedule(EMPTY),
  };
  await latencies(calls.in, 500);
  await latencies(calls.iso, 500);
  const samples = { in: [] as number[], iso: [] as number[] };
  for (let round = 0; round < ROUND_TRIP_ROUNDS; round++) {
    for (const side of round % 2 === 0 ? (['in', 'iso'] as const) : (['iso', 'in'] as const))
      samples[side].push(...(await latencies(calls[side], ROUND_TRIPS / ROUND_TRIP_ROUNDS)));
  }
  const p = (side: 'in' | 'iso', q: number) => percentile(samples[side], q);
  const overhead = p('iso', 50) - p('in', 50);
  return result({
    id: 'isolation.round-trip',
    metric: 'no-op provider call (schedule): isolated p50 − in-process p50 (µs)',
    value: round(overhead, 1),
    unit: 'µs',
    ratio: round(p('iso', 50) / p('in', 50), 2),
    goal: { op: '<=', limit: 100 },
    raw: { isolatedUs: samples.iso.map((v) => round(v, 1)), inProcessUs: samples.in.map((v) => round(v, 1)) },
    summary: {
      isolatedP50Us: round(p('iso', 50), 1),
      isolatedP99Us: round(p('iso', 99), 1),
      inProcessP50Us: round(p('in', 50), 1),
      inProcessP99Us: round(p('in', 99), 1),
      calls: ROUND_TRIPS,
    },
    notes: [
      'both through the plugin-call seam; isolated adds the IPC round trip (advanced serialisation) to the plugin process',
    ],
  });
}

async function routeThroughput(k: BenchKernel): Promise<BenchResult> {
  await install(
    k,
    plugin('route-in', false, `ctx.http.route('GET', '/ping', async () => ({ body: { pong: true } }));`),
  );
  await install(
    k,
    plugin('route-iso', true, `ctx.http.route('GET', '/ping', async () => ({ body: { pong: true } }));`),
  );
  const url = (name: string) => `${k.running.url}/api/v1/plugins/${name}/routes/ping`;
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const spec = { method: 'GET' as const, requests: ROUTE_REQUESTS, concurrency: 16 };
  await load(url('route-in'), headers, { ...spec, requests: 1_000 });
  await load(url('route-iso'), headers, { ...spec, requests: 1_000 });
  const rps = { in: [] as number[], iso: [] as number[] };
  for (let round = 0; round < ROUTE_ROUNDS; round++) {
    rps.in.push(await load(url('route-in'), headers, spec));
    rps.iso.push(await load(url('route-iso'), headers, spec));
  }
  const ratio = median(rps.iso) / median(rps.in);
  return result({
    id: 'isolation.route',
    metric: 'plugin route req/s, 16 keep-alive clients: isolated / in-process',
    value: round(ratio, 3),
    unit: '×',
    ratio: round(ratio, 3),
    goal: { op: '>=', limit: 0.7 },
    summary: {
      isolatedRps: round(median(rps.iso), 0),
      inProcessRps: round(median(rps.in), 0),
      requests: ROUTE_REQUESTS,
      rounds: ROUTE_ROUNDS,
    },
    raw: { isolatedRps: rps.iso.map((v) => round(v, 0)), inProcessRps: rps.in.map((v) => round(v, 0)) },
  });
}

async function drfPass(): Promise<BenchResult> {
  const [zip] = await bundleFirstPartyPlugins(['scheduler-drf']);
  const snapshot = makeWorkload({ jobs: 10_000, owners: 100, agents: 1_000 });
  const perPass: Record<'in' | 'iso', number[]> = { in: [], iso: [] };
  let decisions = 0;
  for (const side of ['in', 'iso'] as const) {
    const home = tempHome('spindle-bench-drf-');
    const k = await startBenchKernel(home, side === 'iso' ? { SPINDLE_ISOLATION: 'all' } : {});
    try {
      const res = await fetch(`${k.running.url}/api/v1/plugins`, {
        method: 'POST',
        body: JSON.stringify({ path: zip }),
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      });
      if (res.status !== 201) throw new Error(`scheduler-drf did not install: ${await res.text()}`);
      const drf = k.running.kernel.registries.schedulers.get('drf')!;
      // A fresh copy each pass, as the kernel builds one per pass (reusing one would favour in-process).
      for (let i = 0; i < 5; i++) await drf.schedule(structuredClone(snapshot));
      for (let i = 0; i < DRF_ROUNDS; i++) {
        const fresh = structuredClone(snapshot);
        const start = nowMs();
        const out = await drf.schedule(fresh);
        perPass[side].push(nowMs() - start);
        decisions = out.placements.length;
      }
    } finally {
      await k.running.close();
      removeHome(home);
    }
  }
  const ratio = median(perPass.in) / median(perPass.iso);
  return result({
    id: 'isolation.drf-pass',
    metric: 'DRF pass, 10k pending × 1k agents (the scheduler-drf plugin): isolated / in-process decisions per second',
    value: round(ratio, 3),
    unit: '×',
    ratio: round(ratio, 3),
    goal: { op: '>=', limit: 0.5 },
    summary: {
      isolatedPassMs: round(median(perPass.iso), 1),
      inProcessPassMs: round(median(perPass.in), 1),
      decisions,
      isolatedDecisionsPerSecond: round((decisions / median(perPass.iso)) * 1_000, 0),
      inProcessDecisionsPerSecond: round((decisions / median(perPass.in)) * 1_000, 0),
    },
    raw: { isolatedPassMs: perPass.iso.map((v) => round(v, 1)), inProcessPassMs: perPass.in.map((v) => round(v, 1)) },
    notes: ['isolated, the snapshot (10k jobs, 1k agents) and the result cross IPC each pass (structured clone)'],
  });
}

async function swapsUnderLoad(k: BenchKernel): Promise<BenchResult> {
  const zip = (i: number) =>
    plugin('swapped', true, `ctx.http.route('GET', '/v', async () => ({ body: { v: ${i} } }));`, `1.0.${i}`);
  await install(k, zip(0));
  const stats = { requests: 0, failed: 0 };
  const stop = { done: false };
  const clients = Array.from({ length: 4 }, async () => {
    while (!stop.done) {
      stats.requests++;
      const { status } = await getRoute(k.running.url, 'swapped', 'v').catch(() => ({ status: 0 }));
      if (status !== 200) stats.failed++;
    }
  });
  const started = nowMs();
  for (let i = 1; i <= SWAPS; i++) await install(k, zip(i), '?replace=true');
  const elapsed = nowMs() - started;
  stop.done = true;
  await Promise.all(clients);
  return result({
    id: 'isolation.swap-under-load',
    metric: `failed requests during ${SWAPS} hot swaps of an isolated plugin, 4 clients looping on its route`,
    value: stats.failed,
    unit: 'requests',
    ratio: stats.failed,
    goal: { op: '<=', limit: 0 },
    raw: {},
    summary: { swaps: SWAPS, requests: stats.requests, failed: stats.failed, swapP50Ms: round(elapsed / SWAPS, 1) },
  });
}

async function healthUnderSpin(k: BenchKernel): Promise<BenchResult> {
  // Spins a core in 20 ms slices (answering heartbeats between them, as a busy computation would).
  const spin = `globalThis.stop = false; const slice = () => { const end = Date.now() + 20; while (Date.now() < end) {} if (!globalThis.stop) setImmediate(slice); }; slice();`;
  await install(
    k,
    plugin(
      'spinner',
      true,
      `ctx.http.route('POST', '/spin', async () => { ${spin} return { body: 'spinning' }; });
    ctx.http.route('POST', '/stop', async () => { globalThis.stop = true; return { body: 'stopped' }; });`,
    ),
  );
  const post = (p: string) =>
    fetch(`${k.running.url}/api/v1/plugins/spinner/routes/${p}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
  // The phases alternate; each side's p99 is over all its probes (a p99 of a few hundred
  // sub-millisecond probes is mostly the OS scheduler's noise). The reference is the same spin in
  // a process that is not Spindle's: what a busy core costs this machine whoever spins it.
  const phases = {
    idle: async () => () => undefined,
    plugin: async () => {
      await post('spin');
      return () => post('stop');
    },
    unrelated: async () => {
      const spinner = spawn(process.execPath, ['-e', spin]);
      return () => spinner.kill('SIGKILL');
    },
  };
  const samples: Record<keyof typeof phases, number[]> = { idle: [], plugin: [], unrelated: [] };
  await probe(`${k.running.url}/health`, HEALTH_PROBES);
  for (let i = 0; i < HEALTH_ROUNDS; i++) {
    for (const [phase, start] of Object.entries(phases) as [keyof typeof phases, () => Promise<() => unknown>][]) {
      const stop = await start();
      await sleep(100);
      samples[phase].push(...(await probe(`${k.running.url}/health`, HEALTH_PROBES)));
      await stop();
      await sleep(50);
    }
  }
  const p = (phase: keyof typeof phases, q: number) => percentile(samples[phase], q) / 1_000;
  const ratio = p('plugin', 99) / p('idle', 99);
  return result({
    id: 'isolation.health-under-spin',
    metric: '/health p99 while an isolated plugin spins a core at 100 % / idle (a prober in its own process)',
    value: round(ratio, 2),
    unit: '×',
    ratio: round(ratio, 3),
    goal: { op: '<=', limit: 2 },
    raw: Object.fromEntries(
      Object.entries(samples).map(([phase, us]) => [`${phase}Ms`, us.map((v) => round(v / 1_000, 3))]),
    ),
    summary: {
      idleP99Ms: round(p('idle', 99), 2),
      spinningP99Ms: round(p('plugin', 99), 2),
      unrelatedSpinP99Ms: round(p('unrelated', 99), 2),
      idleP50Ms: round(p('idle', 50), 2),
      spinningP50Ms: round(p('plugin', 50), 2),
      probesPerSide: samples.idle.length,
    },
    notes: [`plugin processes run at nice ${process.env.SPINDLE_PLUGIN_NICE || 10} (SPINDLE_PLUGIN_NICE)`],
  });
}

export async function runIsolation(): Promise<BenchResult[]> {
  const home = tempHome('spindle-bench-isolation-');
  const k = await startBenchKernel(home);
  try {
    const results = [await roundTrip(k), await routeThroughput(k), await swapsUnderLoad(k), await healthUnderSpin(k)];
    return [...results, await drfPass()];
  } finally {
    await k.running.close();
    removeHome(home);
  }
}
