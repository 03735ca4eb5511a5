/**
 * infra-local: the embedded default infrastructure target `local`. Every replica of a job is a
 * process on this machine, in its own process group, listening on a free loopback port (`PORT`).
 * See docs/usage.md for operators and local-target.ts for the behaviour.
 */
import { definePlugin, type PluginContext } from 'spindle/plugin-sdk';
import type { LocalConfig } from './config.js';
import { LocalTarget, TARGET_NAME } from './local-target.js';

// Keyed by ctx: the same module may serve several instances (a swap, or several test kernels).
const targets = new WeakMap<PluginContext<LocalConfig>, LocalTarget>();

export default definePlugin<LocalConfig>({
  async activate(ctx) {
    const target = new LocalTarget(ctx, ctx.config);
    target.restore();
    ctx.infrastructure.registerTarget(TARGET_NAME, target);
    targets.set(ctx, target);
  },
  async deactivate(ctx) {
    await targets.get(ctx)?.shutdown();
    targets.delete(ctx);
  },
});
