/**
 * `npm test` on a machine without Docker or PostgreSQL: the suites that need them are skipped
 * with one line each, and the run passes; under `CI=true` the same run fails, naming what is
 * missing. The suites are found by their `needService(` call, so new ones are covered too.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');

function serviceSuites(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      return ['node_modules', 'build', 'dist', '.git'].includes(entry.name) ? [] : serviceSuites(full);
    return entry.name.endsWith('.test.ts') && /\bneedService\(/.test(readFileSync(full, 'utf8'))
      ? [path.relative(ROOT, full)]
      : [];
  });
}

async function runSuites(files: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  // The child must not think it is a worker of this run.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'CI' && k !== 'NODE_OPTIONS'),
  );
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [VITEST, 'run', '--reporter=verbose', ...files],
      {
        cwd: ROOT,
        env: { ...base, NO_COLOR: '1', SPINDLE_TEST_SERVICES_MISSING: 'all', ...env },
        maxBuffer: 32 * 1024 * 1024,
        timeout: 240_000,
      },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

describe('suites that need an outside service, when it is missing', () => {
  const files = serviceSuites().filter((f) => f !== path.relative(ROOT, fileURLToPath(import.meta.url)));

  it('are found (Docker, PostgreSQL)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'tests/jobs/docker.test.ts',
        'tests/cluster/replicas.test.ts',
        'tests/kernel/pg-state.test.ts',
      ]),
    );
  });

  it('skip outside CI with one line each, and the run passes', async () => {
    const { code, output } = await runSuites(files, {});
    expect(code, output).toBe(0);
    expect(output).toMatch(
      /skipping the suites that need Docker Engine with spindle\/python:3\.11: .*SPINDLE_TEST_SERVICES_MISSING/,
    );
    expect(output).toMatch(/skipping the suites that need PostgreSQL: /);
    expect(output).not.toMatch(/No test found in suite/);
    expect(output).toMatch(/python jobs on Docker/);
  }, 250_000);

  it('fail under CI=true, naming what is missing', async () => {
    const { code, output } = await runSuites(files, { CI: 'true' });
    expect(code, output).not.toBe(0);
    expect(output).toMatch(/CI=true requires Docker Engine with spindle\/python:3\.11/);
    expect(output).toMatch(/CI=true requires PostgreSQL/);
  }, 250_000);
});
