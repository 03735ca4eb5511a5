/**
 * Benchmark 3b: 100 API swaps back to back while concurrent clients hit the plugin's route in a
 * loop. Every request must answer 200 (goal: 0 failures). The route waits a little before it
 * answers, so requests are in flight on the old instance when the new one takes over (drain).
 */
import {
  assertActive,
  type BenchKernel,
  getRoute,
  removeHome,
  startBenchKernel,
  tempHome,
  tempRoot,
} from './bench-kernel.js';
import { pluginZip, versionPlugin } from './fixtures.js';
import { type BenchResult, nowMs, result, round } from './stats.js';

const SWAPS = 100;
const CLIENTS = 4;
const ROUTE_DELAY_MS = 2;
const NAME = 'busy';

interface LoadStats {
  requests: number;
  non200: number;
  networkErrors: number;
  /** A client saw an older version after a newer one (its requests are sequential). */
  versionRegressions: number;
  statuses: Record<string, number>;
}

function patch(version: string): number {
  return Number(version.split('.')[2]);
}

async function client(url: string, stop: { done: boolean }, stats: LoadStats): Promise<void> {
  let seen = -1;
  while (!stop.done) {
    stats.requests++;
    try {
      const { status, text } = await getRoute(url, NAME, 'version');
      if (status !== 200) {
        stats.non200++;
        stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
        continue;
      }
      const version = patch((JSON.parse(text) as { version: string }).version);
      if (version < seen) stats.versionRegressions++;
      seen = Math.max(seen, version);
    } catch {
      stats.networkErrors++;
    }
  }
}

async function swapAll(k: BenchKernel, zips: Buffer[]): Promise<number[]> {
  const times: number[] = [];
  for (let i = 1; i < zips.length; i++) {
    const start = nowMs();
    assertActive(await k.upload(zips[i]!, '?replace=true'), `swap ${i} under load`);
    times.push(nowMs() - start);
  }
  await k.running.kernel.host.settled();
  return times;
}

export async function runSwapUnderLoad(): Promise<BenchResult[]> {
  const home = tempHome();
  const k = await startBenchKernel(home);
  try {
    const zips = Array.from({ length: SWAPS + 1 }, (_, i) =>
      pluginZip(versionPlugin(NAME, `1.0.${i}`, { delayMs: ROUTE_DELAY_MS })),
    );
    assertActive(await k.upload(zips[0]!), 'first install');
    const stats: LoadStats = { requests: 0, non200: 0, networkErrors: 0, versionRegressions: 0, statuses: {} };
    const stop = { done: false };
    const clients = Array.from({ length: CLIENTS }, () => client(k.running.url, stop, stats));
    const start = nowMs();
    const swapTimes = await swapAll(k, zips).finally(() => (stop.done = true));
    const elapsed = nowMs() - start;
    await Promise.all(clients);
    const failed = stats.non200 + stats.networkErrors;
    return [
      result({
        id: 'hot-swap.under-load',
        metric: `failed requests during ${SWAPS} back-to-back API swaps, ${CLIENTS} clients looping on the plugin route`,
        value: failed,
        unit: 'requests',
        goal: { op: '<=', limit: 0 },
        summary: {
          swaps: SWAPS,
          clients: CLIENTS,
          requests: stats.requests,
          non200: stats.non200,
          networkErrors: stats.networkErrors,
          versionRegressions: stats.versionRegressions,
          elapsedMs: round(elapsed, 1),
          requestsPerSecond: round((stats.requests / elapsed) * 1000, 1),
        },
        raw: { swapMs: swapTimes.map((v) => round(v, 2)) },
        notes: [
          `temp root: ${tempRoot()}`,
          `route answers after a ${ROUTE_DELAY_MS} ms timer`,
          `non-200 statuses: ${JSON.stringify(stats.statuses)}`,
        ],
      }),
    ];
  } finally {
    await k.running.close();
    removeHome(home);
  }
}
