/**
 * Suites that need an outside service (Docker Engine, PostgreSQL) ask here. On a laptop without
 * it they skip with one clear line; in CI (`CI=true`) a missing service fails the suite instead,
 * because `.ci/run` (scripts/ci-services.sh) starts them.
 */
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

export interface ServiceCheck {
  available: boolean;
  /** Why not, in one line (empty when available). */
  reason: string;
}

export function dockerCheck(image?: string): ServiceCheck {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe', timeout: 10_000 });
  } catch (error) {
    return { available: false, reason: `no Docker Engine (docker version failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim().split('\n')[0]}); run scripts/ci-services.sh` };
  }
  if (image) {
    try {
      execFileSync('docker', ['image', 'inspect', image], { stdio: 'pipe', timeout: 10_000 });
    } catch {
      return { available: false, reason: `the Docker image ${image} is missing; build it with scripts/docker-python-image.sh` };
    }
  }
  return { available: true, reason: '' };
}

/**
 * Call at the top of a describe block that needs the service: skips the block's tests (with one
 * line on stderr) when it is missing, or fails one test saying why when running in CI.
 */
export function needService(name: string, check: ServiceCheck): boolean {
  if (check.available) return true;
  if (process.env.CI === 'true') {
    it(`needs ${name}`, () => expect.fail(`${name} is required in CI: ${check.reason}`));
  } else {
    process.stderr.write(`skipping the ${name} tests: ${check.reason}\n`);
  }
  return false;
}
