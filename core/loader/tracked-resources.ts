import { execa } from 'execa';
import type { ExecOptions, ExecResult, PluginLogger, TrackedProcess } from '../../plugin-sdk/context.js';
import { describeError } from '../errors/kernel-error.js';
import type { Ledger } from './ledger.js';
import { type CallSite, callPluginSync, callPoint } from './plugin-call.js';

const DEFAULT_KILL_GRACE_MS = 2_000;

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/**
 * Start a child process in its own process group. The ledger stops it (SIGTERM to the group, then
 * SIGKILL after the grace period) when the plugin unloads, so no child outlives its plugin.
 */
export function trackedExec(ledger: Ledger, file: string, args: string[], options: ExecOptions): TrackedProcess {
  const grace = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const output = options.logFile ? { file: options.logFile, append: true } : 'pipe';
  const child = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: options.env === undefined,
    timeout: options.timeout,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    stdout: output,
    stderr: output,
    reject: false,
    detached: true,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: grace,
  });
  const result: Promise<ExecResult> = child.then(
    (r) => ({
      exitCode: r.exitCode ?? -1,
      signal: r.signal ?? undefined,
      stdout: typeof r.stdout === 'string' ? r.stdout : '',
      stderr: typeof r.stderr === 'string' ? r.stderr : r.failed && !r.exitCode && !r.signal ? describeError(r) : '',
    }),
    (error: unknown) => ({ exitCode: -1, stdout: '', stderr: describeError(error) }),
  );
  const stop = async (): Promise<ExecResult> => {
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), grace);
      await result;
      clearTimeout(timer);
    }
    // The leader may be gone while its children linger: end the group for good.
    signalGroup(child.pid, 'SIGKILL');
    return result;
  };
  const forget = ledger.add('process', `${file} ${args.join(' ')}`.trim(), async () => void (await stop()));
  void result.finally(forget);
  return { pid: child.pid, result, kill: (signal = 'SIGTERM') => signalGroup(child.pid, signal), stop };
}

const TIMER = callPoint('timer', 'timer callback', 0);

/** Timers the ledger clears on unload; a callback runs through the seam, and a throw is logged, never crashes the kernel. */
export function trackedTimers(site: CallSite, ledger: Ledger, logger: PluginLogger) {
  const forgetters = new Map<unknown, () => void>();
  const guard = (fn: () => void) => () => {
    try {
      callPluginSync(site, TIMER, fn);
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
      forgetters.set(
        handle,
        ledger.add('timer', `timeout ${ms} ms`, () => clearTimeout(handle)),
      );
      return handle;
    },
    setInterval(fn: () => void, ms: number): unknown {
      const handle = setInterval(guard(fn), ms);
      forgetters.set(
        handle,
        ledger.add('timer', `interval ${ms} ms`, () => clearInterval(handle)),
      );
      return handle;
    },
    clearTimer(handle: unknown): void {
      clearTimeout(handle as NodeJS.Timeout);
      forgetters.get(handle)?.();
      forgetters.delete(handle);
    },
  };
}
