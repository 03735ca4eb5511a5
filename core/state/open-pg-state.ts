import pg from 'pg';
import { describeError, KernelError } from '../errors/kernel-error.js';
import { PgClusterStore } from './pg-cluster-store.js';
import { PgJobStore } from './pg-job-store.js';
import { migratePostgres } from './pg-migrate.js';
import { PgStore } from './pg-store.js';
import { PgVolumeStore } from './pg-volume-store.js';
import { stateError } from './state-error.js';

/** An unreachable server fails the start instead of hanging it. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface PgState {
  store: PgStore;
  jobStore: PgJobStore;
  volumeStore: PgVolumeStore;
  cluster: PgClusterStore;
  /** `host:port/database`, never the credentials. */
  where: string;
  close(): Promise<void>;
}

export interface PgStateOptions {
  /** An idle pooled connection failed (server restart, network); the pool replaces it on next use. */
  onIdleError?: (error: Error) => void;
}

/** Connects to the database at `url`, brings its schema up to date, and returns the stores on one pool. */
export async function openPgState(url: string, options: PgStateOptions = {}): Promise<PgState> {
  const { where, secrets } = describeTarget(url);
  const redact = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('***'), text);
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    allowExitOnIdle: true,
  });
  // Without a listener an idle connection's error would end the process.
  pool.on('error', (error) => options.onIdleError?.(error));
  const fail = async (error: unknown): Promise<never> => {
    await pool.end().catch(() => undefined);
    throw error;
  };
  try {
    (await pool.connect()).release();
  } catch (error) {
    return fail(
      new KernelError(
        'KRN_ERR_STATE',
        `state open of PostgreSQL at ${where} failed: ${redact(connectFailure(error))}`,
        {
          details: { operation: 'open', database: where },
        },
      ),
    );
  }
  try {
    await migratePostgres(pool);
  } catch (error) {
    return fail(stateError(`migration of PostgreSQL at ${where}`, error));
  }
  const store = new PgStore(pool);
  const cluster = new PgClusterStore(pool, { connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  const close = async () => {
    await cluster.close();
    await store.close();
  };
  return { store, jobStore: new PgJobStore(pool), volumeStore: new PgVolumeStore(pool), cluster, where, close };
}

function describeTarget(url: string): { where: string; secrets: string[] } {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['postgres:', 'postgresql:'].includes(parsed.protocol)) {
    // The URL itself is not repeated: it may hold a password.
    throw new KernelError('KRN_ERR_STATE', 'SPINDLE_DATABASE_URL is not a valid postgres:// or postgresql:// URL', {
      details: { operation: 'open' },
    });
  }
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const database = safeDecode(parsed.pathname.slice(1)) || safeDecode(parsed.username) || 'postgres';
  const secrets = [parsed.password, safeDecode(parsed.password)].filter((s) => s.length > 0);
  return { where: `${host}:${parsed.port || '5432'}/${database}`, secrets };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Node reports a refused `localhost` (tried over IPv4 and IPv6) as an AggregateError with no message. */
function connectFailure(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(describeError).join('; ');
  return describeError(error) || String((error as { code?: unknown }).code ?? 'connection failed');
}
