/**
 * Suites that need an outside service ask here, once, at the top of the file:
 *
 * ```ts
 * const docker = await needService('docker');
 * describe.skipIf(docker.skip)('python jobs on Docker', () => { … });
 * ```
 *
 * - The service is there: `skip` is false and the suite runs.
 * - It is missing outside CI: `skip` is true, and one line on stderr says what is missing and the
 *   command that provides it. The suite is skipped as a whole (vitest counts an empty suite as a
 *   failure, so never `return` from a `describe` body instead).
 * - It is missing under `CI=true`: a test named after the service fails with the same line, because
 *   `.ci/run` (scripts/ci-services.sh) starts every service.
 *
 * `SPINDLE_TEST_SERVICES_MISSING=docker,postgres` (or `all`) makes the checks answer "missing"
 * without asking, so the skip and fail paths can be tested on a machine that has everything
 * (tests/services-missing.test.ts does).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { probeSandbox } from '../../plugin-sdk/sandbox/index.js';
import { pgTestUnavailable } from './pg-test-database.js';

const run = promisify(execFile);

export type ServiceName = 'docker' | 'postgres' | 'bwrap';

export interface ServiceGate {
  skip: boolean;
  /** Why not, in one line with the command that provides it (empty when available). */
  reason: string;
}

const LABELS: Record<ServiceName, string> = {
  docker: 'Docker Engine',
  postgres: 'PostgreSQL',
  bwrap: 'bubblewrap (bwrap)',
};

/** Services forced to read as missing (`SPINDLE_TEST_SERVICES_MISSING`). */
function forcedMissing(name: ServiceName): boolean {
  const list = (process.env.SPINDLE_TEST_SERVICES_MISSING ?? '').split(',').map((s) => s.trim());
  return list.includes('all') || list.includes(name);
}

const firstLine = (error: unknown): string =>
  String((error as { stderr?: string }).stderr || (error as Error).message || error)
    .trim()
    .split('\n')[0]!;

async function dockerMissing(image: string | undefined): Promise<string | undefined> {
  try {
    await run('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 10_000 });
  } catch (error) {
    return `no Docker Engine answers (${firstLine(error)}); start one with scripts/ci-services.sh`;
  }
  if (!image) return undefined;
  try {
    await run('docker', ['image', 'inspect', image], { timeout: 10_000 });
    return undefined;
  } catch {
    return `the Docker image ${image} is missing; build it with scripts/docker-python-image.sh`;
  }
}

async function whyMissing(name: ServiceName, options: { image?: string }): Promise<string | undefined> {
  if (forcedMissing(name))
    return `${LABELS[name]} reads as missing (SPINDLE_TEST_SERVICES_MISSING=${process.env.SPINDLE_TEST_SERVICES_MISSING}); unset it to use the real one`;
  switch (name) {
    case 'docker':
      return dockerMissing(options.image);
    case 'postgres': {
      const reason = await pgTestUnavailable();
      return reason && `${reason}, or start it with scripts/ci-services.sh`;
    }
    case 'bwrap': {
      const probe = await probeSandbox((file, args, options) => ({
        result: run(file, args, { timeout: options.timeout ?? 10_000, env: options.env ?? {} }).then(
          () => ({ exitCode: 0, stderr: '' }),
          (error: { code?: number | string; stderr?: string; message: string }) => ({
            exitCode: typeof error.code === 'number' ? error.code : -1,
            stderr: error.stderr || error.message,
          }),
        ),
      }));
      return probe.available ? undefined : `${probe.reason}; scripts/ci-services.sh installs it`;
    }
  }
}

/**
 * Check `name` for the suites of this file. Call at module level, before the suites: under
 * `CI=true` a missing service registers a failing test here.
 */
export async function needService(name: ServiceName, options: { image?: string } = {}): Promise<ServiceGate> {
  const reason = await whyMissing(name, options);
  if (reason === undefined) return { skip: false, reason: '' };
  const line = `${LABELS[name]}${options.image ? ` with ${options.image}` : ''}: ${reason}`;
  if (process.env.CI === 'true') {
    describe(`${LABELS[name]} for these tests`, () => {
      it('is available (CI=true requires it)', () => expect.fail(`CI=true requires ${line}`));
    });
  } else {
    process.stderr.write(`skipping the suites that need ${line}\n`);
  }
  return { skip: true, reason: line };
}
