import type pg from 'pg';
import { stateError } from './state-error.js';
import type { ShareMode, VolumeRecord, VolumeShare, VolumeStore } from './volume-store.js';

type Row = Record<string, string>;

const toVolume = (row: Row): VolumeRecord => ({
  backend: row.backend!,
  name: row.name!,
  owner: row.owner!,
  createdAt: row.created_at!,
});

/** Volume ownership and shares on PostgreSQL. */
export class PgVolumeStore implements VolumeStore {
  constructor(private readonly db: pg.Pool) {}

  private async query(operation: string, sql: string, params: unknown[] = []): Promise<Row[]> {
    try {
      return (await this.db.query<Row>(sql, params)).rows;
    } catch (error) {
      throw stateError(operation, error);
    }
  }

  async insertVolume(record: VolumeRecord): Promise<void> {
    await this.query('insertVolume', 'INSERT INTO volumes (backend, name, owner, created_at) VALUES ($1, $2, $3, $4)', [
      record.backend,
      record.name,
      record.owner,
      record.createdAt,
    ]);
  }

  async getVolume(backend: string, name: string): Promise<VolumeRecord | undefined> {
    return (
      await this.query('getVolume', 'SELECT * FROM volumes WHERE backend = $1 AND name = $2', [backend, name])
    ).map(toVolume)[0];
  }

  async listVolumes(): Promise<VolumeRecord[]> {
    return (
      await this.query('listVolumes', 'SELECT * FROM volumes ORDER BY backend COLLATE "C", name COLLATE "C"')
    ).map(toVolume);
  }

  async deleteVolume(backend: string, name: string): Promise<void> {
    await this.query(
      'deleteVolume',
      'WITH shares AS (DELETE FROM volume_shares WHERE backend = $1 AND name = $2) DELETE FROM volumes WHERE backend = $1 AND name = $2',
      [backend, name],
    );
  }

  async listShares(backend: string, name: string): Promise<VolumeShare[]> {
    const rows = await this.query(
      'listShares',
      'SELECT grantee, mode FROM volume_shares WHERE backend = $1 AND name = $2 ORDER BY grantee COLLATE "C"',
      [backend, name],
    );
    return rows.map((row) => ({ grantee: row.grantee!, mode: row.mode as ShareMode }));
  }

  async putShare(backend: string, name: string, grantee: string, mode: ShareMode | null): Promise<void> {
    if (mode === null) {
      await this.query('putShare', 'DELETE FROM volume_shares WHERE backend = $1 AND name = $2 AND grantee = $3', [
        backend,
        name,
        grantee,
      ]);
      return;
    }
    await this.query(
      'putShare',
      'INSERT INTO volume_shares (backend, name, grantee, mode) VALUES ($1, $2, $3, $4) ON CONFLICT (backend, name, grantee) DO UPDATE SET mode = excluded.mode',
      [backend, name, grantee, mode],
    );
  }
}
