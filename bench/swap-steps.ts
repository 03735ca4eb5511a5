/**
 * The timed steps of the hot-swap benchmark: one swap through the drop-in dir, one through the API,
 * one full kernel restart. Each ends when `GET /api/v1/plugins/swap/routes/version` answers the
 * expected version (polled back to back).
 */
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DropInWatcher } from '../core/plugins/drop-in-watcher.js';
import { assertActive, type BenchKernel, startBenchKernel, waitForVersion } from './bench-kernel.js';
import { pluginZip, versionPlugin } from './fixtures.js';
import { nowMs } from './stats.js';

export const SWAP_PLUGIN = 'swap';
export const DROP_IN_FILE = 'swap.zip';

/** Hands out increasing versions and their ZIPs. */
export class Versions {
  private next = 0;
  current = '';

  take(): { version: string; zip: Buffer } {
    this.current = `1.0.${this.next++}`;
    return { version: this.current, zip: pluginZip(versionPlugin(SWAP_PLUGIN, this.current)) };
  }
}

/** Write under a temp name, then rename into place, as an operator's copy lands; time to answering. */
export async function dropInSwap(k: BenchKernel, versions: Versions, watcher: DropInWatcher): Promise<number> {
  const { version, zip } = versions.take();
  const dir = k.running.kernel.paths.dropIn;
  const temp = path.join(dir, `.${DROP_IN_FILE}.partial`);
  await writeFile(temp, zip);
  const start = nowMs();
  await rename(temp, path.join(dir, DROP_IN_FILE));
  await waitForVersion(k.running.url, SWAP_PLUGIN, version);
  const elapsed = nowMs() - start;
  await watcher.idle(); // the watcher uninstalls the version the file held before
  await k.running.kernel.host.settled();
  return elapsed;
}

/** Upload the next version with `?replace=true` (old versions removed); time to answering. */
export async function apiSwap(k: BenchKernel, versions: Versions): Promise<number> {
  const { version, zip } = versions.take();
  const start = nowMs();
  assertActive(await k.upload(zip, '?replace=true'), `api swap to ${version}`);
  await waitForVersion(k.running.url, SWAP_PLUGIN, version);
  const elapsed = nowMs() - start;
  await k.running.kernel.host.settled();
  return elapsed;
}

/** Close the kernel and start it again on the same home; time until the plugin answers. */
export async function restart(k: BenchKernel, version: string): Promise<{ ms: number; kernel: BenchKernel }> {
  const start = nowMs();
  await k.running.close();
  const next = await startBenchKernel(k.home);
  await waitForVersion(next.running.url, SWAP_PLUGIN, version);
  return { ms: nowMs() - start, kernel: next };
}
