import pg from 'pg';
import type { ClusterStore, ReplicaRecord } from './cluster-store.js';
import { stateError } from './state-error.js';
import { toReplica } from './state-rows.js';

const CHANNEL = 'spindle_plugins';

/**
 * Replicas on one PostgreSQL database. Announcements go through LISTEN/NOTIFY on a dedicated
 * connection; leadership is a session-level advisory lock per key on another dedicated connection,
 * so it ends when this replica's session does (a crash, a kill, a lost network) and another
 * replica takes it at its next try.
 */
export class PgClusterStore implements ClusterStore {
  readonly shared = true;
  private leaseClient: pg.Client | undefined;
  private readonly held = new Set<string>();
  private readonly listeners = new Set<pg.Client>();

  constructor(
    private readonly pool: pg.Pool,
    /** Options for the dedicated connections (the pool's own). */
    private readonly connection: pg.ClientConfig,
  ) {}

  private async op<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw stateError(operation, error);
    }
  }

  async putBlob(sha256: string, data: Buffer): Promise<void> {
    await this.op('putBlob', () =>
      this.pool.query('INSERT INTO plugin_blobs (sha256, data) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING', [
        sha256,
        data,
      ]),
    );
  }

  getBlob(sha256: string): Promise<Buffer | undefined> {
    return this.op(
      'getBlob',
      async () =>
        (await this.pool.query<{ data: Buffer }>('SELECT data FROM plugin_blobs WHERE sha256 = $1', [sha256])).rows[0]
          ?.data,
    );
  }

  generation(): Promise<number> {
    return this.op('generation', async () =>
      Number(
        (await this.pool.query('SELECT generation FROM desired_generation WHERE id = 1')).rows[0]?.generation ?? 0,
      ),
    );
  }

  bumpGeneration(): Promise<number> {
    return this.op('bumpGeneration', async () => {
      const sql = `WITH bumped AS (UPDATE desired_generation SET generation = generation + 1 WHERE id = 1 RETURNING generation)
        SELECT generation, pg_notify('${CHANNEL}', generation::text) FROM bumped`;
      return Number((await this.pool.query(sql)).rows[0]?.generation);
    });
  }

  async watchGenerations(onChange: (generation: number) => void): Promise<() => Promise<void>> {
    const client = new pg.Client(this.connection);
    // A broken listener is not fatal: the caller polls as well.
    client.on('error', () => undefined);
    client.on('notification', (message) => {
      if (message.channel === CHANNEL) onChange(Number(message.payload));
    });
    await this.op('watchGenerations', async () => {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    });
    this.listeners.add(client);
    return async () => {
      this.listeners.delete(client);
      await client.end().catch(() => undefined);
    };
  }

  async putReplica(r: ReplicaRecord): Promise<void> {
    await this.op('putReplica', () =>
      this.pool.query(
        'INSERT INTO replicas (id, url, generation, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET url = excluded.url, generation = excluded.generation, heartbeat_at = excluded.heartbeat_at',
        [r.id, r.url, r.generation, r.startedAt, r.heartbeatAt],
      ),
    );
  }

  async deleteReplica(id: string): Promise<void> {
    await this.op('deleteReplica', () => this.pool.query('DELETE FROM replicas WHERE id = $1', [id]));
  }

  listReplicas(): Promise<ReplicaRecord[]> {
    return this.op('listReplicas', async () =>
      (await this.pool.query('SELECT * FROM replicas ORDER BY id COLLATE "C"')).rows.map(toReplica),
    );
  }

  async lead(key: string): Promise<'acquired' | 'held' | 'no'> {
    if (this.held.has(key)) return 'held';
    const client = await this.leases();
    const { rows } = await this.op('lead', () =>
      client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [`spindle:${key}`]),
    );
    if (!rows[0]?.ok) return 'no';
    this.held.add(key);
    return 'acquired';
  }

  /** The connection holding the leases; when it breaks every lease is gone with it. */
  private async leases(): Promise<pg.Client> {
    if (this.leaseClient) return this.leaseClient;
    const client = new pg.Client(this.connection);
    const lost = () => {
      if (this.leaseClient !== client) return;
      this.leaseClient = undefined;
      this.held.clear();
    };
    client.on('error', lost);
    client.on('end', lost);
    await this.op('lead', () => client.connect());
    this.leaseClient = client;
    return client;
  }

  async close(): Promise<void> {
    const lease = this.leaseClient;
    this.leaseClient = undefined;
    this.held.clear();
    await lease?.end().catch(() => undefined);
    await Promise.all([...this.listeners].map((c) => c.end().catch(() => undefined)));
    this.listeners.clear();
  }
}
