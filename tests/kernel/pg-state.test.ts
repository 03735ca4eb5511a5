/**
 * A real kernel on PostgreSQL state (SPINDLE_DATABASE_URL): what it installs is in the database and
 * survives a restart. Needs a server (SPINDLE_TEST_PG_URL, default the local one); without it the
 * suite is skipped, or fails when CI=true.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg-test-database.js';
import { helloPlugin, pluginZip } from '../helpers/plugin-fixtures.js';
import { needService } from '../helpers/services.js';
import { startTestKernel, uploadZip } from '../helpers/test-kernel.js';

const postgres = await needService('postgres');

type TestKernel = Awaited<ReturnType<typeof startTestKernel>>;
let k: TestKernel | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

describe.skipIf(postgres.skip)('a kernel on PostgreSQL state', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  const rows = async (sql: string): Promise<Record<string, unknown>[]> => {
    const client = new pg.Client(database.url);
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };

  it('records an installed plugin in the database, and serves it again after a restart', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'spindle-kernel-pg-'));
    const env = { SPINDLE_DATABASE_URL: database.url };
    k = await startTestKernel({ home, env });
    const res = await uploadZip(k.api, pluginZip(helloPlugin('1.0.0')));
    expect(res.status).toBe(201);
    expect(await rows('SELECT name, version, state FROM plugins')).toEqual([
      { name: 'hello', version: '1.0.0', state: 'active' },
    ]);
    expect(existsSync(path.join(home, 'state.db'))).toBe(false);
    await k.close();

    k = await startTestKernel({ home, env });
    const hello = await k.api('/api/v1/plugins/hello/routes/hello');
    expect(await hello.json()).toEqual({ version: '1.0.0' });
    const view = (await (await k.api('/api/v1/plugins/hello')).json()) as {
      versions: { version: string; state: string }[];
    };
    expect(view.versions.map((v) => [v.version, v.state])).toEqual([['1.0.0', 'active']]);
    const activity = (await (await k.api('/api/v1/activity?plugin=hello')).json()) as { entries: { action: string }[] };
    expect(activity.entries.map((e) => e.action)).toContain('plugin.installed');
  });
});

describe('a kernel given a PostgreSQL URL it cannot use', () => {
  it('fails to start with KRN_ERR_STATE naming the host, never the password', async () => {
    const error = await startTestKernel({
      env: { SPINDLE_DATABASE_URL: 'postgres://spindle:hunter2@127.0.0.1:1/spindle' },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'KRN_ERR_STATE',
      message: expect.stringContaining('PostgreSQL at 127.0.0.1:1/spindle'),
    });
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('refuses a URL that is not postgres:// without repeating it', async () => {
    const error = await startTestKernel({ env: { SPINDLE_DATABASE_URL: 'mysql://root:hunter2@db/x' } }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'KRN_ERR_STATE', message: expect.stringContaining('SPINDLE_DATABASE_URL') });
    expect((error as Error).message).not.toContain('hunter2');
  });
});
