/**
 * notify-webhook: posts kernel events to webhooks (JSON, Slack, Teams), signed when a secret is
 * set. The event listener only queues; delivery and retries run in the background (see
 * delivery-queue.ts), so a dead endpoint never delays or fails what fired the event — unlike
 * Racetrack, where a failing Teams notification marked a good deploy FAILED. See docs/usage.md.
 */
import { randomUUID } from 'node:crypto';
import { definePlugin, type KernelEvent, type PluginContext } from 'spindle/plugin-sdk';
import { DeliveryQueue, type QueueSettings } from './delivery-queue.js';
import { type Endpoint, type EndpointConfig, parseEndpoint, post, succeeded } from './endpoint.js';
import { formatBody, redactEvent, TEST_EVENT_TYPE } from './formats.js';

export interface NotifyConfig {
  endpoints: EndpointConfig[];
  maxAttempts: number;
  initialBackoffMs: number;
  timeoutMs: number;
  maxQueue: number;
}

export interface TestDeliveryResult {
  index: number;
  endpoint: string;
  ok: boolean;
  status?: number;
  error?: string;
}

// Keyed by ctx: the same module may serve several instances (a swap, or several test kernels).
const queues = new WeakMap<PluginContext<NotifyConfig>, DeliveryQueue>();

/** Strings that must never leave in a payload: secrets, and URLs that may themselves be credentials. */
function sensitiveStrings(configs: readonly EndpointConfig[], endpoints: readonly Endpoint[]): string[] {
  const out = new Set<string>();
  configs.forEach((config, i) => {
    out.add(config.url);
    out.add(endpoints[i]!.url);
    if (config.secret) out.add(config.secret);
    const password = new URL(config.url).password;
    if (password) out.add(decodeURIComponent(password));
  });
  return [...out];
}

async function testDelivery(
  ctx: PluginContext<NotifyConfig>,
  endpoints: readonly Endpoint[],
  userAgent: string,
): Promise<TestDeliveryResult[]> {
  const event: KernelEvent = {
    type: TEST_EVENT_TYPE,
    at: new Date().toISOString(),
    data: { subject: ctx.manifest.name, message: 'A test delivery, sent by the test-delivery action.' },
  };
  return Promise.all(
    endpoints.map(async (endpoint): Promise<TestDeliveryResult> => {
      const body = Buffer.from(formatBody(event, endpoint.format), 'utf8');
      const outcome = await post(
        endpoint,
        { body, eventType: event.type, deliveryId: randomUUID() },
        { timeoutMs: ctx.config.timeoutMs, signal: ctx.signal, userAgent },
      );
      const base = { index: endpoint.index, endpoint: endpoint.label, ok: succeeded(outcome) };
      return 'status' in outcome ? { ...base, status: outcome.status } : { ...base, error: outcome.error };
    }),
  );
}

export default definePlugin<NotifyConfig>({
  async activate(ctx) {
    const configs = ctx.config.endpoints ?? [];
    const endpoints = configs.map(parseEndpoint);
    const userAgent = `spindle-notify-webhook/${ctx.manifest.version}`;
    const settings: QueueSettings = {
      maxAttempts: ctx.config.maxAttempts,
      initialBackoffMs: ctx.config.initialBackoffMs,
      timeoutMs: ctx.config.timeoutMs,
      maxQueue: ctx.config.maxQueue,
      userAgent,
    };
    const queue = new DeliveryQueue(
      endpoints,
      settings,
      { setTimeout: (fn, ms) => ctx.setTimeout(fn, ms), clearTimer: (h) => ctx.clearTimer(h) },
      ctx.logger,
    );
    queues.set(ctx, queue);
    ctx.signal.addEventListener('abort', () => queue.stop(), { once: true });

    const sensitive = sensitiveStrings(configs, endpoints);
    ctx.events.on('*', (event) => {
      if (queue.wants(event.type)) queue.enqueue(redactEvent(event, sensitive, ctx.manifest.name));
    });

    ctx.actions.register('test-delivery', {
      description:
        'Send a notify.test event to every endpoint now (no retries) and report each answer: {index, endpoint (host), ok, status | error}',
      handler: () => testDelivery(ctx, endpoints, userAgent),
    });

    ctx.logger.info(
      {
        endpoints: endpoints.map((e) => ({
          endpoint: e.label,
          format: e.format,
          events: e.events,
          signed: Boolean(e.secret),
        })),
      },
      `notify-webhook active with ${endpoints.length} endpoint(s)`,
    );
  },
  async deactivate(ctx) {
    queues.get(ctx)?.stop();
    queues.delete(ctx);
  },
});
