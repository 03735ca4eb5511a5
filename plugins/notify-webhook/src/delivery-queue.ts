/**
 * Background delivery: every endpoint has its own queue and sends one request at a time, so a dead
 * or slow endpoint holds up only itself. A failed attempt goes back into its queue with a due time
 * (exponential backoff), so it does not block newer deliveries behind it either. `enqueue` never
 * waits for the network: it is what the event listener calls.
 */
import { randomUUID } from 'node:crypto';
import type { KernelEvent, PluginLogger } from 'spindle/plugin-sdk';
import { describeOutcome, type Endpoint, type Outcome, post, succeeded } from './endpoint.js';
import { type Format, formatBody } from './formats.js';
import { matchesAny } from './match.js';

export const MAX_BACKOFF_MS = 30_000;
const OVERFLOW_WARN_EVERY_MS = 60_000;

/** Timers that the kernel clears when the plugin unloads (`ctx.setTimeout` / `ctx.clearTimer`). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export interface QueueSettings {
  maxAttempts: number;
  initialBackoffMs: number;
  timeoutMs: number;
  /** Per endpoint. */
  maxQueue: number;
  userAgent: string;
}

/** Wait before the next attempt after `failures` failed ones: doubling, capped, plus up to 10 % jitter. */
export function backoffDelay(initialMs: number, failures: number, random: () => number = Math.random): number {
  const base = Math.min(initialMs * 2 ** Math.max(0, failures - 1), MAX_BACKOFF_MS);
  return base + Math.floor(random() * base * 0.1);
}

interface Delivery {
  id: string;
  type: string;
  body: Uint8Array;
  attempts: number;
  dueAt: number;
  seq: number;
}

interface Shared {
  settings: QueueSettings;
  timers: Timers;
  logger: PluginLogger;
  signal: AbortSignal;
}

class EndpointQueue {
  private pending: Delivery[] = [];
  private timer: unknown;
  private timerDueAt = Infinity;
  private sending = false;
  private stopped = false;
  private overflowed = 0;
  private lastOverflowWarning = -Infinity;

  constructor(
    readonly endpoint: Endpoint,
    private readonly shared: Shared,
  ) {}

  add(delivery: Delivery): void {
    if (this.stopped) return;
    if (this.pending.length >= this.shared.settings.maxQueue) this.dropOldest();
    this.pending.push(delivery);
    this.wake();
  }

  /** Stop sending; returns how many deliveries were still pending (in flight included). */
  stop(): number {
    this.stopped = true;
    if (this.timer !== undefined) this.shared.timers.clearTimer(this.timer);
    this.timer = undefined;
    const count = this.pending.length + (this.sending ? 1 : 0);
    this.pending = [];
    return count;
  }

  private dropOldest(): void {
    let oldest = 0;
    for (let i = 1; i < this.pending.length; i++) if (this.pending[i]!.seq < this.pending[oldest]!.seq) oldest = i;
    const [dropped] = this.pending.splice(oldest, 1);
    this.overflowed++;
    // A dead endpoint under a burst of events would otherwise log one line per event.
    const now = Date.now();
    if (now - this.lastOverflowWarning < OVERFLOW_WARN_EVERY_MS) return;
    this.lastOverflowWarning = now;
    this.shared.logger.warn(
      {
        endpoint: this.endpoint.label,
        type: dropped?.type,
        maxQueue: this.shared.settings.maxQueue,
        droppedSoFar: this.overflowed,
      },
      `webhook queue for ${this.endpoint.label} is full (${this.shared.settings.maxQueue}); dropped the oldest delivery`,
    );
  }

  private wake(): void {
    if (this.stopped || this.sending || this.pending.length === 0) return;
    let dueAt = Infinity;
    for (const d of this.pending) dueAt = Math.min(dueAt, d.dueAt);
    if (this.timer !== undefined) {
      if (this.timerDueAt <= dueAt) return;
      this.shared.timers.clearTimer(this.timer);
    }
    this.timerDueAt = dueAt;
    this.timer = this.shared.timers.setTimeout(
      () => {
        this.timer = undefined;
        this.timerDueAt = Infinity;
        void this.sendNext();
      },
      Math.max(0, dueAt - Date.now()),
    );
  }

  private async sendNext(): Promise<void> {
    if (this.stopped) return;
    const now = Date.now();
    let next = -1;
    for (let i = 0; i < this.pending.length; i++) {
      const d = this.pending[i]!;
      if (d.dueAt <= now && (next < 0 || d.seq < this.pending[next]!.seq)) next = i;
    }
    if (next < 0) return this.wake();
    const [delivery] = this.pending.splice(next, 1);
    this.sending = true;
    try {
      await this.attempt(delivery!);
    } finally {
      this.sending = false;
      this.wake();
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const { settings, logger, signal } = this.shared;
    delivery.attempts++;
    const outcome: Outcome = await post(
      this.endpoint,
      { body: delivery.body, eventType: delivery.type, deliveryId: delivery.id },
      { ...settings, signal },
    );
    if (this.stopped) return;
    const log = {
      endpoint: this.endpoint.label,
      type: delivery.type,
      delivery: delivery.id,
      attempts: delivery.attempts,
    };
    if (succeeded(outcome)) {
      logger.debug({ ...log, result: describeOutcome(outcome) }, 'webhook delivered');
      return;
    }
    if (delivery.attempts >= settings.maxAttempts) {
      logger.warn(
        { ...log, lastError: describeOutcome(outcome) },
        `webhook delivery of ${delivery.type} to ${this.endpoint.label} dropped after ${delivery.attempts} attempt(s): ${describeOutcome(outcome)}`,
      );
      return;
    }
    const waitMs = backoffDelay(settings.initialBackoffMs, delivery.attempts);
    delivery.dueAt = Date.now() + waitMs;
    this.pending.push(delivery);
    logger.debug({ ...log, result: describeOutcome(outcome), retryInMs: waitMs }, 'webhook attempt failed; will retry');
  }
}

export class DeliveryQueue {
  private readonly queues: EndpointQueue[];
  private readonly abort = new AbortController();
  private seq = 0;
  private stopped = false;

  constructor(
    endpoints: readonly Endpoint[],
    settings: QueueSettings,
    timers: Timers,
    private readonly logger: PluginLogger,
  ) {
    const shared: Shared = { settings, timers, logger, signal: this.abort.signal };
    this.queues = endpoints.map((endpoint) => new EndpointQueue(endpoint, shared));
  }

  /** Whether any endpoint takes events of this type. */
  wants(type: string): boolean {
    return !this.stopped && this.queues.some((queue) => matchesAny(queue.endpoint.events, type));
  }

  /** Queue the event for every endpoint whose patterns match it; returns how many. Never waits. */
  enqueue(event: KernelEvent): number {
    if (this.stopped) return 0;
    const bodies = new Map<Format, Uint8Array>();
    let queued = 0;
    for (const queue of this.queues) {
      const { format, events } = queue.endpoint;
      if (!matchesAny(events, event.type)) continue;
      let body = bodies.get(format);
      if (!body) bodies.set(format, (body = Buffer.from(formatBody(event, format), 'utf8')));
      queue.add({ id: randomUUID(), type: event.type, body, attempts: 0, dueAt: Date.now(), seq: this.seq++ });
      queued++;
    }
    return queued;
  }

  /** Stop at once: abort requests in flight and drop what is pending, saying how much. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    const dropped = this.queues.reduce((sum, queue) => sum + queue.stop(), 0);
    const msg = `notify-webhook stopped; dropped ${dropped} pending deliver${dropped === 1 ? 'y' : 'ies'}`;
    if (dropped > 0) this.logger.warn({ dropped }, msg);
    else this.logger.info({ dropped }, msg);
  }
}
