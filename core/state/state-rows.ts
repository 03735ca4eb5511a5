/** Rows of the state tables to records, shared by both backends so they return identical records. */
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import type { ReplicaRecord } from './cluster-store.js';
import type { ActivityEntry, DesiredPlugin, DropInRecord, PluginRecord, PluginState, TokenRecord } from './store.js';

export type Row = Record<string, unknown>;

const ACTIVITY_LIMIT_DEFAULT = 100;
const ACTIVITY_LIMIT_MAX = 1_000;

export function maybe<T>(row: Row | undefined, map: (row: Row) => T): T | undefined {
  return row === undefined ? undefined : map(row);
}

export function parseObject(json: unknown): Record<string, unknown> {
  return JSON.parse(json as string) as Record<string, unknown>;
}

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return ACTIVITY_LIMIT_DEFAULT;
  return Math.min(Math.max(Math.trunc(limit), 1), ACTIVITY_LIMIT_MAX);
}

/** The LIKE pattern (escape `\`) matching every `name@version` subject of one job family. */
export function familyPattern(family: string): string {
  return `${family.replace(/[\\%_]/g, (c) => `\\${c}`)}@%`;
}

export function toPlugin(r: Row): PluginRecord {
  return {
    name: r.name as string,
    version: r.version as string,
    state: r.state as PluginState,
    error: r.error as string | null,
    manifest: parseObject(r.manifest_json) as unknown as PluginManifest,
    sha256: r.sha256 as string,
    source: r.source as string,
    installedAt: r.installed_at as string,
  };
}

export function toDesired(r: Row): DesiredPlugin {
  return { name: r.name as string, pinnedVersion: r.pinned_version as string | null, enabled: r.enabled === 1 };
}

export function toActivity(r: Row): ActivityEntry {
  return {
    // PostgreSQL returns BIGINT ids as strings.
    id: Number(r.id),
    at: r.at as string,
    actor: r.actor as string,
    action: r.action as string,
    subject: r.subject as string,
    plugin: r.plugin as string | null,
    outcome: r.outcome as ActivityEntry['outcome'],
    details: parseObject(r.details_json),
  };
}

export function toToken(r: Row): TokenRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    hash: r.hash as string,
    kind: r.kind as TokenRecord['kind'],
    createdAt: r.created_at as string,
    expiresAt: r.expires_at as string | null,
    revokedAt: r.revoked_at as string | null,
  };
}

export function toDropIn(r: Row): DropInRecord {
  return { file: r.file as string, sha256: r.sha256 as string, name: r.name as string, version: r.version as string };
}

export function toReplica(row: Row): ReplicaRecord {
  return {
    id: row.id as string,
    url: (row.url as string | null) ?? null,
    generation: Number(row.generation),
    startedAt: row.started_at as string,
    heartbeatAt: row.heartbeat_at as string,
  };
}
