/**
 * Benchmark 3a: how long a hot swap takes until the new version answers on its plugin route,
 * vs a full kernel restart. The swap comes through the drop-in dir (written elsewhere, renamed
 * in, as an operator's copy lands) and through the API upload.
 */
import { type BenchKernel, removeHome, startBenchKernel, tempHome, tempRoot } from './bench-kernel.js';
import { type BenchResult, median, percentile, result, round } from './stats.js';
import { apiSwap, dropInSwap, restart, Versions } from './swap-steps.js';

const DROP_IN_SWAPS = 30;
const API_SWAPS = 30;
const RESTARTS = 5;
const WARM_UP = 3;

interface Samples {
  dropIn: number[];
  api: number[];
  restart: number[];
}

async function swaps(count: number, step: () => Promise<number>): Promise<number[]> {
  for (let i = 0; i < WARM_UP; i++) await step();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await step());
  return samples;
}

async function measure(first: BenchKernel): Promise<{ samples: Samples; last: BenchKernel }> {
  const versions = new Versions();
  let k = first;
  const dropIn = await swaps(DROP_IN_SWAPS, () => dropInSwap(k, versions, k.running.dropIn));
  const api = await swaps(API_SWAPS, () => apiSwap(k, versions));
  const restarts: number[] = [];
  for (let i = 0; i < RESTARTS + 1; i++) {
    const next = await restart(k, versions.current);
    k = next.kernel;
    if (i > 0) restarts.push(next.ms); // the first restart is the warm-up
  }
  return { samples: { dropIn, api, restart: restarts }, last: k };
}

function summarize(s: Samples): Record<string, number> {
  const r = (v: number) => round(v, 1);
  return {
    dropInP50Ms: r(median(s.dropIn)),
    dropInP99Ms: r(percentile(s.dropIn, 99)),
    apiP50Ms: r(median(s.api)),
    apiP99Ms: r(percentile(s.api, 99)),
    restartP50Ms: r(median(s.restart)),
    restartMaxMs: r(Math.max(...s.restart)),
  };
}

function toResults(s: Samples): BenchResult[] {
  const summary = summarize(s);
  const raw = { dropInMs: s.dropIn, apiMs: s.api, restartMs: s.restart };
  const rounded = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.map((x) => round(x, 2))]));
  const restartP50 = median(s.restart);
  const notes = [
    `temp root: ${tempRoot()}`,
    'drop-in: the ZIP is written next to the dir and renamed in; the watcher (fs events) installs it at once',
    'the route is polled back to back from the same process as the kernel',
  ];
  const shared = { unit: '×', goal: { op: '<=' as const, limit: 0.1 }, summary, raw: rounded, notes };
  return [
    result({
      id: 'hot-swap.drop-in',
      metric: 'drop-in swap p50 / restart p50 (file landed → new version answers)',
      value: round(median(s.dropIn) / restartP50, 3),
      ratio: round(median(s.dropIn) / restartP50, 4),
      ...shared,
    }),
    result({
      id: 'hot-swap.api',
      metric: 'API upload swap p50 / restart p50 (upload sent → new version answers)',
      value: round(median(s.api) / restartP50, 3),
      ratio: round(median(s.api) / restartP50, 4),
      ...shared,
    }),
  ];
}

export async function runHotSwap(): Promise<BenchResult[]> {
  const home = tempHome();
  let k = await startBenchKernel(home);
  try {
    const { samples, last } = await measure(k);
    k = last;
    return toResults(samples);
  } finally {
    await k.running.close();
    removeHome(home);
  }
}
