import path from 'node:path';
import { RejectedError } from 'spindle/plugin-sdk';
import { formatBytes, type QuotaLimits } from './quota.js';

/** The operator config (see plugin.json `configSchema`; the kernel fills the defaults in). */
export interface StorageLocalConfig {
  /** Where volumes live; relative to the plugin's data directory unless absolute. */
  root?: string;
  defaultQuotaBytes?: number | null;
  maxQuotaBytes?: number | null;
}

export interface LocalSettings extends QuotaLimits {
  /** Absolute. */
  root: string;
}

/** Settings from the config: `root` made absolute, a default quota above the maximum refused. */
export function resolveSettings(config: Readonly<StorageLocalConfig>, dataDir: string): LocalSettings {
  const settings: LocalSettings = {
    root: path.resolve(dataDir, config.root ?? 'volumes'),
    defaultQuotaBytes: config.defaultQuotaBytes ?? null,
    maxQuotaBytes: config.maxQuotaBytes ?? null,
  };
  const { defaultQuotaBytes: def, maxQuotaBytes: max } = settings;
  if (def !== null && max !== null && def > max) {
    throw new RejectedError(
      `config: defaultQuotaBytes (${formatBytes(def)}) is above maxQuotaBytes (${formatBytes(max)})`,
    );
  }
  return settings;
}
