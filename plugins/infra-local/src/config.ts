/** The operator config of infra-local (see plugin.json `configSchema` for the documented defaults). */
export interface LocalConfig {
  /** Slot → amount; overrides or extends what the machine reports (`cpu`, `memory` in MiB). */
  capacity: Record<string, number>;
  healthTimeoutMs: number;
  healthIntervalMs: number;
  stopGraceMs: number;
  maxRestarts: number;
  restartBackoffMs: number;
  /** When no sandbox can be made here: refuse jobs from anyone but admins, or run them unconfined with a warning. */
  unconfined: 'admins-only' | 'warn';
  /** A confined job's network: `none` (its own, loopback only; reachable only through the proxy) or `host`. */
  network: 'none' | 'host';
  /** Processes (and threads) a replica may have when its manifest sets no `limits.processes`. */
  processes: number;
  /** When the kernel runs as root, job N runs as user `jobUidBase + N` (and its group), never as root. */
  jobUidBase: number;
  /** Host paths every confined job may read besides the system (e.g. a Python outside /usr). */
  readOnlyPaths: string[];
  /** The bubblewrap executable. */
  bwrap: string;
}

export const DEFAULT_CONFIG: Readonly<LocalConfig> = Object.freeze({
  capacity: {},
  healthTimeoutMs: 60_000,
  healthIntervalMs: 100,
  stopGraceMs: 5_000,
  maxRestarts: 3,
  restartBackoffMs: 1_000,
  unconfined: 'admins-only',
  network: 'none',
  processes: 1_024,
  jobUidBase: 200_000,
  readOnlyPaths: [],
  bwrap: 'bwrap',
});

export const MAX_RESTART_BACKOFF_MS = 30_000;

/** A replica that stayed up this long has its crash count and backoff reset (as Kubernetes does). */
export const STABLE_RESET_MS = 10 * 60_000;

/** The schema already fills defaults; this keeps the target usable when it is built without one. */
export function withDefaults(config: Partial<LocalConfig> | undefined): LocalConfig {
  const merged = { ...DEFAULT_CONFIG, ...(config ?? {}) };
  return { ...merged, capacity: { ...(config?.capacity ?? {}) }, readOnlyPaths: [...merged.readOnlyPaths] };
}

/** restartBackoffMs, doubling per consecutive crash, capped. `attempt` starts at 1. */
export function backoffDelay(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_RESTART_BACKOFF_MS);
}
