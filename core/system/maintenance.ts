import { KernelError } from '../errors/kernel-error.js';
import type { StateStore } from '../state/store.js';
import type { ActivityRecorder } from './activity-recorder.js';

export interface MaintenanceState {
  enabled: boolean;
  /** Shown to whoever is refused. */
  message: string | null;
  since: string | null;
  by: string | null;
}

const KEY = 'maintenance';
const OFF: MaintenanceState = { enabled: false, message: null, since: null, by: null };

/**
 * Maintenance mode: while on, every change (plugin install / uninstall / pin / enable / config,
 * job deploy / delete / redeploy, queue settings) is refused with 503; reads and job calls go on.
 * Checked where the changes happen, so the API, the CLI and the drop-in dir all obey it.
 */
export class MaintenanceSwitch {
  private state: MaintenanceState = OFF;

  constructor(
    private readonly store: StateStore,
    private readonly activity: ActivityRecorder,
  ) {}

  async load(): Promise<void> {
    this.state = (await this.store.getSetting<MaintenanceState>(KEY)) ?? OFF;
  }

  get current(): MaintenanceState {
    return this.state;
  }

  async set(enabled: boolean, message: string | null, actor: string): Promise<MaintenanceState> {
    const next: MaintenanceState = enabled ? { enabled, message, since: new Date().toISOString(), by: actor } : OFF;
    await this.store.putSetting(KEY, next);
    this.state = next;
    await this.activity.record({
      actor,
      action: enabled ? 'system.maintenance-on' : 'system.maintenance-off',
      subject: 'kernel',
      details: { message },
    });
    return next;
  }

  /** Throw KRN_ERR_MAINTENANCE when on; `what` names the refused change. */
  assertWritable(what: string): void {
    if (!this.state.enabled) return;
    const why = this.state.message ? ` (${this.state.message})` : '';
    throw new KernelError(
      'KRN_ERR_MAINTENANCE',
      `${what} is refused: the kernel is in maintenance mode since ${this.state.since} by ${this.state.by}${why}`,
      {
        details: { maintenance: this.state },
      },
    );
  }
}
