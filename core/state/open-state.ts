import type { ClusterStore } from './cluster-store.js';
import type { JobStore } from './job-store.js';
import { openPgState } from './open-pg-state.js';
import { SqliteClusterStore } from './sqlite-cluster-store.js';
import { SqliteJobStore } from './sqlite-job-store.js';
import { openSqliteStore } from './sqlite-store.js';
import { SqliteVolumeStore } from './sqlite-volume-store.js';
import type { StateStore } from './store.js';
import type { VolumeStore } from './volume-store.js';

/** The kernel's three stores on one database, and how to close it. */
export interface OpenState {
  store: StateStore;
  jobStore: JobStore;
  volumeStore: VolumeStore;
  cluster: ClusterStore;
  close(): Promise<void>;
}

export interface OpenStateOptions {
  /** A postgres:// URL (`SPINDLE_DATABASE_URL`); when absent the state is the SQLite file. */
  databaseUrl?: string;
  sqliteFile: string;
  onIdleError?: (error: Error) => void;
}

/** PostgreSQL when a database URL is given, else SQLite (the default). */
export async function openState(options: OpenStateOptions): Promise<OpenState> {
  if (options.databaseUrl) {
    return openPgState(options.databaseUrl, { onIdleError: options.onIdleError });
  }
  const store = openSqliteStore(options.sqliteFile);
  return {
    store,
    jobStore: new SqliteJobStore(store.database),
    volumeStore: new SqliteVolumeStore(store.database),
    cluster: new SqliteClusterStore(store.database),
    close: () => store.close(),
  };
}
