/**
 * Runs one benchmark in this process and writes its results as JSON to a file:
 * `node --expose-gc build/bench/child.js <benchmark> <out.json>`. run.ts starts one child per
 * benchmark, so JIT state, heap and leftover handles of one never skew the next.
 */
import { writeFileSync } from 'node:fs';
import { BENCHMARKS, isBenchmarkName } from './benchmarks.js';

const [name, out] = process.argv.slice(2);
if (!name || !out || !isBenchmarkName(name)) {
  console.error(`usage: child.js <${Object.keys(BENCHMARKS).join('|')}> <out.json>`);
  process.exit(2);
}
try {
  const results = await BENCHMARKS[name].run();
  writeFileSync(out, JSON.stringify(results, null, 2));
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
}
