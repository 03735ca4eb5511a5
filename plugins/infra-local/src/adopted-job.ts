import type { JobStateReport, PluginContext, PluginLogger, ReplicaInfo } from 'spindle/plugin-sdk';
import { probe } from 'spindle/plugin-sdk/targets';
import type { LocalConfig } from './config.js';
import { isProcessAlive, signalGroup } from './process-info.js';
import type { JobRecord, ReplicaRecord } from './state-file.js';

export const ADOPTED_POLL_MS = 1_000;

export interface AdoptedDeps extends Pick<PluginContext, 'setInterval' | 'clearTimer'> {
  config: LocalConfig;
  logger: PluginLogger;
  report(report: JobStateReport): void;
  /** The job is over (lost or stopped): forget it. */
  gone(jobId: string): void;
}

/** Polling with a plain timer: stopping must go on while the plugin unloads and ctx timers are closed. */
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A job started by an earlier kernel process that is still running. It is not our child, so we
 * see no exit: poll its pids and its health endpoint instead. It cannot be restarted either
 * (its environment held secrets and was never stored), so a dead or unhealthy replica makes it LOST.
 */
export class AdoptedJob {
  private timer: unknown;
  private busy = false;
  private closed = false;
  private unhealthySince: number | undefined;

  constructor(
    readonly record: JobRecord,
    private readonly deps: AdoptedDeps,
  ) {}

  get jobId(): string {
    return this.record.jobId;
  }

  info(): ReplicaInfo[] {
    return this.record.replicas.map((r) => ({ id: r.id, address: r.address, pid: r.pid }));
  }

  private alive(): ReplicaRecord[] {
    return this.record.replicas.filter((r) => isProcessAlive(r.pid, r.startTime));
  }

  anyAlive(): boolean {
    return this.alive().length > 0;
  }

  private healthUrl(replica: ReplicaRecord): string {
    return `${replica.address}${this.record.healthPath ?? '/'}`;
  }

  /** The first replica that is not healthy now (dead, or a service not answering 2xx). */
  private async firstUnhealthy(): Promise<{ replica: ReplicaRecord; dead: boolean } | undefined> {
    for (const replica of this.record.replicas) {
      if (!isProcessAlive(replica.pid, replica.startTime)) return { replica, dead: true };
      if (this.record.kind === 'service' && !(await probe(this.healthUrl(replica), 2_000)).ok)
        return { replica, dead: false };
    }
    return undefined;
  }

  async isHealthy(): Promise<boolean> {
    return (await this.firstUnhealthy()) === undefined;
  }

  watch(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = this.deps.setInterval(() => void this.tick(), ADOPTED_POLL_MS);
  }

  private async tick(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      const bad = await this.firstUnhealthy();
      if (this.closed) return;
      if (!bad) {
        this.unhealthySince = undefined;
      } else if (bad.dead) {
        await this.lose(`process ${bad.replica.pid} is gone (the kernel was not its parent after a restart)`);
      } else {
        this.unhealthySince ??= Date.now();
        const waited = Date.now() - this.unhealthySince;
        if (waited >= this.deps.config.healthTimeoutMs) {
          await this.lose(
            `replica ${bad.replica.index} (pid ${bad.replica.pid}) has not answered ${this.healthUrl(bad.replica)} for ${waited} ms; it cannot be restarted after a kernel restart`,
          );
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async lose(reason: string): Promise<void> {
    this.close();
    this.deps.report({ jobId: this.jobId, state: 'LOST', reason });
    this.deps.logger.warn({ jobId: this.jobId, reason }, 'adopted job lost; stopping what is left of it');
    await this.stop(this.deps.config.stopGraceMs);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.deps.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** SIGTERM to each replica's group, SIGKILL after `graceMs`; resolves when all are dead. */
  async stop(graceMs: number): Promise<void> {
    this.close();
    for (const replica of this.alive()) signalGroup(replica.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (this.anyAlive() && Date.now() < deadline) await delay(50);
    for (const replica of this.alive()) signalGroup(replica.pid, 'SIGKILL');
    const hard = Date.now() + 2_000;
    while (this.anyAlive() && Date.now() < hard) await delay(50);
    // The leaders are gone; their groups may still hold children.
    for (const replica of this.record.replicas) signalGroup(replica.pid, 'SIGKILL');
    this.deps.gone(this.jobId);
  }
}
