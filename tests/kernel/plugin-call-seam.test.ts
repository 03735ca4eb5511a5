/**
 * Every way the kernel calls into a plugin goes through the plugin-call seam
 * (core/loader/plugin-call.ts): a plugin whose every handler throws gives the same error shape from
 * each — a KernelError naming the plugin (`details.plugin`) and the extension point
 * (`details.point`) — whether the caller is a hook, a provider's method, a route, an action, a
 * listener, a timer, activate() or loading the bundle.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pluginZip } from '../helpers/plugin-fixtures.js';
import { startTestKernel, uploadZip } from '../helpers/test-kernel.js';

const THROWER = `
const boom = (what) => () => { throw new Error('boom in ' + what); };
module.exports = definePlugin({
  activate(ctx) {
    for (const hook of ['preAuth', 'authenticate', 'authorize', 'onPostAuthenticate', 'onPostSignup']) ctx.auth[hook](boom(hook));
    ctx.jobTypes.validateManifest(boom('validateManifest'));
    ctx.scheduling.admit(boom('admit'));
    ctx.scheduling.filter(boom('filter'));
    ctx.plugins.inUse(boom('inUse'));
    ctx.events.on('plugin.*', boom('listener'));
    ctx.scheduling.registerScheduler('boom', { schedule: boom('schedule') });
    ctx.jobTypes.register({ name: 'boom', version: '1.0.0', prepare: boom('prepare') });
    ctx.infrastructure.registerTarget('boom', { agents: boom('agents'), deploy: boom('deploy'), stop: boom('stop'), list: boom('list'), logs: boom('logs') });
    ctx.storage.registerBackend('boom', Object.fromEntries(['createVolume', 'listVolumes', 'getVolume', 'deleteVolume', 'cloneVolume', 'setQuota', 'listFiles', 'mkdir', 'putFile', 'getFile', 'rename', 'deleteFile', 'mount'].map((m) => [m, boom(m)])));
    ctx.http.route('GET', '/boom', boom('route'));
    ctx.actions.register('boom', { description: 'throws', handler: boom('action') });
    ctx.setTimeout(boom('timer'), 10);
  },
  deactivate: boom('deactivate'),
});`;

const lines: Record<string, unknown>[] = [];
const logger = pino(
  { level: 'warn' },
  { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
);
let k: Awaited<ReturnType<typeof startTestKernel>>;

async function failure(
  call: () => unknown,
): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await call();
  } catch (error) {
    return error as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected the call to throw');
}

const principal = { id: 'u', name: 'u', kind: 'user' as const, provider: 'x' };
const job = { id: 'j', name: 'j', version: '1.0.0', owner: 'u', resources: {}, target: 'local' };
const agent = { id: 'a', target: 'boom', capacity: {}, allocated: {} };

beforeAll(async () => {
  k = await startTestKernel({ logger });
  expect((await uploadZip(k.api, pluginZip({ name: 'thrower', version: '1.0.0', source: THROWER }))).status).toBe(201);
});
afterAll(() => k?.close());

describe('the plugin-call seam', () => {
  it('hook taps: each hook names the plugin and the hook', async () => {
    const { hooks } = k.kernel;
    const request = { method: 'GET', url: '/', headers: {}, cookies: {}, ip: '127.0.0.1' };
    const cases: [string, () => unknown][] = [
      ['auth.preAuth', () => hooks['auth.preAuth'].promise(request)],
      ['auth.authenticate', () => hooks['auth.authenticate'].promise(request)],
      [
        'auth.authorize',
        () => hooks['auth.authorize'].promise({ principal, action: 'read_job', resource: { kind: 'job' } }),
      ],
      [
        'jobs.validateManifest',
        () => hooks['jobs.validateManifest'].promise({ name: 'j', version: '1.0.0', jobtype: 'x' }),
      ],
      ['scheduling.admit', () => hooks['scheduling.admit'].promise({ queue: 'default', job, principal })],
      ['scheduling.filter', () => hooks['scheduling.filter'].call({ job, agent })],
      ['plugins.inUse', () => hooks['plugins.inUse'].promise({ name: 'x', version: '1.0.0', users: [] })],
    ];
    for (const [hook, call] of cases) {
      const error = await failure(call);
      expect(error, hook).toMatchObject({
        code: 'KRN_ERR_HOOK_FAILED',
        details: { plugin: 'thrower', point: `hook ${hook}` },
      });
      expect(error.message, hook).toContain(`plugin thrower: hook ${hook} threw: boom in`);
    }
  });

  it('provider methods: each names the plugin, the provider and the method', async () => {
    const { registries } = k.kernel;
    const spec = {
      id: 'j',
      name: 'j',
      version: '1.0.0',
      jobtype: 'boom:1.0.0',
      owner: 'u',
      kind: 'batch' as const,
      replicas: 1,
      resources: {},
      jobtypeResolved: 'boom:1.0.0',
    };
    const cases: [string, () => unknown][] = [
      [
        'scheduler boom: schedule()',
        () =>
          registries.schedulers.get('boom')!.schedule({ queue: 'q', pending: [], agents: [], allocatedByOwner: {} }),
      ],
      [
        'job type boom:1.0.0: prepare()',
        () =>
          registries.jobTypes
            .get('boom:1.0.0')!
            .prepare({ job: spec, sourceDir: '/x', workDir: '/y', kernelVersion: '0' }),
      ],
      ['infrastructure target boom: agents()', () => registries.targets.get('boom')!.agents()],
      ['infrastructure target boom: list()', () => registries.targets.get('boom')!.list()],
      ['infrastructure target boom: stop()', () => registries.targets.get('boom')!.stop('j', { graceMs: 0 })],
      ['infrastructure target boom: logs()', () => registries.targets.get('boom')!.logs('j', { offset: 0 })],
      ['storage backend boom: listVolumes()', () => registries.storage.get('boom')!.listVolumes()],
      [
        'storage backend boom: mount()',
        () => registries.storage.get('boom')!.mount('v', { readOnly: true, jobId: 'j' }),
      ],
    ];
    for (const [point, call] of cases) {
      expect(await failure(call), point).toMatchObject({
        code: 'KRN_ERR_PLUGIN_FAILED',
        details: { plugin: 'thrower', point },
      });
    }
  });

  it('routes and actions over HTTP: the same shape in the JSON error', async () => {
    const route = await k.api('/api/v1/plugins/thrower/routes/boom');
    expect(route.status).toBe(502);
    expect(await route.json()).toMatchObject({
      code: 'KRN_ERR_PLUGIN_FAILED',
      details: { plugin: 'thrower', point: 'route GET /boom' },
    });
    const action = await k.api('/api/v1/plugins/thrower/actions/boom', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(action.status).toBe(502);
    expect(await action.json()).toMatchObject({
      code: 'KRN_ERR_PLUGIN_FAILED',
      details: { plugin: 'thrower', point: 'action "boom"' },
    });
  });

  it('a listener and a timer that throw are logged with the plugin, and the operation goes on', async () => {
    await k.kernel.recordActivity({ actor: 'test', action: 'plugin.refused', subject: 'x' });
    await new Promise((r) => setTimeout(r, 100));
    expect(lines).toContainEqual(
      expect.objectContaining({
        plugin: 'thrower',
        hook: 'events.plugin',
        msg: 'hook listener failed; the operation goes on',
        err: expect.stringContaining('listener on "plugin.*" threw: boom in listener'),
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        plugin: 'thrower',
        msg: 'timer callback threw',
        err: expect.stringContaining('timer callback threw: boom in timer'),
      }),
    );
  });

  it('activate(), deactivate() and loading the bundle name the plugin and the point', async () => {
    const bad = await uploadZip(
      k.api,
      pluginZip({
        name: 'bad-activate',
        version: '1.0.0',
        source: `module.exports = definePlugin({ activate() { throw new Error('boom in activate'); } });`,
      }),
    );
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({
      code: 'KRN_ERR_ACTIVATION_FAILED',
      details: { code: 'KRN_ERR_ACTIVATION_FAILED' },
      message: expect.stringContaining('activate() threw: boom in activate'),
    });
    const unloadable = await uploadZip(
      k.api,
      pluginZip({ name: 'bad-load', version: '1.0.0', source: `throw new Error('boom at load');` }),
    );
    expect(await unloadable.json()).toMatchObject({
      details: { code: 'KRN_ERR_PLUGIN_LOAD_FAILED' },
      message: expect.stringContaining('boom at load'),
    });
    expect((await k.api('/api/v1/plugins/thrower', { method: 'DELETE' })).status).toBe(200);
    expect(lines).toContainEqual(
      expect.objectContaining({
        plugin: 'thrower',
        msg: 'deactivate() failed; unloading anyway',
        err: expect.stringContaining('deactivate() threw: boom in deactivate'),
      }),
    );
  });
});
