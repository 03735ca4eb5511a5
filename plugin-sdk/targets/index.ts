/**
 * `spindle/plugin-sdk/targets`: what the first-party infrastructure targets (local, docker, k8s)
 * share, for a target written anywhere: waiting for a replica's health check, one log file per
 * replica read with offsets as `InfrastructureProvider.logs` returns them, the environment that
 * tells a job where its volumes are, replica addresses on Unix sockets, and a sleep that ends when the plugin unloads. Bundled into
 * the plugin like any library (`spindle plugin bundle` resolves this path).
 */

export type { HealthOutcome, ProbeResult, WaitHealthyOptions } from './health-check.js';
export { probe, waitHealthy } from './health-check.js';
export { DEFAULT_LOG_LIMIT, readJobLog, replicaLogFile, tailLines } from './log-reader.js';
export { mountEnv } from './mount-env.js';
export type { RequestTarget } from './replica-address.js';
export { requestTarget, unixSocketAddress } from './replica-address.js';
export type { Sleep } from './timing.js';
export { makeSleep } from './timing.js';
