/** The CLI against a real kernel on loopback: the operator's path, end to end. */
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../core/cli/main.js';
import { ADMIN_TOKEN, startTestKernel } from '../helpers/test-kernel.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/hello-plugin', import.meta.url));

let kernel: Awaited<ReturnType<typeof startTestKernel>>;
let work: string;

beforeAll(async () => {
  kernel = await startTestKernel();
  work = mkdtempSync(path.join(os.tmpdir(), 'spindle-cli-'));
  cpSync(EXAMPLE, path.join(work, 'hello-plugin'), {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}dist`),
  });
});
afterAll(() => kernel.close());

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: { SPINDLE_URL: kernel.url, SPINDLE_TOKEN: ADMIN_TOKEN, HOME: work },
  });
  return { code, out, err };
}

describe('spindle CLI against a running kernel', () => {
  it('bundles, installs, lists, configures, runs an action and uninstalls the example plugin', async () => {
    const bundled = await cli('plugin', 'bundle', path.join(work, 'hello-plugin'));
    expect(bundled.code).toBe(0);
    const zip = path.join(work, 'hello-plugin', 'dist', 'hello-plugin-1.0.0.zip');

    const installed = await cli('plugin', 'install', zip);
    expect(installed).toMatchObject({ code: 0, err: '' });
    expect(installed.out).toContain('hello-plugin@1.0.0');

    const listed = await cli('plugin', 'list', '--json');
    expect(JSON.parse(listed.out)).toMatchObject({ plugins: [{ name: 'hello-plugin', activeVersion: '1.0.0' }] });
    const table = await cli('plugin', 'list');
    expect(table.out).toMatch(/hello-plugin\s+1\.0\.0\s+active/);
    expect(table.out).not.toContain('\u001b[');

    expect((await cli('plugin', 'config', 'set', 'hello-plugin', 'greeting=Howdy', 'apiKey=topsecret')).code).toBe(0);
    const config = await cli('plugin', 'config', 'get', 'hello-plugin', '--json');
    expect(JSON.parse(config.out)).toMatchObject({ config: { greeting: 'Howdy', apiKey: '********' } });
    const res = await kernel.api('/api/v1/plugins/hello-plugin/routes/hello/Ada');
    expect(await res.json()).toMatchObject({ message: 'Howdy, Ada!' });

    const action = await cli('plugin', 'action', 'hello-plugin', 'count-events', '--json');
    expect(action.code).toBe(0);
    expect(JSON.parse(action.out)).toHaveProperty('heard');

    const docs = await cli('plugin', 'docs', 'hello-plugin', 'usage');
    expect(docs.out).toContain('# hello-plugin');

    const activity = await cli('activity', '--plugin', 'hello-plugin', '--json');
    const actions = (JSON.parse(activity.out) as { entries: { action: string }[] }).entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['plugin.installed', 'plugin.activated', 'plugin.config-changed']));
    expect(activity.out).not.toContain('topsecret');

    expect((await cli('plugin', 'uninstall', 'hello-plugin')).code).toBe(0);
    expect(JSON.parse((await cli('plugin', 'list', '--json')).out)).toEqual({ plugins: [] });
  });

  it('exits non-zero with a one-line reason on an API error', async () => {
    const missing = await cli('plugin', 'uninstall', 'no-such-plugin');
    expect(missing.code).toBe(1);
    expect(missing.err.trim().split('\n')).toHaveLength(1);
    expect(missing.err).toMatch(/^error: KRN_ERR_PLUGIN_NOT_FOUND: plugin no-such-plugin: /);
  });

  it('says so, in one line, when the kernel is not reachable', async () => {
    let err = '';
    const code = await runCli(['plugin', 'list'], {
      stdout: { write: () => undefined },
      stderr: { write: (t: string) => (err += t) },
      env: { SPINDLE_URL: 'http://127.0.0.1:9', SPINDLE_TOKEN: 'x', HOME: work },
    });
    expect(code).toBe(1);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain('127.0.0.1:9');
  });
});
