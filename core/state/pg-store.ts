import type pg from 'pg';
import { KernelError } from '../errors/kernel-error.js';
import { stateError } from './state-error.js';
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

/**
 * The StateStore on PostgreSQL, for several kernel replicas on one database. Same tables and records
 * as the SQLite store; text sorts under `COLLATE "C"` so the order is SQLite's byte order whatever
 * the database's locale.
 */
export class PgStore implements StateStore {
  private closing: Promise<void> | undefined;

  constructor(private readonly db: pg.Pool) {}

  /** The pool, shared by the other stores on the same database (jobs, volumes). */
  get pool(): pg.Pool {
    return this.db;
  }

  /** Runs `fn`, turning any PostgreSQL (or JSON) failure into KRN_ERR_STATE naming the operation. */
  private async op<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw stateError(operation, error);
    }
  }

  private async rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.db.query<Row>(sql, params)).rows;
  }

  private async row(sql: string, params: unknown[] = []): Promise<Row | undefined> {
    return (await this.rows(sql, params))[0];
  }

  private async exec(sql: string, params: unknown[] = []): Promise<number> {
    return (await this.db.query(sql, params)).rowCount ?? 0;
  }

  listPlugins(): Promise<PluginRecord[]> {
    return this.op('listPlugins', async () => (await this.rows(SQL.listPlugins)).map(toPlugin));
  }

  getPlugin(name: string, version: string): Promise<PluginRecord | undefined> {
    return this.op('getPlugin', async () => maybe(await this.row(SQL.getPlugin, [name, version]), toPlugin));
  }

  async putPlugin(r: PluginRecord): Promise<void> {
    await this.op('putPlugin', () =>
      this.exec(SQL.putPlugin, [
        r.name,
        r.version,
        r.state,
        r.error ?? null,
        JSON.stringify(r.manifest),
        r.sha256,
        r.source,
        r.installedAt,
      ]),
    );
  }

  async setPluginState(name: string, version: string, state: PluginState, error: string | null): Promise<void> {
    const changed = await this.op('setPluginState', () =>
      this.exec(SQL.setPluginState, [state, error ?? null, name, version]),
    );
    // A lost state change would go unnoticed, so an unknown version is an error, not a no-op.
    if (changed === 0) {
      throw new KernelError('KRN_ERR_PLUGIN_NOT_FOUND', `${name}@${version} is not installed`, { plugin: name });
    }
  }

  async deletePlugin(name: string, version: string): Promise<void> {
    await this.op('deletePlugin', () => this.exec(SQL.deletePlugin, [name, version]));
  }

  listDesired(): Promise<DesiredPlugin[]> {
    return this.op('listDesired', async () => (await this.rows(SQL.listDesired)).map(toDesired));
  }

  getDesired(name: string): Promise<DesiredPlugin | undefined> {
    return this.op('getDesired', async () => maybe(await this.row(SQL.getDesired, [name]), toDesired));
  }

  async putDesired(d: DesiredPlugin): Promise<void> {
    await this.op('putDesired', () => this.exec(SQL.putDesired, [d.name, d.pinnedVersion ?? null, d.enabled ? 1 : 0]));
  }

  async deleteDesired(name: string): Promise<void> {
    await this.op('deleteDesired', () => this.exec(SQL.deleteDesired, [name]));
  }

  getConfig(name: string): Promise<Record<string, unknown> | undefined> {
    return this.op('getConfig', async () =>
      maybe(await this.row(SQL.getConfig, [name]), (r) => parseObject(r.config_json)),
    );
  }

  async putConfig(name: string, config: Record<string, unknown>): Promise<void> {
    await this.op('putConfig', () =>
      this.exec(SQL.putConfig, [name, JSON.stringify(config), new Date().toISOString()]),
    );
  }

  async deleteConfig(name: string): Promise<void> {
    await this.op('deleteConfig', () => this.exec(SQL.deleteConfig, [name]));
  }

  addActivity(entry: Omit<ActivityEntry, 'id' | 'at'> & { at?: string }): Promise<ActivityEntry> {
    return this.op('addActivity', async () => {
      const { actor, action, subject, outcome } = entry;
      const at = entry.at ?? new Date().toISOString();
      const plugin = entry.plugin ?? null;
      const details = entry.details ?? {};
      const row = await this.row(SQL.addActivity, [
        at,
        actor,
        action,
        subject,
        plugin,
        outcome,
        JSON.stringify(details),
      ]);
      // BIGINT comes back as a string.
      return { id: Number(row!.id), at, actor, action, subject, plugin, outcome, details };
    });
  }

  listActivity(filter: ActivityFilter = {}): Promise<ActivityEntry[]> {
    return this.op('listActivity', async () => {
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown): string => `$${params.push(value)}`;
      for (const column of ['plugin', 'actor', 'action'] as const) {
        if (filter[column] !== undefined) where.push(`${column} = ${param(filter[column])}`);
      }
      // SQLite's LIKE ignores ASCII case only; lower() under "C" folds ASCII only, so both match alike.
      if (filter.family !== undefined) {
        where.push(
          `${JOB_ACTION} AND lower(subject COLLATE "C") LIKE lower(${param(familyPattern(filter.family))}::text COLLATE "C")`,
        );
      }
      if (filter.job !== undefined) where.push(`${JOB_ACTION} AND subject = ${param(filter.job)}`);
      // Ids are integers: rounding up keeps `id < before` the same and within BIGINT.
      if (filter.beforeId !== undefined)
        where.push(`id < ${param(Math.ceil(Math.min(filter.beforeId, Number.MAX_SAFE_INTEGER)))}`);
      const limit = param(clampLimit(filter.limit));
      const sql = `SELECT * FROM activity ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`;
      return (await this.rows(sql, params)).map(toActivity);
    });
  }

  getSetting<T>(key: string): Promise<T | undefined> {
    return this.op('getSetting', async () =>
      maybe(
        await this.row('SELECT value_json FROM settings WHERE key = $1', [key]),
        (r) => JSON.parse(r.value_json as string) as T,
      ),
    );
  }

  async putSetting(key: string, value: unknown): Promise<void> {
    await this.op('putSetting', () => this.exec(SQL.putSetting, [key, JSON.stringify(value)]));
  }

  async putToken(t: TokenRecord): Promise<void> {
    await this.op('putToken', () =>
      this.exec(SQL.putToken, [t.id, t.name, t.hash, t.kind, t.createdAt, t.expiresAt ?? null, t.revokedAt ?? null]),
    );
  }

  findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.op('findTokenByHash', async () =>
      maybe(await this.row('SELECT * FROM tokens WHERE hash = $1', [hash]), toToken),
    );
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.op('listTokens', async () => (await this.rows(SQL.listTokens)).map(toToken));
  }

  /** Keeps the first revocation time if the token is revoked twice; an unknown id is a no-op. */
  async revokeToken(id: string, at: string): Promise<void> {
    await this.op('revokeToken', () =>
      this.exec('UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2', [at, id]),
    );
  }

  listDropIns(): Promise<DropInRecord[]> {
    return this.op('listDropIns', async () =>
      (await this.rows('SELECT * FROM drop_in_files ORDER BY file COLLATE "C"')).map(toDropIn),
    );
  }

  getDropIn(file: string): Promise<DropInRecord | undefined> {
    return this.op('getDropIn', async () =>
      maybe(await this.row('SELECT * FROM drop_in_files WHERE file = $1', [file]), toDropIn),
    );
  }

  async putDropIn(r: DropInRecord): Promise<void> {
    await this.op('putDropIn', () => this.exec(SQL.putDropIn, [r.file, r.sha256, r.name, r.version]));
  }

  async deleteDropIn(file: string): Promise<void> {
    await this.op('deleteDropIn', () => this.exec('DELETE FROM drop_in_files WHERE file = $1', [file]));
  }

  schemaVersion(): Promise<number> {
    return this.op(
      'schemaVersion',
      async () => ((await this.row('SELECT MAX(version) AS v FROM schema_migrations'))?.v as number | null) ?? 0,
    );
  }

  /** Ends the pool the stores share; idempotent. */
  async close(): Promise<void> {
    await this.op('close', () => (this.closing ??= this.db.end()));
  }
}

const JOB_ACTION = `lower(action COLLATE "C") LIKE 'job.%'`;

// One statement each, so a change and the generation bump it causes commit together.
const BUMP_IF = (changed: string) => `WITH changed AS (${changed} RETURNING 1)
  UPDATE desired_generation SET generation = generation + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM changed)`;

const SQL = {
  listPlugins: 'SELECT * FROM plugins ORDER BY name COLLATE "C", installed_at COLLATE "C", version COLLATE "C"',
  getPlugin: 'SELECT * FROM plugins WHERE name = $1 AND version = $2',
  putPlugin: `INSERT INTO plugins (name, version, state, error, manifest_json, sha256, source, installed_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (name, version) DO UPDATE SET state = excluded.state, error = excluded.error,
      manifest_json = excluded.manifest_json, sha256 = excluded.sha256, source = excluded.source,
      installed_at = excluded.installed_at`,
  setPluginState: 'UPDATE plugins SET state = $1, error = $2 WHERE name = $3 AND version = $4',
  deletePlugin: 'DELETE FROM plugins WHERE name = $1 AND version = $2',
  listDesired: 'SELECT * FROM desired_plugins ORDER BY name COLLATE "C"',
  getDesired: 'SELECT * FROM desired_plugins WHERE name = $1',
  // The WHERE leaves an unchanged row out of RETURNING, so the generation moves only on real change.
  putDesired: BUMP_IF(`INSERT INTO desired_plugins (name, pinned_version, enabled) VALUES ($1, $2, $3)
    ON CONFLICT (name) DO UPDATE SET pinned_version = excluded.pinned_version, enabled = excluded.enabled
    WHERE desired_plugins.pinned_version IS DISTINCT FROM excluded.pinned_version OR desired_plugins.enabled <> excluded.enabled`),
  deleteDesired: BUMP_IF('DELETE FROM desired_plugins WHERE name = $1'),
  getConfig: 'SELECT config_json FROM plugin_config WHERE name = $1',
  putConfig: `INSERT INTO plugin_config (name, config_json, updated_at) VALUES ($1, $2, $3)
    ON CONFLICT (name) DO UPDATE SET config_json = excluded.config_json, updated_at = excluded.updated_at`,
  deleteConfig: 'DELETE FROM plugin_config WHERE name = $1',
  addActivity: `INSERT INTO activity (at, actor, action, subject, plugin, outcome, details_json)
    VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
  putSetting:
    'INSERT INTO settings (key, value_json) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json',
  putToken: `INSERT INTO tokens (id, name, hash, kind, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, hash = excluded.hash, kind = excluded.kind,
      created_at = excluded.created_at, expires_at = excluded.expires_at, revoked_at = excluded.revoked_at`,
  listTokens: 'SELECT * FROM tokens ORDER BY created_at COLLATE "C", id COLLATE "C"',
  putDropIn: `INSERT INTO drop_in_files (file, sha256, name, version) VALUES ($1, $2, $3, $4)
    ON CONFLICT (file) DO UPDATE SET sha256 = excluded.sha256, name = excluded.name, version = excluded.version`,
} as const;
