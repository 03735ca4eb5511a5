/**
 * For `createTestKernel({ isolation: 'process' })` (or `SPINDLE_TEST_ISOLATION=process`): the
 * plugin under test is bundled as `spindle plugin bundle` would (once per test process), unpacked
 * like an install, and run in a process of its own, exactly as an isolated plugin in a kernel.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { packageRoot } from '../../core/system/package-root.js';
import { bundlePlugin } from '../bundler/bundle-plugin.js';

const installs = new Map<string, Promise<string>>();

/** `plugins/<name>` or `examples/<name>` of this repository, when `name` is a first-party plugin. */
export function firstPartyDir(name: string): string | undefined {
  const root = packageRoot();
  return [path.join(root, 'plugins', name), path.join(root, 'examples', name)].find((dir) =>
    existsSync(path.join(dir, 'plugin.json')),
  );
}

/** The plugin in `dir`, bundled and unpacked into a directory of its own (cached per directory). */
export function isolatedInstall(dir: string): Promise<string> {
  const key = path.resolve(dir);
  let install = installs.get(key);
  if (!install) {
    install = (async () => {
      const scratch = mkdtempSync(path.join(os.tmpdir(), 'spindle-testkit-bundle-'));
      const { zipPath } = await bundlePlugin(key, { outDir: scratch, buildDir: path.join(scratch, 'build') });
      const target = path.join(scratch, 'installed');
      new AdmZip(zipPath).extractAllTo(target, true);
      return target;
    })();
    installs.set(key, install);
  }
  return install;
}
