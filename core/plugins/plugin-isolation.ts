import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DefinedPlugin } from '../../plugin-sdk/define-plugin.js';
import { KernelError } from '../errors/kernel-error.js';
import { type IsolatedFailure, type IsolationSettings, isolatedPlugin } from '../isolation/isolated-plugin.js';
import type { PluginInstance } from '../loader/plugin-instance.js';
import type { PluginRecord } from '../state/store.js';

/**
 * Which plugins run in a process of their own (`SPINDLE_ISOLATION`):
 * - `manifest` (default): those whose manifest asks, `isolation: "process"`;
 * - `third-party`: also every plugin not shipped with this kernel;
 * - `all`: every plugin.
 */
export type IsolationPolicy = 'manifest' | 'third-party' | 'all';

export const ISOLATION_POLICIES: readonly IsolationPolicy[] = ['manifest', 'third-party', 'all'];

export function parseIsolationPolicy(value: string | undefined): IsolationPolicy {
  if (value === undefined || value === '') return 'manifest';
  if ((ISOLATION_POLICIES as readonly string[]).includes(value)) return value as IsolationPolicy;
  throw new KernelError(
    'KRN_ERR_BAD_REQUEST',
    `SPINDLE_ISOLATION must be one of ${ISOLATION_POLICIES.join(', ')}, not ${JSON.stringify(value)}`,
  );
}

/**
 * The sha256 of every first-party ZIP this kernel ships (`<package>/dist/plugins/*.zip`, built by
 * `spindle start --with-defaults` and `npm run build:plugins`): a plugin whose installed bytes are
 * one of these came with the kernel.
 */
export function shippedZips(packageRoot: string): Set<string> {
  const dir = path.join(packageRoot, 'dist', 'plugins');
  if (!existsSync(dir)) return new Set();
  const sums = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.zip'))) {
    sums.add(
      createHash('sha256')
        .update(readFileSync(path.join(dir, file)))
        .digest('hex'),
    );
  }
  return sums;
}

/** The isolation part of the lifecycle: who runs isolated, and how such an instance is made. */
export class PluginIsolation {
  private shipped: Set<string> | undefined;

  constructor(
    private readonly options: {
      policy: IsolationPolicy;
      settings: IsolationSettings;
      packageRoot: string;
      /** An isolated instance crashed or hung after it was active. */
      onFailure(failure: IsolatedFailure): void;
    },
  ) {}

  get policy(): IsolationPolicy {
    return this.options.policy;
  }

  /** Whether `record` came with this kernel (its bytes are a ZIP this kernel ships). */
  isShipped(record: Pick<PluginRecord, 'sha256'>): boolean {
    this.shipped ??= shippedZips(this.options.packageRoot);
    return record.sha256 !== '' && this.shipped.has(record.sha256);
  }

  /** Forget what was read of the shipped ZIPs (they were built again). */
  refreshShipped(): void {
    this.shipped = undefined;
  }

  isolates(record: PluginRecord): boolean {
    if (this.options.policy === 'all' || record.manifest.isolation === 'process') return true;
    return this.options.policy === 'third-party' && !this.isShipped(record);
  }

  /** The host's stand-in for an isolated instance; its process starts when the host activates it. */
  code(instance: PluginInstance): DefinedPlugin {
    return isolatedPlugin(instance, this.options.settings, this.options.onFailure);
  }
}
