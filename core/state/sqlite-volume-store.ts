import type Database from 'better-sqlite3';
import { syncOp } from './state-error.js';
import type { ShareMode, VolumeRecord, VolumeShare, VolumeStore } from './volume-store.js';

type Row = Record<string, string>;

const toVolume = (row: Row): VolumeRecord => ({
  backend: row.backend!,
  name: row.name!,
  owner: row.owner!,
  createdAt: row.created_at!,
});

/** Volume ownership and shares on the kernel's SQLite file. */
export class SqliteVolumeStore implements VolumeStore {
  constructor(private readonly db: Database.Database) {}

  insertVolume(record: VolumeRecord): Promise<void> {
    return syncOp('insertVolume', () => {
      this.db
        .prepare('INSERT INTO volumes (backend, name, owner, created_at) VALUES (?, ?, ?, ?)')
        .run(record.backend, record.name, record.owner, record.createdAt);
    });
  }

  getVolume(backend: string, name: string): Promise<VolumeRecord | undefined> {
    return syncOp('getVolume', () => {
      const row = this.db.prepare('SELECT * FROM volumes WHERE backend = ? AND name = ?').get(backend, name) as
        | Row
        | undefined;
      return row && toVolume(row);
    });
  }

  listVolumes(): Promise<VolumeRecord[]> {
    return syncOp('listVolumes', () =>
      (this.db.prepare('SELECT * FROM volumes ORDER BY backend, name').all() as Row[]).map(toVolume),
    );
  }

  deleteVolume(backend: string, name: string): Promise<void> {
    return syncOp('deleteVolume', () => {
      this.db.transaction(() => {
        this.db.prepare('DELETE FROM volume_shares WHERE backend = ? AND name = ?').run(backend, name);
        this.db.prepare('DELETE FROM volumes WHERE backend = ? AND name = ?').run(backend, name);
      })();
    });
  }

  listShares(backend: string, name: string): Promise<VolumeShare[]> {
    return syncOp('listShares', () =>
      (
        this.db
          .prepare('SELECT grantee, mode FROM volume_shares WHERE backend = ? AND name = ? ORDER BY grantee')
          .all(backend, name) as Row[]
      ).map((row) => ({ grantee: row.grantee!, mode: row.mode as ShareMode })),
    );
  }

  putShare(backend: string, name: string, grantee: string, mode: ShareMode | null): Promise<void> {
    return syncOp('putShare', () => {
      if (mode === null) {
        this.db
          .prepare('DELETE FROM volume_shares WHERE backend = ? AND name = ? AND grantee = ?')
          .run(backend, name, grantee);
        return;
      }
      this.db
        .prepare(
          'INSERT INTO volume_shares (backend, name, grantee, mode) VALUES (?, ?, ?, ?) ON CONFLICT (backend, name, grantee) DO UPDATE SET mode = excluded.mode',
        )
        .run(backend, name, grantee, mode);
    });
  }
}
