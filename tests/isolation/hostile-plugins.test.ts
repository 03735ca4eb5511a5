/**
 * Plugins that do not fail politely, run isolated (`isolation: "process"`): one test per way a
 * plugin took the kernel down before. Each time the kernel stays up, `/health` answers in its usual
 * time, the other plugins are untouched, the faulty version ends `failed` (or restarted) with a
 * reason that says what it did, and it can be uninstalled.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixturePlugin, helloPlugin, pluginZip } from '../helpers/plugin-fixtures.js';
import { startTestKernel, uploadZip } from '../helpers/test-kernel.js';

const lines: Record<string, unknown>[] = [];
const logger = pino(
  { level: 'info' },
  { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
);
let k: Awaited<ReturnType<typeof startTestKernel>>;

const isolated = (
  name: string,
  source: string,
  extra: Partial<FixturePlugin['manifest']> = {},
  version = '1.0.0',
): Buffer =>
  pluginZip({
    name,
    version,
    manifest: { isolation: 'process', ...extra },
    source: `module.exports = definePlugin(${source});`,
  });

async function view(name: string): Promise<{
  activeVersion: string | null;
  runs: string | null;
  versions: { version: string; state: string; error: string | null }[];
}> {
  return (await k.api(`/api/v1/plugins/${name}`)).json() as never;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** /health answers while `work` runs (the kernel's event loop is free), each time within `ms`. */
async function healthyDuring<T>(work: Promise<T>, ms = 500): Promise<{ result: T; slowestMs: number }> {
  let done = false;
  let slowestMs = 0;
  const probing = (async () => {
    while (!done) {
      const started = Date.now();
      const res = await k.api('/health');
      expect(res.status).toBeLessThan(600);
      slowestMs = Math.max(slowestMs, Date.now() - started);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const result = await work.finally(() => (done = true));
  await probing;
  expect(slowestMs).toBeLessThan(ms);
  return { result, slowestMs };
}

beforeAll(async () => {
  k = await startTestKernel({
    logger,
    env: {
      SPINDLE_PLUGIN_UNRESPONSIVE_MS: '1500',
      SPINDLE_PLUGIN_RESTART_BACKOFF_MS: '100',
      SPINDLE_PLUGIN_MEMORY_MB: '64',
    },
  });
  expect((await uploadZip(k.api, pluginZip(helloPlugin('1.0.0')))).status).toBe(201);
}, 60_000);
afterAll(() => k?.close());

const helloStillAnswers = async () =>
  expect(await (await k.api('/api/v1/plugins/hello/routes/hello')).json()).toEqual({ version: '1.0.0' });

describe('an isolated plugin that', () => {
  it('spins forever in activate(): the install fails as unresponsive, the kernel answers throughout', async () => {
    const { result } = await healthyDuring(
      uploadZip(k.api, isolated('spin-activate', `{ activate() { for (;;) {} } }`)),
    );
    expect(result.status).toBe(422);
    const body = (await result.json()) as { message: string; details: { code: string } };
    expect(body.details.code).toBe('KRN_ERR_PLUGIN_UNRESPONSIVE');
    expect((await view('spin-activate')).versions[0]).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/did not answer a heartbeat/),
    });
    await helloStillAnswers();
    expect((await k.api('/api/v1/plugins/spin-activate', { method: 'DELETE' })).status).toBe(200);
  });

  it('busy-waits in a route or a validateManifest tap: the call fails, the API and /health never stop, the plugin is restarted', async () => {
    const source = `{ activate(ctx) {
      ctx.http.route('GET', '/spin', async () => { const end = Date.now() + 30000; while (Date.now() < end) {} return { body: 'late' }; });
      ctx.http.route('GET', '/ok', async () => ({ body: { pid: process.pid } }));
      ctx.jobTypes.validateManifest((m) => { if (m.name === 'spin') { const end = Date.now() + 30000; while (Date.now() < end) {} } return m; });
    } }`;
    expect((await uploadZip(k.api, isolated('spinner', source))).status).toBe(201);
    const before = (await (await k.api('/api/v1/plugins/spinner/routes/ok')).json()) as { pid: number };
    const { result } = await healthyDuring(k.api('/api/v1/plugins/spinner/routes/spin'));
    expect(result.status).toBe(503);
    expect(await result.json()).toMatchObject({
      code: 'KRN_ERR_PLUGIN_UNRESPONSIVE',
      details: { plugin: 'spinner', point: 'route GET /spin' },
    });
    const after = await eventually('the restart', async () => {
      const res = await k.api('/api/v1/plugins/spinner/routes/ok');
      return res.status === 200 ? ((await res.json()) as { pid: number }) : undefined;
    });
    expect(after.pid).not.toBe(before.pid);
    const form = new FormData();
    form.set('manifest', JSON.stringify({ name: 'spin', version: '1.0.0', jobtype: 'spin-type:1.0.0' }));
    form.set('source', new Blob([new Uint8Array(pluginZip({ name: 'x', version: '0.0.0', source: '' }))]), 's.zip');
    const { result: deploy } = await healthyDuring(k.api('/api/v1/jobs', { method: 'POST', body: form }));
    expect(deploy.status).toBe(503);
    expect(await deploy.json()).toMatchObject({
      code: 'KRN_ERR_PLUGIN_UNRESPONSIVE',
      details: { plugin: 'spinner', point: 'hook jobs.validateManifest' },
    });
    await helloStillAnswers();
    expect((await k.api('/api/v1/plugins/spinner', { method: 'DELETE' })).status).toBe(200);
  });

  it('calls process.exit(1) in a route: the call fails as a crash naming the exit, the kernel lives, the plugin comes back', async () => {
    expect(
      (
        await uploadZip(
          k.api,
          isolated(
            'quitter',
            `{ activate(ctx) { ctx.http.route('GET', '/quit', async () => process.exit(1)); ctx.http.route('GET', '/ok', async () => ({ body: 'ok' })); } }`,
          ),
        )
      ).status,
    ).toBe(201);
    const res = await k.api('/api/v1/plugins/quitter/routes/quit');
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({
      code: 'KRN_ERR_PLUGIN_CRASHED',
      details: { plugin: 'quitter', reason: 'its process exited with code 1' },
    });
    await eventually('the restart', async () =>
      (await k.api('/api/v1/plugins/quitter/routes/ok')).status === 200 ? true : undefined,
    );
    const exitInActivate = await uploadZip(k.api, isolated('quit-activate', `{ activate() { process.exit(3); } }`));
    expect(exitInActivate.status).toBe(422);
    expect((await view('quit-activate')).versions[0]!.error).toMatch(/exited with code 3/);
    await helloStillAnswers();
  });

  it('exhausts its heap: only its process dies; a crash loop marks it failed and the last good version takes over', async () => {
    expect(
      (
        await uploadZip(
          k.api,
          isolated('hog', `{ activate(ctx) { ctx.http.route('GET', '/v', async () => ({ body: 'v1' })); } }`),
        )
      ).status,
    ).toBe(201);
    const hog = `{ activate(ctx) {
      ctx.http.route('GET', '/v', async () => ({ body: 'v2' }));
      ctx.http.route('GET', '/eat', async () => { const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random())); });
    } }`;
    expect((await uploadZip(k.api, isolated('hog', hog, {}, '2.0.0'))).status).toBe(201);
    for (let crash = 1; crash <= 3; crash++) {
      await eventually(`v2 serving (crash ${crash})`, async () =>
        (await (await k.api('/api/v1/plugins/hog/routes/v')).text()) === 'v2' ? true : undefined,
      );
      const res = await k.api('/api/v1/plugins/hog/routes/eat');
      expect(res.status).toBe(502);
      expect(((await res.json()) as { message: string }).message).toMatch(
        /heap ran out of memory|killed by|exited with code/,
      );
    }
    const failed = await eventually('v2 failed, v1 back', async () => {
      const v = await view('hog');
      return v.activeVersion === '1.0.0' ? v : undefined;
    });
    expect(failed.versions.find((x) => x.version === '2.0.0')).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/crashed 3 times/),
    });
    expect(await (await k.api('/api/v1/plugins/hog/routes/v')).text()).toBe('v1');
    await helloStillAnswers();
    expect((await k.api('/api/v1/plugins/hog', { method: 'DELETE' })).status).toBe(200);
  });

  it('patches JSON.parse and globalThis.fetch: the kernel never sees the patches, before or after the uninstall', async () => {
    const parse = JSON.parse;
    const fetchBefore = globalThis.fetch;
    const patcher = `{ activate(ctx) {
      const seen = [];
      const original = JSON.parse;
      JSON.parse = (text, ...rest) => { seen.push(String(text)); return original(text, ...rest); };
      globalThis.fetch = async () => { throw new Error('captured'); };
      ctx.http.route('GET', '/seen', async () => ({ body: seen.length }));
    } }`;
    const secret = 'kernel-side-secret-value';
    expect((await uploadZip(k.api, isolated('patcher', patcher))).status).toBe(201);
    await k.api('/api/v1/plugins/hello/config', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ note: secret }),
    });
    expect(JSON.parse).toBe(parse);
    expect(globalThis.fetch).toBe(fetchBefore);
    expect((await k.api('/api/v1/plugins/patcher', { method: 'DELETE' })).status).toBe(200);
    expect(JSON.parse('{"a":1}')).toEqual({ a: 1 });
    expect(JSON.parse).toBe(parse);
  });

  it('spawns a program with child_process: refused without the childProcess permission; with it, killed with the plugin', async () => {
    const spawner = `{ activate(ctx) {
      ctx.http.route('GET', '/spawn', async () => {
        try { const child = require('node:child_process').spawn('sleep', ['300'], { stdio: 'ignore' }); return { body: { pid: child.pid } }; }
        catch (e) { return { status: 403, body: { code: e.code } }; }
      });
    } }`;
    expect((await uploadZip(k.api, isolated('spawner', spawner))).status).toBe(201);
    expect(await (await k.api('/api/v1/plugins/spawner/routes/spawn')).json()).toEqual({ code: 'ERR_ACCESS_DENIED' });
    expect((await k.api('/api/v1/plugins/spawner', { method: 'DELETE' })).status).toBe(200);
    expect(
      (await uploadZip(k.api, isolated('spawner', spawner, { permissions: { childProcess: true } }, '2.0.0'))).status,
    ).toBe(201);
    const { pid } = (await (await k.api('/api/v1/plugins/spawner/routes/spawn')).json()) as { pid: number };
    expect(alive(pid)).toBe(true);
    expect((await k.api('/api/v1/plugins/spawner', { method: 'DELETE' })).status).toBe(200);
    await eventually('the program to end', async () => (alive(pid) ? undefined : true), 5_000);
  });

  it('reads <home>/state.db or the kernel environment: refused by the permission model', async () => {
    expect(existsSync(path.join(k.home, 'state.db'))).toBe(true);
    const reader = `{ activate(ctx) {
      ctx.http.route('GET', '/read', async (req) => {
        try { require('node:fs').readFileSync(req.query.file); return { body: 'read it' }; } catch (e) { return { body: e.code }; }
      });
      ctx.http.route('GET', '/throw', async (req) => ({ body: String(require('node:fs').readFileSync(req.query.file)) }));
      ctx.http.route('GET', '/env', async () => ({ body: Object.keys(process.env).filter((k) => k.startsWith('SPINDLE')) }));
    } }`;
    expect((await uploadZip(k.api, isolated('reader', reader))).status).toBe(201);
    for (const file of [path.join(k.home, 'state.db'), '/etc/passwd', `/proc/${process.pid}/environ`]) {
      expect(
        await (await k.api(`/api/v1/plugins/reader/routes/read?file=${encodeURIComponent(file)}`)).text(),
        file,
      ).toBe('ERR_ACCESS_DENIED');
    }
    expect(await (await k.api('/api/v1/plugins/reader/routes/env')).json()).toEqual([]);
    // Uncaught, the refusal says what was refused and which manifest field would grant it.
    const thrown = await k.api(
      `/api/v1/plugins/reader/routes/throw?file=${encodeURIComponent(path.join(k.home, 'state.db'))}`,
    );
    expect(thrown.status).toBe(502);
    expect(((await thrown.json()) as { message: string }).message).toContain(
      `its permissions do not allow reading ${path.join(k.home, 'state.db')}`,
    );
    expect((await k.api('/api/v1/plugins/reader', { method: 'DELETE' })).status).toBe(200);
  });

  it('throws from a raw timer with a message naming another plugin: only its own process ends; the named plugin is untouched', async () => {
    const helloDir = path.join(k.home, 'plugins', 'hello', '1.0.0', 'dist', 'index.cjs');
    const framer = `{ activate(ctx) {
      ctx.http.route('GET', '/pid', async () => ({ body: process.pid }));
      ctx.http.route('GET', '/frame', async () => { setTimeout(() => { const e = new Error('failed in ${helloDir}'); e.stack = 'Error: x\\n    at ${helloDir}:1:1'; throw e; }, 10); return { body: 'armed' }; });
      ctx.http.route('GET', '/reject', async () => { Promise.reject('a string rejection'); return { body: 'armed' }; });
    } }`;
    expect((await uploadZip(k.api, isolated('framer', framer))).status).toBe(201);
    for (const route of ['frame', 'reject']) {
      const pid = await (await k.api('/api/v1/plugins/framer/routes/pid')).json();
      expect((await k.api(`/api/v1/plugins/framer/routes/${route}`)).status).toBe(200);
      await eventually(`framer restarted after ${route}`, async () => {
        const res = await k.api('/api/v1/plugins/framer/routes/pid');
        return res.status === 200 && (await res.json()) !== pid ? true : undefined;
      });
    }
    expect(lines).toContainEqual(
      expect.objectContaining({
        plugin: 'framer',
        msg: expect.stringMatching(
          /^plugin framer@1.0.0: its process exited with code 70: a string rejection \(crash \d in 300 s; the version fails at 3\)$/,
        ),
      }),
    );
    expect((await view('hello')).activeVersion).toBe('1.0.0');
    await helloStillAnswers();
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
