import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KernelError } from '../errors/kernel-error.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration, migrationSql } from './migrations.js';
import { migrateSqlite, openSqliteStore } from './sqlite-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spindle-migrations-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const tables = (db: Database.Database) =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
const applied = (db: Database.Database) =>
  db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
  }[];

describe('MIGRATIONS', () => {
  it('are numbered 1..n without gaps, with unique names and SQL for both dialects', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(new Set(MIGRATIONS.map((m) => m.name)).size).toBe(MIGRATIONS.length);
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
    for (const m of MIGRATIONS) {
      expect(migrationSql(m, 'sqlite').trim()).not.toBe('');
      expect(migrationSql(m, 'postgres').trim()).not.toBe('');
    }
  });

  it('avoid SQLite-only syntax in the PostgreSQL text', () => {
    for (const m of MIGRATIONS) {
      expect(migrationSql(m, 'postgres')).not.toMatch(/AUTOINCREMENT|INSERT OR|WITHOUT ROWID|PRAGMA/i);
    }
  });
});

describe('migrateSqlite', () => {
  it('creates every table and records each migration once', () => {
    const db = new Database(':memory:');
    expect(migrateSqlite(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(tables(db)).toEqual(
      expect.arrayContaining([
        'schema_migrations',
        'plugins',
        'desired_plugins',
        'desired_generation',
        'plugin_config',
        'activity',
        'tokens',
        'drop_in_files',
      ]),
    );
    expect(applied(db)).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    expect(db.prepare('SELECT generation FROM desired_generation').pluck().get()).toBe(0);

    expect(migrateSqlite(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(applied(db)).toHaveLength(MIGRATIONS.length);
    db.close();
  });

  it('applies only the migrations a database lacks', () => {
    const db = new Database(':memory:');
    expect(migrateSqlite(db, MIGRATIONS.slice(0, 1))).toBe(1);
    expect(tables(db)).not.toContain('activity');
    db.prepare("INSERT INTO plugin_config (name, config_json, updated_at) VALUES ('a', '{}', 'now')").run();

    expect(migrateSqlite(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(tables(db)).toContain('activity');
    expect(db.prepare('SELECT COUNT(*) FROM plugin_config').pluck().get()).toBe(1);
    db.close();
  });

  it('rolls a failing migration back and names it', () => {
    const db = new Database(':memory:');
    const broken: Migration[] = [
      ...MIGRATIONS,
      { version: 99, name: 'broken', up: 'CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table' },
    ];
    expect(() => migrateSqlite(db, broken)).toThrow(/migration 99 \(broken\)/);
    expect(tables(db)).not.toContain('half_done');
    expect(applied(db)).toHaveLength(MIGRATIONS.length);
    db.close();
  });

  it('refuses a database whose schema is newer than the code', () => {
    const db = new Database(':memory:');
    migrateSqlite(db);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'now')").run();
    let error: unknown;
    try {
      migrateSqlite(db);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KernelError);
    expect((error as KernelError).code).toBe('KRN_ERR_STATE');
    expect((error as KernelError).message).toMatch(
      new RegExp(`version 999.*up to ${LATEST_SCHEMA_VERSION}.*upgrade the kernel`),
    );
    db.close();
  });
});

describe('openSqliteStore and migrations', () => {
  it('migrates once; re-opening is idempotent and keeps the data', async () => {
    const file = join(dir, 'nested', 'state.db');
    const store = openSqliteStore(file);
    expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    await store.putConfig('hello', { greeting: 'hi' });
    await store.close();

    const again = openSqliteStore(file);
    expect(await again.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect(await again.getConfig('hello')).toEqual({ greeting: 'hi' });
    await again.close();

    const raw = new Database(file, { readonly: true });
    expect(applied(raw)).toHaveLength(MIGRATIONS.length);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('refuses to open a database written by a newer kernel', async () => {
    const file = join(dir, 'state.db');
    await openSqliteStore(file).close();
    const raw = new Database(file);
    raw
      .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'now')")
      .run(LATEST_SCHEMA_VERSION + 1);
    raw.close();

    expect(() => openSqliteStore(file)).toThrow(
      expect.objectContaining({
        code: 'KRN_ERR_STATE',
        message: expect.stringMatching(new RegExp(`version ${LATEST_SCHEMA_VERSION + 1}.*upgrade the kernel`)),
      }),
    );
  });

  it('wraps an unopenable file in KRN_ERR_STATE', () => {
    expect(() => openSqliteStore(dir)).toThrow(expect.objectContaining({ code: 'KRN_ERR_STATE' }));
  });
});
