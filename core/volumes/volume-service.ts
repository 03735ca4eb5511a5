import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type VolumeErrorKind, volumeErrorKind } from '../../plugin-sdk/errors.js';
import type { KernelEventType } from '../../plugin-sdk/event-catalogue.js';
import type { Principal, ResourceRef } from '../../plugin-sdk/hook-types.js';
import type { JobSpec, StorageProvider, VolumeFile, VolumeInfo, VolumeMount } from '../../plugin-sdk/providers.js';
import type { ErrorCode } from '../errors/catalogue.js';
import { isKernelError, KernelError } from '../errors/kernel-error.js';
import type { KernelRegistries } from '../registries/registries.js';
import { FINAL_STATES } from '../state/job-record.js';
import type { JobStore } from '../state/job-store.js';
import type { ShareMode, VolumeRecord, VolumeShare, VolumeStore } from '../state/volume-store.js';
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

/** What the HTTP API uses. */
export type VolumesApi = Pick<
  VolumeService,
  | 'list'
  | 'get'
  | 'create'
  | 'clone'
  | 'remove'
  | 'setQuota'
  | 'share'
  | 'listFiles'
  | 'mkdir'
  | 'upload'
  | 'download'
  | 'rename'
  | 'deleteFile'
>;

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
 * Volumes: the kernel keeps who owns each volume and with whom it is shared, checks that, then
 * calls the storage backend, which keeps the data. Every change is in the activity log and fired
 * as a `volume.*` event. Administrators (the admin token, or whoever `auth.authorize` allows
 * `manage_volumes`) may do anything; creating a volume needs `create_volume`.
 */
export class VolumeService {
  constructor(private readonly deps: VolumeServiceDeps) {}

  // -------------------------------------------------------------------------------------------
  // Volumes
  // -------------------------------------------------------------------------------------------

  async list(principal: Principal): Promise<VolumeView[]> {
    const records = new Map((await this.deps.store.listVolumes()).map((r) => [formatVolume(r), r]));
    const views: VolumeView[] = [];
    for (const backend of this.deps.registries.storage.keys().sort()) {
      const infos = await this.call(backend, 'listing volumes', undefined, (p) => p.listVolumes());
      for (const info of infos) {
        const address = { backend, name: info.name };
        const record = records.get(formatVolume(address));
        const shares = record ? await this.deps.store.listShares(backend, info.name) : [];
        const access = await this.accessOf(principal, address, record, shares, 'ro');
        if (access) views.push(this.view(address, info, record, shares, access));
      }
    }
    return views;
  }

  async get(principal: Principal, text: string): Promise<VolumeDetailView> {
    const { address, record, shares, access } = await this.open(principal, text, 'ro');
    const info = await this.call(address.backend, 'reading the volume', address, (p) => p.getVolume(address.name));
    return { ...this.view(address, info, record, shares, access), usedBy: await this.usedBy(address) };
  }

  async create(principal: Principal, input: { name: string; quotaBytes?: number | null }): Promise<VolumeView> {
    const address = this.parse(input.name);
    await this.claim(principal, address, 'creating');
    const info = await this.call(address.backend, 'creating the volume', address, (p) =>
      p.createVolume(address.name, { quotaBytes: input.quotaBytes ?? null }),
    );
    return this.adopt(principal, address, info, 'volume.created', { quotaBytes: info.quotaBytes });
  }

  async clone(
    principal: Principal,
    sourceText: string,
    input: { name: string; quotaBytes?: number | null },
  ): Promise<VolumeView> {
    const { address: source } = await this.open(principal, sourceText, 'ro');
    const target = this.parse(input.name.includes(':') ? input.name : `${source.backend}:${input.name}`);
    if (target.backend !== source.backend) {
      throw new KernelError(
        'KRN_ERR_BAD_REQUEST',
        `a clone stays on its backend: ${formatVolume(source)} cannot be cloned to ${formatVolume(target)}`,
        { volume: formatVolume(source) },
      );
    }
    await this.claim(principal, target, `cloning ${formatVolume(source)} to`);
    const info = await this.call(source.backend, `cloning it to ${target.name}`, source, (p) =>
      p.cloneVolume(source.name, target.name, { quotaBytes: input.quotaBytes ?? null }),
    );
    return this.adopt(principal, target, info, 'volume.cloned', { from: formatVolume(source) });
  }

  async remove(principal: Principal, text: string): Promise<void> {
    const { address } = await this.open(principal, text, 'owner');
    const volume = formatVolume(address);
    this.deps.maintenance.assertWritable(`deleting volume ${volume}`);
    const users = await this.usedBy(address);
    if (users.length > 0) {
      throw new KernelError('KRN_ERR_VOLUME_IN_USE', `it is mounted by ${users.join(', ')}`, {
        volume,
        details: { usedBy: users },
      });
    }
    await this.call(address.backend, 'deleting the volume', address, (p) => p.deleteVolume(address.name));
    await this.deps.store.deleteVolume(address.backend, address.name);
    await this.record(principal, 'volume.deleted', address);
  }

  /** Quotas are an administrator's: an owner could otherwise lift their own limit. */
  async setQuota(principal: Principal, text: string, quotaBytes: number | null): Promise<VolumeView> {
    const address = this.parse(text);
    this.deps.maintenance.assertWritable(`changing the quota of volume ${formatVolume(address)}`);
    await this.deps.authorize(principal, 'manage_volumes', { kind: 'volume', name: formatVolume(address) });
    const { record, shares } = await this.open(principal, text, 'owner');
    const info = await this.call(address.backend, 'setting the quota', address, (p) =>
      p.setQuota(address.name, quotaBytes),
    );
    await this.record(principal, 'volume.quotaChanged', address, { quotaBytes });
    return this.view(address, info, record, shares, 'owner');
  }

  async share(principal: Principal, text: string, grantee: string, mode: ShareMode | null): Promise<VolumeView> {
    const { address, record } = await this.open(principal, text, 'owner');
    this.deps.maintenance.assertWritable(`sharing volume ${formatVolume(address)}`);
    if (!record)
      throw new KernelError('KRN_ERR_VOLUME_NOT_FOUND', 'the kernel has no record of it, so it cannot be shared', {
        volume: formatVolume(address),
      });
    if (grantee === record.owner)
      throw new KernelError('KRN_ERR_BAD_REQUEST', `${grantee} owns it already`, { volume: formatVolume(address) });
    if (
      !mode &&
      !(await this.deps.store.listShares(address.backend, address.name)).some((s) => s.grantee === grantee)
    ) {
      throw new KernelError('KRN_ERR_NOT_FOUND', `it is not shared with ${grantee}`, { volume: formatVolume(address) });
    }
    await this.deps.store.putShare(address.backend, address.name, grantee, mode);
    await this.record(principal, mode ? 'volume.shared' : 'volume.unshared', address, {
      grantee,
      ...(mode ? { mode } : {}),
    });
    return this.get(principal, text);
  }

  // -------------------------------------------------------------------------------------------
  // Files
  // -------------------------------------------------------------------------------------------

  async listFiles(principal: Principal, text: string, dir: string): Promise<VolumeFile[]> {
    const { address } = await this.open(principal, text, 'ro');
    return this.call(address.backend, `listing ${show(dir)}`, address, (p) => p.listFiles(address.name, dir));
  }

  async mkdir(principal: Principal, text: string, dir: string): Promise<void> {
    const address = await this.writable(principal, text, `creating directory ${show(dir)}`);
    await this.call(address.backend, `creating directory ${show(dir)}`, address, (p) => p.mkdir(address.name, dir));
    await this.record(principal, 'volume.dirCreated', address, { path: dir });
  }

  /**
   * Stream `body` to a staging file, then hand it to the backend, which checks the quota. A body
   * larger than the whole quota is refused as it arrives (by its declared length, or once it passes
   * the quota), so it is never staged in full.
   */
  async upload(
    principal: Principal,
    text: string,
    file: string,
    body: Readable,
    options: { overwrite: boolean; declaredBytes?: number },
  ): Promise<VolumeFile> {
    const address = await this.writable(principal, text, `uploading ${show(file)}`);
    const volume = formatVolume(address);
    const { quotaBytes } = await this.call(address.backend, 'reading the quota', address, (p) =>
      p.getVolume(address.name),
    );
    const tooLarge = (bytes: number) =>
      new KernelError(
        'KRN_ERR_VOLUME_QUOTA_EXCEEDED',
        `the upload (${bytes} bytes or more) is larger than the whole quota (${quotaBytes} bytes)`,
        { volume },
      );
    if (quotaBytes !== null && (options.declaredBytes ?? 0) > quotaBytes) throw tooLarge(options.declaredBytes!);
    const staged = await this.stagingFile();
    try {
      const sink = createWriteStream(staged, { mode: 0o600 });
      await (quotaBytes === null ? pipeline(body, sink) : pipeline(body, capped(quotaBytes, tooLarge), sink));
      const stored = await this.call(address.backend, `storing ${show(file)}`, address, (p) =>
        p.putFile(address.name, file, { sourceFile: staged, overwrite: options.overwrite }),
      );
      await this.record(principal, 'volume.fileWritten', address, { path: stored.path, size: stored.size });
      return stored;
    } finally {
      await rm(staged, { force: true });
    }
  }

  async download(principal: Principal, text: string, file: string): Promise<VolumeDownload> {
    const { address } = await this.open(principal, text, 'ro');
    const staged = await this.stagingFile();
    try {
      const entry = await this.call(address.backend, `reading ${show(file)}`, address, (p) =>
        p.getFile(address.name, file, { targetFile: staged }),
      );
      const stream = createReadStream(staged);
      stream.once('close', () => void rm(staged, { force: true }));
      return { file: entry, stream };
    } catch (error) {
      await rm(staged, { force: true });
      throw error;
    }
  }

  async rename(principal: Principal, text: string, from: string, to: string): Promise<void> {
    const address = await this.writable(principal, text, `renaming ${show(from)}`);
    await this.call(address.backend, `renaming ${show(from)} to ${show(to)}`, address, (p) =>
      p.rename(address.name, from, to),
    );
    await this.record(principal, 'volume.fileRenamed', address, { from, to });
  }

  async deleteFile(principal: Principal, text: string, file: string, recursive: boolean): Promise<void> {
    const address = await this.writable(principal, text, `deleting ${show(file)}`);
    await this.call(address.backend, `deleting ${show(file)}`, address, (p) =>
      p.deleteFile(address.name, file, { recursive }),
    );
    await this.record(principal, 'volume.fileDeleted', address, { path: file, recursive });
  }

  // -------------------------------------------------------------------------------------------
  // Jobs
  // -------------------------------------------------------------------------------------------

  /**
   * At deploy: each volume the manifest names exists and the deployer may mount it as asked
   * (`ro` for a read-only mount, `rw` otherwise). Returns the volumes with their full
   * `backend:name`, which is what the stored manifest keeps.
   */
  async checkMounts<V extends { name: string; readOnly: boolean }>(
    principal: Principal,
    volumes: readonly V[],
    subject: string,
  ): Promise<V[]> {
    const checked: V[] = [];
    for (const volume of volumes) {
      try {
        const { address } = await this.open(principal, volume.name, volume.readOnly ? 'ro' : 'rw');
        await this.call(address.backend, 'checking the volume', address, (p) => p.getVolume(address.name));
        checked.push({ ...volume, name: formatVolume(address) });
      } catch (error) {
        if (!isKernelError(error)) throw error;
        throw new KernelError(error.code, `volume ${volume.name}: ${error.what}`, {
          job: subject,
          details: error.details,
        });
      }
    }
    return checked;
  }

  /** At binding: where the target finds each of the job's volumes. */
  async mountsFor(job: JobSpec): Promise<VolumeMount[]> {
    const mounts: VolumeMount[] = [];
    for (const volume of job.volumes ?? []) {
      const address = this.parse(volume.name);
      const readOnly = volume.readOnly ?? false;
      const source = await this.call(address.backend, 'mounting it', address, (p) =>
        p.mount(address.name, { readOnly, jobId: job.id }),
      );
      mounts.push({ volume: formatVolume(address), hostPath: source.hostPath, mountPath: volume.mountPath, readOnly });
    }
    return mounts;
  }

  /** Who uses a storage plugin's backends: live jobs mounting its volumes (asked before uninstall). */
  async usersOf(plugin: string): Promise<string[]> {
    const { storage } = this.deps.registries;
    const backends = storage.keys().filter((key) => storage.ownerOf(key)?.plugin === plugin);
    const users: string[] = [];
    for (const job of await this.liveJobs()) {
      const mounted = (job.manifest.volumes ?? [])
        .map((v) => v.name)
        .filter((name) => backends.some((b) => name.startsWith(`${b}:`)));
      if (mounted.length > 0) users.push(`job ${job.name}@${job.version} (${job.state}, mounts ${mounted.join(', ')})`);
    }
    return users;
  }

  // -------------------------------------------------------------------------------------------

  /** Before a new volume is made: not in maintenance, `create_volume` allowed, the name free. */
  private async claim(principal: Principal, target: VolumeAddress, what: string): Promise<void> {
    const volume = formatVolume(target);
    this.deps.maintenance.assertWritable(`${what} volume ${volume}`);
    await this.deps.authorize(principal, 'create_volume', { kind: 'volume', name: volume });
    if (await this.deps.store.getVolume(target.backend, target.name))
      throw new KernelError('KRN_ERR_VOLUME_EXISTS', 'a volume of that name exists', { volume });
  }

  private parse(text: string): VolumeAddress {
    return parseVolumeAddress(text, this.deps.registries.storage.keys());
  }

  /** The volume, if the caller has at least `need` on it; a volume they may not see reads as missing. */
  private async open(principal: Principal, text: string, need: VolumeAccess) {
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

  private async writable(principal: Principal, text: string, what: string): Promise<VolumeAddress> {
    const { address } = await this.open(principal, text, 'rw');
    this.deps.maintenance.assertWritable(`${what} in volume ${formatVolume(address)}`);
    return address;
  }

  /** The caller's access, from ownership and shares; `manage_volumes` is asked only when that falls short of `need`. */
  private async accessOf(
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

  private async adopt(
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

  private view(
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

  private async liveJobs() {
    return (await this.deps.jobs.listJobs()).filter((job) => !FINAL_STATES.includes(job.state));
  }

  private async usedBy(address: VolumeAddress): Promise<string[]> {
    const volume = formatVolume(address);
    return (await this.liveJobs())
      .filter((job) => (job.manifest.volumes ?? []).some((v) => v.name === volume))
      .map((job) => `job ${job.name}@${job.version} (${job.state})`);
  }

  private async stagingFile(): Promise<string> {
    await mkdir(this.deps.transferDir, { recursive: true });
    return path.join(this.deps.transferDir, randomUUID());
  }

  private async record(
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
  private async call<T>(
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

const show = (file: string): string => JSON.stringify(file || '/');

/** Passes bytes through until more than `limit` went by, then fails with `error(seen)`. */
function capped(limit: number, error: (seen: number) => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > limit ? error(seen) : null, chunk);
    },
  });
}
