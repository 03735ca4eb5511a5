/**
 * Benchmark 2: a 5 MB, 2000-file plugin ZIP from HTTP upload to active, vs a plain adm-zip
 * `extractAllTo` of the same ZIP. Each round installs a new version (a swap after the first). The
 * kernel's staging step (`stagePlugin`: hash, inspect, extract, validate) is timed on its own too,
 * to show where the install time goes.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { inspectZip } from '../core/intake/inspect-zip.js';
import { stagePlugin } from '../core/intake/stage-plugin.js';
import { DEFAULT_ZIP_LIMITS } from '../core/intake/zip-limits.js';
import { assertActive, type BenchKernel, removeHome, startBenchKernel, tempHome, tempRoot } from './bench-kernel.js';
import { randomAssets, versionPlugin, zipFactory } from './fixtures.js';
import { type BenchResult, median, nowMs, result, round } from './stats.js';

const FILES = 2000;
const BYTES = 5 * 1024 * 1024;
const ROUNDS = 5;
const NAME = 'bulky';

async function timeInstall(kernel: BenchKernel, zip: Buffer, version: string): Promise<number> {
  const start = nowMs();
  const response = await kernel.upload(zip);
  const elapsed = nowMs() - start;
  assertActive(response, `install ${NAME}@${version}`);
  return elapsed;
}

function timeExtract(zip: Buffer, scratch: string): number {
  const dir = mkdtempSync(path.join(scratch, 'extract-'));
  const start = nowMs();
  new AdmZip(zip).extractAllTo(dir, true);
  const elapsed = nowMs() - start;
  rmSync(dir, { recursive: true, force: true });
  return elapsed;
}

async function timeStage(zip: Buffer, scratchHome: string): Promise<number> {
  const start = nowMs();
  const staged = await stagePlugin(zip, { home: scratchHome, limits: DEFAULT_ZIP_LIMITS, installedVersions: () => [] });
  const elapsed = nowMs() - start;
  await rm(staged.stagingDir, { recursive: true, force: true });
  return elapsed;
}

function timeInspect(zip: Buffer): number {
  const start = nowMs();
  inspectZip(zip, DEFAULT_ZIP_LIMITS);
  return nowMs() - start;
}

interface Samples {
  install: number[];
  extract: number[];
  stage: number[];
  inspect: number[];
}

async function measure(
  kernel: BenchKernel,
  zipAt: (version: string) => Buffer,
  scratch: string,
): Promise<{ samples: Samples; zipBytes: number }> {
  const warm = zipAt('1.0.0');
  await timeInstall(kernel, warm, '1.0.0');
  timeExtract(warm, scratch);
  await timeStage(warm, scratch);
  const samples: Samples = { install: [], extract: [], stage: [], inspect: [] };
  for (let i = 1; i <= ROUNDS; i++) {
    const version = `1.0.${i}`;
    const zip = zipAt(version);
    const steps = [
      async () => samples.install.push(await timeInstall(kernel, zip, version)),
      async () => samples.extract.push(timeExtract(zip, scratch)),
      async () => samples.stage.push(await timeStage(zip, scratch)),
      async () => samples.inspect.push(timeInspect(zip)),
    ];
    for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]!();
    await kernel.running.kernel.host.settled();
  }
  return { samples, zipBytes: warm.length };
}

function toResult(samples: Samples, zipBytes: number): BenchResult {
  const [install, extract, stage, inspect] = [samples.install, samples.extract, samples.stage, samples.inspect].map(
    median,
  ) as [number, number, number, number];
  const ms = (values: number[]) => values.map((v) => round(v, 2));
  return result({
    id: 'install',
    metric: `${FILES}-file ${round(zipBytes / 1024 / 1024, 1)} MB ZIP: upload → active / adm-zip extractAllTo (median ms)`,
    value: round(install / extract, 2),
    unit: '×',
    ratio: round(install / extract, 3),
    goal: { op: '<=', limit: 2 },
    summary: {
      installMs: round(install, 1),
      extractAllToMs: round(extract, 1),
      stagePluginMs: round(stage, 1),
      inspectZipMs: round(inspect, 1),
      zipBytes,
      files: FILES,
      rounds: ROUNDS,
    },
    raw: {
      installMs: ms(samples.install),
      extractAllToMs: ms(samples.extract),
      stagePluginMs: ms(samples.stage),
      inspectZipMs: ms(samples.inspect),
    },
    notes: [
      `temp root: ${tempRoot()}`,
      'stagePluginMs: core/intake/stage-plugin.ts alone (sha256, inspect, extract, validate): no HTTP, store or activation',
      'inspectZipMs: its central-directory check alone (adm-zip open + entry checks)',
    ],
  });
}

export async function runInstall(): Promise<BenchResult[]> {
  const home = tempHome();
  const scratch = tempHome('spindle-bench-extract-');
  const kernel = await startBenchKernel(home);
  try {
    const zipAt = zipFactory((version) => versionPlugin(NAME, version), randomAssets(FILES - 2, BYTES));
    const { samples, zipBytes } = await measure(kernel, zipAt, scratch);
    return [toResult(samples, zipBytes)];
  } finally {
    await kernel.running.close();
    removeHome(home);
    removeHome(scratch);
  }
}
