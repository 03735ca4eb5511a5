/**
 * The kernel's state, behind one async interface so SQLite (default) and PostgreSQL (several
 * replicas) can both implement it with the same migrations.
 */
import type { PluginManifest } from '../../plugin-sdk/manifest.js';

export type PluginState = 'installed' | 'active' | 'failed' | 'disabled';

/** One installed `name@version`. */
export interface PluginRecord {
  name: string;
  version: string;
  state: PluginState;
  /** Why the version is `failed` (one line), else null. */
  error: string | null;
  manifest: PluginManifest;
  /** sha256 of the ZIP it was installed from. */
  sha256: string;
  /** Where it came from: `upload`, `path:<file>`, `url:<url>`, `drop-in:<file>`. */
  source: string;
  installedAt: string;
}

/** The operator's wish for a plugin name: which version (null = highest) and whether enabled. */
export interface DesiredPlugin {
  name: string;
  pinnedVersion: string | null;
  enabled: boolean;
}

export type ActivityOutcome = 'ok' | 'error';

export interface ActivityEntry {
  id: number;
  at: string;
  /** Who did it: a principal name, `kernel`, or `drop-in`. */
  actor: string;
  /** e.g. `plugin.installed`, `plugin.swapped`, `plugin.config-changed`. */
  action: string;
  /** What it was done to, e.g. `hello-plugin@1.0.0`. */
  subject: string;
  /** The plugin the entry is about, for filtering. */
  plugin: string | null;
  outcome: ActivityOutcome;
  details: Record<string, unknown>;
}

export interface ActivityFilter {
  plugin?: string;
  actor?: string;
  action?: string;
  /** A job family: every version of the job with this name. */
  family?: string;
  /** One job version, `name@version`. */
  job?: string;
  limit?: number;
  /** Entries with id below this, for paging back. */
  beforeId?: number;
}

export interface TokenRecord {
  id: string;
  name: string;
  /** sha256 hex of the token; the token itself is never stored. */
  hash: string;
  kind: 'admin' | 'user';
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** A ZIP in `<home>/drop-in/` and the plugin version it installed. */
export interface DropInRecord {
  file: string;
  sha256: string;
  name: string;
  version: string;
}

export interface StateStore {
  listPlugins(): Promise<PluginRecord[]>;
  getPlugin(name: string, version: string): Promise<PluginRecord | undefined>;
  /** Insert or replace the record for `name@version`. */
  putPlugin(record: PluginRecord): Promise<void>;
  setPluginState(name: string, version: string, state: PluginState, error: string | null): Promise<void>;
  deletePlugin(name: string, version: string): Promise<void>;

  listDesired(): Promise<DesiredPlugin[]>;
  getDesired(name: string): Promise<DesiredPlugin | undefined>;
  putDesired(desired: DesiredPlugin): Promise<void>;
  deleteDesired(name: string): Promise<void>;

  /** Plugin config is keyed by plugin name, so it survives upgrades. */
  getConfig(name: string): Promise<Record<string, unknown> | undefined>;
  putConfig(name: string, config: Record<string, unknown>): Promise<void>;
  deleteConfig(name: string): Promise<void>;

  addActivity(entry: Omit<ActivityEntry, 'id' | 'at'> & { at?: string }): Promise<ActivityEntry>;
  /** Newest first. */
  listActivity(filter?: ActivityFilter): Promise<ActivityEntry[]>;

  putToken(token: TokenRecord): Promise<void>;
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(id: string, at: string): Promise<void>;

  listDropIns(): Promise<DropInRecord[]>;
  getDropIn(file: string): Promise<DropInRecord | undefined>;
  putDropIn(record: DropInRecord): Promise<void>;
  deleteDropIn(file: string): Promise<void>;

  /** Kernel-wide settings by key (maintenance mode, …), as JSON values. */
  getSetting<T>(key: string): Promise<T | undefined>;
  putSetting(key: string, value: unknown): Promise<void>;

  /** The schema version the database is at after migrations. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
