import type { Logger } from 'pino';
import { type EventFamily, isKernelEventType, type KernelEventType } from '../../plugin-sdk/event-catalogue.js';
import { describeError } from '../errors/kernel-error.js';
import type { KernelHooks } from '../hooks/hooks.js';
import type { ActivityOutcome, StateStore } from '../state/store.js';

/** Activity actions that are not events (no plugin hears them). */
export type ActivityOnlyAction = 'queue.configured';

export interface ActivityInput {
  actor: string;
  /** Also the event type fired on `events.<family>`, e.g. `plugin.installed` (plugin-sdk/event-catalogue.ts). */
  action: KernelEventType | ActivityOnlyAction;
  subject: string;
  plugin?: string | null;
  outcome?: ActivityOutcome;
  details?: Record<string, unknown>;
}

/**
 * Writes the activity log and fires the matching `events.*` hook. Events are fire-and-forget:
 * listeners have their own time limit and never delay or fail the operation.
 */
export class ActivityRecorder {
  constructor(
    private readonly store: StateStore,
    private readonly hooks: KernelHooks,
    private readonly logger: Logger,
  ) {}

  async record(input: ActivityInput): Promise<void> {
    const entry = {
      actor: input.actor,
      action: input.action,
      subject: input.subject,
      plugin: input.plugin ?? null,
      outcome: input.outcome ?? 'ok',
      details: input.details ?? {},
    };
    try {
      await this.store.addActivity(entry);
    } catch (error) {
      this.logger.error({ err: describeError(error), action: input.action }, 'could not write the activity log');
    }
    if (isKernelEventType(input.action))
      this.emit(input.action, { subject: input.subject, outcome: entry.outcome, ...entry.details }, input.actor);
  }

  /** Fire an event of the catalogue on its family's hook (listeners run in the background). */
  emit(type: KernelEventType, data: Record<string, unknown>, actor?: string): void {
    const hook = this.hooks[`events.${type.split('.')[0] as EventFamily}`];
    const event = { type, at: new Date().toISOString(), actor, data };
    hook
      .promise(event)
      .catch((error: unknown) => this.logger.warn({ err: describeError(error), type }, 'event dispatch failed'));
  }
}
