/**
 * One contract, two backends: every scenario runs against SQLite and PostgreSQL and expects the
 * same records, order and errors. The PostgreSQL half needs a server (SPINDLE_TEST_PG_URL, default
 * the local one); without it the half is skipped, or fails when CI=true.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { createTestDatabase, type TestDatabase } from '../../tests/helpers/pg-test-database.js';
import { needService } from '../../tests/helpers/services.js';
import type { JobRecord } from './job-record.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';
import { openPgState } from './open-pg-state.js';
import { type OpenState, openState } from './open-state.js';
import { migratePostgres } from './pg-migrate.js';
import { migrateSqlite } from './sqlite-store.js';
import type { PluginRecord, TokenRecord } from './store.js';

type Row = Record<string, unknown>;

/** What a scenario needs of a backend beyond the stores: a fresh database, raw SQL, the migrator. */
interface Backend {
  name: 'sqlite' | 'postgres';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** Empties the database (no tables at all). */
  reset(): Promise<void>;
  open(): Promise<OpenState>;
  /** One statement with `?` placeholders, on a connection of its own. */
  raw(sql: string, params?: unknown[]): Promise<Row[]>;
  migrate(migrations: readonly Migration[]): Promise<number>;
}

function sqliteBackend(): Backend {
  let dir = '';
  let file = '';
  let n = 0;
  return {
    name: 'sqlite',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'spindle-contract-'));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    async reset() {
      file = join(dir, `state-${n++}.db`);
    },
    open: () => openState({ sqliteFile: file }),
    async raw(sql, params = []) {
      const db = new Database(file);
      try {
        const stmt = db.prepare(sql);
        if (stmt.reader) return stmt.all(...params) as Row[];
        stmt.run(...params);
        return [];
      } finally {
        db.close();
      }
    },
    async migrate(migrations) {
      const db = new Database(file);
      try {
        return migrateSqlite(db, migrations);
      } finally {
        db.close();
      }
    },
  };
}

function postgresBackend(): Backend {
  let database: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  const raw = async (sql: string, params: unknown[] = []) => {
    let i = 0;
    return (
      await pool!.query<Row>(
        sql.replace(/\?/g, () => `$${++i}`),
        params,
      )
    ).rows;
  };
  return {
    name: 'postgres',
    async setup() {
      database = await createTestDatabase();
      pool = new pg.Pool({ connectionString: database.url });
    },
    async teardown() {
      await pool?.end();
      await database?.drop();
    },
    async reset() {
      const tables = await raw('SELECT tablename FROM pg_tables WHERE schemaname = current_schema()');
      if (tables.length > 0)
        await raw(`DROP TABLE ${tables.map((t) => `"${t.tablename as string}"`).join(', ')} CASCADE`);
    },
    open: () => openState({ databaseUrl: database!.url, sqliteFile: '(unused)' }),
    raw,
    migrate: (migrations) => migratePostgres(pool!, migrations),
  };
}

const postgres = await needService('postgres');

const manifest: PluginManifest = {
  name: 'hello',
  version: '1.0.0',
  category: 'core',
  main: 'dist/index.cjs',
  engines: { spindle: '^1.0.0' },
  configSchema: { type: 'object', properties: { greeting: { type: 'string' } } },
};

const plugin = (name: string, version: string, over: Partial<PluginRecord> = {}): PluginRecord => ({
  name,
  version,
  state: 'installed',
  error: null,
  manifest: { ...manifest, name, version },
  sha256: 'ab'.repeat(32),
  source: 'upload',
  installedAt: `2024-01-0${version[0]}T00:00:00.000Z`,
  ...over,
});

const token = (id: string, hash: string, over: Partial<TokenRecord> = {}): TokenRecord => ({
  id,
  name: `token ${id}`,
  hash,
  kind: 'user',
  createdAt: '2024-01-01T00:00:00.000Z',
  expiresAt: null,
  revokedAt: null,
  ...over,
});

const job = (name: string, version: string, over: Partial<JobRecord> = {}): Omit<JobRecord, 'seq'> => ({
  id: `${name}-${version}`,
  name,
  version,
  owner: 'alice',
  queue: 'default',
  target: 'local',
  jobtype: 'python3:1.x',
  jobtypeResolved: 'python3:1.2.0',
  kind: 'service',
  replicas: 2,
  resources: { cpu: 1, memoryMb: 256 },
  manifest: { name, version, jobtype: 'python3:1.x', env: { A: 'b' } },
  state: 'PENDING',
  reason: 'submitted',
  attempts: 0,
  agentId: null,
  runtime: { replicas: [] },
  notice: null,
  submittedAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:00.000Z',
  ...over,
});

describe.each([
  { backend: sqliteBackend(), skip: false },
  { backend: postgresBackend(), skip: postgres.skip },
])('$backend.name state', ({ backend, skip }) => {
  describe.skipIf(skip)('contract', () => {
    let state: OpenState;
    beforeAll(() => backend.setup());
    afterAll(() => backend.teardown());
    beforeEach(async () => {
      await backend.reset();
      state = await backend.open();
    });
    afterEach(() => state.close());

    describe('plugins', () => {
      it('round-trip and list by name, install time, version in byte order', async () => {
        const { store } = state;
        await store.putPlugin(plugin('hello', '2.0.0', { state: 'active' }));
        await store.putPlugin(plugin('hello', '1.0.0'));
        await store.putPlugin(plugin('Hello', '1.0.0'));
        await store.putPlugin(plugin('hello-x', '1.0.0'));
        await store.putPlugin(plugin('hello_x', '1.0.0'));
        await store.putPlugin(plugin('hello', '1.5.0', { installedAt: '2024-01-01T00:00:00.000Z' }));
        expect(await store.getPlugin('hello', '1.0.0')).toEqual(plugin('hello', '1.0.0'));
        expect(await store.getPlugin('hello', '3.0.0')).toBeUndefined();
        expect((await store.listPlugins()).map((p) => `${p.name}@${p.version}`)).toEqual([
          'Hello@1.0.0',
          'hello@1.0.0',
          'hello@1.5.0',
          'hello@2.0.0',
          'hello-x@1.0.0',
          'hello_x@1.0.0',
        ]);
      });

      it('put replaces, state changes refuse an unknown version, delete removes one version', async () => {
        const { store } = state;
        await store.putPlugin(plugin('hello', '1.0.0'));
        await store.putPlugin(plugin('hello', '2.0.0'));
        await store.putPlugin(plugin('hello', '1.0.0', { source: 'drop-in:hello.zip', sha256: 'cd'.repeat(32) }));
        expect(await store.getPlugin('hello', '1.0.0')).toEqual(
          plugin('hello', '1.0.0', { source: 'drop-in:hello.zip', sha256: 'cd'.repeat(32) }),
        );
        await store.setPluginState('hello', '1.0.0', 'failed', 'activate threw');
        expect(await store.getPlugin('hello', '1.0.0')).toMatchObject({ state: 'failed', error: 'activate threw' });
        await store.setPluginState('hello', '1.0.0', 'active', null);
        expect(await store.getPlugin('hello', '1.0.0')).toMatchObject({ state: 'active', error: null });
        await expect(store.setPluginState('hello', '9.9.9', 'active', null)).rejects.toMatchObject({
          code: 'KRN_ERR_PLUGIN_NOT_FOUND',
        });
        await store.deletePlugin('hello', '1.0.0');
        await store.deletePlugin('hello', '1.0.0');
        expect((await store.listPlugins()).map((p) => p.version)).toEqual(['2.0.0']);
      });

      it('wrap constraint violations in KRN_ERR_STATE naming the operation', async () => {
        const bad = plugin('hello', '1.0.0', { state: 'exploded' as PluginRecord['state'] });
        await expect(state.store.putPlugin(bad)).rejects.toMatchObject({
          code: 'KRN_ERR_STATE',
          details: { operation: 'putPlugin' },
          message: expect.stringContaining('state putPlugin failed'),
        });
      });
    });

    describe('desired plugins and config', () => {
      it('desired round-trips in name order', async () => {
        const { store } = state;
        await store.putDesired({ name: 'b', pinnedVersion: null, enabled: true });
        await store.putDesired({ name: 'a', pinnedVersion: '1.2.0', enabled: false });
        await store.putDesired({ name: 'B', pinnedVersion: null, enabled: true });
        expect(await store.getDesired('a')).toEqual({ name: 'a', pinnedVersion: '1.2.0', enabled: false });
        expect(await store.getDesired('zzz')).toBeUndefined();
        expect((await store.listDesired()).map((d) => d.name)).toEqual(['B', 'a', 'b']);
        await store.putDesired({ name: 'a', pinnedVersion: null, enabled: true });
        expect(await store.getDesired('a')).toEqual({ name: 'a', pinnedVersion: null, enabled: true });
        await store.deleteDesired('a');
        await store.deleteDesired('B');
        expect(await store.listDesired()).toEqual([{ name: 'b', pinnedVersion: null, enabled: true }]);
      });

      it('the desired generation moves on every change of the desired set, and only then', async () => {
        const { store } = state;
        const generation = async () =>
          Number((await backend.raw('SELECT generation FROM desired_generation WHERE id = 1'))[0]!.generation);
        expect(await generation()).toBe(0);
        await store.putDesired({ name: 'a', pinnedVersion: null, enabled: true });
        expect(await generation()).toBe(1);
        await store.putDesired({ name: 'a', pinnedVersion: '1.0.0', enabled: true });
        expect(await generation()).toBe(2);
        await store.putDesired({ name: 'a', pinnedVersion: '1.0.0', enabled: false });
        expect(await generation()).toBe(3);
        await store.putDesired({ name: 'a', pinnedVersion: '1.0.0', enabled: false });
        expect(await generation()).toBe(3);
        await store.deleteDesired('a');
        expect(await generation()).toBe(4);
        await store.deleteDesired('a');
        await store.putConfig('a', { x: 1 });
        expect(await generation()).toBe(4);
      });

      it('config round-trips as JSON, is replaced and deleted', async () => {
        const { store } = state;
        expect(await store.getConfig('hello')).toBeUndefined();
        await store.putConfig('hello', { greeting: 'hi', nested: { n: 1.5, list: [true, null, 'é'] } });
        expect(await store.getConfig('hello')).toEqual({ greeting: 'hi', nested: { n: 1.5, list: [true, null, 'é'] } });
        await store.putConfig('hello', {});
        expect(await store.getConfig('hello')).toEqual({});
        await store.deleteConfig('hello');
        expect(await store.getConfig('hello')).toBeUndefined();
      });
    });

    describe('activity', () => {
      const add = (
        actor: string,
        action: string,
        plugin: string | null,
        i: number,
        subject = `${plugin ?? 'kernel'}#${i}`,
      ) => state.store.addActivity({ actor, action, subject, plugin, outcome: 'ok', details: { i } });

      it('returns the stored entry with a numeric id and time, details parsed back', async () => {
        const entry = await state.store.addActivity({
          actor: 'admin',
          action: 'plugin.installed',
          subject: 'hello@1.0.0',
          plugin: 'hello',
          outcome: 'error',
          details: { reason: 'x', n: [1, 2] },
          at: '2024-05-01T10:00:00.000Z',
        });
        expect(entry).toEqual({
          id: expect.any(Number),
          at: '2024-05-01T10:00:00.000Z',
          actor: 'admin',
          action: 'plugin.installed',
          subject: 'hello@1.0.0',
          plugin: 'hello',
          outcome: 'error',
          details: { reason: 'x', n: [1, 2] },
        });
        expect(await state.store.listActivity()).toEqual([entry]);
        const stamped = await add('kernel', 'kernel.started', null, 0);
        expect(stamped.id).toBeGreaterThan(entry.id);
        expect(Number.isNaN(Date.parse(stamped.at))).toBe(false);
      });

      it('lists newest first with filters and paging', async () => {
        for (let i = 0; i < 30; i++) {
          await add(
            i % 2 ? 'alice' : 'bob',
            i % 3 ? 'plugin.installed' : 'plugin.swapped',
            i % 5 ? 'hello' : 'other',
            i,
          );
        }
        const { store } = state;
        const all = await store.listActivity();
        expect(all.map((e) => e.details.i)).toEqual([...Array(30).keys()].reverse());
        const alice = await store.listActivity({ actor: 'alice' });
        expect(alice).toHaveLength(15);
        expect(alice.every((e) => e.actor === 'alice')).toBe(true);
        expect((await store.listActivity({ plugin: 'other' })).map((e) => e.details.i)).toEqual([25, 20, 15, 10, 5, 0]);
        expect(
          (await store.listActivity({ plugin: 'hello', actor: 'bob', action: 'plugin.swapped' })).map(
            (e) => e.details.i,
          ),
        ).toEqual([24, 18, 12, 6]);
        const page1 = await store.listActivity({ actor: 'alice', limit: 4 });
        const page2 = await store.listActivity({ actor: 'alice', limit: 4, beforeId: page1.at(-1)!.id });
        expect([...page1, ...page2].map((e) => e.details.i)).toEqual([29, 27, 25, 23, 21, 19, 17, 15]);
        expect(await store.listActivity({ beforeId: all.at(-1)!.id })).toEqual([]);
      });

      it('filters by job family and job version, LIKE wildcards taken literally', async () => {
        await add('alice', 'job.deployed', null, 0, 'web@1.0.0');
        await add('alice', 'job.deployed', null, 1, 'web@2.0.0');
        await add('alice', 'job.deployed', null, 2, 'web-api@1.0.0');
        await add('alice', 'job.deployed', null, 3, 'a_b@1.0.0');
        await add('alice', 'job.deployed', null, 4, 'axb@1.0.0');
        await add('alice', 'plugin.installed', 'web', 5, 'web@1.0.0');
        const { store } = state;
        const ids = async (filter: Parameters<typeof store.listActivity>[0]) =>
          (await store.listActivity(filter)).map((e) => e.details.i);
        expect(await ids({ family: 'web' })).toEqual([1, 0]);
        expect(await ids({ family: 'a_b' })).toEqual([3]);
        expect(await ids({ family: '%' })).toEqual([]);
        // SQLite's LIKE ignores ASCII case; PostgreSQL matches it.
        expect(await ids({ family: 'WEB' })).toEqual([1, 0]);
        expect(await ids({ job: 'web@1.0.0' })).toEqual([0]);
        expect(await ids({ job: 'web@1.0.0', actor: 'bob' })).toEqual([]);
      });

      it('limits to 100 by default and 1000 at most', async () => {
        for (let i = 0; i < 1005; i++) await add('kernel', 'tick', null, i);
        const { store } = state;
        expect(await store.listActivity()).toHaveLength(100);
        expect(await store.listActivity({ limit: 5000 })).toHaveLength(1000);
        expect(await store.listActivity({ limit: 0 })).toHaveLength(1);
        expect(await store.listActivity({ limit: 2.9 })).toHaveLength(2);
      });
    });

    describe('tokens, drop-ins, settings', () => {
      it('tokens: put, find by hash, list in creation order, revoke keeps the first time', async () => {
        const { store } = state;
        await store.putToken(token('t2', 'hash-2', { kind: 'admin', createdAt: '2024-02-01T00:00:00.000Z' }));
        await store.putToken(token('t1', 'hash-1', { expiresAt: '2030-01-01T00:00:00.000Z' }));
        await store.putToken(token('T0', 'hash-0'));
        expect(await store.findTokenByHash('hash-1')).toEqual(
          token('t1', 'hash-1', { expiresAt: '2030-01-01T00:00:00.000Z' }),
        );
        expect(await store.findTokenByHash('nope')).toBeUndefined();
        expect((await store.listTokens()).map((t) => t.id)).toEqual(['T0', 't1', 't2']);
        await store.revokeToken('t1', '2024-03-01T00:00:00.000Z');
        await store.revokeToken('t1', '2024-04-01T00:00:00.000Z');
        await store.revokeToken('unknown', '2024-04-01T00:00:00.000Z');
        expect((await store.findTokenByHash('hash-1'))?.revokedAt).toBe('2024-03-01T00:00:00.000Z');
        await expect(store.putToken(token('t3', 'hash-2'))).rejects.toMatchObject({
          code: 'KRN_ERR_STATE',
          details: { operation: 'putToken' },
        });
      });

      it('drop-ins round-trip, list by file, replace and delete', async () => {
        const { store } = state;
        const record = { file: 'hello-1.0.0.zip', sha256: 'ab'.repeat(32), name: 'hello', version: '1.0.0' };
        await store.putDropIn(record);
        await store.putDropIn({ file: 'a.zip', sha256: 'cd'.repeat(32), name: 'a', version: '0.1.0' });
        await store.putDropIn({ file: 'Z.zip', sha256: 'cd'.repeat(32), name: 'z', version: '0.1.0' });
        expect(await store.getDropIn('hello-1.0.0.zip')).toEqual(record);
        expect(await store.getDropIn('missing.zip')).toBeUndefined();
        expect((await store.listDropIns()).map((r) => r.file)).toEqual(['Z.zip', 'a.zip', 'hello-1.0.0.zip']);
        await store.putDropIn({ ...record, sha256: 'ef'.repeat(32), version: '1.0.1' });
        expect(await store.getDropIn('hello-1.0.0.zip')).toMatchObject({ sha256: 'ef'.repeat(32), version: '1.0.1' });
        await store.deleteDropIn('hello-1.0.0.zip');
        expect(await store.listDropIns()).toHaveLength(2);
      });

      it('settings hold JSON values by key and are replaced', async () => {
        const { store } = state;
        expect(await store.getSetting('maintenance')).toBeUndefined();
        await store.putSetting('maintenance', { on: true, reason: 'upgrade', since: '2024-01-01T00:00:00.000Z' });
        await store.putSetting('count', 3);
        await store.putSetting('nothing', null);
        expect(await store.getSetting('maintenance')).toEqual({
          on: true,
          reason: 'upgrade',
          since: '2024-01-01T00:00:00.000Z',
        });
        expect(await store.getSetting('count')).toBe(3);
        expect(await store.getSetting('nothing')).toBeNull();
        await store.putSetting('maintenance', { on: false });
        expect(await store.getSetting('maintenance')).toEqual({ on: false });
      });
    });

    describe('jobs', () => {
      it('insert numbers jobs in submission order and keeps secrets and the first event', async () => {
        const { jobStore } = state;
        const a = await jobStore.insertJob(job('web', '1.0.0'), { TOKEN: 's3cret' });
        const b = await jobStore.insertJob(job('web', '2.0.0', { owner: 'bob' }), {});
        expect(a).toEqual({ ...job('web', '1.0.0'), seq: 1 });
        expect(b.seq).toBe(2);
        expect(await jobStore.getJob(a.id)).toEqual(a);
        expect(await jobStore.findJob('web', '2.0.0')).toEqual(b);
        expect(await jobStore.getJob('nope')).toBeUndefined();
        expect(await jobStore.findJob('web', '9.0.0')).toBeUndefined();
        expect(await jobStore.getSecrets(a.id)).toEqual({ TOKEN: 's3cret' });
        expect(await jobStore.getSecrets('nope')).toEqual({});
        expect(await jobStore.listEvents(a.id)).toEqual([
          { jobId: a.id, at: a.submittedAt, from: null, to: 'PENDING', reason: 'submitted' },
        ]);
        await expect(jobStore.insertJob(job('web', '1.0.0', { id: 'other' }), {})).rejects.toMatchObject({
          code: 'KRN_ERR_STATE',
          details: { operation: 'insertJob' },
        });
        expect(await jobStore.getSecrets('other')).toEqual({});
      });

      it('concurrent inserts get distinct, gapless numbers', async () => {
        const jobs = await Promise.all(
          [...Array(8).keys()].map((i) => state.jobStore.insertJob(job('batch', `1.0.${i}`), {})),
        );
        expect(jobs.map((j) => j.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      });

      it('lists by filter in submission order; pending per queue; allocated', async () => {
        const { jobStore } = state;
        await jobStore.insertJob(job('b', '1.0.0', { queue: 'gpu' }), {});
        await jobStore.insertJob(job('a', '1.0.0', { owner: 'bob' }), {});
        await jobStore.insertJob(job('a', '2.0.0', { state: 'RUNNING', agentId: 'agent-1' }), {});
        await jobStore.insertJob(job('c', '1.0.0', { state: 'SCHEDULED', agentId: 'agent-2' }), {});
        await jobStore.insertJob(job('d', '1.0.0', { state: 'FAILED' }), {});
        await jobStore.insertJob(job('e', '1.0.0'), {});
        const names = (jobs: JobRecord[]) => jobs.map((j) => `${j.name}@${j.version}`);
        expect(names(await jobStore.listJobs())).toEqual([
          'b@1.0.0',
          'a@1.0.0',
          'a@2.0.0',
          'c@1.0.0',
          'd@1.0.0',
          'e@1.0.0',
        ]);
        expect(names(await jobStore.listJobs({ name: 'a' }))).toEqual(['a@1.0.0', 'a@2.0.0']);
        expect(names(await jobStore.listJobs({ name: 'a', version: '2.0.0' }))).toEqual(['a@2.0.0']);
        expect(names(await jobStore.listJobs({ owner: 'bob' }))).toEqual(['a@1.0.0']);
        expect(names(await jobStore.listJobs({ queue: 'gpu' }))).toEqual(['b@1.0.0']);
        expect(names(await jobStore.listJobs({ state: 'PENDING', queue: 'default' }))).toEqual(['a@1.0.0', 'e@1.0.0']);
        expect(names(await jobStore.pendingJobs('default'))).toEqual(['a@1.0.0', 'e@1.0.0']);
        expect(names(await jobStore.pendingJobs('none'))).toEqual([]);
        expect(names(await jobStore.allocatedJobs())).toEqual(['a@2.0.0', 'c@1.0.0']);
      });

      it('transition applies only from the given states, with its patch, and records the event', async () => {
        const { jobStore } = state;
        const inserted = await jobStore.insertJob(job('web', '1.0.0', { state: 'SCHEDULED', agentId: 'agent-1' }), {});
        expect(
          await jobStore.transition(inserted.id, { from: ['PENDING'], to: 'RUNNING', reason: 'no' }),
        ).toBeUndefined();
        expect(await jobStore.transition('nope', { from: ['PENDING'], to: 'RUNNING', reason: 'no' })).toBeUndefined();
        const runtime = { replicas: [{ index: 0, state: 'running' }] } as unknown as JobRecord['runtime'];
        const moved = await jobStore.transition(inserted.id, {
          from: ['SCHEDULED', 'PREPARING'],
          to: 'RUNNING',
          reason: 'started',
          patch: { runtime, attempts: 2, notice: 'hm' },
        });
        expect(moved).toMatchObject({
          state: 'RUNNING',
          reason: 'started',
          runtime,
          attempts: 2,
          notice: 'hm',
          agentId: 'agent-1',
          seq: 1,
        });
        expect(await jobStore.getJob(inserted.id)).toEqual(moved);
        const cleared = await jobStore.transition(inserted.id, {
          from: ['RUNNING'],
          to: 'TERMINATED',
          reason: 'stopped',
          patch: { agentId: null, notice: null },
        });
        expect(cleared).toMatchObject({ state: 'TERMINATED', agentId: null, notice: null, attempts: 2 });
        expect(await jobStore.getJob(inserted.id)).toEqual(cleared);
        expect((await jobStore.listEvents(inserted.id)).map((e) => [e.from, e.to, e.reason])).toEqual([
          [null, 'SCHEDULED', 'submitted'],
          ['SCHEDULED', 'RUNNING', 'started'],
          ['RUNNING', 'TERMINATED', 'stopped'],
        ]);
      });

      it('of two racing transitions from one state, exactly one moves the job', async () => {
        const { jobStore } = state;
        const inserted = await jobStore.insertJob(job('web', '1.0.0'), {});
        const results = await Promise.all([
          jobStore.transition(inserted.id, { from: ['PENDING'], to: 'CANCELLED', reason: 'cancelled' }),
          jobStore.transition(inserted.id, {
            from: ['PENDING'],
            to: 'SCHEDULED',
            reason: 'placed',
            patch: { agentId: 'a' },
          }),
        ]);
        expect(results.filter((r) => r !== undefined)).toHaveLength(1);
        expect(await jobStore.listEvents(inserted.id)).toHaveLength(2);
      });

      it('commitPass reserves PENDING placements, records why the rest wait, in one go', async () => {
        const { jobStore } = state;
        const a = await jobStore.insertJob(job('a', '1.0.0'), {});
        const b = await jobStore.insertJob(job('b', '1.0.0'), {});
        const c = await jobStore.insertJob(job('c', '1.0.0', { state: 'CANCELLED' }), {});
        const d = await jobStore.insertJob(job('d', '1.0.0'), {});
        const e = await jobStore.insertJob(job('e', '1.0.0', { state: 'RUNNING' }), {});
        const at = '2024-06-01T00:00:00.000Z';
        const reserved = await jobStore.commitPass(
          {
            placements: [
              { jobId: b.id, agentId: 'agent-2' },
              { jobId: a.id, agentId: 'agent-1' },
              { jobId: c.id, agentId: 'agent-1' },
              { jobId: 'gone', agentId: 'agent-1' },
            ],
            waiting: [
              { jobId: d.id, reason: 'no agent has 1 cpu free' },
              { jobId: e.id, reason: 'ignored' },
              { jobId: a.id, reason: 'ignored too' },
            ],
          },
          at,
        );
        expect(reserved).toEqual([b.id, a.id]);
        expect(await jobStore.getJob(a.id)).toMatchObject({
          state: 'SCHEDULED',
          agentId: 'agent-1',
          reason: 'placed on agent agent-1',
          updatedAt: at,
          attempts: 0,
        });
        expect(await jobStore.getJob(b.id)).toMatchObject({
          state: 'SCHEDULED',
          agentId: 'agent-2',
          reason: 'placed on agent agent-2',
        });
        expect(await jobStore.getJob(c.id)).toMatchObject({ state: 'CANCELLED', agentId: null });
        expect(await jobStore.getJob(d.id)).toMatchObject({
          state: 'PENDING',
          reason: 'no agent has 1 cpu free',
          attempts: 1,
          updatedAt: at,
        });
        expect(await jobStore.getJob(e.id)).toMatchObject({ state: 'RUNNING', reason: 'submitted', attempts: 0 });
        expect((await jobStore.listEvents(a.id)).at(-1)).toEqual({
          jobId: a.id,
          at,
          from: 'PENDING',
          to: 'SCHEDULED',
          reason: 'placed on agent agent-1',
        });
        expect(await jobStore.listEvents(c.id)).toHaveLength(1);
        expect(await jobStore.listEvents(d.id)).toHaveLength(1);

        expect(
          await jobStore.commitPass({ placements: [{ jobId: a.id, agentId: 'agent-3' }], waiting: [] }, at),
        ).toEqual([]);
        expect(await jobStore.commitPass({ placements: [], waiting: [] }, at)).toEqual([]);
      });

      it('of two replicas placing the same jobs at once, each job is reserved by one only', async () => {
        const other = await backend.open();
        try {
          const ids = (
            await Promise.all([...Array(6).keys()].map((i) => state.jobStore.insertJob(job('j', `1.0.${i}`), {})))
          ).map((j) => j.id);
          const pass = (agentId: string) => ({ placements: ids.map((jobId) => ({ jobId, agentId })), waiting: [] });
          const [mine, theirs] = await Promise.all([
            state.jobStore.commitPass(pass('agent-1'), '2024-01-01T00:00:00.000Z'),
            other.jobStore.commitPass(pass('agent-2'), '2024-01-01T00:00:00.000Z'),
          ]);
          expect([...mine, ...theirs].sort()).toEqual([...ids].sort());
          for (const id of ids)
            expect((await state.jobStore.listEvents(id)).filter((e) => e.to === 'SCHEDULED')).toHaveLength(1);
        } finally {
          await other.close();
        }
      });

      it('the generation moves with every write, not with reads', async () => {
        const { jobStore } = state;
        const start = jobStore.generation;
        const a = await jobStore.insertJob(job('a', '1.0.0'), {});
        const afterInsert = jobStore.generation;
        expect(afterInsert).toBeGreaterThan(start);
        await jobStore.listJobs();
        await jobStore.getJob(a.id);
        await jobStore.listEvents(a.id);
        expect(jobStore.generation).toBe(afterInsert);
        let last = afterInsert;
        const writes = [
          () => jobStore.transition(a.id, { from: ['PENDING'], to: 'PENDING', reason: 'again' }),
          () => jobStore.transition(a.id, { from: ['RUNNING'], to: 'PENDING', reason: 'refused' }),
          () =>
            jobStore.commitPass(
              { placements: [], waiting: [{ jobId: a.id, reason: 'wait' }] },
              '2024-01-01T00:00:00.000Z',
            ),
          () => jobStore.setNotice(a.id, 'note'),
          () => jobStore.putQueue({ name: 'q', scheduler: 'fifo' }),
          () => jobStore.deleteJob(a.id),
        ];
        for (const write of writes) {
          await write();
          expect(jobStore.generation).toBeGreaterThan(last);
          last = jobStore.generation;
        }
      });

      it('notice, delete with secrets and events, queues', async () => {
        const { jobStore } = state;
        const a = await jobStore.insertJob(job('a', '1.0.0'), { K: 'v' });
        await jobStore.setNotice(a.id, 'job type python3:1.2.0 was uninstalled');
        expect(await jobStore.getJob(a.id)).toMatchObject({
          notice: 'job type python3:1.2.0 was uninstalled',
          state: 'PENDING',
        });
        await jobStore.setNotice(a.id, null);
        expect((await jobStore.getJob(a.id))?.notice).toBeNull();
        await jobStore.deleteJob(a.id);
        expect(await jobStore.getJob(a.id)).toBeUndefined();
        expect(await jobStore.getSecrets(a.id)).toEqual({});
        expect(await jobStore.listEvents(a.id)).toEqual([]);
        expect((await jobStore.insertJob(job('a', '1.0.0'), {})).seq).toBe(1);

        expect(await jobStore.getQueue('gpu')).toBeUndefined();
        await jobStore.putQueue({ name: 'gpu', scheduler: 'fifo', maxJobsPerOwner: 2 });
        await jobStore.putQueue({ name: 'default', scheduler: 'fifo' });
        await jobStore.putQueue({ name: 'gpu', scheduler: 'fair', quotaPerOwner: { gpu: 1 } });
        expect(await jobStore.getQueue('gpu')).toEqual({ name: 'gpu', scheduler: 'fair', quotaPerOwner: { gpu: 1 } });
        expect((await jobStore.listQueues()).map((q) => q.name)).toEqual(['default', 'gpu']);
      });
    });

    describe('volumes', () => {
      it('records, lists by backend and name, shares, delete drops the shares', async () => {
        const { volumeStore } = state;
        const vol = (backend: string, name: string) => ({
          backend,
          name,
          owner: 'alice',
          createdAt: '2024-01-01T00:00:00.000Z',
        });
        await volumeStore.insertVolume(vol('local', 'data'));
        await volumeStore.insertVolume(vol('local', 'Archive'));
        await volumeStore.insertVolume(vol('s3', 'data'));
        await expect(volumeStore.insertVolume(vol('local', 'data'))).rejects.toMatchObject({
          code: 'KRN_ERR_STATE',
          details: { operation: 'insertVolume' },
        });
        expect(await volumeStore.getVolume('local', 'data')).toEqual(vol('local', 'data'));
        expect(await volumeStore.getVolume('local', 'nope')).toBeUndefined();
        expect((await volumeStore.listVolumes()).map((v) => `${v.backend}:${v.name}`)).toEqual([
          'local:Archive',
          'local:data',
          's3:data',
        ]);

        await volumeStore.putShare('local', 'data', 'bob', 'ro');
        await volumeStore.putShare('local', 'data', 'group:ops', 'rw');
        await volumeStore.putShare('local', 'data', 'bob', 'rw');
        await volumeStore.putShare('s3', 'data', 'carol', 'ro');
        expect(await volumeStore.listShares('local', 'data')).toEqual([
          { grantee: 'bob', mode: 'rw' },
          { grantee: 'group:ops', mode: 'rw' },
        ]);
        await volumeStore.putShare('local', 'data', 'bob', null);
        await volumeStore.putShare('local', 'data', 'nobody', null);
        expect(await volumeStore.listShares('local', 'data')).toEqual([{ grantee: 'group:ops', mode: 'rw' }]);
        await volumeStore.deleteVolume('local', 'data');
        expect(await volumeStore.getVolume('local', 'data')).toBeUndefined();
        expect(await volumeStore.listShares('local', 'data')).toEqual([]);
        expect(await volumeStore.listShares('s3', 'data')).toEqual([{ grantee: 'carol', mode: 'ro' }]);
      });
    });

    describe('migrations', () => {
      const applied = async () =>
        (await backend.raw('SELECT version, name FROM schema_migrations ORDER BY version')).map((r) => ({
          version: Number(r.version),
          name: r.name,
        }));

      it('are applied once; re-opening (twice at once) is idempotent and keeps the data', async () => {
        expect(await state.store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
        await state.store.putConfig('hello', { greeting: 'hi' });
        await state.close();
        const [one, two] = await Promise.all([backend.open(), backend.open()]);
        expect(await one.store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
        expect(await two.store.getConfig('hello')).toEqual({ greeting: 'hi' });
        await one.close();
        await two.close();
        expect(await applied()).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
        state = await backend.open();
      });

      it('two kernels migrating an empty database at once apply each migration once', async () => {
        await state.close();
        await backend.reset();
        const [one, two] = await Promise.all([backend.open(), backend.open()]);
        await one.close();
        await two.close();
        expect(await applied()).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
        state = await backend.open();
      });

      it('apply only what a database lacks, and roll a failing migration back naming it', async () => {
        await state.close();
        await backend.reset();
        expect(await backend.migrate(MIGRATIONS.slice(0, 1))).toBe(1);
        await backend.raw("INSERT INTO plugin_config (name, config_json, updated_at) VALUES ('a', '{}', 'now')");
        const broken: Migration[] = [
          ...MIGRATIONS,
          { version: 99, name: 'broken', up: 'CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table' },
        ];
        await expect(backend.migrate(broken)).rejects.toMatchObject({
          code: 'KRN_ERR_STATE',
          message: expect.stringMatching(/migration 99 \(broken\)/),
        });
        expect(await applied()).toHaveLength(MIGRATIONS.length);
        await expect(backend.raw('SELECT * FROM half_done')).rejects.toThrow(/half_done/);
        state = await backend.open();
        expect(await state.store.getConfig('a')).toEqual({});
      });

      it('refuse a database written by a newer kernel', async () => {
        await state.close();
        await backend.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'now')", [
          LATEST_SCHEMA_VERSION + 1,
        ]);
        await expect(backend.open()).rejects.toMatchObject({
          code: 'KRN_ERR_STATE',
          message: expect.stringMatching(
            new RegExp(`version ${LATEST_SCHEMA_VERSION + 1}.*up to ${LATEST_SCHEMA_VERSION}.*upgrade the kernel`),
          ),
        });
        await backend.raw('DELETE FROM schema_migrations WHERE version > ?', [LATEST_SCHEMA_VERSION]);
        state = await backend.open();
      });
    });

    it('after close, calls reject with KRN_ERR_STATE naming the operation; close is idempotent', async () => {
      await state.close();
      await state.close();
      await expect(state.store.listPlugins()).rejects.toMatchObject({
        code: 'KRN_ERR_STATE',
        details: { operation: 'listPlugins' },
      });
      await expect(state.jobStore.listJobs()).rejects.toMatchObject({
        code: 'KRN_ERR_STATE',
        details: { operation: 'listJobs' },
      });
      await expect(state.volumeStore.listVolumes()).rejects.toMatchObject({
        code: 'KRN_ERR_STATE',
        details: { operation: 'listVolumes' },
      });
      state = await backend.open();
    });
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
