import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHost } from '../../tests/helpers/host-deps.js';
import {
  type FixturePlugin,
  fixtureManifest,
  helloPlugin,
  writePluginDir,
} from '../../tests/helpers/plugin-fixtures.js';
import { cachedModulesUnder } from './module-loader.js';
import { dispatchRoute } from './plugin-dispatch.js';

function install(root: string, plugin: FixturePlugin): { dir: string; manifest: ReturnType<typeof fixtureManifest> } {
  const dir = writePluginDir(path.join(root, 'plugins', plugin.name, plugin.version), plugin);
  return { dir, manifest: fixtureManifest(plugin) };
}

/** Call a route of the active `hello` through the seam, as the kernel does. */
function get(host: ReturnType<typeof makeHost>['host'], routePath: string) {
  return dispatchRoute(host.activeInstance('hello')!, {
    method: 'GET',
    path: routePath,
    params: {},
    query: {},
    headers: {},
    body: undefined,
  });
}

async function callHello(host: ReturnType<typeof makeHost>['host']): Promise<unknown> {
  return ((await get(host, '/hello')).body as { version: string }).version;
}

describe('PluginHost', () => {
  it('activates a plugin and makes its registrations visible', async () => {
    const { root, host, hooks, registries } = makeHost();
    const p = install(root, {
      name: 'sched',
      version: '1.0.0',
      source: `module.exports = definePlugin({ activate(ctx) {
        ctx.scheduling.registerScheduler('fifo', { async schedule() { return []; } });
        ctx.scheduling.admit(async () => ({ reject: 'quota' }));
      } });`,
    });
    await host.start(p.manifest, p.dir, {});
    expect(registries.schedulers.has('fifo')).toBe(true);
    expect(hooks['scheduling.admit'].taps).toHaveLength(1);
    const out = await hooks['scheduling.admit'].promise({
      queue: 'q',
      job: { id: '1', name: 'j', version: '1.0.0', owner: 'o', resources: {}, target: 'local' },
      principal: { id: 'o', name: 'o', kind: 'user', provider: 'test' },
    });
    expect(out).toEqual({ reject: 'quota' });
  });

  it('swaps: new calls go to the new version at once, an in-flight call on the old one finishes', async () => {
    const { root, host } = makeHost();
    const slow = helloPlugin(
      '1.0.0',
      `ctx.http.route('GET', '/slow', async () => { await new Promise(r => setTimeout(r, 300)); return { body: 'old-finished' }; });`,
    );
    const v1 = install(root, slow);
    await host.start(v1.manifest, v1.dir, {});
    const slowCall = get(host, '/slow');
    const v2 = install(root, helloPlugin('2.0.0'));
    const { replaced } = await host.start(v2.manifest, v2.dir, {});
    expect(replaced?.version).toBe('1.0.0');
    expect(await callHello(host)).toBe('2.0.0');
    expect(replaced!.inflightCalls).toBe(1);
    expect((await slowCall).body).toBe('old-finished');
    await host.settled();
    expect(replaced!.inflightCalls).toBe(0);
    expect(cachedModulesUnder(v1.dir)).toEqual([]);
  });

  it('keeps the last known good version when the new one fails to activate', async () => {
    const { root, host } = makeHost();
    const v1 = install(root, helloPlugin('1.0.0'));
    await host.start(v1.manifest, v1.dir, {});
    const bad = install(root, {
      name: 'hello',
      version: '2.0.0',
      source: `module.exports = definePlugin({ activate(ctx) { ctx.http.route('GET', '/hello', () => ({})); throw new Error('boom'); } });`,
    });
    await expect(host.start(bad.manifest, bad.dir, {})).rejects.toMatchObject({ code: 'KRN_ERR_ACTIVATION_FAILED' });
    expect(host.activeInstance('hello')?.version).toBe('1.0.0');
    expect(await callHello(host)).toBe('1.0.0');
    expect(cachedModulesUnder(bad.dir)).toEqual([]);
  });

  it('refuses a module that throws on load or exports no plugin', async () => {
    const { root, host } = makeHost();
    const throws = install(root, { name: 'a', version: '1.0.0', source: `throw new Error('top-level boom');` });
    await expect(host.start(throws.manifest, throws.dir, {})).rejects.toMatchObject({
      code: 'KRN_ERR_PLUGIN_LOAD_FAILED',
    });
    const plain = install(root, { name: 'b', version: '1.0.0', source: `module.exports = { activate() {} };` });
    await expect(host.start(plain.manifest, plain.dir, {})).rejects.toThrow(/definePlugin/);
  });

  it('times out a slow activate and undoes what it registered', async () => {
    const { root, host, hooks } = makeHost({ activationMs: 100 });
    const p = install(root, {
      name: 'slow',
      version: '1.0.0',
      source: `module.exports = definePlugin({ async activate(ctx) { ctx.events.on('plugin.*', () => {}); await new Promise(() => {}); } });`,
    });
    await expect(host.start(p.manifest, p.dir, {})).rejects.toMatchObject({ code: 'KRN_ERR_ACTIVATION_TIMEOUT' });
    expect(hooks['events.plugin'].taps).toHaveLength(0);
    expect(host.activeInstance('slow')).toBeUndefined();
  });

  it("never runs an unloaded plugin's tap again (untap resets the compiled caller)", async () => {
    const { root, host, hooks } = makeHost();
    const p = install(root, {
      name: 'auth',
      version: '1.0.0',
      source: `let n = 0; module.exports = definePlugin({ activate(ctx) { ctx.auth.authorize(() => { globalThis.__authCalls = (globalThis.__authCalls ?? 0) + 1; return { decision: 'allow' }; }); } });`,
    });
    await host.start(p.manifest, p.dir, {});
    const req = {
      principal: { id: 'u', name: 'u', kind: 'user' as const, provider: 't' },
      action: 'read_job',
      resource: { kind: 'job' as const },
    };
    expect(await hooks['auth.authorize'].promise(req)).toEqual({ decision: 'allow' });
    await host.stop('auth');
    expect(await hooks['auth.authorize'].promise(req)).toBeUndefined();
    expect((globalThis as { __authCalls?: number }).__authCalls).toBe(1);
  });

  it('ledger cleanup: timers cleared, child processes killed, DI disposed, modules evicted', async () => {
    const { root, host } = makeHost();
    const p = install(root, {
      name: 'busy',
      version: '1.0.0',
      source: `module.exports = definePlugin({ activate(ctx) {
        globalThis.__ticks = 0;
        ctx.setInterval(() => { globalThis.__ticks++; }, 10);
        globalThis.__child = ctx.exec('sleep', ['30']);
        ctx.services.registerValue('x', 1);
      } });`,
    });
    await host.start(p.manifest, p.dir, {});
    const g = globalThis as { __ticks?: number; __child?: { pid: number; result: Promise<{ exitCode: number }> } };
    await new Promise((r) => setTimeout(r, 50));
    expect(g.__ticks).toBeGreaterThan(0);
    expect(host.activeInstance('busy')!.ledger.summary()).toMatchObject({ timer: 1, process: 1, services: 1 });
    await host.stop('busy');
    const ticks = g.__ticks;
    await new Promise((r) => setTimeout(r, 50));
    expect(g.__ticks).toBe(ticks);
    const exited = await g.__child!.result;
    expect(exited.exitCode).not.toBe(0);
    expect(() => process.kill(g.__child!.pid, 0)).toThrow();
    expect(cachedModulesUnder(p.dir)).toEqual([]);
    expect(existsSync(p.dir)).toBe(true);
  });

  it('refuses a duplicate registry key from another plugin', async () => {
    const { root, host } = makeHost();
    const src = `module.exports = definePlugin({ activate(ctx) { ctx.scheduling.registerScheduler('fifo', { async schedule() { return []; } }); } });`;
    const a = install(root, { name: 'a', version: '1.0.0', source: src });
    const b = install(root, { name: 'b', version: '1.0.0', source: src });
    await host.start(a.manifest, a.dir, {});
    await expect(host.start(b.manifest, b.dir, {})).rejects.toMatchObject({ code: 'KRN_ERR_DUPLICATE' });
  });

  it('a throwing notify listener never fails the caller', async () => {
    const { root, host, hooks } = makeHost();
    const p = install(root, {
      name: 'n',
      version: '1.0.0',
      source: `module.exports = definePlugin({ activate(ctx) { ctx.events.on('plugin.*', () => { throw new Error('listener boom'); }); } });`,
    });
    await host.start(p.manifest, p.dir, {});
    await expect(
      hooks['events.plugin'].promise({ type: 'plugin.installed', at: new Date().toISOString(), data: {} }),
    ).resolves.toBeUndefined();
  });
});

describe('PluginHost, more', () => {
  it("lets the same plugin's new version take over its registry keys on swap", async () => {
    const { root, host, registries } = makeHost();
    const src = (v: string) =>
      `module.exports = definePlugin({ activate(ctx) { ctx.scheduling.registerScheduler('fifo', { async schedule() { return ['${v}']; } }); } });`;
    const v1 = install(root, { name: 'sched', version: '1.0.0', source: src('v1') });
    const v2 = install(root, { name: 'sched', version: '2.0.0', source: src('v2') });
    await host.start(v1.manifest, v1.dir, {});
    await host.start(v2.manifest, v2.dir, {});
    expect(
      await registries.schedulers.get('fifo')!.schedule({ queue: 'q', pending: [], agents: [], allocatedByOwner: {} }),
    ).toEqual(['v2']);
    await host.settled();
    expect(registries.schedulers.has('fifo')).toBe(true);
  });

  it('unloads an old instance whose call outlives the drain deadline', async () => {
    const { root, host } = makeHost({ drainMs: 100 });
    const v1 = install(root, helloPlugin('1.0.0', `ctx.http.route('GET', '/forever', () => new Promise(() => {}));`));
    await host.start(v1.manifest, v1.dir, {});
    void get(host, '/forever').catch(() => undefined);
    const v2 = install(root, helloPlugin('2.0.0'));
    const started = Date.now();
    const { replaced } = await host.start(v2.manifest, v2.dir, {});
    await host.settled();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(replaced!.ledger.isClosed).toBe(true);
    expect(cachedModulesUnder(v1.dir)).toEqual([]);
  });

  it('a throwing series tap fails that call with the plugin named; other plugins keep working', async () => {
    const { root, host, hooks } = makeHost();
    const bad = install(root, {
      name: 'bad-auth',
      version: '1.0.0',
      source: `module.exports = definePlugin({ activate(ctx) { ctx.auth.authenticate(() => { throw new Error('db down'); }); } });`,
    });
    const good = install(root, {
      name: 'good',
      version: '1.0.0',
      source: `module.exports = definePlugin({ activate(ctx) { ctx.scheduling.admit(() => ({ reject: 'full' })); } });`,
    });
    await host.start(bad.manifest, bad.dir, {});
    await host.start(good.manifest, good.dir, {});
    await expect(
      hooks['auth.authenticate'].promise({ method: 'GET', url: '/', headers: {}, cookies: {}, ip: '127.0.0.1' }),
    ).rejects.toMatchObject({
      code: 'KRN_ERR_HOOK_FAILED',
      message: expect.stringContaining('plugin bad-auth'),
    });
    expect(
      await hooks['scheduling.admit'].promise({
        queue: 'q',
        job: { id: '1', name: 'j', version: '1', owner: 'o', resources: {}, target: 'local' },
        principal: { id: 'o', name: 'o', kind: 'user', provider: 'test' },
      }),
    ).toEqual({ reject: 'full' });
  });
});

describe('ctx.exec', () => {
  it("stops the whole process group (a job's own children too) and can log to a file", async () => {
    const { root, host } = makeHost();
    const log = path.join(root, 'job.log');
    const p = install(root, {
      name: 'spawner',
      version: '1.0.0',
      source: `module.exports = definePlugin({ activate(ctx) {
        globalThis.__proc = ctx.exec('sh', ['-c', 'echo started; sleep 30 & echo $! > ${root}/grandchild.pid; sleep 30'], { logFile: '${log}', killGraceMs: 500 });
      } });`,
    });
    await host.start(p.manifest, p.dir, {});
    const { readFileSync } = await import('node:fs');
    // The shell creates the file before it writes the pid: wait for a whole line.
    const pidFile = path.join(root, 'grandchild.pid');
    const readPid = (): number =>
      existsSync(pidFile) ? Number(/^(\d+)\n/.exec(readFileSync(pidFile, 'utf8'))?.[1] ?? 0) : 0;
    const deadline = Date.now() + 5_000;
    while (readPid() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const grandchild = readPid();
    expect(grandchild).toBeGreaterThan(0);
    // Dead means gone, or a zombie waiting for a reaper (PID 1 in a container may not reap).
    const alive = (pid: number): boolean =>
      existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    expect(alive(grandchild)).toBe(true);
    await host.stop('spawner');
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(grandchild)).toBe(false);
    expect(readFileSync(log, 'utf8')).toContain('started');
  });
});
