/** The real binary: bin/spindle.js → build/core/cli/run.js (`npm test` builds before vitest runs). */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/spindle.js', import.meta.url));

describe('bin/spindle.js', () => {
  it('runs the built CLI', async () => {
    expect(
      existsSync(new URL('../../build/core/cli/run.js', import.meta.url)),
      'build/ is missing: run `npm run build`',
    ).toBe(true);
    const { stdout } = await run(process.execPath, [bin, '--help']);
    expect(stdout).toMatch(/Usage: spindle/);
    expect(stdout).toContain('plugin');
  });

  it('exits 1 with one error line on a usage error', async () => {
    const failure = await run(process.execPath, [bin, 'plugin', 'get']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1, stderr: "error: missing required argument 'name'\n" });
  });
});
