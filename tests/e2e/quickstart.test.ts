/**
 * The README quick start, as a new user runs it: the kernel with its default plugins in a child
 * process (`spindle start --with-defaults`, what `npm start` runs), then `spindle deploy
 * examples/python-adder` and `spindle call adder /perform '{"numbers": [40, 2]}'` → 42.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildKernel, startChildKernel } from '../helpers/child-kernel.js';
import { ADMIN_TOKEN } from '../helpers/test-kernel.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'spindle.js');
const run = promisify(execFile);

let kernel: ChildKernel;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'spindle-quickstart-'));
  kernel = await startChildKernel(home, { withDefaults: '1' });
  env = { ...process.env, SPINDLE_URL: kernel.url, SPINDLE_TOKEN: ADMIN_TOKEN, HOME: home };
}, 120_000);
afterAll(() => kernel?.stop());

const spindle = (...args: string[]) => run(process.execPath, [BIN, ...args], { cwd: ROOT, env, timeout: 120_000 });

describe('README quick start', () => {
  it('deploys the python adder with one command and calls it through the kernel', async () => {
    const deployed = await spindle('deploy', 'examples/python-adder');
    for (const phase of ['validating', 'queued', 'scheduled', 'preparing', 'running'])
      expect(deployed.stdout).toContain(phase);
    const called = await spindle('call', 'adder', '/perform', '{"numbers": [40, 2]}');
    expect(called.stdout.trim()).toBe('42');
  });

  it('shows the job, its log and an empty queue', async () => {
    const jobs = await spindle('jobs');
    expect(jobs.stdout).toMatch(/adder\s+1\.0\.0\s+RUNNING/);
    const logs = await spindle('logs', 'adder');
    expect(logs.stdout).toContain('POST /perform 200');
    const queue = await spindle('queue', '--json');
    expect(JSON.parse(queue.stdout)).toMatchObject({ jobs: [] });
  });

  it('runs the batch example to completion', async () => {
    const done = await spindle('deploy', 'examples/python-batch');
    expect(done.stdout).toContain('succeeded');
  });

  it('deletes the adder', async () => {
    await spindle('delete', 'adder', '--version', '1.0.0');
    await expect(spindle('call', 'adder', '/perform', '{"numbers": [1]}')).rejects.toMatchObject({ code: 1 });
  });
});
