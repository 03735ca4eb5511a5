/**
 * What kernel replicas on one database share beyond the state itself: the plugin ZIPs (content
 * addressed, so every replica extracts the same bytes), the generation of the desired plugin set
 * (bumped on every change, announced to the others), who the replicas are, and which replica
 * leads each queue's scheduling.
 */
export interface ReplicaRecord {
  id: string;
  /** The replica's API address, when it serves one. */
  url: string | null;
  /** The plugin-set generation this replica runs. */
  generation: number;
  startedAt: string;
  heartbeatAt: string;
}

export interface ClusterStore {
  /** True when several kernels may share the database (PostgreSQL); SQLite is one kernel's. */
  readonly shared: boolean;
  putBlob(sha256: string, data: Buffer): Promise<void>;
  getBlob(sha256: string): Promise<Buffer | undefined>;
  /** The desired plugin set's generation (`desired_generation`; 0 before any change). */
  generation(): Promise<number>;
  /** Count a change to the desired plugin set and announce it to the other replicas. */
  bumpGeneration(): Promise<number>;
  /** Calls `onChange` with each generation another replica announces; resolves to a stop function. */
  watchGenerations(onChange: (generation: number) => void): Promise<() => Promise<void>>;
  putReplica(record: ReplicaRecord): Promise<void>;
  deleteReplica(id: string): Promise<void>;
  listReplicas(): Promise<ReplicaRecord[]>;
  /**
   * Lead `key` (a queue's scheduling): `acquired` the first time this replica gets it, `held`
   * while it keeps it, `no` while another replica holds it. Leadership ends with the replica's
   * database session, so a dead replica's queues pass to another at its next try.
   */
  lead(key: string): Promise<'acquired' | 'held' | 'no'>;
  /** Give up every lead and stop watching. */
  close(): Promise<void>;
}
