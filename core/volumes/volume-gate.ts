import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { type VolumeErrorKind, volumeErrorKind } from '../../plugin-sdk/errors.js';
import type { KernelEventType } from '../../plugin-sdk/event-catalogue.js';
import type { Principal, ResourceRef } from '../../plugin-sdk/hook-types.js';
import type { StorageProvider, VolumeFile, VolumeInfo } from '../../plugin-sdk/providers.js';
import type { ErrorCode } from '../errors/catalogue.js';
import { isKernelError, KernelError } from '../errors/kernel-error.js';
import type { KernelRegistries } from '../registries/registries.js';
import { FINAL_STATES } from '../state/job-record.js';
import type { JobStore } from '../state/job-store.js';
import type { VolumeRecord, VolumeShare, VolumeStore } from '../state/volume-store.js';
import type { ActivityRecorder } from '../system/activity-recorder.js';
import type { MaintenanceSwitch } from '../system/maintenance.js';
import { formatVolume, parseVolumeAddress, type VolumeAddress } from './volume-address.js';

/** What the caller may do with a volume, weakest first. */
export type VolumeAccess = 'ro' | 'rw' | 'owner';
const RANK: Record<VolumeAccess, number> = { ro: 1, rw: 2, owner: 3 };

export interface VolumeView extends VolumeInfo {
  /** `backend:name`: how the API, the CLI and job manifests address it. */
  volume: string;
  backend: string;
  /** Null for a volume the backend has but the kernel never created (only administrators see it). */
  owner: string | null;
  shares: VolumeShare[];
  /** What the caller may do: `owner` also for administrators. */
  access: VolumeAccess;
}

export interface VolumeDetailView extends VolumeView {
  /** Jobs that mount it and have not ended (`adder@1.0.0 (RUNNING)`). */
  usedBy: string[];
}

/** A download: the file's entry and a stream of its bytes (its staging copy is removed once read). */
export interface VolumeDownload {
  file: VolumeFile;
  stream: Readable;
}

export interface VolumeServiceDeps {
  store: VolumeStore;
  jobs: Pick<JobStore, 'listJobs'>;
  registries: KernelRegistries;
  activity: ActivityRecorder;
  maintenance: Pick<MaintenanceSwitch, 'assertWritable'>;
  /** `auth.authorize`; throws KRN_ERR_FORBIDDEN on deny. */
  authorize(principal: Principal, action: string, resource: ResourceRef): Promise<void>;
  /** Where uploads and downloads are staged (`<home>/transfer`). */
  transferDir: string;
}

const ERROR_CODES: Record<VolumeErrorKind, ErrorCode> = {
  'not-found': 'KRN_ERR_VOLUME_NOT_FOUND',
  exists: 'KRN_ERR_VOLUME_EXISTS',
  'quota-exceeded': 'KRN_ERR_VOLUME_QUOTA_EXCEEDED',
  'invalid-path': 'KRN_ERR_VOLUME_PATH_INVALID',
  'file-not-found': 'KRN_ERR_VOLUME_FILE_NOT_FOUND',
  'file-exists': 'KRN_ERR_VOLUME_FILE_EXISTS',
  'not-empty': 'KRN_ERR_VOLUME_NOT_EMPTY',
};

const WHAT: Record<VolumeAccess, string> = { ro: 'read', rw: 'write to', owner: 'manage' };

/**
 * What every volume operation passes through: the address parsed, the caller's access checked
 * (ownership and shares in the kernel's state, `manage_volumes` through `auth.authorize`),
 * maintenance mode, the backend called (its `VolumeError`s turned into `KRN_ERR_VOLUME_*`), the
 * change recorded in the activity log and fired as a `volume.*` event.
 */
export class VolumeGate {
  constructor(readonly deps: VolumeServiceDeps) {}

  /** Before a new volume is made: not in maintenance, `create_volume` allowed, the name free. */
  async claim(principal: Principal, target: VolumeAddress, what: string): Promise<void> {
    const volume = formatVolume(target);
    this.deps.maintenance.assertWritable(`${what} volume ${volume}`);
    await this.deps.authorize(principal, 'create_volume', { kind: 'volume', name: volume });
    if (await this.deps.store.getVolume(target.backend, target.name))
      throw new KernelError('KRN_ERR_VOLUME_EXISTS', 'a volume of that name exists', { volume });
  }

  parse(text: string): VolumeAddress {
    return parseVolumeAddress(text, this.deps.registries.storage.keys());
  }

  /** The volume, if the caller has at least `need` on it; a volume they may not see reads as missing. */
  async open(principal: Principal, text: string, need: VolumeAccess) {
    const address = this.parse(text);
    const volume = formatVolume(address);
    const record = await this.deps.store.getVolume(address.backend, address.name);
    const shares = record ? await this.deps.store.listShares(address.backend, address.name) : [];
    const access = await this.accessOf(principal, address, record, shares, need);
    if (!access || (!record && access !== 'owner')) {
      throw new KernelError('KRN_ERR_VOLUME_NOT_FOUND', 'there is no such volume, or it is not shared with you', {
        volume,
      });
    }
    if (RANK[access] < RANK[need]) {
      throw new KernelError(
        'KRN_ERR_FORBIDDEN',
        `${principal.name} may not ${WHAT[need]} it (owner ${record?.owner}; shared with you ${access === 'ro' ? 'read-only' : 'read-write'})`,
        {
          volume,
          details: { need, access },
        },
      );
    }
    if (!this.deps.registries.storage.has(address.backend)) {
      throw new KernelError('KRN_ERR_STORAGE_NOT_FOUND', `storage backend ${address.backend} is not active`, {
        volume,
      });
    }
    return { address, record, shares, access };
  }

  async writable(principal: Principal, text: string, what: string): Promise<VolumeAddress> {
    const { address } = await this.open(principal, text, 'rw');
    this.deps.maintenance.assertWritable(`${what} in volume ${formatVolume(address)}`);
    return address;
  }

  /** The caller's access, from ownership and shares; `manage_volumes` is asked only when that falls short of `need`. */
  async accessOf(
    principal: Principal,
    address: VolumeAddress,
    record: VolumeRecord | undefined,
    shares: VolumeShare[],
    need: VolumeAccess,
  ): Promise<VolumeAccess | undefined> {
    let access: VolumeAccess | undefined;
    // Only the kernel's own admin skips `auth.authorize`, as in the auth chain.
    if ((principal.kind === 'admin' && principal.provider === 'kernel') || (record && record.owner === principal.name))
      access = 'owner';
    else {
      const mine = shares.filter(
        (s) => s.grantee === principal.name || (principal.groups ?? []).some((g) => s.grantee === `group:${g}`),
      );
      if (mine.length > 0) access = mine.some((s) => s.mode === 'rw') ? 'rw' : 'ro';
    }
    if (access && RANK[access] >= RANK[need]) return access;
    const admin = await this.deps
      .authorize(principal, 'manage_volumes', { kind: 'volume', name: formatVolume(address) })
      .then(
        () => true,
        (error: unknown) => {
          if (isKernelError(error) && error.code === 'KRN_ERR_FORBIDDEN') return false;
          throw error;
        },
      );
    return admin ? 'owner' : access;
  }

  async adopt(
    principal: Principal,
    address: VolumeAddress,
    info: VolumeInfo,
    action: 'volume.created' | 'volume.cloned',
    details: Record<string, unknown>,
  ): Promise<VolumeView> {
    const record = { backend: address.backend, name: address.name, owner: principal.name, createdAt: info.createdAt };
    await this.deps.store.insertVolume(record);
    await this.record(principal, action, address, details);
    return this.view(address, info, record, [], 'owner');
  }

  view(
    address: VolumeAddress,
    info: VolumeInfo,
    record: VolumeRecord | undefined,
    shares: VolumeShare[],
    access: VolumeAccess,
  ): VolumeView {
    return {
      ...info,
      volume: formatVolume(address),
      backend: address.backend,
      owner: record?.owner ?? null,
      shares,
      access,
    };
  }

  async liveJobs() {
    return (await this.deps.jobs.listJobs()).filter((job) => !FINAL_STATES.includes(job.state));
  }

  async usedBy(address: VolumeAddress): Promise<string[]> {
    const volume = formatVolume(address);
    return (await this.liveJobs())
      .filter((job) => (job.manifest.volumes ?? []).some((v) => v.name === volume))
      .map((job) => `job ${job.name}@${job.version} (${job.state})`);
  }

  async stagingFile(): Promise<string> {
    await mkdir(this.deps.transferDir, { recursive: true });
    return path.join(this.deps.transferDir, randomUUID());
  }

  async record(
    principal: Principal,
    action: KernelEventType,
    address: VolumeAddress,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    const plugin = this.deps.registries.storage.ownerOf(address.backend)?.plugin ?? null;
    await this.deps.activity.record({
      actor: principal.name,
      action,
      subject: `volume ${formatVolume(address)}`,
      plugin,
      details: { volume: formatVolume(address), ...details },
    });
  }

  /** Call the backend; its `VolumeError`s become `KRN_ERR_VOLUME_*`, anything else names the plugin. */
  async call<T>(
    backend: string,
    what: string,
    address: VolumeAddress | undefined,
    run: (provider: StorageProvider) => Promise<T>,
  ): Promise<T> {
    const { storage } = this.deps.registries;
    const provider = storage.get(backend);
    const volume = address ? formatVolume(address) : undefined;
    if (!provider)
      throw new KernelError(
        'KRN_ERR_STORAGE_NOT_FOUND',
        `storage backend ${backend} is not active (active: ${storage.keys().join(', ') || 'none'})`,
        { volume },
      );
    try {
      return await run(provider);
    } catch (error) {
      // The seam made a KernelError naming the plugin and the method; the backend's own error is its cause.
      const cause = isKernelError(error) ? error.cause : error;
      const kind = volumeErrorKind(cause);
      if (kind)
        throw new KernelError(ERROR_CODES[kind], (cause as Error).message, {
          volume,
          details: { ...(cause as { details?: Record<string, unknown> }).details, backend },
        });
      if (!isKernelError(error)) throw error;
      throw new KernelError(error.code, `${what}${volume ? ` (volume ${volume})` : ''}: ${error.what}`, {
        plugin: error.details.plugin as string | undefined,
        status: error.status,
        details: error.details,
        cause: error.cause,
      });
    }
  }
}
