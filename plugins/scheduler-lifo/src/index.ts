/** scheduler-lifo: registers the `lifo` scheduler (newest first). */
import { definePlugin } from 'spindle/plugin-sdk';
import { resolvePlacementConfig } from 'spindle/plugin-sdk/scheduling';
import { type LifoConfig, scheduleLifo } from './lifo.js';

export default definePlugin<LifoConfig>({
  activate(ctx) {
    const config = resolvePlacementConfig(ctx.config);
    ctx.scheduling.registerScheduler('lifo', {
      schedule: async (snapshot) => scheduleLifo(snapshot, config),
    });
    ctx.logger.info({ config }, 'lifo scheduler registered');
  },
});
