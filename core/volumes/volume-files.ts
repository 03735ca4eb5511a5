import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Principal } from '../../plugin-sdk/hook-types.js';
import type { VolumeFile } from '../../plugin-sdk/providers.js';
import { KernelError } from '../errors/kernel-error.js';
import { formatVolume } from './volume-address.js';
import type { VolumeDownload, VolumeGate } from './volume-gate.js';

/** The files in a volume: list, upload (streamed, cut off at the quota), download, mkdir, rename, delete. */
export class VolumeFiles {
  constructor(private readonly gate: VolumeGate) {}

  async listFiles(principal: Principal, text: string, dir: string): Promise<VolumeFile[]> {
    const { address } = await this.gate.open(principal, text, 'ro');
    return this.gate.call(address.backend, `listing ${show(dir)}`, address, (p) => p.listFiles(address.name, dir));
  }

  async mkdir(principal: Principal, text: string, dir: string): Promise<void> {
    const address = await this.gate.writable(principal, text, `creating directory ${show(dir)}`);
    await this.gate.call(address.backend, `creating directory ${show(dir)}`, address, (p) =>
      p.mkdir(address.name, dir),
    );
    await this.gate.record(principal, 'volume.dirCreated', address, { path: dir });
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
    const address = await this.gate.writable(principal, text, `uploading ${show(file)}`);
    const volume = formatVolume(address);
    const { quotaBytes } = await this.gate.call(address.backend, 'reading the quota', address, (p) =>
      p.getVolume(address.name),
    );
    const tooLarge = (bytes: number) =>
      new KernelError(
        'KRN_ERR_VOLUME_QUOTA_EXCEEDED',
        `the upload (${bytes} bytes or more) is larger than the whole quota (${quotaBytes} bytes)`,
        { volume },
      );
    if (quotaBytes !== null && (options.declaredBytes ?? 0) > quotaBytes) throw tooLarge(options.declaredBytes!);
    const staged = await this.gate.stagingFile();
    try {
      const sink = createWriteStream(staged, { mode: 0o600 });
      await (quotaBytes === null ? pipeline(body, sink) : pipeline(body, capped(quotaBytes, tooLarge), sink));
      const stored = await this.gate.call(address.backend, `storing ${show(file)}`, address, (p) =>
        p.putFile(address.name, file, { sourceFile: staged, overwrite: options.overwrite }),
      );
      await this.gate.record(principal, 'volume.fileWritten', address, { path: stored.path, size: stored.size });
      return stored;
    } finally {
      await rm(staged, { force: true });
    }
  }

  async download(principal: Principal, text: string, file: string): Promise<VolumeDownload> {
    const { address } = await this.gate.open(principal, text, 'ro');
    const staged = await this.gate.stagingFile();
    try {
      const entry = await this.gate.call(address.backend, `reading ${show(file)}`, address, (p) =>
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
    const address = await this.gate.writable(principal, text, `renaming ${show(from)}`);
    await this.gate.call(address.backend, `renaming ${show(from)} to ${show(to)}`, address, (p) =>
      p.rename(address.name, from, to),
    );
    await this.gate.record(principal, 'volume.fileRenamed', address, { from, to });
  }

  async deleteFile(principal: Principal, text: string, file: string, recursive: boolean): Promise<void> {
    const address = await this.gate.writable(principal, text, `deleting ${show(file)}`);
    await this.gate.call(address.backend, `deleting ${show(file)}`, address, (p) =>
      p.deleteFile(address.name, file, { recursive }),
    );
    await this.gate.record(principal, 'volume.fileDeleted', address, { path: file, recursive });
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
