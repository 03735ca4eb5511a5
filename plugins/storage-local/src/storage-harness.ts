/** Test set-up shared by the plugin's test files: a test kernel with the plugin active, over real temp dirs. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type StorageProvider, type VolumeErrorKind, volumeErrorKind } from 'spindle/plugin-sdk';
import { createTestKernel, type TestKernel } from 'spindle/plugin-sdk/testing';
import { afterEach, expect } from 'vitest';
import manifest from '../plugin.json' with { type: 'json' };
import plugin from './index.js';

/** True when this run activates plugins isolated (SPINDLE_TEST_ISOLATION=process, the second pass of npm test). */
export const ISOLATED = process.env.SPINDLE_TEST_ISOLATION === 'process';

/** Expect `promise` to reject with a `VolumeError` of `kind` (and a message matching `message`). */
export async function expectVolumeError(
  promise: Promise<unknown>,
  kind: VolumeErrorKind,
  message?: RegExp | string,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected VolumeError('${kind}'), but it resolved`).toBeDefined();
  expect(volumeErrorKind(error), String((error as Error).message)).toBe(kind);
  if (message !== undefined) expect((error as Error).message).toMatch(message);
}

export function useLocalStorage() {
  let kernel: TestKernel | undefined;
  const kernels: TestKernel[] = [];
  let dir: string | undefined;
  let count = 0;
  afterEach(async () => {
    await Promise.all(kernels.splice(0).map((k) => k.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    kernel = undefined;
    dir = undefined;
  });
  const tmp = (): string => {
    dir ??= mkdtempSync(path.join(os.tmpdir(), 'storage-local-test-'));
    return dir;
  };
  const h = {
    /** `<tmp>/volumes`, the root the plugin is given by default here. */
    get root(): string {
      return path.join(tmp(), 'volumes');
    },
    get kernel(): TestKernel {
      if (!kernel) throw new Error('no test kernel: call start() first');
      return kernel;
    },
    /** Activate the plugin with `config` (`root` under the temp dir unless given; undefined leaves it out) and return backend `local`. */
    async start(config: Record<string, unknown> = {}): Promise<StorageProvider> {
      kernel = createTestKernel();
      kernels.push(kernel);
      const full = Object.fromEntries(
        Object.entries({ root: h.root, ...config }).filter(([, value]) => value !== undefined),
      );
      await kernel.activate(plugin, { manifest: manifest as never, config: full });
      const backend = kernel.registries.storage.get('local');
      if (!backend) throw new Error('backend local is not registered');
      return backend;
    },
    /** The host directory of a volume's files. */
    data(volume: string): string {
      return path.join(h.root, volume, 'data');
    },
    /** An upload as the kernel stages it: a file outside the volumes. */
    source(content: string | Buffer): string {
      const file = path.join(tmp(), 'staged', `upload-${++count}`);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    },
    /** Where a download should go (not created). */
    target(): string {
      mkdirSync(path.join(tmp(), 'downloads'), { recursive: true });
      return path.join(tmp(), 'downloads', `download-${++count}`);
    },
    /** A directory outside every volume, standing in for /etc in tests that write: holds `secret`. */
    outside(): string {
      const out = path.join(tmp(), 'outside');
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, 'secret'), 'do not touch');
      return out;
    },
  };
  return h;
}
