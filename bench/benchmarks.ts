/** The benchmarks `npm run bench` runs, in order. */
import { runAuthChain } from './auth-chain.js';
import { runFailover } from './failover.js';
import { runHookDispatch } from './hook-dispatch.js';
import { runHotSwap } from './hot-swap.js';
import { runInstall } from './install.js';
import { runIsolation } from './isolation.js';
import { runMemory } from './memory.js';
import { runPassCommit, runPassCommitPostgres } from './pass-commit.js';
import { runProxyThroughput } from './proxy-throughput.js';
import { runSchedulerBench } from './scheduler-throughput.js';
import type { BenchResult } from './stats.js';
import { runSwapUnderLoad } from './swap-under-load.js';

export interface Benchmark {
  title: string;
  run(): Promise<BenchResult[]>;
}

export const BENCHMARKS = {
  'hook-dispatch': { title: 'hook dispatch (5 plugin taps vs a hand-written loop)', run: runHookDispatch },
  install: { title: 'install (5 MB, 2000-file ZIP: upload to active vs extractAllTo)', run: runInstall },
  'hot-swap': { title: 'hot swap (drop-in and API) vs a full restart', run: runHotSwap },
  'swap-under-load': { title: '100 API swaps under a concurrent request loop', run: runSwapUnderLoad },
  memory: { title: 'heap growth over 200 swaps of a 2 MB plugin', run: runMemory },
  'scheduler-throughput': {
    title:
      'scheduler decisions/s: drf and fifo at 10k pending, 100 owners, 1k agents (vs a re-sort-and-scan reference; and at 10k agents)',
    run: runSchedulerBench,
  },
  'pass-commit': {
    title: 'a scheduling pass of 10k placements: one SQLite transaction vs a commit per decision',
    run: runPassCommit,
  },
  'pass-commit-postgres': {
    title: 'a scheduling pass of 10k placements committed to PostgreSQL vs to SQLite',
    run: runPassCommitPostgres,
  },
  failover: { title: 'replicas: from killing the leading replica to the next decision by another', run: runFailover },
  'proxy-throughput': { title: 'job proxy throughput vs calling the job directly', run: runProxyThroughput },
  isolation: {
    title:
      'a plugin in its own process vs in the kernel: call round trip, route, DRF pass, swaps, /health under a spin',
    run: runIsolation,
  },
  'auth-chain': { title: 'an authenticated read through the auth chain vs auth switched off', run: runAuthChain },
} satisfies Record<string, Benchmark>;

export type BenchmarkName = keyof typeof BENCHMARKS;

export function isBenchmarkName(name: string): name is BenchmarkName {
  return Object.hasOwn(BENCHMARKS, name);
}
