import type { DeployRequest } from 'spindle/plugin-sdk';
import { mountEnv } from 'spindle/plugin-sdk/targets';

/** Labels on everything Spindle creates; `list` and cleanup look only at these, never at other containers. */
export const LABELS = {
  managed: 'spindle.managed',
  job: 'spindle.job',
  replica: 'spindle.replica',
  replicas: 'spindle.replicas',
  kind: 'spindle.kind',
  logDir: 'spindle.logdir',
  subject: 'spindle.subject',
} as const;

export const imageTag = (jobId: string): string => `spindle-job-${jobId.toLowerCase()}`;
export const containerName = (jobId: string, replica: number): string => `spindle-${jobId}-${replica}`;

/** Env names the docker CLI itself reads: a job's value for one of these cannot travel in the CLI's environment. */
const CLI_ENV = /^(PATH|HOME|DOCKER_.*)$/;

export interface CreateSpec {
  args: string[];
  /** Values for `-e NAME`: given to the CLI process, so they are never on a command line. */
  env: Record<string, string>;
  /** `NAME=value` lines for `--env-file` (names the CLI reads itself); empty when none. */
  envFile: string;
}

/** The job's env as a container sees it: the manifest's and secret env, plus where its volumes are. */
export function containerEnv(
  request: DeployRequest,
  replica: number,
  port: number | undefined,
): Record<string, string> {
  const env: Record<string, string> = {
    ...request.env,
    ...mountEnv(request.mounts, 'mount'),
    SPINDLE_REPLICA: String(replica),
  };
  if (port !== undefined) env.PORT = String(port);
  return env;
}

/** `docker create` arguments for one replica: labels, limits, mounts, published port, env by name. */
export function createSpec(
  request: DeployRequest,
  replica: number,
  options: { port?: number; publishHost: string },
): CreateSpec {
  const { job } = request;
  const args = ['create', '--name', containerName(job.id, replica)];
  const labels: Record<string, string> = {
    [LABELS.managed]: 'true',
    [LABELS.job]: job.id,
    [LABELS.replica]: String(replica),
    [LABELS.replicas]: String(job.replicas),
    [LABELS.kind]: job.kind,
    [LABELS.logDir]: request.logDir,
    [LABELS.subject]: `${job.name}@${job.version}`,
  };
  for (const [key, value] of Object.entries(labels)) args.push('--label', `${key}=${value}`);
  const memory = job.resources.memory;
  if (memory !== undefined && memory > 0) args.push('--memory', `${Math.ceil(memory)}m`);
  const cpu = job.resources.cpu;
  if (cpu !== undefined && cpu > 0) args.push('--cpus', String(cpu));
  for (const mount of request.mounts ?? []) {
    if (/[,"]/.test(mount.hostPath) || /[,"]/.test(mount.mountPath))
      throw new Error(
        `volume ${mount.volume}: a path with a comma or a quote cannot be bind-mounted (${mount.hostPath} → ${mount.mountPath})`,
      );
    args.push(
      '--mount',
      `type=bind,source=${mount.hostPath},target=${mount.mountPath}${mount.readOnly ? ',readonly' : ''}`,
    );
  }
  if (options.port !== undefined && job.kind === 'service')
    args.push('--publish', `${options.publishHost}::${options.port}`);
  const env: Record<string, string> = {};
  const fileLines: string[] = [];
  for (const [key, value] of Object.entries(containerEnv(request, replica, options.port))) {
    if (!CLI_ENV.test(key)) {
      args.push('--env', key);
      env[key] = value;
    } else {
      if (/[\r\n]/.test(value)) throw new Error(`env ${key} has a line break, which docker cannot pass for this name`);
      fileLines.push(`${key}=${value}`);
    }
  }
  return { args, env, envFile: fileLines.length > 0 ? `${fileLines.join('\n')}\n` : '' };
}
