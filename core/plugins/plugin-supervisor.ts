import type { Logger } from 'pino';
import type { IsolatedFailure } from '../isolation/isolated-plugin.js';
import type { PluginHost } from '../loader/plugin-host.js';
import type { StateStore } from '../state/store.js';
import type { ActivityRecorder } from '../system/activity-recorder.js';
import type { PluginActivation } from './plugin-activation.js';

export interface SupervisorSettings {
  /** This many crashes of one version within `windowMs` mark it failed (default 3 in 5 minutes). */
  crashLimit: number;
  windowMs: number;
  /** The first restart waits this long; each further one twice as long. */
  backoffMs: number;
}

export const DEFAULT_SUPERVISION: SupervisorSettings = { crashLimit: 3, windowMs: 5 * 60_000, backoffMs: 500 };

/**
 * Restarts an isolated plugin whose process crashed or hung after it was active: the same version
 * is activated again (a fresh process, swapped in like a config change), after a backoff that
 * doubles with each crash. A version that crashes `crashLimit` times within `windowMs` is marked
 * `failed` with what happened and the last lines of its stderr, and the highest other version that
 * works takes over (the last known good), if there is one. Runs in the lifecycle's queue.
 */
export class PluginSupervisor {
  private readonly crashes = new Map<string, number[]>();

  constructor(
    private readonly deps: {
      activation: PluginActivation;
      host: PluginHost;
      store: StateStore;
      activity: ActivityRecorder;
      logger: Logger;
      settings: SupervisorSettings;
      /** The lifecycle's queue. */
      serial<T>(work: () => Promise<T>): Promise<T>;
    },
  ) {}

  failed(failure: IsolatedFailure): void {
    const { name, version, id } = failure.instance;
    const key = `${name}@${version}`;
    const now = Date.now();
    const recent = [...(this.crashes.get(key) ?? []).filter((at) => now - at < this.deps.settings.windowMs), now];
    this.crashes.set(key, recent);
    const why = `${failure.reason}${failure.stderr.length > 0 ? `; last stderr: ${failure.stderr.slice(-5).join(' | ')}` : ''}`;
    this.deps.logger.error(
      { plugin: name, version, code: failure.code, crashes: recent.length, stderr: failure.stderr },
      `plugin ${key}: ${failure.reason} (crash ${recent.length} in ${this.deps.settings.windowMs / 1_000} s; the version fails at ${this.deps.settings.crashLimit})`,
    );
    void this.deps.activity.record({
      actor: 'kernel',
      action: 'plugin.failed',
      subject: key,
      plugin: name,
      outcome: 'error',
      details: { error: why, crashes: recent.length },
    });
    if (recent.length >= this.deps.settings.crashLimit) {
      void this.deps.serial(() =>
        this.giveUp(
          name,
          version,
          id,
          `crashed ${recent.length} times in ${Math.round(this.deps.settings.windowMs / 1000)} s; the last time ${why}`,
        ),
      );
      return;
    }
    const wait = this.deps.settings.backoffMs * 2 ** (recent.length - 1);
    setTimeout(() => void this.deps.serial(() => this.restart(name, version, id, why)), wait).unref();
  }

  private async restart(name: string, version: string, instanceId: string, why: string): Promise<void> {
    // Something else changed the plugin meanwhile (a swap, an uninstall): nothing to restart.
    if (this.deps.host.activeInstance(name)?.id !== instanceId) return;
    const record = await this.deps.store.getPlugin(name, version);
    if (!record) return;
    try {
      await this.deps.activation.activate(record, 'kernel');
      this.deps.logger.info({ plugin: name, version }, 'restarted the isolated plugin');
    } catch (error) {
      await this.giveUp(
        name,
        version,
        instanceId,
        `it could not be restarted after ${why}: ${(error as Error).message}`,
      );
    }
  }

  private async giveUp(name: string, version: string, instanceId: string, reason: string): Promise<void> {
    this.crashes.delete(`${name}@${version}`);
    if (this.deps.host.activeInstance(name)?.id === instanceId) await this.deps.activation.stop(name, 'failed', reason);
    else await this.deps.store.setPluginState(name, version, 'failed', reason);
    await this.deps.activation.activateBest(name, 'kernel', { retryFailed: false });
  }
}
