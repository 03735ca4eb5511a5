/**
 * Benchmark 4: heap growth across 200 swaps of a plugin whose module holds a distinct ~2 MB
 * string constant. Each swap is an API upload with `?replace=true` (the old version is removed
 * from disk), followed by `host.settled()` so the old instance is fully retired. Heap is read
 * after forced GCs, so this child process must run with `--expose-gc`.
 */
import { assertActive, type BenchKernel, removeHome, startBenchKernel, tempHome, tempRoot } from './bench-kernel.js';
import { heavyPlugin, pluginZip } from './fixtures.js';
import { type BenchResult, median, nowMs, result, round, sleep } from './stats.js';

const SWAPS = 200;
const MODULE_BYTES = 2 * 1024 * 1024;
const SAMPLE_EVERY = 20;
const NAME = 'heavy';
const MB = 1024 * 1024;

interface HeapSample {
  heapUsed: number;
  rss: number;
  external: number;
}

async function heapAfterGc(): Promise<HeapSample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the memory benchmark needs node --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(10); // let finalizers, timers and socket closes run between collections
  }
  const { heapUsed, rss, external } = process.memoryUsage();
  return { heapUsed, rss, external };
}

async function swapTo(k: BenchKernel, i: number): Promise<void> {
  const zip = pluginZip(heavyPlugin(NAME, `1.0.${i}`, MODULE_BYTES), { store: true });
  assertActive(await k.upload(zip, '?replace=true'), `swap ${i}`);
  await k.running.kernel.host.settled();
}

async function run(
  k: BenchKernel,
): Promise<{ after1: HeapSample; after: HeapSample; trend: number[]; swapMs: number[] }> {
  await swapTo(k, 0);
  await swapTo(k, 1);
  const after1 = await heapAfterGc();
  const trend = [after1.heapUsed];
  const swapMs: number[] = [];
  for (let i = 2; i <= SWAPS; i++) {
    const start = nowMs();
    await swapTo(k, i);
    swapMs.push(nowMs() - start);
    if (i % SAMPLE_EVERY === 0) trend.push((await heapAfterGc()).heapUsed);
  }
  return { after1, after: await heapAfterGc(), trend, swapMs };
}

export async function runMemory(): Promise<BenchResult[]> {
  const home = tempHome();
  const k = await startBenchKernel(home);
  try {
    const { after1, after, trend, swapMs } = await run(k);
    const installed = (await k.running.kernel.getPlugin(NAME)).versions.length;
    const growth = (after.heapUsed - after1.heapUsed) / MB;
    const mb = (v: number) => round(v / MB, 2);
    return [
      result({
        id: 'memory',
        metric: `heapUsed after ${SWAPS} swaps − after 1 swap, ${MODULE_BYTES / MB} MB module (MB, after forced GC)`,
        value: round(growth, 2),
        unit: 'MB',
        goal: { op: '<', limit: 20 },
        summary: {
          heapAfter1Mb: mb(after1.heapUsed),
          heapAfterAllMb: mb(after.heapUsed),
          rssAfter1Mb: mb(after1.rss),
          rssAfterAllMb: mb(after.rss),
          externalAfter1Mb: mb(after1.external),
          externalAfterAllMb: mb(after.external),
          versionsOnDisk: installed,
          swapP50Ms: round(median(swapMs), 1),
        },
        raw: { heapUsedMbEvery20Swaps: trend.map(mb), swapMs: swapMs.map((v) => round(v, 2)) },
        notes: [
          `temp root: ${tempRoot()}`,
          'swaps are API uploads with ?replace=true, each followed by kernel.host.settled()',
        ],
      }),
    ];
  } finally {
    await k.running.close();
    removeHome(home);
  }
}
