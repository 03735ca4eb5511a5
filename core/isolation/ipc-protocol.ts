/**
 * The messages between the kernel and an isolated plugin's process (Node's IPC channel, `advanced`
 * serialisation, so Buffers cross as Buffers). The kernel asks, the plugin answers by `id`; the
 * plugin's registrations, logs and reports flow the other way, in the order the plugin made them,
 * so every registration of `activate()` is in before its answer.
 */
import type { HookName, TapOptions } from '../../plugin-sdk/hook-catalogue.js';
import type { SignupEvent } from '../../plugin-sdk/hook-types.js';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import type { JobStateReport } from '../../plugin-sdk/providers.js';

/** What the plugin's process is started with. */
export interface ChildInit {
  manifest: PluginManifest;
  config: Record<string, unknown>;
  bundleDir: string;
  dataDir: string;
  kernel: { version: string; pluginApiVersion: string };
}

export type ToChild =
  | { t: 'activate'; id: number; init: ChildInit }
  | { t: 'call'; id: number; handler: number; args: unknown[] }
  | { t: 'deactivate'; id: number }
  | { t: 'ledger'; id: number }
  | { t: 'ping'; seq: number };

/** An error as it crosses: enough to rebuild a `PluginError` (status, details, volume kind) or an `Error`. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  /** Set when the plugin threw a `PluginError` on purpose. */
  refusal?: { status: number; details?: Record<string, unknown>; volumeError?: string };
}

export type Registry = 'schedulers' | 'jobTypes' | 'targets' | 'storage';

export type Registration =
  | { kind: 'tap'; hook: HookName; handler: number; options: TapOptions }
  | { kind: 'event'; pattern: string; handler: number; options: TapOptions }
  | {
      kind: 'provider';
      registry: Registry;
      name: string;
      data: Record<string, unknown>;
      methods: Record<string, number>;
    }
  | { kind: 'route'; method: string; path: string; handler: number }
  | { kind: 'action'; name: string; description: string; inputSchema?: Record<string, unknown>; handler: number };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export type FromChild =
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: WireError }
  | { t: 'pong'; seq: number }
  | { t: 'register'; registration: Registration }
  | { t: 'log'; level: LogLevel; bindings: Record<string, unknown>; obj: unknown; msg?: string }
  | { t: 'report'; report: JobStateReport }
  | { t: 'signedUp'; event: SignupEvent }
  /** A process `ctx.exec` started (its own process group): killed with the plugin's process if that dies. */
  | { t: 'spawned'; pid: number }
  | { t: 'reaped'; pid: number }
  /** An error no call caught (a raw timer, a stray promise): the process ends after sending it. */
  | { t: 'fatal'; error: WireError };

/** What Node's permission model refused, with the manifest field that would grant it. */
const DENIALS: Record<string, [what: string, grant: string]> = {
  FileSystemRead: ['reading', 'permissions.fsRead'],
  FileSystemWrite: ['writing', 'permissions.fsWrite'],
  ChildProcess: ['starting a program', 'permissions.childProcess'],
  WorkerThreads: ['starting a worker thread', 'permissions.workers'],
};

/** Node says only "Access to this API has been restricted"; say what was refused and how to ask for it. */
function denial(error: Error): string | undefined {
  const { code, permission, resource } = error as Error & { code?: string; permission?: string; resource?: string };
  if (code !== 'ERR_ACCESS_DENIED') return undefined;
  const [what, grant] = DENIALS[permission ?? ''] ?? [`using ${permission}`, 'permissions'];
  return `its permissions do not allow ${what}${resource ? ` ${resource}` : ''} (ERR_ACCESS_DENIED from Node's permission model; declare it in ${grant} of plugin.json if the plugin needs it)`;
}

export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const candidate = error as Error & {
    $$brand?: string;
    status?: unknown;
    details?: Record<string, unknown>;
    volumeError?: string;
  };
  const refusal =
    candidate.$$brand === 'spindle.plugin-sdk' && typeof candidate.status === 'number'
      ? {
          status: candidate.status,
          ...(candidate.details ? { details: candidate.details } : {}),
          ...(candidate.volumeError ? { volumeError: candidate.volumeError } : {}),
        }
      : undefined;
  return {
    name: error.name,
    message: denial(error) ?? error.message,
    ...(error.stack ? { stack: error.stack } : {}),
    ...(refusal ? { refusal } : {}),
  };
}
