/** Who owns a volume and with whom it is shared: the kernel's part of a volume (the data is the backend's). */
export interface VolumeRecord {
  backend: string;
  name: string;
  /** The principal name of the creator; it may read, write, share and delete. */
  owner: string;
  createdAt: string;
}

/** `ro`: list and download, mount read-only. `rw`: also upload, mkdir, rename, delete files, mount read-write. */
export type ShareMode = 'ro' | 'rw';

export interface VolumeShare {
  /** A principal name, or `group:<name>` for everyone in that group. */
  grantee: string;
  mode: ShareMode;
}

export interface VolumeStore {
  insertVolume(record: VolumeRecord): Promise<void>;
  getVolume(backend: string, name: string): Promise<VolumeRecord | undefined>;
  listVolumes(): Promise<VolumeRecord[]>;
  /** Also drops the volume's shares. */
  deleteVolume(backend: string, name: string): Promise<void>;
  listShares(backend: string, name: string): Promise<VolumeShare[]>;
  /** `mode` null removes the share. */
  putShare(backend: string, name: string, grantee: string, mode: ShareMode | null): Promise<void>;
}
