/**
 * infra-local: the embedded default infrastructure target `local`. Every replica of a job is a
 * process on this machine, in its own process group, confined by bubblewrap where the host allows
 * (confinement.ts) and served to the kernel on a Unix socket; unconfined, on a free loopback port
 * (`PORT`). See docs/usage.md for operators and local-target.ts for the behaviour.
 */
import { definePlugin, type PluginContext } from 'spindle/plugin-sdk';
import { probeSandbox } from 'spindle/plugin-sdk/sandbox';
import type { LocalConfig } from './config.js';
import { Confinement } from './confinement.js';
import { LocalTarget, TARGET_NAME } from './local-target.js';

// Keyed by ctx: the same module may serve several instances (a swap, or several test kernels).
const targets = new WeakMap<PluginContext<LocalConfig>, LocalTarget>();

export default definePlugin<LocalConfig>({
  async activate(ctx) {
    const confinement = new Confinement(await probeSandbox(ctx.exec, { bwrap: ctx.config.bwrap }), ctx.config, ctx);
    if (confinement.confined) ctx.logger.info({}, confinement.describe());
    else ctx.logger.warn({}, confinement.describe());
    // Without a sandbox, a deploy the operator did not allow is refused at once, with the reason.
    ctx.scheduling.admit(({ job, principal }) => {
      const refusal = job.target === TARGET_NAME ? confinement.refusal(principal) : undefined;
      return refusal ? { reject: refusal } : undefined;
    });
    const target = new LocalTarget(ctx, ctx.config, confinement);
    target.restore();
    ctx.infrastructure.registerTarget(TARGET_NAME, target);
    targets.set(ctx, target);
  },
  async deactivate(ctx) {
    await targets.get(ctx)?.shutdown();
    targets.delete(ctx);
  },
});
