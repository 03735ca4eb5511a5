/**
 * The plugin contract: everything a plugin can reach in the kernel, and when.
 *
 * A plugin module is one CommonJS bundle whose default export is `definePlugin({...})`. The kernel
 * calls `activate(ctx)` once per loaded instance and `deactivate(ctx)` once when the instance goes
 * away (uninstall, disable, swap to another version, config change, kernel shutdown).
 *
 * `ctx` is the only door into the kernel. Every registration made through it is written into the
 * instance's ledger, and when the instance is unloaded the kernel undoes all of it — taps,
 * registry entries, routes, actions, timers, child processes, services — so a plugin need not
 * clean up after itself (it may, in `deactivate`).
 *
 * Order of events for one instance:
 *   1. the bundle is `require`d (top-level code runs: keep it free of side effects);
 *   2. `activate(ctx)` runs with a time limit (config `activationTimeoutMs`, default 10 s). While
 *      it runs, registrations are collected but not yet visible to callers;
 *   3. when `activate` resolves, all registrations become visible at once. If an older version of
 *      the same plugin was active, from this moment new calls go to this instance; calls already
 *      running on the old one finish (drain, with a deadline) and then the old one is deactivated;
 *   4. if `activate` throws or times out, everything it registered or started is undone, the
 *      instance is marked `failed` with the error, and an older active version stays active;
 *   5. `deactivate(ctx)` runs (errors are logged, never block unloading), then the ledger is undone
 *      and the bundle's modules are removed from `require.cache`.
 *
 * Throwing from any handler a plugin registers never stops the kernel or another plugin: the error
 * is logged with the plugin's name; what it means for the caller is documented per hook.
 */
import type { HookHandler, TapOptions } from './hook-catalogue.js';
import type { Principal, SignupEvent } from './hook-types.js';
import type { PluginManifest } from './manifest.js';
import type {
  InfrastructureProvider,
  JobStateReport,
  JobTypeProvider,
  SchedulerProvider,
  StorageProvider,
} from './providers.js';

/** A pino-compatible logger, already tagged with `{ plugin, version }`. */
export interface PluginLogger {
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): PluginLogger;
}

/** `ctx.auth`: taps on the auth hooks. See `HookSpecs` for what returning or throwing means. */
export interface AuthExtensionPoint {
  /** Runs first on every request; return `{principal}` from a cookie or header (SSO), or nothing. */
  preAuth(handler: HookHandler<'auth.preAuth'>, options?: TapOptions): void;
  /** Return `{principal}` for credentials you recognise, `{reject: reason}` for ones you refuse. */
  authenticate(handler: HookHandler<'auth.authenticate'>, options?: TapOptions): void;
  /** Return `{decision: 'allow'}` or `{decision: 'deny', reason}`, or nothing for no opinion. */
  authorize(handler: HookHandler<'auth.authorize'>, options?: TapOptions): void;
  onPostAuthenticate(handler: HookHandler<'auth.postAuthenticate'>, options?: TapOptions): void;
  onPostSignup(handler: HookHandler<'auth.postSignup'>, options?: TapOptions): void;
  /**
   * Tell the kernel a user signed up with this plugin (self-service or first sight through SSO).
   * The kernel fires `auth.postSignup` (listeners cannot fail or delay the signup), writes the
   * activity log and fires the `user.signedUp` event. Pass the request's `Accept-Language`.
   */
  signedUp(event: SignupEvent): void;
}

/** `ctx.jobTypes`: job types `name:version` and manifest checks. */
export interface JobTypesExtensionPoint {
  /** Register a job type. The key is `name:version`; a taken key is refused. */
  register(provider: JobTypeProvider): void;
  /** Return the (possibly changed) manifest, or throw to reject it with your message. */
  validateManifest(handler: HookHandler<'jobs.validateManifest'>, options?: TapOptions): void;
}

/** `ctx.scheduling`: schedulers (one per name) and admission / placement policy. */
export interface SchedulingExtensionPoint {
  registerScheduler(name: string, provider: SchedulerProvider): void;
  /** Runs at enqueue; return `{reject: reason}` to refuse the job. */
  admit(handler: HookHandler<'scheduling.admit'>, options?: TapOptions): void;
  /** Runs per job × agent, synchronously (hot path): return `{reject: reason}` to rule the agent out. */
  filter(handler: HookHandler<'scheduling.filter'>, options?: TapOptions): void;
}

export interface InfrastructureExtensionPoint {
  registerTarget(name: string, provider: InfrastructureProvider): void;
  /**
   * Tell the kernel what happened to a job this plugin runs (exited, crashed, restarting, back
   * up). The kernel applies the state change, records it with the reason and fires `job.*`.
   * Reports for jobs the kernel does not know, or that are already in a final state, are ignored.
   */
  reportJobState(report: JobStateReport): void;
}

export interface StorageExtensionPoint {
  registerBackend(name: string, provider: StorageProvider): void;
}

/** `ctx.events`: listen to kernel events. `pattern` is an exact type (`plugin.installed`) or `family.*`. */
export interface EventsExtensionPoint {
  on(pattern: string, handler: HookHandler<'events.plugin'>, options?: TapOptions): void;
}

/** `ctx.plugins`: take part in plugin lifecycle decisions. */
export interface PluginsExtensionPoint {
  /** Asked before `name@version` is uninstalled: append who still uses it to `query.users`. */
  inUse(handler: HookHandler<'plugins.inUse'>, options?: TapOptions): void;
}

/** A request to one of the plugin's own routes, as plain data. */
export interface PluginHttpRequest {
  method: string;
  /** Path below `/api/v1/plugins/<name>/routes`, starting with `/`. */
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  /** Header names lower-case; credentials (`authorization`, `x-spindle-auth`) are removed. */
  headers: Record<string, string | undefined>;
  body: unknown;
  /** Who is calling, as the kernel's auth chain established it (absent in the test kit unless given). */
  principal?: Principal;
}

export interface PluginHttpResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * `ctx.http`: routes served under `/api/v1/plugins/<name>/routes/…`, behind the kernel's auth.
 * Paths use `:param` segments (`/items/:id`). A swap replaces the whole route table at once.
 */
export interface HttpExtensionPoint {
  route(
    method: HttpMethod,
    path: string,
    handler: (req: PluginHttpRequest) => PluginHttpResponse | Promise<PluginHttpResponse>,
  ): void;
}

export interface ActionDefinition {
  description: string;
  /** JSON Schema the input is validated against before the handler runs. */
  inputSchema?: Record<string, unknown>;
  handler(input: unknown): unknown | Promise<unknown>;
}

/** `ctx.actions`: named operations an operator runs with `spindle plugin action <plugin> <action>`. */
export interface ActionsExtensionPoint {
  register(name: string, action: ActionDefinition): void;
}

/** A DI token: a string or symbol. Registrations live in the plugin's own child container. */
export type ServiceToken = string | symbol;

/** `ctx.services`: a per-plugin child of the kernel's tsyringe container (explicit tokens only). */
export interface ServicesExtensionPoint {
  registerValue<T>(token: ServiceToken, value: T): void;
  registerFactory<T>(token: ServiceToken, factory: () => T): void;
  resolve<T>(token: ServiceToken): T;
  isRegistered(token: ServiceToken): boolean;
}

export interface ExecOptions {
  cwd?: string;
  /** The whole environment of the process (the kernel's own environment is not passed on). */
  env?: Record<string, string>;
  /** Milliseconds; the process is killed after it. */
  timeout?: number;
  /** Written to stdin, which is then closed. Without it stdin is closed at once (never inherited). */
  input?: string;
  /** Append stdout and stderr to this file instead of collecting them (long-running processes). */
  logFile?: string;
  /** Milliseconds between SIGTERM and SIGKILL when the process is stopped or unloaded (default 2000). */
  killGraceMs?: number;
}

export interface ExecResult {
  /** The exit code, or -1 when the process was ended by a signal or could not start. */
  exitCode: number;
  /** The signal that ended the process, if one did. */
  signal?: string;
  stdout: string;
  stderr: string;
}

/**
 * A tracked child process, started in its own process group: stopping it signals the whole group
 * (so a job's own children go too), and it is stopped when the plugin is unloaded.
 */
export interface TrackedProcess {
  pid: number | undefined;
  /** Resolves when the process ends, with its output; never rejects on a non-zero exit. */
  result: Promise<ExecResult>;
  /** Send a signal to the process group. */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `killGraceMs`; resolves when the process has exited. */
  stop(): Promise<ExecResult>;
}

export interface PluginContext<Config = Record<string, unknown>> {
  readonly manifest: Readonly<PluginManifest>;
  /** Validated against `configSchema`, defaults applied. Frozen: a change re-activates the plugin. */
  readonly config: Readonly<Config>;
  readonly logger: PluginLogger;
  /** Persistent, per plugin name (kept across versions and swaps). */
  readonly dataDir: string;
  /** The bundle's `assets/` directory (read-only by convention). */
  readonly assetsDir: string;
  /** Aborted when this instance starts to unload. */
  readonly signal: AbortSignal;
  readonly kernel: { readonly version: string; readonly pluginApiVersion: string };
  readonly auth: AuthExtensionPoint;
  readonly jobTypes: JobTypesExtensionPoint;
  readonly scheduling: SchedulingExtensionPoint;
  readonly infrastructure: InfrastructureExtensionPoint;
  readonly storage: StorageExtensionPoint;
  readonly events: EventsExtensionPoint;
  readonly plugins: PluginsExtensionPoint;
  readonly http: HttpExtensionPoint;
  readonly actions: ActionsExtensionPoint;
  readonly services: ServicesExtensionPoint;
  /** Run a program (execa). The process is killed if still running when the plugin unloads. */
  exec(file: string, args?: string[], options?: ExecOptions): TrackedProcess;
  /** Like the globals, but cleared when the plugin unloads; a throwing callback is logged. */
  setTimeout(fn: () => void, ms: number): unknown;
  setInterval(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}
