import { createHash } from 'node:crypto';
import { type FSWatcher as FSWatcherNode, watch as fsWatch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { Logger } from 'pino';
import { describeError, type KernelError } from '../errors/kernel-error.js';
import type { StateStore } from '../state/store.js';
import type { PluginLifecycle } from './plugin-lifecycle.js';

const ACTOR = 'drop-in';

/**
 * Watches `<home>/drop-in/` for plugin ZIPs: a new file is installed (and activated when it is the
 * version to run), a replaced file installs its new version in place of the one it installed
 * before (a swap), a removed file uninstalls the version it installed. A file whose content hash
 * has not changed is ignored, so touching or re-copying it does nothing. The API stays the primary
 * way in; this is the hands-off path.
 *
 * A file is handled as soon as it appears, so a copy that lands by rename (`cp x.zip tmp && mv`)
 * swaps in milliseconds. A file still being written has no ZIP end record yet: it is left alone
 * until the next change, and checked again after `settleMs` in case no further event comes.
 *
 * chokidar can miss a file replaced by rename several times in quick succession (its per-file
 * watcher follows the old inode), so any event on the directory itself also triggers a light
 * rescan (readdir + stat), and so does a slow timer; the content hash keeps these from
 * installing anything twice.
 */
export class DropInWatcher {
  private watcher?: FSWatcher;
  private chain: Promise<void> = Promise.resolve();

  private readonly rechecks = new Map<string, NodeJS.Timeout>();
  private readonly seen = new Map<string, string>();
  private rescanTimer?: NodeJS.Timeout;
  private dirWatcher?: FSWatcherNode;

  constructor(
    private readonly plugins: Pick<PluginLifecycle, 'install' | 'uninstall'>,
    private readonly store: Pick<StateStore, 'listDropIns' | 'getDropIn' | 'putDropIn' | 'deleteDropIn'>,
    readonly dir: string,
    private readonly logger: Logger,
    private readonly settleMs = 500,
    private readonly rescanMs = 2_000,
  ) {}

  /** Uninstall what files removed while the kernel was down had installed, then watch. */
  async start(): Promise<void> {
    const present = new Set((await readdir(this.dir)).filter(isZip));
    for (const record of await this.store.listDropIns()) {
      if (!present.has(record.file)) this.enqueue(() => this.removed(record.file));
    }
    this.watcher = watch(this.dir, { depth: 0, ignoreInitial: false });
    this.watcher.on('add', (file) => isZip(file) && this.enqueue(() => this.changed(path.basename(file))));
    this.watcher.on('change', (file) => isZip(file) && this.enqueue(() => this.changed(path.basename(file))));
    this.watcher.on('unlink', (file) => isZip(file) && this.enqueue(() => this.removed(path.basename(file))));
    this.watcher.on('error', (error) => this.logger.error({ err: describeError(error) }, 'drop-in watcher error'));
    await new Promise<void>((resolve) => this.watcher!.once('ready', () => resolve()));
    await this.rescan();
    this.rescanTimer = setInterval(() => void this.rescan(), this.rescanMs);
    this.rescanTimer.unref();
    this.dirWatcher = fsWatch(this.dir, () => void this.rescan());
    this.dirWatcher.on('error', () => undefined);
  }

  /** Queue every ZIP whose size, mtime or inode changed since the last look. */
  private async rescan(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter(isZip);
    } catch {
      return;
    }
    for (const file of names) {
      const info = await stat(path.join(this.dir, file)).catch(() => undefined);
      if (!info) continue;
      const signature = `${info.size}:${info.mtimeMs}:${info.ino}`;
      if (this.seen.get(file) === signature) continue;
      const first = !this.seen.has(file);
      this.seen.set(file, signature);
      if (!first) this.enqueue(() => this.changed(file));
    }
    for (const file of this.seen.keys()) if (!names.includes(file)) this.seen.delete(file);
  }

  async close(): Promise<void> {
    clearInterval(this.rescanTimer);
    this.dirWatcher?.close();
    for (const timer of this.rechecks.values()) clearTimeout(timer);
    this.rechecks.clear();
    await this.watcher?.close();
    await this.idle();
  }

  /** Resolves when every event seen so far has been handled (for tests and shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error: unknown) => {
      this.logger.error({ err: describeError(error) }, 'drop-in handling failed');
    });
  }

  private async changed(file: string, settled = false): Promise<void> {
    const full = path.join(this.dir, file);
    const data = await readFile(full).catch(() => undefined);
    if (!data) return;
    if (!settled && !hasZipEnd(data)) {
      this.logger.debug({ file }, 'drop-in file is still being written; waiting');
      clearTimeout(this.rechecks.get(file));
      this.rechecks.set(
        file,
        setTimeout(() => {
          this.rechecks.delete(file);
          this.enqueue(() => this.changed(file, true));
        }, this.settleMs),
      );
      return;
    }
    const sha256 = createHash('sha256').update(data).digest('hex');
    const before = await this.store.getDropIn(file);
    if (before?.sha256 === sha256) return;
    try {
      const result = await this.plugins.install({ kind: 'drop-in', file: full, data }, { actor: ACTOR });
      await this.store.putDropIn({ file, sha256, name: result.name, version: result.version });
      this.logger.info(
        { file, plugin: result.name, version: result.version, state: result.state },
        'drop-in installed',
      );
    } catch (error) {
      this.logger.error({ file, err: describeError(error) }, 'drop-in refused');
      // Refused for maintenance: look again on the next rescan, so it installs once that ends.
      if ((error as KernelError).code === 'KRN_ERR_MAINTENANCE') this.seen.set(file, 'retry');
      // Installed but failed to activate: remember it, so removing the file uninstalls it.
      const { installed, name, version } = (error as KernelError).details ?? {};
      if (!installed || typeof name !== 'string' || typeof version !== 'string') return;
      await this.store.putDropIn({ file, sha256, name, version });
    }
    const now = await this.store.getDropIn(file);
    if (before && now && (before.name !== now.name || before.version !== now.version)) {
      await this.uninstallQuietly(before.name, before.version, file);
    }
  }

  private async removed(file: string): Promise<void> {
    const record = await this.store.getDropIn(file);
    if (!record) return;
    await this.store.deleteDropIn(file);
    await this.uninstallQuietly(record.name, record.version, file);
  }

  private async uninstallQuietly(name: string, version: string, file: string): Promise<void> {
    try {
      await this.plugins.uninstall(name, version, { actor: ACTOR });
      this.logger.info({ file, plugin: name, version }, 'drop-in uninstalled');
    } catch (error) {
      this.logger.error({ file, plugin: name, version, err: describeError(error) }, 'drop-in uninstall refused');
    }
  }
}

function isZip(file: string): boolean {
  return file.toLowerCase().endsWith('.zip');
}

/** A ZIP ends with its end-of-central-directory record (maybe followed by a comment of ≤ 64 KiB). */
function hasZipEnd(data: Buffer): boolean {
  const from = Math.max(0, data.length - 22 - 0xffff);
  return data.lastIndexOf(EOCD_SIGNATURE, data.length - 22) >= from;
}

const EOCD_SIGNATURE = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
