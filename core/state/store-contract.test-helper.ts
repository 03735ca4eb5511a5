/**
 * The backends the store contract tests run on (SQLite, and PostgreSQL when a server is there),
 * the records they use, and `describeStoreContract`, which runs a block of scenarios on each with
 * a fresh, migrated database per scenario.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { createTestDatabase, type TestDatabase } from '../../tests/helpers/pg-test-database.js';
import type { JobRecord } from './job-record.js';
import type { Migration } from './migrations.js';
import { type OpenState, openState } from './open-state.js';
import { migratePostgres } from './pg-migrate.js';
import { migrateSqlite } from './sqlite-store.js';
import type { PluginRecord, TokenRecord } from './store.js';

export type Row = Record<string, unknown>;

/** What a scenario needs of a backend beyond the stores: a fresh database, raw SQL, the migrator. */
export interface Backend {
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

export const manifest: PluginManifest = {
  name: 'hello',
  version: '1.0.0',
  category: 'core',
  main: 'dist/index.cjs',
  engines: { spindle: '^1.0.0' },
  configSchema: { type: 'object', properties: { greeting: { type: 'string' } } },
};

export const plugin = (name: string, version: string, over: Partial<PluginRecord> = {}): PluginRecord => ({
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

export const token = (id: string, hash: string, over: Partial<TokenRecord> = {}): TokenRecord => ({
  id,
  name: `token ${id}`,
  hash,
  kind: 'user',
  createdAt: '2024-01-01T00:00:00.000Z',
  expiresAt: null,
  revokedAt: null,
  ...over,
});

export const job = (name: string, version: string, over: Partial<JobRecord> = {}): Omit<JobRecord, 'seq'> => ({
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

export interface ContractContext {
  readonly backend: Backend;
  /** The open state of this scenario (a scenario may close and re-open it). */
  state: OpenState;
}

/** Run `body`'s scenarios on SQLite and on PostgreSQL (unless `skipPostgres`), each on a fresh database. */
export function describeStoreContract(title: string, skipPostgres: boolean, body: (t: ContractContext) => void): void {
  describe.each([
    { backend: sqliteBackend(), skip: false },
    { backend: postgresBackend(), skip: skipPostgres },
  ])(`$backend.name state: ${title}`, ({ backend, skip }) => {
    describe.skipIf(skip)('contract', () => {
      const t: ContractContext = { backend, state: undefined as unknown as OpenState };
      beforeAll(() => backend.setup());
      afterAll(() => backend.teardown());
      beforeEach(async () => {
        await backend.reset();
        t.state = await backend.open();
      });
      afterEach(() => t.state.close());
      body(t);
    });
  });
}
