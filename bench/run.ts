/**
 * `npm run bench`: runs every benchmark (or those named on the command line), each in its own
 * `node --expose-gc` child, prints a table and writes `bench/results.json`.
 * Exits 1 when a benchmark crashed; with `--strict`, also when a goal is not met.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHMARKS, type BenchmarkName, isBenchmarkName } from './benchmarks.js';
import { printTable } from './report.js';
import type { BenchResult, BenchRun } from './stats.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
const RESULTS_FILE = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
const CHILD_TIMEOUT_MS = 240_000;

function runChild(name: BenchmarkName, out: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', CHILD, name, out], { stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? undefined : `exit ${code ?? signal}: ${stderr.trim().slice(-2000)}`);
    });
  });
}

async function runOne(name: BenchmarkName, scratch: string): Promise<BenchRun<BenchmarkName>> {
  const out = path.join(scratch, `${name}.json`);
  const title = BENCHMARKS[name].title;
  process.stdout.write(`▶ ${name}: ${title} … `);
  const start = Date.now();
  const error = await runChild(name, out);
  const seconds = Math.round((Date.now() - start) / 100) / 10;
  process.stdout.write(`${error ? 'ERROR' : 'done'} in ${seconds} s\n`);
  if (error) return { name, title, seconds, results: [], error };
  return { name, title, seconds, results: JSON.parse(readFileSync(out, 'utf8')) as BenchResult[] };
}

function selected(args: string[]): BenchmarkName[] {
  const names = args.filter((a) => !a.startsWith('--'));
  for (const name of names)
    if (!isBenchmarkName(name))
      throw new Error(`unknown benchmark "${name}" (have: ${Object.keys(BENCHMARKS).join(', ')})`);
  return names.length > 0 ? (names as BenchmarkName[]) : (Object.keys(BENCHMARKS) as BenchmarkName[]);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'spindle-bench-run-'));
  const runs: BenchRun<BenchmarkName>[] = [];
  try {
    for (const name of selected(args)) runs.push(await runOne(name, scratch));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const environment = {
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify({ date: new Date().toISOString(), environment, runs }, null, 2)}\n`);
  printTable(runs);
  console.log(`\nresults: ${path.relative(process.cwd(), RESULTS_FILE) || RESULTS_FILE}`);
  const crashed = runs.some((r) => r.error);
  const unmet = runs.some((r) => r.results.some((x) => !x.pass));
  process.exitCode = crashed || (unmet && args.includes('--strict')) ? 1 : 0;
}

await main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
});
