/** scheduler-drf: registers the `drf` scheduler (Dominant Resource Fairness per owner). */
import { definePlugin } from 'spindle/plugin-sdk';
import { type DrfConfig, resolveDrfConfig, scheduleDrf } from './drf.js';

export default definePlugin<DrfConfig>({
  activate(ctx) {
    const config = resolveDrfConfig(ctx.config);
    ctx.scheduling.registerScheduler('drf', {
      schedule: async (snapshot) => scheduleDrf(snapshot, config),
    });
    ctx.logger.info({ config }, 'drf scheduler registered');
  },
});
