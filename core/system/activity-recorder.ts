import type { Logger } from 'pino';
import type { HookName } from '../../plugin-sdk/hook-catalogue.js';
import { describeError } from '../errors/kernel-error.js';
import type { KernelHooks } from '../hooks/hooks.js';
import type { ActivityOutcome, StateStore } from '../state/store.js';

export interface ActivityInput {
  actor: string;
  /** Also the event type fired on `events.<family>`, e.g. `plugin.installed`. */
  action: string;
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
    this.emit(input.action, { subject: input.subject, outcome: entry.outcome, ...entry.details }, input.actor);
  }

  emit(type: string, data: Record<string, unknown>, actor?: string): void {
    const hook = `events.${type.split('.')[0]}` as HookName;
    if (!(hook in this.hooks)) return;
    const event = { type, at: new Date().toISOString(), actor, data };
    void (this.hooks[hook as 'events.plugin'].promise(event) as Promise<void>).catch((error: unknown) =>
      this.logger.warn({ err: describeError(error), type }, 'event dispatch failed'),
    );
  }
}
