import type Database from 'better-sqlite3';
import type { ClusterStore, ReplicaRecord } from './cluster-store.js';
import { syncOp } from './state-error.js';
import { type Row, toReplica } from './state-rows.js';

/**
 * One kernel on its SQLite file: nothing to announce to and nobody to lead against. The plugin
 * files are on this kernel's disk already, so ZIPs are not stored twice.
 */
export class SqliteClusterStore implements ClusterStore {
  readonly shared = false;
  private readonly led = new Set<string>();

  constructor(private readonly db: Database.Database) {}

  async putBlob(): Promise<void> {}

  async getBlob(): Promise<Buffer | undefined> {
    return undefined;
  }

  generation(): Promise<number> {
    return syncOp('generation', () =>
      Number(this.db.prepare('SELECT generation FROM desired_generation WHERE id = 1').pluck().get()),
    );
  }

  bumpGeneration(): Promise<number> {
    return syncOp('bumpGeneration', () =>
      Number(
        this.db
          .prepare('UPDATE desired_generation SET generation = generation + 1 WHERE id = 1 RETURNING generation')
          .pluck()
          .get(),
      ),
    );
  }

  async watchGenerations(): Promise<() => Promise<void>> {
    return async () => undefined;
  }

  putReplica(r: ReplicaRecord): Promise<void> {
    return syncOp('putReplica', () => {
      this.db
        .prepare(
          'INSERT INTO replicas (id, url, generation, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET url = excluded.url, generation = excluded.generation, heartbeat_at = excluded.heartbeat_at',
        )
        .run(r.id, r.url, r.generation, r.startedAt, r.heartbeatAt);
    });
  }

  deleteReplica(id: string): Promise<void> {
    return syncOp('deleteReplica', () => {
      this.db.prepare('DELETE FROM replicas WHERE id = ?').run(id);
    });
  }

  listReplicas(): Promise<ReplicaRecord[]> {
    return syncOp('listReplicas', () =>
      (this.db.prepare('SELECT * FROM replicas ORDER BY id').all() as Row[]).map(toReplica),
    );
  }

  async lead(key: string): Promise<'acquired' | 'held' | 'no'> {
    if (this.led.has(key)) return 'held';
    this.led.add(key);
    return 'acquired';
  }

  async close(): Promise<void> {
    this.led.clear();
  }
}
