import { afterEach, describe, expect, it } from 'vitest';
import { type FixturePlugin, pluginZip } from '../helpers/plugin-fixtures.js';
import { startTestKernel, uploadZip } from '../helpers/test-kernel.js';

type TestKernel = Awaited<ReturnType<typeof startTestKernel>>;
let k: TestKernel | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

const plain = (name: string, version: string, dependsOn?: Record<string, string>, source = ''): FixturePlugin => ({
  name,
  version,
  manifest: dependsOn ? { dependsOn } : {},
  source: `module.exports = definePlugin({ activate(ctx) { ${source} } });`,
});

async function err(
  res: Response,
): Promise<{ status: number; code: string; message: string; details: Record<string, unknown> }> {
  return {
    status: res.status,
    ...((await res.json()) as { code: string; message: string; details: Record<string, unknown> }),
  };
}

describe('dependsOn, cycles and users', () => {
  it('refuses a plugin whose dependency is not installed, naming it', async () => {
    k = await startTestKernel();
    const res = await err(await uploadZip(k.api, pluginZip(plain('app', '1.0.0', { base: '^1.0.0' }))));
    expect(res).toMatchObject({ status: 409, code: 'KRN_ERR_DEPENDENCY_MISSING' });
    expect(res.message).toContain('base');
  });

  it('refuses a plugin that would close a dependency cycle, naming the cycle', async () => {
    k = await startTestKernel();
    await uploadZip(k.api, pluginZip(plain('alpha', '1.0.0')));
    await uploadZip(k.api, pluginZip(plain('beta', '1.0.0', { alpha: '*' })));
    const res = await err(await uploadZip(k.api, pluginZip(plain('alpha', '2.0.0', { beta: '*' }))));
    expect(res).toMatchObject({ status: 409, code: 'KRN_ERR_DEPENDENCY_CYCLE' });
    expect(res.message).toMatch(/alpha -> beta -> alpha|beta -> alpha -> beta/);
  });

  it('refuses to uninstall a plugin others depend on, unless forced', async () => {
    k = await startTestKernel();
    await uploadZip(k.api, pluginZip(plain('base', '1.0.0')));
    await uploadZip(k.api, pluginZip(plain('app', '1.0.0', { base: '^1.0.0' })));
    const refused = await err(await k.api('/api/v1/plugins/base', { method: 'DELETE' }));
    expect(refused).toMatchObject({ status: 409, code: 'KRN_ERR_PLUGIN_DEPENDED_ON' });
    expect(refused.message).toContain('app@1.0.0');
    expect((await k.api('/api/v1/plugins/base?force=true', { method: 'DELETE' })).status).toBe(200);
  });

  it('asks plugins.inUse before uninstalling and lists the users, unless forced', async () => {
    k = await startTestKernel();
    await uploadZip(k.api, pluginZip(plain('jobtype', '1.0.0')));
    await uploadZip(
      k.api,
      pluginZip(
        plain(
          'tracker',
          '1.0.0',
          undefined,
          `ctx.plugins.inUse((q) => q.name === 'jobtype' ? { ...q, users: [...q.users, 'job adder@1.0.0'] } : q);`,
        ),
      ),
    );
    const refused = await err(await k.api('/api/v1/plugins/jobtype', { method: 'DELETE' }));
    expect(refused).toMatchObject({
      status: 409,
      code: 'KRN_ERR_PLUGIN_IN_USE',
      details: { users: ['job adder@1.0.0'] },
    });
    expect((await k.api('/api/v1/plugins/jobtype?force=true', { method: 'DELETE' })).status).toBe(200);
  });

  it('activates a waiting dependent once its dependency arrives', async () => {
    k = await startTestKernel();
    await uploadZip(k.api, pluginZip(plain('base', '1.0.0')));
    await uploadZip(k.api, pluginZip(plain('app', '1.0.0', { base: '^1.0.0' })));
    await k.api('/api/v1/plugins/base/disable', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    // app stays active (it reaches base only through hooks); re-enabling base keeps both active.
    await k.api('/api/v1/plugins/base/enable', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    const list = (await (await k.api('/api/v1/plugins')).json()) as {
      plugins: { name: string; activeVersion: string | null }[];
    };
    expect(list.plugins.map((p) => [p.name, p.activeVersion])).toEqual([
      ['app', '1.0.0'],
      ['base', '1.0.0'],
    ]);
  });

  it('counts plugins by state and swaps in /metrics', async () => {
    k = await startTestKernel();
    await uploadZip(k.api, pluginZip(plain('metered', '1.0.0')));
    await uploadZip(k.api, pluginZip(plain('metered', '1.1.0')));
    await uploadZip(
      k.api,
      pluginZip({
        name: 'broken',
        version: '1.0.0',
        source: `module.exports = definePlugin({ activate() { throw new Error('x'); } });`,
      }),
    );
    const text = await (await k.api('/metrics')).text();
    expect(text).toMatch(/spindle_plugins\{state="active"\} 1/);
    expect(text).toMatch(/spindle_plugins\{state="installed"\} 1/);
    expect(text).toMatch(/spindle_plugins\{state="failed"\} 1/);
    expect(text).toMatch(/spindle_plugin_swaps_total 1/);
    expect(text).toMatch(/spindle_http_request_duration_seconds_bucket/);
    expect((await fetch(`${k.url}/health`)).status).toBe(503);
  });
});
