/** The operator config of infra-docker (plugin.json `configSchema` documents each field). */
export interface DockerConfig {
  dockerHost?: string;
  dockerPath: string;
  targetName: string;
  publishHost: string;
  containerPort: number;
  capacity: Record<string, number>;
  buildTimeoutMs: number;
  healthTimeoutMs: number;
  healthIntervalMs: number;
  maxRestarts: number;
  restartBackoffMs: number;
}

export const DEFAULT_CONFIG: Readonly<DockerConfig> = Object.freeze({
  dockerPath: 'docker',
  targetName: 'docker',
  publishHost: '127.0.0.1',
  containerPort: 7000,
  capacity: {},
  buildTimeoutMs: 600_000,
  healthTimeoutMs: 60_000,
  healthIntervalMs: 200,
  maxRestarts: 3,
  restartBackoffMs: 1_000,
});

/** The schema fills defaults in a kernel; this keeps the target usable when built by hand (tests). */
export function withDefaults(config: Partial<DockerConfig> | undefined): DockerConfig {
  return { ...DEFAULT_CONFIG, ...(config ?? {}), capacity: { ...(config?.capacity ?? {}) } };
}

/** restartBackoffMs doubling per consecutive crash, at most 30 s. `attempt` starts at 1. */
export const backoffDelay = (baseMs: number, attempt: number): number =>
  Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 30_000);
