import type { PluginContext, RunSpec } from 'spindle/plugin-sdk';
import type { ImageConfig } from './config.js';

/** The settings the docker CLI reads from its environment; the kernel's own environment is not passed on. */
const CLI_ENV = [
  'PATH',
  'HOME',
  'DOCKER_HOST',
  'DOCKER_CONFIG',
  'DOCKER_CERT_PATH',
  'DOCKER_TLS_VERIFY',
  'DOCKER_BUILDKIT',
];

/** Builds a job's image with the docker CLI and pushes it to the registry the nodes pull from. */
export class ImageBuilder {
  constructor(
    private readonly ctx: Pick<PluginContext, 'exec'>,
    private readonly config: Pick<ImageConfig, 'dockerPath' | 'buildTimeoutMs'>,
  ) {}

  async buildAndPush(tag: string, image: NonNullable<RunSpec['image']>): Promise<void> {
    await this.run(
      [
        'build',
        '--quiet',
        '--tag',
        tag,
        '--label',
        'app.kubernetes.io/managed-by=spindle',
        '--file',
        '-',
        image.contextDir,
      ],
      image.dockerfile,
    );
    await this.run(['push', tag]);
  }

  private async run(args: string[], input?: string): Promise<void> {
    const env = Object.fromEntries(
      CLI_ENV.flatMap((key) => (process.env[key] === undefined ? [] : [[key, process.env[key]!]])),
    );
    const result = await this.ctx.exec(this.config.dockerPath, args, {
      env,
      timeout: this.config.buildTimeoutMs,
      killGraceMs: 1_000,
      ...(input !== undefined ? { input } : {}),
    }).result;
    if (result.exitCode !== 0) {
      const said = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ');
      throw new Error(`docker ${args[0]} failed (exit ${result.exitCode}): ${said || 'no message'}`);
    }
  }
}
