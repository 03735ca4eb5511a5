import { execa } from 'execa';
import type { ExecOptions, ExecResult, TrackedProcess } from '../../plugin-sdk/context.js';
import type { PluginLogger } from '../../plugin-sdk/context.js';
import { describeError } from '../errors/kernel-error.js';
import type { Ledger } from './ledger.js';

const KILL_GRACE_MS = 2_000;

/** Start a child process the ledger kills (SIGTERM, then SIGKILL) when the plugin unloads. */
export function trackedExec(ledger: Ledger, file: string, args: string[], options: ExecOptions): TrackedProcess {
  const child = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    timeout: options.timeout,
    input: options.input,
    reject: false,
    forceKillAfterDelay: KILL_GRACE_MS,
  });
  const forget = ledger.add('process', `${file} ${args.join(' ')}`.trim(), async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await child.catch(() => undefined);
  });
  const result: Promise<ExecResult> = child.then(
    (r) => ({ exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }),
    (error: unknown) => ({ exitCode: -1, stdout: '', stderr: describeError(error) }),
  );
  void result.finally(forget);
  return { pid: child.pid, result, kill: (signal) => child.kill(signal) };
}

/** Timers the ledger clears on unload; a throwing callback is logged, never crashes the kernel. */
export function trackedTimers(ledger: Ledger, logger: PluginLogger) {
  const forgetters = new Map<unknown, () => void>();
  const guard = (fn: () => void) => () => {
    try {
      fn();
    } catch (error) {
      logger.error({ err: describeError(error) }, 'timer callback threw');
    }
  };
  return {
    setTimeout(fn: () => void, ms: number): unknown {
      const handle: NodeJS.Timeout = setTimeout(() => {
        forgetters.get(handle)?.();
        forgetters.delete(handle);
        guard(fn)();
      }, ms);
      forgetters.set(handle, ledger.add('timer', `timeout ${ms} ms`, () => clearTimeout(handle)));
      return handle;
    },
    setInterval(fn: () => void, ms: number): unknown {
      const handle = setInterval(guard(fn), ms);
      forgetters.set(handle, ledger.add('timer', `interval ${ms} ms`, () => clearInterval(handle)));
      return handle;
    },
    clearTimer(handle: unknown): void {
      clearTimeout(handle as NodeJS.Timeout);
      forgetters.get(handle)?.();
      forgetters.delete(handle);
    },
  };
}
