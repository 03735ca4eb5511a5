/**
 * The storage backend `local`: each volume is a directory `<root>/<name>/` holding `volume.json`
 * (quota, creation time) and `data/` (the files; what a job mounts). Every file path goes through
 * `confinePath`; every write to a volume runs under that volume's lock, so the quota check and
 * the write it allows cannot interleave with another write through this backend.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  type StorageProvider,
  VolumeError,
  type VolumeFile,
  type VolumeInfo,
  type VolumeMountSource,
} from 'spindle/plugin-sdk';
import { copyTree } from 'spindle/plugin-sdk/files';
import type { LocalSettings } from './config.js';
import { diskUsage } from './disk-usage.js';
import { errorCode, isMissing } from './error-code.js';
import { KeyedMutex } from './keyed-mutex.js';
import { placeFile } from './place-file.js';
import { allowedQuota, formatBytes, quotaExceeded } from './quota.js';
import { toVolumeFile } from './volume-file.js';
import { checkVolumeName, VOLUME_NAME } from './volume-name.js';
import { confinePath, openNoFollow } from './volume-path.js';

export const BACKEND_NAME = 'local';

/** What `volume.json` holds. */
interface VolumeMeta {
  quotaBytes: number | null;
  createdAt: string;
}

/** Temp dirs under the root start with a dot, which no volume name can. */
const STAGING_PREFIX = '.spindle-new-';
const TRASH_PREFIX = '.spindle-deleting-';

export class LocalStorage implements StorageProvider {
  private readonly writes = new KeyedMutex();

  constructor(private readonly settings: LocalSettings) {}

  // --- volumes ---------------------------------------------------------------------------------

  async createVolume(name: string, options: { quotaBytes: number | null }): Promise<VolumeInfo> {
    checkVolumeName(name);
    const quotaBytes = allowedQuota(this.settings, options?.quotaBytes ?? null, true);
    return this.writes.run(name, async () => {
      await this.assertFree(name);
      const meta: VolumeMeta = { quotaBytes, createdAt: new Date().toISOString() };
      await this.build(name, meta, (data) => mkdir(data));
      return { name, usedBytes: 0, ...meta };
    });
  }

  async listVolumes(): Promise<VolumeInfo[]> {
    const entries = await readdir(this.settings.root, { withFileTypes: true });
    const names = entries.filter((e) => e.isDirectory() && VOLUME_NAME.test(e.name)).map((e) => e.name);
    const volumes = await Promise.all(names.map((name) => this.info(name).catch(notFoundAsUndefined)));
    return volumes.filter((v): v is VolumeInfo => v !== undefined).sort((a, b) => compare(a.name, b.name));
  }

  async getVolume(name: string): Promise<VolumeInfo> {
    return this.info(checkVolumeName(name));
  }

  async deleteVolume(name: string): Promise<void> {
    checkVolumeName(name);
    await this.writes.run(name, async () => {
      await this.readMeta(name);
      // Renamed away first, so a half-deleted volume is never listed.
      const trash = path.join(this.settings.root, `${TRASH_PREFIX}${randomUUID()}`);
      await rename(this.volumeDir(name), trash);
      await rm(trash, { recursive: true, force: true });
    });
  }

  async cloneVolume(source: string, target: string, options: { quotaBytes: number | null }): Promise<VolumeInfo> {
    checkVolumeName(source);
    checkVolumeName(target);
    const quotaBytes = allowedQuota(this.settings, options?.quotaBytes ?? null, true);
    return this.writes.runAll([source, target], async () => {
      await this.readMeta(source);
      await this.assertFree(target);
      const what = (bytes: number) => `a copy of volume ${source} (${formatBytes(bytes)})`;
      if (quotaBytes !== null) {
        const used = await diskUsage(this.dataDir(source));
        if (used > quotaBytes) throw quotaExceeded(what(used), target, used, quotaBytes);
      }
      const meta: VolumeMeta = { quotaBytes, createdAt: new Date().toISOString() };
      let usedBytes = 0;
      await this.build(target, meta, async (data) => {
        await copyTree(this.dataDir(source), data, { preserveTimestamps: true });
        usedBytes = await diskUsage(data);
        // The source may have grown (a running job) since the check above.
        if (quotaBytes !== null && usedBytes > quotaBytes)
          throw quotaExceeded(what(usedBytes), target, usedBytes, quotaBytes);
      });
      return { name: target, usedBytes, ...meta };
    });
  }

  async setQuota(name: string, quotaBytes: number | null): Promise<VolumeInfo> {
    checkVolumeName(name);
    const quota = allowedQuota(this.settings, quotaBytes ?? null, false);
    return this.writes.run(name, async () => {
      const meta = { ...(await this.readMeta(name)), quotaBytes: quota };
      const file = path.join(this.volumeDir(name), 'volume.json');
      const temp = `${file}.${randomUUID()}.tmp`;
      await writeFile(temp, metaText(meta));
      await rename(temp, file);
      return this.info(name, meta);
    });
  }

  async mount(volume: string, _options: { readOnly: boolean; jobId: string }): Promise<VolumeMountSource> {
    // A plain directory cannot be made read-only for one job: the target enforces readOnly.
    return { hostPath: await this.existingData(volume) };
  }

  // --- files -----------------------------------------------------------------------------------

  async listFiles(volume: string, dirPath: string): Promise<VolumeFile[]> {
    const data = await this.existingData(volume);
    const { rel, abs } = await confinePath(data, dirPath, { allowRoot: true, followLast: true });
    let names: string[];
    try {
      names = await readdir(abs);
    } catch (error) {
      if (isMissing(error)) throw new VolumeError('file-not-found', `no directory ${display(rel)} in volume ${volume}`);
      throw error;
    }
    const files: VolumeFile[] = [];
    for (const name of names) {
      const stat = await lstatOrUndefined(path.join(abs, name));
      if (stat) files.push(toVolumeFile(rel ? `${rel}/${name}` : name, stat));
    }
    return files.sort((a, b) => compare(a.path, b.path));
  }

  async mkdir(volume: string, dirPath: string): Promise<void> {
    const data = await this.existingData(volume);
    await this.writes.run(volume, async () => {
      const { rel, abs } = await confinePath(data, dirPath, { allowRoot: true, followLast: true });
      if (rel === '') return;
      await mkdir(abs, { recursive: true }).catch((error: unknown) => {
        if (errorCode(error) === 'EEXIST' || errorCode(error) === 'ENOTDIR') {
          throw new VolumeError(
            'file-exists',
            `cannot create directory ${rel} in volume ${volume}: it or one of its parents is a file`,
          );
        }
        throw error;
      });
    });
  }

  async putFile(
    volume: string,
    filePath: string,
    options: { sourceFile: string; overwrite: boolean },
  ): Promise<VolumeFile> {
    const data = await this.existingData(volume);
    return this.writes.run(volume, async () => {
      const { quotaBytes } = await this.readMeta(volume);
      const { rel, abs } = await confinePath(data, filePath, { followLast: false });
      const source = await lstat(options.sourceFile);
      if (!source.isFile()) throw new Error(`putFile: sourceFile ${options.sourceFile} is not a regular file`);
      const existing = await lstatOrUndefined(abs);
      if (existing?.isDirectory()) throw new VolumeError('file-exists', `${rel} is a directory in volume ${volume}`);
      if (existing && !options.overwrite)
        throw new VolumeError('file-exists', `${rel} already exists in volume ${volume} (set overwrite to replace it)`);
      if (quotaBytes !== null) {
        const replaced = existing?.isFile() ? existing.size : 0;
        const wouldUse = (await diskUsage(data)) - replaced + source.size;
        if (wouldUse > quotaBytes)
          throw quotaExceeded(`upload of ${formatBytes(source.size)} to ${rel}`, volume, wouldUse, quotaBytes);
      }
      await this.makeParents(volume, rel, abs);
      await placeFile(options.sourceFile, abs);
      return toVolumeFile(rel, await lstat(abs));
    });
  }

  async getFile(volume: string, filePath: string, options: { targetFile: string }): Promise<VolumeFile> {
    const data = await this.existingData(volume);
    const { rel, abs } = await confinePath(data, filePath, { allowRoot: true, followLast: true });
    // O_NOFOLLOW: a symlink swapped in after the check above is refused, not followed.
    const handle = await openNoFollow(abs).catch((error: unknown) => {
      if (errorCode(error) === 'ELOOP')
        throw new VolumeError('file-not-found', `${rel} in volume ${volume} is a symlink, not a file`);
      if (isMissing(error)) throw new VolumeError('file-not-found', `no file ${rel} in volume ${volume}`);
      throw error;
    });
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new VolumeError('file-not-found', `${display(rel)} in volume ${volume} is not a file`);
      await pipeline(handle.createReadStream({ start: 0, autoClose: false }), createWriteStream(options.targetFile));
      return toVolumeFile(rel, stat);
    } finally {
      await handle.close();
    }
  }

  async rename(volume: string, from: string, to: string): Promise<void> {
    const data = await this.existingData(volume);
    await this.writes.run(volume, async () => {
      const source = await confinePath(data, from, { followLast: false });
      const target = await confinePath(data, to, { followLast: false });
      if (target.rel.startsWith(`${source.rel}/`))
        throw new VolumeError('invalid-path', `cannot move ${source.rel} into itself (${target.rel})`);
      if (!(await lstatOrUndefined(source.abs)))
        throw new VolumeError('file-not-found', `no file or directory ${source.rel} in volume ${volume}`);
      if (await lstatOrUndefined(target.abs))
        throw new VolumeError('file-exists', `${target.rel} already exists in volume ${volume}`);
      await this.makeParents(volume, target.rel, target.abs);
      await rename(source.abs, target.abs);
    });
  }

  async deleteFile(volume: string, filePath: string, options: { recursive: boolean }): Promise<void> {
    const data = await this.existingData(volume);
    await this.writes.run(volume, async () => {
      const { rel, abs } = await confinePath(data, filePath, { followLast: false });
      const stat = await lstatOrUndefined(abs);
      if (!stat) throw new VolumeError('file-not-found', `no file or directory ${rel} in volume ${volume}`);
      if (!stat.isDirectory()) return unlink(abs);
      // fs.rm removes symlinks inside the tree as links: it never follows them.
      if (options?.recursive) return rm(abs, { recursive: true, force: true });
      await rmdir(abs).catch((error: unknown) => {
        if (errorCode(error) === 'ENOTEMPTY' || errorCode(error) === 'EEXIST') {
          throw new VolumeError(
            'not-empty',
            `directory ${rel} in volume ${volume} is not empty (delete it recursively to remove its contents)`,
          );
        }
        throw error;
      });
    });
  }

  // --- helpers ---------------------------------------------------------------------------------

  private volumeDir(name: string): string {
    return path.join(this.settings.root, name);
  }

  private dataDir(name: string): string {
    return path.join(this.volumeDir(name), 'data');
  }

  private async readMeta(name: string): Promise<VolumeMeta> {
    let text: string;
    try {
      text = await readFile(path.join(this.volumeDir(name), 'volume.json'), 'utf8');
    } catch (error) {
      if (isMissing(error)) throw new VolumeError('not-found', `volume ${name} does not exist`);
      throw error;
    }
    const meta = JSON.parse(text) as Partial<VolumeMeta>;
    return { quotaBytes: meta.quotaBytes ?? null, createdAt: String(meta.createdAt) };
  }

  private async info(name: string, meta?: VolumeMeta): Promise<VolumeInfo> {
    const { quotaBytes, createdAt } = meta ?? (await this.readMeta(name));
    return { name, usedBytes: await diskUsage(this.dataDir(name)), quotaBytes, createdAt };
  }

  /** The data dir of an existing volume (`not-found` otherwise). */
  private async existingData(volume: string): Promise<string> {
    await this.readMeta(checkVolumeName(volume));
    return this.dataDir(volume);
  }

  private async assertFree(name: string): Promise<void> {
    const taken = await this.readMeta(name).then(() => true, notFoundAsFalse);
    if (taken) throw new VolumeError('exists', `volume ${name} already exists`);
  }

  /**
   * Make volume `name` in a staging dir under the root (`fill` writes its data dir), then rename
   * it into place in one step: a half-made volume is never listed, and a failed one leaves nothing.
   */
  private async build(name: string, meta: VolumeMeta, fill: (data: string) => Promise<unknown>): Promise<void> {
    const staging = await mkdtemp(path.join(this.settings.root, STAGING_PREFIX));
    try {
      await fill(path.join(staging, 'data'));
      await writeFile(path.join(staging, 'volume.json'), metaText(meta));
      await rename(staging, this.volumeDir(name)).catch((error: unknown) => {
        // An empty stray directory is replaced by rename; anything else in the way is refused.
        if (['EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EISDIR'].includes(errorCode(error) ?? '')) {
          throw new VolumeError(
            'exists',
            `volume ${name} cannot be created: something that is not a volume is in the way in the backend's root`,
          );
        }
        throw error;
      });
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
  }

  /** Create the missing parents of `abs`; a file in the way is `file-exists`. */
  private async makeParents(volume: string, rel: string, abs: string): Promise<void> {
    await mkdir(path.dirname(abs), { recursive: true }).catch((error: unknown) => {
      if (errorCode(error) === 'EEXIST' || errorCode(error) === 'ENOTDIR') {
        throw new VolumeError('file-exists', `a parent of ${rel} in volume ${volume} is a file, not a directory`);
      }
      throw error;
    });
  }
}

function metaText(meta: VolumeMeta): string {
  return `${JSON.stringify(meta, null, 2)}\n`;
}

function display(rel: string): string {
  return rel === '' ? '/' : rel;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function notFoundAsUndefined(error: unknown): undefined {
  if (error instanceof VolumeError && error.volumeError === 'not-found') return undefined;
  throw error;
}

function notFoundAsFalse(error: unknown): false {
  if (error instanceof VolumeError && error.volumeError === 'not-found') return false;
  throw error;
}

function missingAsUndefined(error: unknown): undefined {
  if (isMissing(error)) return undefined;
  throw error;
}

/** The entry at `abs` itself (a symlink is not followed), or undefined if there is none. */
function lstatOrUndefined(abs: string): Promise<Stats | undefined> {
  return lstat(abs).catch(missingAsUndefined);
}

/** Regular files, directories and symlinks are copied; sockets, FIFOs and devices are left out. */
