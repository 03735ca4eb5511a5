/** Small statistics and the shape of one benchmark result, shared by every benchmark. */

export interface Goal {
  /** The measured value must be at most (`<=`), below (`<`) or at least (`>=`) `limit`. */
  op: '<=' | '<' | '>=';
  limit: number;
}

export interface BenchResult {
  /** Stable id, e.g. `hook-dispatch.sync`. */
  id: string;
  /** What `value` is, in words. */
  metric: string;
  value: number;
  unit: string;
  /** subject / baseline, when the benchmark compares two things. */
  ratio: number | null;
  goal: Goal;
  pass: boolean;
  /** Medians, percentiles and other derived numbers. */
  summary: Record<string, number>;
  /** Every raw sample, by series. */
  raw: Record<string, number[]>;
  notes: string[];
}

/** One benchmark's run: its results, or why it crashed. */
export interface BenchRun<Name extends string = string> {
  name: Name;
  title: string;
  seconds: number;
  results: BenchResult[];
  error?: string;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function meets(value: number, goal: Goal): boolean {
  if (goal.op === '>=') return value >= goal.limit;
  return goal.op === '<=' ? value <= goal.limit : value < goal.limit;
}

export function result(
  fields: Omit<BenchResult, 'pass' | 'notes' | 'ratio'> & { ratio?: number | null; notes?: string[] },
): BenchResult {
  return { ratio: null, notes: [], ...fields, pass: meets(fields.value, fields.goal) };
}

/** Milliseconds since an arbitrary origin, with sub-millisecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
