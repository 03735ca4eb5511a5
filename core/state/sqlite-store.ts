import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { KernelError } from '../errors/kernel-error.js';
import { MIGRATIONS, type Migration, migrationSql, SCHEMA_MIGRATIONS_DDL } from './migrations.js';
import { newerSchemaError, stateError } from './state-error.js';
import {
  clampLimit,
  familyPattern,
  maybe,
  parseObject,
  type Row,
  toActivity,
  toDesired,
  toDropIn,
  toPlugin,
  toToken,
} from './state-rows.js';
import type {
  ActivityEntry,
  ActivityFilter,
  DesiredPlugin,
  DropInRecord,
  PluginRecord,
  PluginState,
  StateStore,
  TokenRecord,
} from './store.js';

const BUSY_TIMEOUT_MS = 5_000;

type Stmt = Database.Statement<unknown[], Row>;

/**
 * Applies the migrations the database lacks, each in its own IMMEDIATE transaction (so two
 * processes opening one file do not both apply it). Refuses a database newer than `migrations`.
 */
export function migrateSqlite(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  db.exec(SCHEMA_MIGRATIONS_DDL);
  const maxVersion = db.prepare('SELECT MAX(version) FROM schema_migrations').pluck();
  const current = () => (maxVersion.get() as number | null) ?? 0;
  const refuseNewer = (version: number) => {
    if (version > known) throw newerSchemaError(version, known);
  };
  refuseNewer(current());
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (isApplied.get(migration.version) !== undefined) continue;
    const apply = db.transaction(() => {
      // Checked again under the write lock: another process may have migrated since we looked.
      refuseNewer(current());
      if (isApplied.get(migration.version) !== undefined) return;
      db.exec(migrationSql(migration, 'sqlite'));
      record.run(migration.version, migration.name, new Date().toISOString());
    });
    try {
      apply.immediate();
    } catch (error) {
      throw stateError(`migration ${migration.version} (${migration.name})`, error);
    }
  }
  return current();
}

/** The StateStore on one SQLite file (better-sqlite3 is synchronous; the methods resolve at once). */
export class SqliteStore implements StateStore {
  private readonly db: Database.Database;
  private readonly stmts: Record<keyof typeof SQL, Stmt>;
  private readonly activityQueries = new Map<string, Stmt>();
  private readonly putDesiredTx: (d: DesiredPlugin) => void;
  private readonly deleteDesiredTx: (name: string) => void;

  constructor(db: Database.Database) {
    this.db = db;
    const stmts = Object.fromEntries(Object.entries(SQL).map(([key, sql]) => [key, db.prepare(sql) as Stmt])) as Record<
      keyof typeof SQL,
      Stmt
    >;
    this.stmts = stmts;
    this.putDesiredTx = db.transaction((d: DesiredPlugin) => {
      const { changes } = stmts.putDesired.run(d.name, d.pinnedVersion ?? null, d.enabled ? 1 : 0);
      if (changes > 0) stmts.bumpGeneration.run();
    });
    this.deleteDesiredTx = db.transaction((name: string) => {
      if (stmts.deleteDesired.run(name).changes > 0) stmts.bumpGeneration.run();
    });
  }

  /** The open connection, shared by the other stores on the same file (jobs). */
  get database(): Database.Database {
    return this.db;
  }

  /** Runs `fn`, turning any SQLite (or JSON) failure into KRN_ERR_STATE naming the operation. */
  private op<T>(operation: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw stateError(operation, error);
    }
  }

  async listPlugins(): Promise<PluginRecord[]> {
    return this.op('listPlugins', () => this.stmts.listPlugins.all().map(toPlugin));
  }

  async getPlugin(name: string, version: string): Promise<PluginRecord | undefined> {
    return this.op('getPlugin', () => maybe(this.stmts.getPlugin.get(name, version), toPlugin));
  }

  async putPlugin(r: PluginRecord): Promise<void> {
    this.op('putPlugin', () => {
      const manifest = JSON.stringify(r.manifest);
      this.stmts.putPlugin.run(
        r.name,
        r.version,
        r.state,
        r.error ?? null,
        manifest,
        r.sha256,
        r.source,
        r.installedAt,
      );
    });
  }

  async setPluginState(name: string, version: string, state: PluginState, error: string | null): Promise<void> {
    const run = () => this.stmts.setPluginState.run(state, error ?? null, name, version);
    // A lost state change would go unnoticed, so an unknown version is an error, not a no-op.
    if (this.op('setPluginState', run).changes === 0) {
      throw new KernelError('KRN_ERR_PLUGIN_NOT_FOUND', `${name}@${version} is not installed`, { plugin: name });
    }
  }

  async deletePlugin(name: string, version: string): Promise<void> {
    this.op('deletePlugin', () => this.stmts.deletePlugin.run(name, version));
  }

  async listDesired(): Promise<DesiredPlugin[]> {
    return this.op('listDesired', () => this.stmts.listDesired.all().map(toDesired));
  }

  async getDesired(name: string): Promise<DesiredPlugin | undefined> {
    return this.op('getDesired', () => maybe(this.stmts.getDesired.get(name), toDesired));
  }

  async putDesired(d: DesiredPlugin): Promise<void> {
    this.op('putDesired', () => this.putDesiredTx(d));
  }

  async deleteDesired(name: string): Promise<void> {
    this.op('deleteDesired', () => this.deleteDesiredTx(name));
  }

  async getConfig(name: string): Promise<Record<string, unknown> | undefined> {
    return this.op('getConfig', () => maybe(this.stmts.getConfig.get(name), (r) => parseObject(r.config_json)));
  }

  async putConfig(name: string, config: Record<string, unknown>): Promise<void> {
    this.op('putConfig', () => this.stmts.putConfig.run(name, JSON.stringify(config), new Date().toISOString()));
  }

  async deleteConfig(name: string): Promise<void> {
    this.op('deleteConfig', () => this.stmts.deleteConfig.run(name));
  }

  async addActivity(entry: Omit<ActivityEntry, 'id' | 'at'> & { at?: string }): Promise<ActivityEntry> {
    return this.op('addActivity', () => {
      const { actor, action, subject, outcome } = entry;
      const at = entry.at ?? new Date().toISOString();
      const plugin = entry.plugin ?? null;
      const details = entry.details ?? {};
      const json = JSON.stringify(details);
      const { lastInsertRowid } = this.stmts.addActivity.run(at, actor, action, subject, plugin, outcome, json);
      return { id: Number(lastInsertRowid), at, actor, action, subject, plugin, outcome, details };
    });
  }

  async listActivity(filter: ActivityFilter = {}): Promise<ActivityEntry[]> {
    return this.op('listActivity', () => {
      const where: string[] = [];
      const params: unknown[] = [];
      for (const column of ['plugin', 'actor', 'action'] as const) {
        if (filter[column] === undefined) continue;
        where.push(`${column} = ?`);
        params.push(filter[column]);
      }
      if (filter.family !== undefined) {
        where.push("action LIKE 'job.%' AND subject LIKE ? ESCAPE '\\'");
        params.push(familyPattern(filter.family));
      }
      if (filter.job !== undefined) {
        where.push("action LIKE 'job.%' AND subject = ?");
        params.push(filter.job);
      }
      if (filter.beforeId !== undefined) {
        where.push('id < ?');
        params.push(filter.beforeId);
      }
      const sql = `SELECT * FROM activity ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      // At most 64 filter shapes, each prepared once on first use.
      let stmt = this.activityQueries.get(sql);
      if (!stmt) {
        stmt = this.db.prepare(sql) as Stmt;
        this.activityQueries.set(sql, stmt);
      }
      return stmt.all(...params, clampLimit(filter.limit)).map(toActivity);
    });
  }

  async getSetting<T>(key: string): Promise<T | undefined> {
    return this.op('getSetting', () => {
      const value = this.db.prepare('SELECT value_json FROM settings WHERE key = ?').pluck().get(key) as
        | string
        | undefined;
      return value === undefined ? undefined : (JSON.parse(value) as T);
    });
  }

  async putSetting(key: string, value: unknown): Promise<void> {
    this.op('putSetting', () =>
      this.db
        .prepare(
          'INSERT INTO settings (key, value_json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json',
        )
        .run(key, JSON.stringify(value)),
    );
  }

  async putToken(t: TokenRecord): Promise<void> {
    this.op('putToken', () =>
      this.stmts.putToken.run(t.id, t.name, t.hash, t.kind, t.createdAt, t.expiresAt ?? null, t.revokedAt ?? null),
    );
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.op('findTokenByHash', () => maybe(this.stmts.findTokenByHash.get(hash), toToken));
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.op('listTokens', () => this.stmts.listTokens.all().map(toToken));
  }

  /** Keeps the first revocation time if the token is revoked twice; an unknown id is a no-op. */
  async revokeToken(id: string, at: string): Promise<void> {
    this.op('revokeToken', () => this.stmts.revokeToken.run(at, id));
  }

  async listDropIns(): Promise<DropInRecord[]> {
    return this.op('listDropIns', () => this.stmts.listDropIns.all().map(toDropIn));
  }

  async getDropIn(file: string): Promise<DropInRecord | undefined> {
    return this.op('getDropIn', () => maybe(this.stmts.getDropIn.get(file), toDropIn));
  }

  async putDropIn(r: DropInRecord): Promise<void> {
    this.op('putDropIn', () => this.stmts.putDropIn.run(r.file, r.sha256, r.name, r.version));
  }

  async deleteDropIn(file: string): Promise<void> {
    this.op('deleteDropIn', () => this.stmts.deleteDropIn.run(file));
  }

  async schemaVersion(): Promise<number> {
    return this.op('schemaVersion', () => (this.stmts.schemaVersion.get()?.v as number | null) ?? 0);
  }

  async close(): Promise<void> {
    this.op('close', () => this.db.open && this.db.close());
  }
}

/** Opens (creating if need be) the state database at `file` and brings its schema up to date. */
export function openSqliteStore(file: string): SqliteStore {
  const memory = file === ':memory:';
  let db: Database.Database | undefined;
  try {
    if (!memory) mkdirSync(dirname(file), { recursive: true });
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    // WAL lets readers run beside the writer; NORMAL sync is durable enough under WAL.
    for (const pragma of ['journal_mode = WAL', 'synchronous = NORMAL', 'foreign_keys = ON']) db.pragma(pragma);
    migrateSqlite(db);
    return new SqliteStore(db);
  } catch (error) {
    if (db?.open) db.close();
    throw stateError(`open of ${memory ? 'in-memory database' : file}`, error);
  }
}

/** A fresh, private in-memory store, for tests and the SDK test kit. */
export function openMemoryStore(): SqliteStore {
  return openSqliteStore(':memory:');
}

const SQL = {
  listPlugins: 'SELECT * FROM plugins ORDER BY name, installed_at, version',
  getPlugin: 'SELECT * FROM plugins WHERE name = ? AND version = ?',
  putPlugin: `INSERT INTO plugins (name, version, state, error, manifest_json, sha256, source, installed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (name, version) DO UPDATE SET state = excluded.state, error = excluded.error,
      manifest_json = excluded.manifest_json, sha256 = excluded.sha256, source = excluded.source,
      installed_at = excluded.installed_at`,
  setPluginState: 'UPDATE plugins SET state = ?, error = ? WHERE name = ? AND version = ?',
  deletePlugin: 'DELETE FROM plugins WHERE name = ? AND version = ?',
  listDesired: 'SELECT * FROM desired_plugins ORDER BY name',
  getDesired: 'SELECT * FROM desired_plugins WHERE name = ?',
  // The WHERE makes an unchanged row report 0 changes, so the generation moves only on real change.
  putDesired: `INSERT INTO desired_plugins (name, pinned_version, enabled) VALUES (?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET pinned_version = excluded.pinned_version, enabled = excluded.enabled
    WHERE desired_plugins.pinned_version IS NOT excluded.pinned_version OR desired_plugins.enabled <> excluded.enabled`,
  deleteDesired: 'DELETE FROM desired_plugins WHERE name = ?',
  bumpGeneration: 'UPDATE desired_generation SET generation = generation + 1 WHERE id = 1',
  getConfig: 'SELECT config_json FROM plugin_config WHERE name = ?',
  putConfig: `INSERT INTO plugin_config (name, config_json, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET config_json = excluded.config_json, updated_at = excluded.updated_at`,
  deleteConfig: 'DELETE FROM plugin_config WHERE name = ?',
  addActivity: `INSERT INTO activity (at, actor, action, subject, plugin, outcome, details_json)
    VALUES (?, ?, ?, ?, ?, ?, ?)`,
  putToken: `INSERT INTO tokens (id, name, hash, kind, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, hash = excluded.hash, kind = excluded.kind,
      created_at = excluded.created_at, expires_at = excluded.expires_at, revoked_at = excluded.revoked_at`,
  findTokenByHash: 'SELECT * FROM tokens WHERE hash = ?',
  listTokens: 'SELECT * FROM tokens ORDER BY created_at, id',
  revokeToken: 'UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?',
  listDropIns: 'SELECT * FROM drop_in_files ORDER BY file',
  getDropIn: 'SELECT * FROM drop_in_files WHERE file = ?',
  putDropIn: `INSERT INTO drop_in_files (file, sha256, name, version) VALUES (?, ?, ?, ?)
    ON CONFLICT (file) DO UPDATE SET sha256 = excluded.sha256, name = excluded.name, version = excluded.version`,
  deleteDropIn: 'DELETE FROM drop_in_files WHERE file = ?',
  schemaVersion: 'SELECT MAX(version) AS v FROM schema_migrations',
} as const;
