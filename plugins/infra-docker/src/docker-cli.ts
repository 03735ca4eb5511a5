import type { PluginContext } from 'spindle/plugin-sdk';
import type { DockerConfig } from './config.js';

/** A docker command that failed: what was run (never its env) and what the CLI said. */
export class DockerError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(
      `docker ${args.slice(0, 2).join(' ')} failed (exit ${exitCode}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no message'}`,
    );
    this.name = 'DockerError';
  }
}

export interface RunOptions {
  /** Extra environment for the CLI process: `docker create -e NAME` reads values from here, so they never appear on a command line. */
  env?: Record<string, string>;
  input?: string;
  timeout?: number;
}

/**
 * The docker CLI, run through `ctx.exec` (tracked: killed if the plugin unloads). Talks to the
 * Engine named by `dockerHost`; the kernel's own environment is not passed on, only PATH, HOME
 * and DOCKER_* settings.
 */
export class DockerCli {
  private readonly baseEnv: Record<string, string>;

  constructor(
    private readonly ctx: Pick<PluginContext, 'exec'>,
    private readonly config: Pick<DockerConfig, 'dockerHost' | 'dockerPath'>,
  ) {
    const env: Record<string, string> = {};
    for (const key of [
      'PATH',
      'HOME',
      'DOCKER_HOST',
      'DOCKER_CONFIG',
      'DOCKER_CERT_PATH',
      'DOCKER_TLS_VERIFY',
      'DOCKER_BUILDKIT',
    ]) {
      const value = process.env[key];
      if (value !== undefined) env[key] = value;
    }
    if (config.dockerHost) env.DOCKER_HOST = config.dockerHost;
    this.baseEnv = env;
  }

  /** Run `docker <args>` to completion; stdout on success, DockerError otherwise. */
  async run(args: string[], options: RunOptions = {}): Promise<string> {
    const result = await this.spawn(args, options).result;
    if (result.exitCode !== 0) throw new DockerError(args, result.exitCode, result.stderr || result.stdout);
    return result.stdout;
  }

  /** Start `docker <args>` and hand back the tracked process (long-running: `wait`, `logs -f`). */
  spawn(args: string[], options: RunOptions & { logFile?: string } = {}) {
    return this.ctx.exec(this.config.dockerPath, args, {
      env: { ...this.baseEnv, ...options.env },
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      ...(options.logFile !== undefined ? { logFile: options.logFile } : {}),
      killGraceMs: 1_000,
    });
  }

  async json<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.run(args)) as T;
  }
}
