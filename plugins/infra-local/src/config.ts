/** The operator config of infra-local (see plugin.json `configSchema` for the documented defaults). */
export interface LocalConfig {
  /** Slot → amount; overrides or extends what the machine reports (`cpu`, `memory` in MiB). */
  capacity: Record<string, number>;
  healthTimeoutMs: number;
  healthIntervalMs: number;
  stopGraceMs: number;
  maxRestarts: number;
  restartBackoffMs: number;
}

export const DEFAULT_CONFIG: Readonly<LocalConfig> = Object.freeze({
  capacity: {},
  healthTimeoutMs: 60_000,
  healthIntervalMs: 100,
  stopGraceMs: 5_000,
  maxRestarts: 3,
  restartBackoffMs: 1_000,
});

export const MAX_RESTART_BACKOFF_MS = 30_000;

/** A replica that stayed up this long has its crash count and backoff reset (as Kubernetes does). */
export const STABLE_RESET_MS = 10 * 60_000;

/** The schema already fills defaults; this keeps the target usable when it is built without one. */
export function withDefaults(config: Partial<LocalConfig> | undefined): LocalConfig {
  const merged = { ...DEFAULT_CONFIG, ...(config ?? {}) };
  return { ...merged, capacity: { ...(config?.capacity ?? {}) } };
}

/** restartBackoffMs, doubling per consecutive crash, capped. `attempt` starts at 1. */
export function backoffDelay(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_RESTART_BACKOFF_MS);
}
