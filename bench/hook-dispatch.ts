/**
 * Benchmark 1: calling a kernel hook with 5 plugin taps vs a hand-written loop over the same 5
 * functions. The taps are registered by 5 real plugins through a PluginHost and their ctx, so the
 * kernel's wrappers (error mapping, drain tracking, time limit) are included. The same functions
 * tapped straight onto bare tapable hooks show what tapable's dispatch itself costs.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { AsyncSeriesBailHook, SyncBailHook } from 'tapable';
import type { KernelHooks } from '../core/hooks/hooks.js';
import { createPluginHost } from '../core/loader/create-plugin-host.js';
import type { AdmitRequest, FilterRequest } from '../plugin-sdk/hook-types.js';
import { tempHome } from './bench-kernel.js';
import { type BenchPlugin, benchManifest, writePluginDir } from './fixtures.js';
import {
  type AsyncFn,
  freshAsyncLoop,
  freshSyncLoop,
  loopHandAsync,
  loopHandSync,
  measureSeries,
  type SyncFn,
} from './hook-loops.js';
import { type BenchResult, median, result, round } from './stats.js';

const TAPS = 5;
const SYNC_ITERATIONS = 1_000_000;
const ASYNC_ITERATIONS = 200_000;
const ROUNDS = { sync: 7, async: 9 };

/** Plugin `i` taps both hooks with functions that always return undefined, and exposes them. */
function tapPlugin(i: number): BenchPlugin {
  return {
    name: `tap-${i}`,
    version: '1.0.0',
    source: `
const filter = (req) => (req.agent.capacity.cpu < ${-i} ? { reject: 'never' } : undefined);
const admit = async (req) => (req.job.resources.cpu < ${-i} ? { reject: 'never' } : undefined);
module.exports = definePlugin({
  filter,
  admit,
  activate(ctx) {
    ctx.scheduling.filter(filter);
    ctx.scheduling.admit(admit);
  },
});`,
  };
}

interface Setup {
  hooks: KernelHooks;
  filters: SyncFn[];
  admits: AsyncFn[];
  root: string;
}

async function setUp(): Promise<Setup> {
  const root = tempHome('spindle-bench-hooks-');
  const { hooks, host } = createPluginHost({
    logger: pino({ level: 'silent' }),
    dataRoot: path.join(root, 'data'),
    kernelVersion: '0.0.0-bench',
    hookTimeoutMs: 5_000,
    timeouts: { activationMs: 5_000, drainMs: 5_000, deactivationMs: 5_000 },
    reportJobState: () => undefined,
    signedUp: () => undefined,
  });
  const filters: SyncFn[] = [];
  const admits: AsyncFn[] = [];
  for (let i = 0; i < TAPS; i++) {
    const plugin = tapPlugin(i);
    await host.start(
      benchManifest(plugin),
      writePluginDir(path.join(root, 'plugins', plugin.name, '1.0.0'), plugin),
      {},
    );
    const definition = host.activeInstance(plugin.name)!.definition as unknown as { filter: SyncFn; admit: AsyncFn };
    filters.push(definition.filter);
    admits.push(definition.admit);
  }
  if (hooks['scheduling.filter'].taps.length !== TAPS || hooks['scheduling.admit'].taps.length !== TAPS)
    throw new Error('taps were not registered');
  return { hooks, filters, admits, root };
}

function toResult(
  id: string,
  kind: string,
  samples: Record<string, number[]>,
  limit: number,
  iterations: number,
): BenchResult {
  const med = (name: string) => median(samples[name]!);
  const [kernel, tapable, hand] = [med('kernel'), med('tapable'), med('hand')];
  // Each round times every series back to back, so the ratio within a round cancels the machine's slow spells.
  const ratio = median(samples.kernel!.map((k, i) => k / samples.tapable![i]!));
  return result({
    id,
    metric: `${kind}, ${TAPS} plugin taps: kernel / bare tapable over the same functions (median of per-round ratios)`,
    value: round(ratio, 2),
    unit: '×',
    ratio: round(ratio, 3),
    goal: { op: '<=', limit },
    summary: {
      kernelNs: round(kernel, 1),
      bareTapableNs: round(tapable, 1),
      handLoopNs: round(hand, 1),
      kernelVsHandLoop: round(kernel / hand, 2),
      iterations,
      rounds: ROUNDS[id.endsWith('async') ? 'async' : 'sync'],
    },
    raw: Object.fromEntries(
      Object.entries(samples).map(([name, values]) => [`${name}Ns`, values.map((v) => round(v, 2))]),
    ),
    notes: [
      'bareTapable: the same 5 functions tapped on a bare tapable hook (no kernel wrapping); handLoop: a plain loop over them',
      'all series run in the same alternating rounds; the kernel path adds, per tap, the plugin-call seam: drain counting, error mapping naming plugin and hook, attribution and (async) a time limit',
      'sync goal 2x: a sync tap costs a few ns, and the seam marks the running plugin in shared memory for the event-loop watchdog (two stores per tap)',
    ],
  });
}

async function measureMain(setup: Setup): Promise<BenchResult[]> {
  const syncHook = new SyncBailHook<[FilterRequest], unknown>(['arg']);
  const asyncHook = new AsyncSeriesBailHook<[AdmitRequest], unknown>(['arg']);
  for (const [i, fn] of setup.filters.entries()) syncHook.tap(`tap-${i}`, fn);
  for (const [i, fn] of setup.admits.entries()) asyncHook.tapPromise(`tap-${i}`, fn);
  const sync = await measureSeries(
    {
      kernel: freshSyncLoop(setup.hooks['scheduling.filter']),
      hand: (n) => loopHandSync(setup.filters, n),
      tapable: freshSyncLoop(syncHook),
    },
    SYNC_ITERATIONS,
    ROUNDS.sync,
  );
  const asyncSamples = await measureSeries(
    {
      kernel: freshAsyncLoop(setup.hooks['scheduling.admit']),
      hand: (n) => loopHandAsync(setup.admits, n),
      tapable: freshAsyncLoop(asyncHook),
    },
    ASYNC_ITERATIONS,
    ROUNDS.async,
  );
  return [
    toResult('hook-dispatch.sync', 'scheduling.filter (sync-bail)', sync, 2, SYNC_ITERATIONS),
    toResult('hook-dispatch.async', 'scheduling.admit (async series-bail)', asyncSamples, 1.5, ASYNC_ITERATIONS),
  ];
}

export async function runHookDispatch(): Promise<BenchResult[]> {
  const setup = await setUp();
  try {
    return await measureMain(setup);
  } finally {
    rmSync(setup.root, { recursive: true, force: true });
  }
}
