import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { helloPlugin, pluginZip } from '../helpers/plugin-fixtures.js';
import { startTestKernel, uploadZip } from '../helpers/test-kernel.js';

type TestKernel = Awaited<ReturnType<typeof startTestKernel>>;
let k: TestKernel | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

async function hello(kernel: TestKernel): Promise<{ status: number; body: { version?: string; code?: string } }> {
  const res = await kernel.api('/api/v1/plugins/hello/routes/hello');
  return { status: res.status, body: (await res.json()) as { version?: string } };
}

describe('install, swap and uninstall over the API', () => {
  it('installs a ZIP upload, activates it and serves its route', async () => {
    k = await startTestKernel();
    const res = await uploadZip(k.api, pluginZip(helloPlugin('1.0.0')));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { state: string; name: string };
    expect(body).toMatchObject({ name: 'hello', version: '1.0.0', state: 'active' });
    expect(await hello(k)).toEqual({ status: 200, body: { version: '1.0.0' } });
    expect(existsSync(path.join(k.home, 'plugins', 'hello', '1.0.0', 'plugin.json'))).toBe(true);
  });

  it('swaps to a higher version and keeps the old one installed; --replace removes it', async () => {
    k = await startTestKernel();
    await uploadZip(k.api, pluginZip(helloPlugin('1.0.0')));
    const res = await uploadZip(k.api, pluginZip(helloPlugin('1.1.0')));
    expect(await res.json()).toMatchObject({ state: 'active', swappedFrom: '1.0.0' });
    expect((await hello(k)).body.version).toBe('1.1.0');
    const view = (await (await k.api('/api/v1/plugins/hello')).json()) as {
      versions: { version: string; state: string }[];
    };
    expect(view.versions.map((v) => [v.version, v.state])).toEqual([
      ['1.1.0', 'active'],
      ['1.0.0', 'installed'],
    ]);
    const replaced = await uploadZip(k.api, pluginZip(helloPlugin('1.2.0')), '?replace=true');
    expect(await replaced.json()).toMatchObject({ state: 'active', removed: ['1.1.0', '1.0.0'] });
    expect(readdirSync(path.join(k.home, 'plugins', 'hello'))).toEqual(['1.2.0']);
  });

  it('keeps the last known good version when the new one fails to activate', async () => {
    k = await startTestKernel();
    await uploadZip(k.api, pluginZip(helloPlugin('1.0.0')));
    const bad = pluginZip({
      name: 'hello',
      version: '2.0.0',
      source: `module.exports = definePlugin({ activate() { throw new Error('cannot connect'); } });`,
    });
    const res = await uploadZip(k.api, bad);
    expect(res.status).toBe(422);
    const err = (await res.json()) as { code: string; message: string };
    expect(err.code).toBe('KRN_ERR_ACTIVATION_FAILED');
    expect(err.message).toContain('cannot connect');
    expect(err.message).toContain('1.0.0 stays active');
    expect((await hello(k)).body.version).toBe('1.0.0');
    const view = (await (await k.api('/api/v1/plugins/hello')).json()) as {
      versions: { version: string; state: string; error: string | null }[];
    };
    expect(view.versions[0]).toMatchObject({ version: '2.0.0', state: 'failed' });
    expect(view.versions[0]!.error).toContain('cannot connect');
    const del = await k.api('/api/v1/plugins/hello/versions/2.0.0', { method: 'DELETE' });
    expect(del.status).toBe(200);
  });

  it('pins a lower version and unpins back to the highest', async () => {
    k = await startTestKernel();
    await uploadZip(k.api, pluginZip(helloPlugin('1.0.0')));
    await uploadZip(k.api, pluginZip(helloPlugin('2.0.0')));
    const pin = await k.api('/api/v1/plugins/hello/pin', {
      method: 'PUT',
      body: JSON.stringify({ version: '1.0.0' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(await pin.json()).toMatchObject({ activeVersion: '1.0.0', pinnedVersion: '1.0.0' });
    expect((await hello(k)).body.version).toBe('1.0.0');
    await k.api('/api/v1/plugins/hello/pin', {
      method: 'PUT',
      body: JSON.stringify({ version: null }),
      headers: { 'content-type': 'application/json' },
    });
    expect((await hello(k)).body.version).toBe('2.0.0');
  });

  it('uninstalling the active version activates the next highest; uninstalling all removes the plugin', async () => {
    k = await startTestKernel();
    await uploadZip(k.api, pluginZip(helloPlugin('1.0.0')));
    await uploadZip(k.api, pluginZip(helloPlugin('2.0.0')));
    await k.api('/api/v1/plugins/hello/versions/2.0.0', { method: 'DELETE' });
    expect((await hello(k)).body.version).toBe('1.0.0');
    const all = await k.api('/api/v1/plugins/hello', { method: 'DELETE' });
    expect(await all.json()).toEqual({ removed: ['1.0.0'] });
    expect((await k.api('/api/v1/plugins/hello')).status).toBe(404);
    const gone = await hello(k);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('KRN_ERR_PLUGIN_NOT_FOUND');
  });
});

describe('pinning a failing version', () => {
  it('refuses with the reason, keeps the active version and does not keep the pin', async () => {
    k = await startTestKernel();
    await uploadZip(k.api, pluginZip(helloPlugin('2.0.0')));
    const broken = pluginZip({
      name: 'hello',
      version: '1.0.0',
      source: `module.exports = definePlugin({ activate() { throw new Error('old and broken'); } });`,
    });
    expect((await uploadZip(k.api, broken)).status).toBe(201);
    const pin = await k.api('/api/v1/plugins/hello/pin', {
      method: 'PUT',
      body: JSON.stringify({ version: '1.0.0' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(pin.status).toBe(422);
    const err = (await pin.json()) as { message: string };
    expect(err.message).toContain('old and broken');
    expect(err.message.split('The previous active version').length).toBe(2);
    const view = (await (await k.api('/api/v1/plugins/hello')).json()) as {
      activeVersion: string;
      pinnedVersion: string | null;
    };
    expect(view).toMatchObject({ activeVersion: '2.0.0', pinnedVersion: null });
  });
});
