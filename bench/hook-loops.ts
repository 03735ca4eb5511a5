/**
 * The timed loops of the hook-dispatch benchmark. Each series gets its own loop function, so each
 * call site stays monomorphic and no series pays for another's type feedback.
 */
import type { AdmitRequest, FilterRequest } from '../plugin-sdk/hook-types.js';

export type SyncFn = (arg: FilterRequest) => unknown;
export type AsyncFn = (arg: AdmitRequest) => Promise<unknown>;

const JOB = {
  id: 'j1',
  name: 'job',
  version: '1.0.0',
  owner: 'alice',
  resources: { cpu: 1, memory: 512 },
  target: 'local',
};
export const FILTER_ARG: FilterRequest = {
  job: JOB,
  agent: { id: 'a1', target: 'local', capacity: { cpu: 8, memory: 4096 }, allocated: { cpu: 2, memory: 1024 } },
};
export const ADMIT_ARG: AdmitRequest = {
  queue: 'default',
  job: JOB,
  principal: { id: 'alice', name: 'alice', kind: 'user', provider: 'bench' },
};

interface SyncCallable {
  call(arg: FilterRequest): unknown;
}
interface AsyncCallable {
  promise(arg: AdmitRequest): Promise<unknown>;
}

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
  ...args: string[]
) => (...a: unknown[]) => Promise<number>;

let compiled = 0;

/**
 * A new loop over `hook.call`, compiled from its own source text (made unique, or V8's eval cache
 * would hand back the same function and its type feedback), so its call site only ever sees the
 * one hook it is given: a shared loop function would turn polymorphic across the series.
 */
export function freshSyncLoop(hook: SyncCallable): (n: number) => number {
  const loop = new Function(
    'hook',
    'arg',
    'n',
    `/* loop ${++compiled} */ let hits = 0; for (let i = 0; i < n; i++) if (hook.call(arg) !== undefined) hits++; return hits;`,
  );
  return (n) => loop(hook, FILTER_ARG, n) as number;
}

export function freshAsyncLoop(hook: AsyncCallable): (n: number) => Promise<number> {
  const loop = new AsyncFunction(
    'hook',
    'arg',
    'n',
    `/* loop ${++compiled} */ let hits = 0; for (let i = 0; i < n; i++) if ((await hook.promise(arg)) !== undefined) hits++; return hits;`,
  );
  return (n) => loop(hook, ADMIT_ARG, n);
}

export function loopHandSync(fns: SyncFn[], n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < fns.length; t++) {
      if (fns[t]!(FILTER_ARG) !== undefined) {
        hits++;
        break;
      }
    }
  }
  return hits;
}

export async function loopHandAsync(fns: AsyncFn[], n: number): Promise<number> {
  let hits = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < fns.length; t++) {
      if ((await fns[t]!(ADMIT_ARG)) !== undefined) {
        hits++;
        break;
      }
    }
  }
  return hits;
}

export type Series = Record<string, (n: number) => number | Promise<number>>;

/** Warm up, then `rounds` rounds rotating which series goes first; ns per call, per round. */
export async function measureSeries(
  series: Series,
  iterations: number,
  rounds: number,
): Promise<Record<string, number[]>> {
  const names = Object.keys(series);
  for (const name of names) await series[name]!(Math.ceil(iterations / 5));
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!;
      const start = process.hrtime.bigint();
      const hits = await series[name]!(iterations);
      const ns = Number(process.hrtime.bigint() - start) / iterations;
      if (hits !== 0) throw new Error(`${name}: a tap answered; the benchmark expects none to`);
      samples[name]!.push(ns);
    }
  }
  return samples;
}
