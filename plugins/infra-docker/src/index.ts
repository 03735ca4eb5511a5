/**
 * infra-docker: the infrastructure target `docker` (name from config). Every job replica is a
 * container on a Docker Engine, run through the docker CLI. See docs/usage.md for operators and
 * docker-target.ts for the behaviour.
 */
import { definePlugin, type PluginContext } from 'spindle/plugin-sdk';
import type { DockerConfig } from './config.js';
import { DockerTarget } from './docker-target.js';

// Keyed by ctx: the same module may serve several instances (a swap, or several test kernels).
const targets = new WeakMap<PluginContext<DockerConfig>, DockerTarget>();

export default definePlugin<DockerConfig>({
  async activate(ctx) {
    const target = new DockerTarget(ctx, ctx.config);
    // Fail activation, with the CLI's reason, when the Engine cannot be reached.
    await target.cli.run(['version', '--format', '{{.Server.Version}}']).catch((error: Error) => {
      throw new Error(
        `the Docker Engine is not reachable (${ctx.config.dockerHost ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}): ${error.message}`,
      );
    });
    ctx.infrastructure.registerTarget(target.config.targetName, target);
    targets.set(ctx, target);
  },
  async deactivate(ctx) {
    targets.get(ctx)?.shutdown();
    targets.delete(ctx);
  },
});
