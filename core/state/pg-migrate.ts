import type pg from 'pg';
import { MIGRATIONS, type Migration, migrationSql, SCHEMA_MIGRATIONS_DDL } from './migrations.js';
import { inTransaction } from './pg-transaction.js';
import { newerSchemaError, stateError } from './state-error.js';

/** The advisory lock every kernel takes to migrate, so two starting at once apply each migration once. */
export const MIGRATION_LOCK_KEY = 0x5350_4d31;

/**
 * Applies the migrations the database lacks, each in its own transaction under a transaction-level
 * advisory lock (re-checking what is applied once it holds the lock). Refuses a database newer than
 * `migrations`. Returns the schema version reached.
 */
export async function migratePostgres(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const locked = <T>(operation: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> =>
    inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      return fn(client);
    }).catch((error: unknown) => Promise.reject(stateError(operation, error)));
  const applied = async (client: pg.PoolClient): Promise<Set<number>> => {
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const versions = new Set(rows.map((r) => r.version));
    const highest = Math.max(0, ...versions);
    if (highest > known) throw newerSchemaError(highest, known);
    return versions;
  };
  // The DDL itself races in PostgreSQL (two CREATE TABLE IF NOT EXISTS can collide), hence the lock.
  let done = await locked('migrate', async (client) => {
    await client.query(SCHEMA_MIGRATIONS_DDL);
    return applied(client);
  });
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    done = await locked(`migration ${migration.version} (${migration.name})`, async (client) => {
      // Checked again under the lock: another kernel may have migrated since we looked.
      const now = await applied(client);
      if (now.has(migration.version)) return now;
      await client.query(migrationSql(migration, 'postgres'));
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
      return now.add(migration.version);
    });
  }
  return Math.max(0, ...done);
}
