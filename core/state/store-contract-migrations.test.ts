/** Migrations and closing, on SQLite and PostgreSQL (see store-contract.test.ts); opening a PostgreSQL state. */
import { describe, expect, it } from 'vitest';
import { needService } from '../../tests/helpers/services.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';
import { openPgState } from './open-pg-state.js';
import { describeStoreContract } from './store-contract.test-helper.js';

const postgres = await needService('postgres');

describeStoreContract('migrations', postgres.skip, (t) => {
  describe('migrations', () => {
    const applied = async () =>
      (await t.backend.raw('SELECT version, name FROM schema_migrations ORDER BY version')).map((r) => ({
        version: Number(r.version),
        name: r.name,
      }));

    it('are applied once; re-opening (twice at once) is idempotent and keeps the data', async () => {
      expect(await t.state.store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      await t.state.store.putConfig('hello', { greeting: 'hi' });
      await t.state.close();
      const [one, two] = await Promise.all([t.backend.open(), t.backend.open()]);
      expect(await one.store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(await two.store.getConfig('hello')).toEqual({ greeting: 'hi' });
      await one.close();
      await two.close();
      expect(await applied()).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
      t.state = await t.backend.open();
    });

    it('two kernels migrating an empty database at once apply each migration once', async () => {
      await t.state.close();
      await t.backend.reset();
      const [one, two] = await Promise.all([t.backend.open(), t.backend.open()]);
      await one.close();
      await two.close();
      expect(await applied()).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
      t.state = await t.backend.open();
    });

    it('apply only what a database lacks, and roll a failing migration back naming it', async () => {
      await t.state.close();
      await t.backend.reset();
      expect(await t.backend.migrate(MIGRATIONS.slice(0, 1))).toBe(1);
      await t.backend.raw("INSERT INTO plugin_config (name, config_json, updated_at) VALUES ('a', '{}', 'now')");
      const broken: Migration[] = [
        ...MIGRATIONS,
        { version: 99, name: 'broken', up: 'CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table' },
      ];
      await expect(t.backend.migrate(broken)).rejects.toMatchObject({
        code: 'KRN_ERR_STATE',
        message: expect.stringMatching(/migration 99 \(broken\)/),
      });
      expect(await applied()).toHaveLength(MIGRATIONS.length);
      await expect(t.backend.raw('SELECT * FROM half_done')).rejects.toThrow(/half_done/);
      t.state = await t.backend.open();
      expect(await t.state.store.getConfig('a')).toEqual({});
    });

    it('refuse a database written by a newer kernel', async () => {
      await t.state.close();
      await t.backend.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'now')", [
        LATEST_SCHEMA_VERSION + 1,
      ]);
      await expect(t.backend.open()).rejects.toMatchObject({
        code: 'KRN_ERR_STATE',
        message: expect.stringMatching(
          new RegExp(`version ${LATEST_SCHEMA_VERSION + 1}.*up to ${LATEST_SCHEMA_VERSION}.*upgrade the kernel`),
        ),
      });
      await t.backend.raw('DELETE FROM schema_migrations WHERE version > ?', [LATEST_SCHEMA_VERSION]);
      t.state = await t.backend.open();
    });
  });

  it('after close, calls reject with KRN_ERR_STATE naming the operation; close is idempotent', async () => {
    await t.state.close();
    await t.state.close();
    await expect(t.state.store.listPlugins()).rejects.toMatchObject({
      code: 'KRN_ERR_STATE',
      details: { operation: 'listPlugins' },
    });
    await expect(t.state.jobStore.listJobs()).rejects.toMatchObject({
      code: 'KRN_ERR_STATE',
      details: { operation: 'listJobs' },
    });
    await expect(t.state.volumeStore.listVolumes()).rejects.toMatchObject({
      code: 'KRN_ERR_STATE',
      details: { operation: 'listVolumes' },
    });
    t.state = await t.backend.open();
  });
});

describe('openPgState', () => {
  it('refuses a URL that is not postgres:// without repeating it', async () => {
    for (const url of ['not a url', 'mysql://root:hunter2@db/x']) {
      const error = await openPgState(url).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'KRN_ERR_STATE',
        message: expect.stringContaining('SPINDLE_DATABASE_URL is not a valid postgres://'),
      });
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('names the host of an unreachable server, never the password', async () => {
    const error = await openPgState('postgres://spindle:hunter2@127.0.0.1:1/spindle').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'KRN_ERR_STATE',
      message: expect.stringContaining('PostgreSQL at 127.0.0.1:1/spindle'),
    });
    expect((error as Error).message).not.toContain('hunter2');
  });
});
