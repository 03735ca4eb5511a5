/**
 * Throwaway PostgreSQL databases for the state tests. The admin URL comes from SPINDLE_TEST_PG_URL
 * (default: trust auth on the local server); each run gets its own `spindle_test_<random>` database.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_TEST_ADMIN_URL = process.env.SPINDLE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_TEST_ADMIN_URL, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Why the tests cannot use PostgreSQL, or undefined when they can. */
export async function pgTestUnavailable(): Promise<string | undefined> {
  try {
    await withAdmin((client) => client.query('SELECT 1'));
    return undefined;
  } catch (error) {
    const url = new URL(PG_TEST_ADMIN_URL);
    const reason = error instanceof AggregateError ? error.errors.map(String).join('; ') : String(error);
    return `PostgreSQL at ${url.hostname}:${url.port || 5432} is not reachable (${reason}); set SPINDLE_TEST_PG_URL to an admin URL`;
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `spindle_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_TEST_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    // FORCE ends connections a failed test left open.
    drop: () =>
      withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
