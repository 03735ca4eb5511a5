/**
 * Several kernel replicas on one PostgreSQL database, each a real `spindle start` process with its
 * own home: a plugin installed, reconfigured or removed through one is applied on the other within
 * seconds; the replica leading a queue is killed (SIGKILL) while 500 jobs arrive, another takes
 * over, and every job is scheduled exactly once and none is lost.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleFirstPartyPlugins } from '../../core/plugins/default-plugins.js';
import { type ChildKernel, startChildKernel } from '../helpers/child-kernel.js';
import { fakeJob, fakeJobType, fakeTarget } from '../helpers/fake-job-plugins.js';
import { deployForm } from '../helpers/job-upload.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg-test-database.js';
import { helloPlugin, pluginZip } from '../helpers/plugin-fixtures.js';
import { needService } from '../helpers/services.js';
import { uploadZip } from '../helpers/test-kernel.js';

const postgres = await needService('postgres');
const json = { 'content-type': 'application/json' };
const EMPTY_SOURCE = pluginZip({ name: 'x', version: '0.0.0', source: '' });

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(postgres.skip)('kernel replicas on one PostgreSQL database', () => {
  let database: TestDatabase;
  const running: ChildKernel[] = [];
  const replica = async (id: string): Promise<ChildKernel> => {
    const kernel = await startChildKernel(mkdtempSync(path.join(os.tmpdir(), `spindle-replica-${id}-`)), {
      SPINDLE_DATABASE_URL: database.url,
      SPINDLE_REPLICA_ID: id,
      SPINDLE_SCHEDULER_TICK_MS: '200',
      SPINDLE_LOG_LEVEL: 'warn',
    });
    running.push(kernel);
    return kernel;
  };
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    for (const kernel of running.splice(0)) await kernel.stop();
  });
  afterAll(() => database?.drop());

  it('applies an install, a config change and an uninstall made through one replica on the other', async () => {
    const a = await replica('a');
    const b = await replica('b');
    const hello = helloPlugin(
      '1.0.0',
      "ctx.http.route('GET', '/greeting', async () => ({ body: { greeting: ctx.config.greeting ?? null } }));",
    );
    expect((await uploadZip(a.api, pluginZip(hello))).status).toBe(201);
    const served = await eventually('the plugin on b', async () => {
      const res = await b.api('/api/v1/plugins/hello/routes/hello');
      return res.status === 200 ? ((await res.json()) as { version: string }) : undefined;
    });
    expect(served).toEqual({ version: '1.0.0' });

    expect(
      (
        await a.api('/api/v1/plugins/hello/config', {
          method: 'PUT',
          headers: json,
          body: JSON.stringify({ greeting: 'hej' }),
        })
      ).status,
    ).toBe(200);
    await eventually('the new config on b', async () => {
      const body = (await (await b.api('/api/v1/plugins/hello/routes/greeting')).json()) as { greeting: string | null };
      return body.greeting === 'hej' ? true : undefined;
    });

    const replicas = (await (await b.api('/api/v1/system/replicas')).json()) as {
      replicas: { id: string; generation: number }[];
    };
    expect(replicas.replicas.map((r) => r.id).sort()).toEqual(['a', 'b']);

    expect((await b.api('/api/v1/plugins/hello', { method: 'DELETE' })).status).toBe(200);
    await eventually('the plugin gone from a', async () =>
      (await a.api('/api/v1/plugins/hello/routes/hello')).status === 404 ? true : undefined,
    );

    // Maintenance mode switched on through one replica holds on the other after its next poll.
    await a.api('/api/v1/system/maintenance', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ enabled: true }),
    });
    await eventually(
      'maintenance on b',
      async () => ((await uploadZip(b.api, pluginZip(hello))).status === 503 ? true : undefined),
      15_000,
    );
    await a.api('/api/v1/system/maintenance', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ enabled: false }),
    });
  }, 60_000);

  it('hands a queue to another replica when its leader is killed, scheduling each job once', async () => {
    const a = await replica('lead-a');
    for (const plugin of [fakeTarget, fakeJobType])
      expect((await uploadZip(a.api, pluginZip(plugin))).status).toBe(201);
    const [fifo] = await bundleFirstPartyPlugins(['scheduler-fifo']);
    expect(
      (await a.api('/api/v1/plugins', { method: 'POST', headers: json, body: JSON.stringify({ path: fifo }) })).status,
    ).toBe(201);
    const agents = [{ id: 'big', capacity: { cpu: 100_000, memory: 100_000_000 } }];
    expect(
      (
        await a.api('/api/v1/plugins/fake-target/config', {
          method: 'PUT',
          headers: json,
          body: JSON.stringify({ agents }),
        })
      ).status,
    ).toBe(200);
    // The first job makes `a` the leader of the default queue.
    const first = await a.api('/api/v1/jobs', { method: 'POST', body: deployForm(fakeJob('first'), EMPTY_SOURCE) });
    expect(first.status, await first.clone().text()).toBe(201);
    await eventually('the first job running', async () =>
      ((await (await a.api('/api/v1/jobs/first/1.0.0')).json()) as { state: string }).state === 'RUNNING'
        ? true
        : undefined,
    );
    const b = await replica('lead-b');
    for (const name of ['fake-target', 'fake-jobtype', 'scheduler-fifo']) {
      await eventually(
        `${name} on b`,
        async () =>
          ((await (await b.api(`/api/v1/plugins/${name}`)).json()) as { activeVersion: string | null }).activeVersion ??
          undefined,
      );
    }

    const names = Array.from({ length: 500 }, (_, i) => `job-${i}`);
    let killed = false;
    await Promise.all(
      names.map(async (name, i) => {
        if (i === 150 && !killed) {
          killed = true;
          a.child.kill('SIGKILL');
        }
        const via = killed ? b : i % 2 === 0 ? a : b;
        const res = await via
          .api('/api/v1/jobs', { method: 'POST', body: deployForm(fakeJob(name), EMPTY_SOURCE) })
          .catch(() => undefined);
        // A deploy cut off by the kill is sent again to the survivor (the name may be stored already).
        if (!res || res.status >= 500) {
          const again = await b.api('/api/v1/jobs', { method: 'POST', body: deployForm(fakeJob(name), EMPTY_SOURCE) });
          expect([201, 409]).toContain(again.status);
        } else {
          expect(res.status, await res.clone().text()).toBe(201);
        }
      }),
    );
    const states = await eventually(
      'every job running',
      async () => {
        const jobs = (
          (await (await b.api('/api/v1/jobs')).json()) as { jobs: { name: string; state: string }[] }
        ).jobs.filter((j) => j.name.startsWith('job-'));
        return jobs.length === 500 && jobs.every((j) => j.state === 'RUNNING') ? jobs : undefined;
      },
      60_000,
    );
    expect(states).toHaveLength(500);
    for (const name of names) {
      const job = (await (await b.api(`/api/v1/jobs/${name}/1.0.0`)).json()) as {
        events: { from: string | null; to: string }[];
      };
      expect(
        job.events.filter((e) => e.from === 'PENDING' && e.to === 'SCHEDULED'),
        name,
      ).toHaveLength(1);
    }
  }, 120_000);
});
