/**
 * The kernel's side of one isolated plugin's process: it starts it (Node's permission model on, a
 * heap ceiling, a process group of its own, none of the kernel's environment), asks it things by
 * id, and watches it. A process whose event loop stops answering heartbeats is unresponsive; one
 * that exits on its own has crashed. Either way every call in flight fails at once with a
 * `KRN_ERR_*` naming the plugin, the whole process group is killed, and `onFailure` says why (with
 * the last lines of its stderr), once.
 */
import { type ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import type { Logger } from 'pino';
import { PluginError, VolumeError, type VolumeErrorKind } from '../../plugin-sdk/errors.js';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { KernelError } from '../errors/kernel-error.js';
import type { ChildInit, FromChild, ToChild, WireError } from './ipc-protocol.js';

export interface ProcessFailure {
  code: 'KRN_ERR_PLUGIN_CRASHED' | 'KRN_ERR_PLUGIN_UNRESPONSIVE';
  /** One line: what happened, e.g. `exited with code 1` or `did not answer a heartbeat for 3000 ms`. */
  reason: string;
  /** The last lines the process wrote to stderr. */
  stderr: string[];
}

export interface PluginProcessOptions {
  manifest: PluginManifest;
  /** The file to run (build/core/isolation/child-runner.js). */
  runner: string;
  /** Node flags: the permission model's grants and the heap ceiling. */
  execArgv: string[];
  env: Record<string, string>;
  cwd: string;
  /** Nice value (0–19) the process runs at. */
  nice: number;
  /** A process that has not answered a heartbeat for this long is unresponsive. */
  unresponsiveMs: number;
  logger: Logger;
  onMessage(message: FromChild): void;
  onFailure(failure: ProcessFailure): void;
}

const STDERR_LINES = 20;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class PluginProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private readonly spawned = new Set<number>();
  private readonly stderr: string[] = [];
  private readonly heartbeat: NodeJS.Timeout;
  private readonly exited: Promise<void>;
  private nextId = 0;
  private lastPong = Date.now();
  private seq = 0;
  private fatal: WireError | undefined;
  private ended: ProcessFailure | 'stopped' | undefined;

  constructor(private readonly options: PluginProcessOptions) {
    this.child = fork(options.runner, [], {
      execArgv: options.execArgv,
      env: options.env,
      cwd: options.cwd,
      detached: true,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const name = options.manifest.name;
    // Set before the process starts its threads, so they inherit it; a spin then slows this plugin, not the API.
    if (options.nice > 0 && this.child.pid !== undefined) {
      try {
        os.setPriority(this.child.pid, options.nice);
      } catch (error) {
        options.logger.warn({ plugin: name, err: String(error) }, 'could not lower the plugin process priority');
      }
    }
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.on('message', (message: FromChild) => this.received(message));
    this.child.once('exit', (code, signal) => this.gone(code, signal));
    this.child.on('error', (error) =>
      options.logger.error({ plugin: name, err: error.message }, 'the plugin process failed'),
    );
    this.lines(this.child.stdout!, (line) => options.logger.info({ plugin: name, stream: 'stdout' }, line));
    this.lines(this.child.stderr!, (line) => {
      this.stderr.push(line);
      if (this.stderr.length > STDERR_LINES) this.stderr.shift();
      options.logger.warn({ plugin: name, stream: 'stderr' }, line);
    });
    const every = Math.max(50, Math.floor(options.unresponsiveMs / 4));
    this.heartbeat = setInterval(() => this.beat(), every);
    this.heartbeat.unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  activate(init: ChildInit): Promise<unknown> {
    return this.request({ t: 'activate', id: 0, init });
  }

  call(handler: number, args: unknown[]): Promise<unknown> {
    return this.request({ t: 'call', id: 0, handler, args });
  }

  ledger(): Promise<Record<string, number>> {
    return this.request({ t: 'ledger', id: 0 }) as Promise<Record<string, number>>;
  }

  /** `deactivate()` in the process, then the whole process group ends (SIGTERM, then SIGKILL). */
  async stop(graceMs: number): Promise<void> {
    if (this.ended === undefined) {
      await Promise.race([this.request({ t: 'deactivate', id: 0 }).catch(() => undefined), delay(graceMs)]);
    }
    this.ended ??= 'stopped';
    await this.kill(graceMs);
  }

  private request(message: ToChild & { id: number }): Promise<unknown> {
    if (this.ended) return Promise.reject(this.endedError());
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...message, id }, (error) => {
        if (!error) return;
        this.pending.delete(id);
        reject(
          new KernelError(
            'KRN_ERR_PLUGIN_CRASHED',
            `the message could not reach the plugin's process: ${error.message}`,
            { plugin: this.options.manifest.name },
          ),
        );
      });
    });
  }

  private received(message: FromChild): void {
    switch (message.t) {
      case 'result': {
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        if (message.ok) pending.resolve(message.value);
        else pending.reject(fromWire(message.error));
        return;
      }
      case 'pong':
        if (message.seq === this.seq) this.lastPong = Date.now();
        return;
      case 'spawned':
        this.spawned.add(message.pid);
        return;
      case 'reaped':
        this.spawned.delete(message.pid);
        return;
      case 'fatal':
        this.fatal = message.error;
        return;
      default:
        this.options.onMessage(message);
    }
  }

  private beat(): void {
    if (this.ended) return;
    if (Date.now() - this.lastPong > this.options.unresponsiveMs) {
      this.fail({
        code: 'KRN_ERR_PLUGIN_UNRESPONSIVE',
        reason: `its event loop did not answer a heartbeat for ${this.options.unresponsiveMs} ms (a busy loop or a blocking call)`,
        stderr: [...this.stderr],
      });
      return;
    }
    this.child.send({ t: 'ping', seq: ++this.seq } satisfies ToChild, () => undefined);
  }

  private gone(code: number | null, signal: NodeJS.Signals | null): void {
    clearInterval(this.heartbeat);
    if (this.ended) {
      this.rejectAll();
      return;
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const why = this.fatal ? `: ${this.fatal.message}` : oomIn(this.stderr) ? ': its heap ran out of memory' : '';
    this.fail({ code: 'KRN_ERR_PLUGIN_CRASHED', reason: `its process ${how}${why}`, stderr: [...this.stderr] });
  }

  private fail(failure: ProcessFailure): void {
    if (this.ended) return;
    this.ended = failure;
    this.rejectAll();
    void this.kill(0);
    this.options.onFailure(failure);
  }

  private rejectAll(): void {
    for (const { reject } of this.pending.values()) reject(this.endedError());
    this.pending.clear();
  }

  private endedError(): KernelError {
    const failure = this.ended === 'stopped' || this.ended === undefined ? undefined : this.ended;
    const plugin = this.options.manifest.name;
    if (!failure) return new KernelError('KRN_ERR_PLUGIN_NOT_ACTIVE', 'its process was stopped', { plugin });
    return new KernelError(failure.code, `the plugin's process ${failure.reason.replace(/^its process /, '')}`, {
      plugin,
      details: { reason: failure.reason, stderr: failure.stderr },
    });
  }

  /** End the process group and every program it started: SIGTERM, then SIGKILL after `graceMs`. */
  private async kill(graceMs: number): Promise<void> {
    clearInterval(this.heartbeat);
    const groups = [this.child.pid, ...this.spawned].filter((pid): pid is number => pid !== undefined);
    if (this.child.exitCode === null && this.child.signalCode === null && graceMs > 0) {
      for (const pid of groups) signalGroup(pid, 'SIGTERM');
      await Promise.race([this.exited, delay(graceMs)]);
    }
    for (const pid of groups) signalGroup(pid, 'SIGKILL');
    await Promise.race([this.exited, delay(2_000)]);
  }

  private lines(stream: NodeJS.ReadableStream, each: (line: string) => void): void {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) if (line.trim() !== '') each(line.slice(0, 2_000));
    });
    stream.on('end', () => rest.trim() !== '' && each(rest.slice(0, 2_000)));
  }
}

/** An error the plugin threw, rebuilt on this side: a refusal stays a refusal (and a volume error its kind). */
export function fromWire(error: WireError): Error {
  if (error.refusal) {
    const { status, details, volumeError } = error.refusal;
    const rebuilt = volumeError
      ? new VolumeError(volumeError as VolumeErrorKind, error.message, details ? { details } : {})
      : new PluginError(error.message, { status, ...(details ? { details } : {}) });
    if (error.stack) rebuilt.stack = error.stack;
    return rebuilt;
  }
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  if (error.stack) rebuilt.stack = error.stack;
  return rebuilt;
}

function oomIn(lines: string[]): boolean {
  return lines.some((line) => /heap out of memory|Allocation failed/i.test(line));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
