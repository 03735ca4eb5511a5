import type { Principal } from '../../plugin-sdk/hook-types.js';
import type { JobSpec, VolumeMount } from '../../plugin-sdk/providers.js';
import { isKernelError, KernelError } from '../errors/kernel-error.js';
import type { ShareMode } from '../state/volume-store.js';
import { formatVolume } from './volume-address.js';
import { VolumeFiles } from './volume-files.js';
import { type VolumeDetailView, VolumeGate, type VolumeServiceDeps, type VolumeView } from './volume-gate.js';

export type { VolumeAccess, VolumeDetailView, VolumeDownload, VolumeServiceDeps, VolumeView } from './volume-gate.js';

/** What the HTTP API uses. */
export type VolumesApi = Pick<VolumeService, 'list' | 'get' | 'create' | 'clone' | 'remove' | 'setQuota' | 'share'> & {
  readonly files: Pick<VolumeFiles, 'listFiles' | 'mkdir' | 'upload' | 'download' | 'rename' | 'deleteFile'>;
};

/**
 * Volumes: the kernel keeps who owns each volume and with whom it is shared, checks that, then
 * calls the storage backend, which keeps the data. Every change is in the activity log and fired
 * as a `volume.*` event. Administrators (the admin token, or whoever `auth.authorize` allows
 * `manage_volumes`) may do anything; creating a volume needs `create_volume`. The files in a
 * volume are `files` (volume-files.ts).
 */
export class VolumeService {
  private readonly gate: VolumeGate;
  readonly files: VolumeFiles;

  constructor(deps: VolumeServiceDeps) {
    this.gate = new VolumeGate(deps);
    this.files = new VolumeFiles(this.gate);
  }

  private get deps(): VolumeServiceDeps {
    return this.gate.deps;
  }

  async list(principal: Principal): Promise<VolumeView[]> {
    const records = new Map((await this.deps.store.listVolumes()).map((r) => [formatVolume(r), r]));
    const views: VolumeView[] = [];
    for (const backend of this.deps.registries.storage.keys().sort()) {
      const infos = await this.gate.call(backend, 'listing volumes', undefined, (p) => p.listVolumes());
      for (const info of infos) {
        const address = { backend, name: info.name };
        const record = records.get(formatVolume(address));
        const shares = record ? await this.deps.store.listShares(backend, info.name) : [];
        const access = await this.gate.accessOf(principal, address, record, shares, 'ro');
        if (access) views.push(this.gate.view(address, info, record, shares, access));
      }
    }
    return views;
  }

  async get(principal: Principal, text: string): Promise<VolumeDetailView> {
    const { address, record, shares, access } = await this.gate.open(principal, text, 'ro');
    const info = await this.gate.call(address.backend, 'reading the volume', address, (p) => p.getVolume(address.name));
    return { ...this.gate.view(address, info, record, shares, access), usedBy: await this.gate.usedBy(address) };
  }

  async create(principal: Principal, input: { name: string; quotaBytes?: number | null }): Promise<VolumeView> {
    const address = this.gate.parse(input.name);
    await this.gate.claim(principal, address, 'creating');
    const info = await this.gate.call(address.backend, 'creating the volume', address, (p) =>
      p.createVolume(address.name, { quotaBytes: input.quotaBytes ?? null }),
    );
    return this.gate.adopt(principal, address, info, 'volume.created', { quotaBytes: info.quotaBytes });
  }

  async clone(
    principal: Principal,
    sourceText: string,
    input: { name: string; quotaBytes?: number | null },
  ): Promise<VolumeView> {
    const { address: source } = await this.gate.open(principal, sourceText, 'ro');
    const target = this.gate.parse(input.name.includes(':') ? input.name : `${source.backend}:${input.name}`);
    if (target.backend !== source.backend) {
      throw new KernelError(
        'KRN_ERR_BAD_REQUEST',
        `a clone stays on its backend: ${formatVolume(source)} cannot be cloned to ${formatVolume(target)}`,
        { volume: formatVolume(source) },
      );
    }
    await this.gate.claim(principal, target, `cloning ${formatVolume(source)} to`);
    const info = await this.gate.call(source.backend, `cloning it to ${target.name}`, source, (p) =>
      p.cloneVolume(source.name, target.name, { quotaBytes: input.quotaBytes ?? null }),
    );
    return this.gate.adopt(principal, target, info, 'volume.cloned', { from: formatVolume(source) });
  }

  async remove(principal: Principal, text: string): Promise<void> {
    const { address } = await this.gate.open(principal, text, 'owner');
    const volume = formatVolume(address);
    this.deps.maintenance.assertWritable(`deleting volume ${volume}`);
    const users = await this.gate.usedBy(address);
    if (users.length > 0) {
      throw new KernelError('KRN_ERR_VOLUME_IN_USE', `it is mounted by ${users.join(', ')}`, {
        volume,
        details: { usedBy: users },
      });
    }
    await this.gate.call(address.backend, 'deleting the volume', address, (p) => p.deleteVolume(address.name));
    await this.deps.store.deleteVolume(address.backend, address.name);
    await this.gate.record(principal, 'volume.deleted', address);
  }

  /** Quotas are an administrator's: an owner could otherwise lift their own limit. */
  async setQuota(principal: Principal, text: string, quotaBytes: number | null): Promise<VolumeView> {
    const address = this.gate.parse(text);
    this.deps.maintenance.assertWritable(`changing the quota of volume ${formatVolume(address)}`);
    await this.deps.authorize(principal, 'manage_volumes', { kind: 'volume', name: formatVolume(address) });
    const { record, shares } = await this.gate.open(principal, text, 'owner');
    const info = await this.gate.call(address.backend, 'setting the quota', address, (p) =>
      p.setQuota(address.name, quotaBytes),
    );
    await this.gate.record(principal, 'volume.quotaChanged', address, { quotaBytes });
    return this.gate.view(address, info, record, shares, 'owner');
  }

  async share(principal: Principal, text: string, grantee: string, mode: ShareMode | null): Promise<VolumeView> {
    const { address, record } = await this.gate.open(principal, text, 'owner');
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
    await this.gate.record(principal, mode ? 'volume.shared' : 'volume.unshared', address, {
      grantee,
      ...(mode ? { mode } : {}),
    });
    return this.get(principal, text);
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
        const { address } = await this.gate.open(principal, volume.name, volume.readOnly ? 'ro' : 'rw');
        await this.gate.call(address.backend, 'checking the volume', address, (p) => p.getVolume(address.name));
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
      const address = this.gate.parse(volume.name);
      const readOnly = volume.readOnly ?? false;
      const source = await this.gate.call(address.backend, 'mounting it', address, (p) =>
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
    for (const job of await this.gate.liveJobs()) {
      const mounted = (job.manifest.volumes ?? [])
        .map((v) => v.name)
        .filter((name) => backends.some((b) => name.startsWith(`${b}:`)));
      if (mounted.length > 0) users.push(`job ${job.name}@${job.version} (${job.state}, mounts ${mounted.join(', ')})`);
    }
    return users;
  }
}
