import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, it } from 'vitest';
import { startKernel, type RunningKernel } from '../../core/start.js';
import { runCli } from '../../core/cli/main.js';
import { ADMIN_TOKEN } from '../helpers/test-kernel.js';
let kernel: RunningKernel;
beforeAll(async () => {
  kernel = await startKernel({ home: mkdtempSync(path.join(os.tmpdir(), 'spx-')), port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }),
    env: { SPINDLE_ADMIN_TOKEN: ADMIN_TOKEN, SPINDLE_SCHEDULER_TICK_MS: '200' }, withDefaults: true });
}, 120_000);
afterAll(() => kernel.close());
async function cli(...argv: string[]) {
  let out = '';
  const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (out += '[err] ' + t) }, env: { HOME: '/tmp', SPINDLE_URL: kernel.url, SPINDLE_TOKEN: ADMIN_TOKEN } };
  const code = await runCli(argv, io);
  console.log(`$ spindle ${argv.join(' ')} → ${code}\n${out}`);
}
it('e2e', async () => {
  await cli('deploy', 'examples/python-adder');
  await cli('call', 'adder', '/perform', '{"numbers": [40, 2]}');
  await cli('call', 'adder', 'explain?numbers=40,2');
  await cli('call', 'adder', '/perform', '{"nums": [1]}');
  await cli('deploy', 'examples/python-adder', '-e', 'version=1.1.0', '-e', 'resources.cpu=64');
  await cli('deploy', 'examples/python-adder', '-e', 'version=1.2.0', '-e', 'resources.cpu=64', '--timeout', '1');
  await cli('queue');
  await cli('jobs');
  await cli('jobs', 'get', 'adder', '--version', '1.0.0');
  await cli('logs', 'adder', '--version', '1.0.0', '--tail', '300');
  await cli('call', 'adder', '/perform', '{"numbers": [1]}', '--version', '1.1.0');
  await cli('redeploy', 'adder', '--version', '1.0.0');
  await cli('deploy', 'examples/python-batch');
  await cli('logs', 'primes', '--follow');
  await cli('delete', 'adder', '--all');
  await cli('jobs');
}, 120_000);
