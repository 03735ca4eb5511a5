/** scheduler-fifo: registers the `fifo` scheduler (oldest first, head-of-line skip after N passes). */
import { definePlugin } from 'spindle/plugin-sdk';
import { type FifoConfig, resolveFifoConfig, scheduleFifo } from './fifo.js';

export default definePlugin<FifoConfig>({
  activate(ctx) {
    const config = resolveFifoConfig(ctx.config);
    ctx.scheduling.registerScheduler('fifo', {
      schedule: async (snapshot) => scheduleFifo(snapshot, config),
    });
    ctx.logger.info({ config }, 'fifo scheduler registered');
  },
});
