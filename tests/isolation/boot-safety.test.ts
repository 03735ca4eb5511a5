/**
 * Boot safety against a real `spindle start` process: a plugin that kept the kernel from
 * finishing its activation (an endless loop, an exit in `activate()`) comes up `failed` at the
 * next boot, with the API up; `--safe-mode` starts with no third-party plugin active; and an
 * in-process plugin that blocks the event loop is named in the log.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildKernel, startChildKernel } from '../helpers/child-kernel.js';
import { helloPlugin, pluginZip } from '../helpers/plugin-fixtures.js';

const running: ChildKernel[] = [];
afterEach(async () => {
  for (const kernel of running.splice(0)) {
    kernel.child.kill('SIGKILL');
    await kernel.stop().catch(() => undefined);
  }
});

async function start(home: string, env: Record<string, string> = {}, args: string[] = []): Promise<ChildKernel> {
  const kernel = await startChildKernel(home, env, args);
  running.push(kernel);
  return kernel;
}

const install = (kernel: ChildKernel, zip: Buffer) =>
  kernel.api('/api/v1/plugins', { method: 'POST', body: zip, headers: { 'content-type': 'application/zip' } });

const exited = (kernel: ChildKernel) =>
  new Promise<void>((resolve) =>
    kernel.child.exitCode !== null || kernel.child.signalCode !== null
      ? resolve()
      : kernel.child.once('exit', () => resolve()),
  );

async function versionOf(kernel: ChildKernel, name: string): Promise<{ state: string; error: string | null }> {
  const view = (await (await kernel.api(`/api/v1/plugins/${name}`)).json()) as {
    versions: { state: string; error: string | null }[];
  };
  return view.versions[0]!;
}

describe('boot safety', () => {
  it('an in-process plugin that spins in activate(): after the kill, the next boot comes up with it failed', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'spindle-boot-spin-'));
    const first = await start(home);
    expect((await install(first, pluginZip(helloPlugin('1.0.0')))).status).toBe(201);
    const hang = install(
      first,
      pluginZip({
        name: 'spin',
        version: '1.0.0',
        source: `module.exports = definePlugin({ activate() { for (;;) {} } });`,
      }),
    ).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_500));
    // Frozen: the kernel's event loop is stuck in the plugin; an operator kills it.
    first.child.kill('SIGKILL');
    await exited(first);
    await hang;
    const second = await start(home);
    expect((await second.api('/health')).status).toBe(503); // degraded: a version failed
    expect(await versionOf(second, 'spin')).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/stopped while this version's activate\(\) ran/),
    });
    expect(await (await second.api('/api/v1/plugins/hello/routes/hello')).json()).toEqual({ version: '1.0.0' });
    expect((await second.api('/api/v1/plugins/spin', { method: 'DELETE' })).status).toBe(200);
    expect((await second.api('/health')).status).toBe(200);
  });

  it('an in-process plugin that exits in activate(): the kernel dies once, the next boot does not activate it again', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'spindle-boot-exit-'));
    const first = await start(home);
    await install(
      first,
      pluginZip({
        name: 'quitter',
        version: '1.0.0',
        source: `module.exports = definePlugin({ activate() { process.exit(1); } });`,
      }),
    ).catch(() => undefined);
    await exited(first);
    const second = await start(home);
    expect(await versionOf(second, 'quitter')).toMatchObject({ state: 'failed' });
    expect(second.child.exitCode).toBeNull();
    // It can be retried on purpose: enabling activates it again (and so the kernel dies again).
    expect((await second.api('/api/v1/plugins/quitter', { method: 'DELETE' })).status).toBe(200);
  });

  it('the same exit in an isolated plugin never takes the kernel down, at install or at any boot', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'spindle-boot-isolated-'));
    const first = await start(home);
    const quitter = pluginZip({
      name: 'quitter',
      version: '1.0.0',
      manifest: { isolation: 'process' },
      source: `module.exports = definePlugin({ activate() { process.exit(1); } });`,
    });
    expect((await install(first, quitter)).status).toBe(422);
    await first.stop();
    const second = await start(home);
    expect(await versionOf(second, 'quitter')).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/exited with code 1/),
    });
    expect((await second.api('/api/v1/plugins/quitter', { method: 'DELETE' })).status).toBe(200);
  });

  it('--safe-mode activates only the plugins shipped with the kernel; the others stay installed to fix or remove', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'spindle-boot-safe-'));
    const first = await start(home, { withDefaults: '1' });
    expect((await install(first, pluginZip(helloPlugin('1.0.0')))).status).toBe(201);
    await first.stop();
    const safe = await start(home, {}, ['--safe-mode']);
    expect(safe.output()).toContain('in safe mode');
    expect(await (await safe.api('/health')).json()).toMatchObject({ safeMode: true });
    const { plugins } = (await (await safe.api('/api/v1/plugins')).json()) as {
      plugins: { name: string; activeVersion: string | null }[];
    };
    expect(plugins.find((p) => p.name === 'hello')).toMatchObject({ activeVersion: null });
    expect(plugins.find((p) => p.name === 'scheduler-fifo')).toMatchObject({ activeVersion: expect.any(String) });
    expect((await safe.api('/api/v1/plugins/hello', { method: 'DELETE' })).status).toBe(200);
  }, 120_000);

  it('names the in-process plugin that blocks the event loop, while it blocks and after', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'spindle-boot-block-'));
    const kernel = await start(home, { SPINDLE_LOOP_BLOCK_MS: '300' });
    const blocker = pluginZip({
      name: 'blocker',
      version: '1.0.0',
      source: `module.exports = definePlugin({ activate(ctx) { ctx.http.route('GET', '/block', async () => { const end = Date.now() + 1500; while (Date.now() < end) {} return { body: 'done' }; }); } });`,
    });
    expect((await install(kernel, blocker)).status).toBe(201);
    expect(await (await kernel.api('/api/v1/plugins/blocker/routes/block')).text()).toBe('done');
    await new Promise((r) => setTimeout(r, 300));
    expect(kernel.output()).toMatch(/spindle watchdog: blocker@1\.0\.0 has blocked the event loop for \d+ ms/);
    expect(kernel.output()).toMatch(
      /plugin blocker@1\.0\.0 blocked the event loop for at least \d+ ms; run it isolated, or fix it/,
    );
  });
});
