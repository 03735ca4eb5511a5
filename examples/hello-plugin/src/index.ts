/**
 * hello-plugin: the smallest plugin that shows each way into the kernel.
 * - a route:   GET /api/v1/plugins/hello-plugin/routes/hello/:name
 * - an action: spindle plugin action hello-plugin count-events
 * - config:    `greeting` (string) and `apiKey` (a secret, masked in every output)
 * - events:    counts plugin.* events it hears
 */
import { definePlugin, RejectedError } from 'spindle/plugin-sdk';

interface HelloConfig {
  greeting: string;
  apiKey?: string;
}

export default definePlugin<HelloConfig>({
  async activate(ctx) {
    let heard = 0;

    ctx.http.route('GET', '/hello/:name', async (req) => {
      const name = req.params.name ?? '';
      if (!/^[\p{L} -]{1,40}$/u.test(name)) throw new RejectedError(`"${name}" is not a name`);
      return { body: { message: `${ctx.config.greeting}, ${name}!`, version: ctx.manifest.version } };
    });

    ctx.events.on('plugin.*', (event) => {
      heard++;
      ctx.logger.debug({ type: event.type }, 'heard an event');
    });

    ctx.actions.register('count-events', {
      description: 'How many plugin events this instance has heard since it was activated',
      handler: async () => ({ heard }),
    });

    ctx.logger.info({ keyConfigured: Boolean(ctx.config.apiKey) }, 'hello-plugin active');
  },
});
