import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { helloPlugin, pluginZip } from '../helpers/plugin-fixtures.js';
import { startTestKernel } from '../helpers/test-kernel.js';

type TestKernel = Awaited<ReturnType<typeof startTestKernel>>;
let k: TestKernel | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

/** Copy as an operator's `cp` would land: written elsewhere, then renamed in. */
function drop(kernel: TestKernel, file: string, data: Buffer): void {
  const tmp = path.join(kernel.home, `.${file}.part`);
  writeFileSync(tmp, data);
  renameSync(tmp, path.join(kernel.dropIn.dir, file));
}

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const version = async (kernel: TestKernel): Promise<string | undefined> => {
  const res = await kernel.api('/api/v1/plugins/hello/routes/hello');
  return res.ok ? ((await res.json()) as { version: string }).version : undefined;
};

describe('drop-in directory', () => {
  it('installs an added ZIP, swaps on replace, ignores an unchanged copy, uninstalls on remove', async () => {
    k = await startTestKernel();
    drop(k, 'hello.zip', pluginZip(helloPlugin('1.0.0')));
    expect(
      await until(
        () => version(k!),
        (v) => v === '1.0.0',
      ),
    ).toBe('1.0.0');

    const v110 = pluginZip(helloPlugin('1.1.0'));
    drop(k, 'hello.zip', v110);
    expect(
      await until(
        () => version(k!),
        (v) => v === '1.1.0',
      ),
    ).toBe('1.1.0');
    await until(
      async () => (await (await k!.api('/api/v1/plugins/hello')).json()) as { versions: unknown[] },
      (v) => v.versions.length === 1,
    );
    const view = (await (await k.api('/api/v1/plugins/hello')).json()) as { versions: { version: string }[] };
    expect(view.versions.map((v) => v.version)).toEqual(['1.1.0']);

    await k.dropIn.idle();
    const before = ((await (await k.api('/api/v1/activity')).json()) as { entries: unknown[] }).entries.length;
    drop(k, 'hello.zip', v110);
    await new Promise((r) => setTimeout(r, 800));
    await k.dropIn.idle();
    const entries = (
      (await (await k.api('/api/v1/activity')).json()) as { entries: { action: string; subject: string }[] }
    ).entries;
    expect(entries.map((e) => `${e.action} ${e.subject}`)).toHaveLength(before);

    rmSync(path.join(k.dropIn.dir, 'hello.zip'));
    expect(
      await until(
        async () => (await k!.api('/api/v1/plugins/hello')).status,
        (s) => s === 404,
      ),
    ).toBe(404);
  });

  it('waits for a file that is still being written, then installs it without refusing the partial copy', async () => {
    k = await startTestKernel();
    const zip = pluginZip(helloPlugin('3.0.0'));
    const file = path.join(k.dropIn.dir, 'slow.zip');
    writeFileSync(file, zip.subarray(0, zip.length - 30));
    await new Promise((r) => setTimeout(r, 150));
    writeFileSync(file, zip);
    expect(
      await until(
        () => version(k!),
        (v) => v === '3.0.0',
      ),
    ).toBe('3.0.0');
    const refused = (
      (await (await k.api('/api/v1/activity?action=plugin.install-refused')).json()) as { entries: unknown[] }
    ).entries;
    expect(refused).toEqual([]);
  });

  it('refuses a bad ZIP in the drop-in dir without installing anything, and records why', async () => {
    k = await startTestKernel();
    drop(k, 'broken.zip', Buffer.from('this is not a zip'));
    const refused = await until(
      async () =>
        (
          (await (await k!.api('/api/v1/activity?action=plugin.install-refused')).json()) as {
            entries: { subject: string; details: { error: string } }[];
          }
        ).entries,
      (e) => e.length > 0,
    );
    expect(refused[0]!.subject).toContain('broken.zip');
    expect(refused[0]!.details.error).toMatch(/ZIP/i);
    expect(((await (await k.api('/api/v1/plugins')).json()) as { plugins: unknown[] }).plugins).toEqual([]);
  });

  it('uninstalls at start what a file removed while the kernel was down had installed', async () => {
    k = await startTestKernel();
    const home = k.home;
    drop(k, 'hello.zip', pluginZip(helloPlugin('1.0.0')));
    await until(
      () => version(k!),
      (v) => v === '1.0.0',
    );
    await k.close();
    rmSync(path.join(home, 'drop-in', 'hello.zip'));
    k = await startTestKernel({ home });
    expect(
      await until(
        async () => (await k!.api('/api/v1/plugins/hello')).status,
        (s) => s === 404,
      ),
    ).toBe(404);
  });
});
