/** A throwaway PostgreSQL database for a benchmark (SPINDLE_BENCH_PG_URL names the server's admin database). */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ADMIN_URL = process.env.SPINDLE_BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `spindle_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(ADMIN_URL);
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `this benchmark needs PostgreSQL (SPINDLE_BENCH_PG_URL, default ${ADMIN_URL}): ${(error as Error).message}; scripts/ci-services.sh starts it`,
    );
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client(ADMIN_URL);
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
