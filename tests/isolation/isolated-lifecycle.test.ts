/**
 * Isolated plugins go through the same lifecycle as in-process ones: a swap under load (new
 * process activated first, then the switch, then the old one drained and killed), a config change,
 * disable and enable, the drop-in folder; and with `SPINDLE_ISOLATION=all` the default plugins run
 * the python adder end to end, each in a process of its own.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startKernel } from '../../core/start.js';
import { deployForm, zipDirectory } from '../helpers/job-upload.js';
import { pluginZip } from '../helpers/plugin-fixtures.js';
import { ADMIN_TOKEN, startTestKernel, uploadZip } from '../helpers/test-kernel.js';

const ADDER = fileURLToPath(new URL('../../examples/python-adder', import.meta.url));
const json = { 'content-type': 'application/json' };

const versioned = (version: string) =>
  pluginZip({
    name: 'iso-hello',
    version,
    manifest: {
      isolation: 'process',
      configSchema: { type: 'object', properties: { greeting: { type: 'string', default: 'hello' } } },
    },
    source: `module.exports = definePlugin({ activate(ctx) { ctx.http.route('GET', '/hi', async () => ({ body: { version: '${version}', greeting: ctx.config.greeting, pid: process.pid } })); } });`,
  });

describe('an isolated plugin in the lifecycle', () => {
  let k: Awaited<ReturnType<typeof startTestKernel>>;
  afterAll(() => k?.close());

  it('swaps to a new version under load without a failed request, the old process ending after the drain', async () => {
    k = await startTestKernel();
    expect((await uploadZip(k.api, versioned('1.0.0'))).status).toBe(201);
    const first = (await (await k.api('/api/v1/plugins/iso-hello/routes/hi')).json()) as { pid: number };
    // SPINDLE_PLUGIN_NICE's default: a plugin that spins yields the CPU to the kernel's API.
    expect(os.getPriority(first.pid)).toBe(10);
    let stop = false;
    let failures = 0;
    let calls = 0;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          const res = await k.api('/api/v1/plugins/iso-hello/routes/hi');
          calls++;
          if (res.status !== 200) failures++;
          await res.arrayBuffer();
        }
      }),
    );
    for (const version of ['1.1.0', '1.2.0', '1.3.0'])
      expect((await uploadZip(k.api, versioned(version))).status).toBe(201);
    stop = true;
    await load;
    expect(calls).toBeGreaterThan(10);
    expect(failures).toBe(0);
    const now = (await (await k.api('/api/v1/plugins/iso-hello/routes/hi')).json()) as { version: string; pid: number };
    expect(now.version).toBe('1.3.0');
    await k.kernel.host.settled();
    expect(alive(first.pid)).toBe(false);
  });

  it('gets a new process with a config change; disable ends it, enable starts one again', async () => {
    const before = (await (await k.api('/api/v1/plugins/iso-hello/routes/hi')).json()) as { pid: number };
    const set = await k.api('/api/v1/plugins/iso-hello/config', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ greeting: 'hej' }),
    });
    expect(set.status).toBe(200);
    const after = (await (await k.api('/api/v1/plugins/iso-hello/routes/hi')).json()) as {
      greeting: string;
      pid: number;
    };
    expect(after).toMatchObject({ greeting: 'hej' });
    expect(after.pid).not.toBe(before.pid);
    expect((await k.api('/api/v1/plugins/iso-hello/disable', { method: 'POST' })).status).toBe(200);
    await k.kernel.host.settled();
    expect(alive(after.pid)).toBe(false);
    expect((await k.api('/api/v1/plugins/iso-hello/enable', { method: 'POST' })).status).toBe(200);
    expect((await k.api('/api/v1/plugins/iso-hello/routes/hi')).status).toBe(200);
    expect(await (await k.api('/api/v1/plugins/iso-hello')).json()).toMatchObject({ runs: 'process', permissions: {} });
  });

  it('installs from the drop-in folder and uninstalls when the file goes', async () => {
    const tmp = path.join(k.home, 'iso.zip.tmp');
    writeFileSync(tmp, versioned('2.0.0'));
    renameSync(tmp, path.join(k.dropIn.dir, 'iso.zip'));
    await expect
      .poll(
        async () =>
          ((await (await k.api('/api/v1/plugins/iso-hello/routes/hi')).json()) as { version: string }).version,
        { timeout: 10_000 },
      )
      .toBe('2.0.0');
  });
});

describe('SPINDLE_ISOLATION=all', () => {
  it('runs the default plugins each in a process of its own, and the python adder answers 42', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'spindle-isolate-all-'));
    const kernel = await startKernel({
      home,
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      env: { SPINDLE_ADMIN_TOKEN: ADMIN_TOKEN, SPINDLE_ISOLATION: 'all', SPINDLE_SCHEDULER_TICK_MS: '200' },
      withDefaults: true,
    });
    const api = (p: string, init: RequestInit = {}) =>
      fetch(kernel.url + p, {
        ...init,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers as Record<string, string>) },
      });
    try {
      const { plugins } = (await (await api('/api/v1/plugins')).json()) as {
        plugins: { name: string; runs: string }[];
      };
      expect(plugins.map((p) => [p.name, p.runs])).toEqual(
        ['infra-local', 'jobtype-python', 'scheduler-fifo', 'storage-local'].map((name) => [name, 'process']),
      );
      const manifest = {
        name: 'adder',
        version: '1.0.0',
        jobtype: 'python3:1.x',
        jobtypeExtra: { entrypointPath: 'adder.py', entrypointClass: 'Adder' },
      };
      expect(
        (await api('/api/v1/jobs', { method: 'POST', body: deployForm(manifest, zipDirectory(ADDER)) })).status,
      ).toBe(201);
      await expect
        .poll(async () => ((await (await api('/api/v1/jobs/adder/1.0.0')).json()) as { state: string }).state, {
          timeout: 60_000,
          interval: 200,
        })
        .toBe('RUNNING');
      const call = await api('/pub/job/adder/latest/perform', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ numbers: [40, 2] }),
      });
      expect(await call.json()).toBe(42);
      const logs = await api('/api/v1/jobs/adder/1.0.0/logs');
      expect(logs.status).toBe(200);
    } finally {
      await kernel.close();
    }
  }, 120_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
