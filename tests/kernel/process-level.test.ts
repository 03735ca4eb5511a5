import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { describe, expect, it } from 'vitest';
import { startChildKernel } from '../helpers/child-kernel.js';
import { fixtureFiles, helloPlugin, pluginZip } from '../helpers/plugin-fixtures.js';

function bigHelloZip(version: string): Buffer {
  const zip = new AdmZip();
  for (const [rel, content] of Object.entries(fixtureFiles(helloPlugin(version))))
    zip.addFile(rel, Buffer.from(content));
  for (let i = 0; i < 1500; i++) zip.addFile(`assets/file-${i}.txt`, Buffer.from(`asset ${i} `.repeat(200)));
  return zip.toBuffer();
}

const tmpHome = () => mkdtempSync(path.join(os.tmpdir(), 'spindle-proc-'));

describe('a kernel process', () => {
  it('shows no half-installed plugin after a SIGKILL mid-install', async () => {
    const home = tmpHome();
    const zip = bigHelloZip('1.0.0');
    const stagingHasFiles = (): boolean => {
      const staging = path.join(home, 'staging');
      return (
        existsSync(staging) &&
        readdirSync(staging).some((d) => readdirSync(path.join(staging, d), { recursive: true }).length > 10)
      );
    };
    const installedDirExists = (): boolean => existsSync(path.join(home, 'plugins', 'hello', '1.0.0'));
    // Kill while extracting into staging, and right after the atomic rename into plugins/.
    for (const [moment, killWhen] of [
      ['extracting', stagingHasFiles],
      ['renamed', installedDirExists],
    ] as const) {
      const kernel = await startChildKernel(home);
      const exited = new Promise((r) => kernel.child.once('exit', r));
      const upload = kernel
        .api('/api/v1/plugins', { method: 'POST', body: zip, headers: { 'content-type': 'application/zip' } })
        .catch(() => undefined);
      const deadline = Date.now() + 15_000;
      while (!killWhen() && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      expect(killWhen(), `never saw the kernel ${moment}`).toBe(true);
      kernel.child.kill('SIGKILL');
      await Promise.all([upload, exited]);

      const after = await startChildKernel(home);
      const list = (await (await after.api('/api/v1/plugins')).json()) as {
        plugins: { name: string; activeVersion: string | null }[];
      };
      const dirs = existsSync(path.join(home, 'plugins', 'hello'))
        ? readdirSync(path.join(home, 'plugins', 'hello'))
        : [];
      if (moment === 'extracting') {
        expect(list.plugins).toEqual([]);
        expect(dirs).toEqual([]);
      } else {
        expect(list.plugins).toMatchObject([{ name: 'hello', activeVersion: '1.0.0' }]);
        expect(readdirSync(path.join(home, 'plugins', 'hello', '1.0.0', 'assets'))).toHaveLength(1500);
        expect(await (await after.api('/api/v1/plugins/hello/routes/hello')).json()).toEqual({ version: '1.0.0' });
        await after.api('/api/v1/plugins/hello', { method: 'DELETE' });
      }
      const staging = path.join(home, 'staging');
      expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
      await after.stop();
    }
  });

  it('takes a plugin that throws outside any kernel call out of service and keeps running', async () => {
    const home = tmpHome();
    const kernel = await startChildKernel(home);
    try {
      await kernel.api('/api/v1/plugins', {
        method: 'POST',
        body: pluginZip(helloPlugin('1.0.0')),
        headers: { 'content-type': 'application/zip' },
      });
      const rogue = pluginZip({
        name: 'rogue',
        version: '1.0.0',
        source: `module.exports = definePlugin({ activate() { setTimeout(() => { throw new Error('rogue timer'); }, 50); } });`,
      });
      const res = await kernel.api('/api/v1/plugins', {
        method: 'POST',
        body: rogue,
        headers: { 'content-type': 'application/zip' },
      });
      expect(res.status).toBe(201);
      await new Promise((r) => setTimeout(r, 400));
      const view = (await (await kernel.api('/api/v1/plugins/rogue')).json()) as {
        activeVersion: string | null;
        versions: { state: string; error: string }[];
      };
      expect(view.activeVersion).toBeNull();
      expect(view.versions[0]).toMatchObject({ state: 'failed', error: 'threw outside any call: rogue timer' });
      expect(kernel.child.exitCode).toBeNull();
      expect(await (await kernel.api('/api/v1/plugins/hello/routes/hello')).json()).toEqual({ version: '1.0.0' });
      expect((await kernel.api('/api/v1/plugins/rogue', { method: 'DELETE' })).status).toBe(200);
    } finally {
      await kernel.stop();
    }
  });

  it('restarts with the same plugins active', async () => {
    const home = tmpHome();
    const first = await startChildKernel(home);
    await first.api('/api/v1/plugins', {
      method: 'POST',
      body: pluginZip(helloPlugin('1.0.0')),
      headers: { 'content-type': 'application/zip' },
    });
    await first.api('/api/v1/plugins', {
      method: 'POST',
      body: pluginZip(helloPlugin('2.0.0')),
      headers: { 'content-type': 'application/zip' },
    });
    await first.api('/api/v1/plugins/hello/pin', {
      method: 'PUT',
      body: JSON.stringify({ version: '1.0.0' }),
      headers: { 'content-type': 'application/json' },
    });
    await first.stop();
    const second = await startChildKernel(home);
    try {
      expect(await (await second.api('/api/v1/plugins/hello/routes/hello')).json()).toEqual({ version: '1.0.0' });
    } finally {
      await second.stop();
    }
  });
});
