/**
 * `spindle/plugin-sdk/testing`: activate a plugin in memory and drive it, without a server or a
 * ZIP. It runs the kernel's own loader (ctx, ledger, hook wrappers), so what passes here behaves
 * the same inside a kernel.
 *
 * ```ts
 * import plugin from '../src/index.js';
 * const kernel = await createTestKernel();
 * await kernel.activate(plugin, { manifest: { name: 'my-plugin' }, config: { greeting: 'hi' } });
 * expect(await kernel.request('GET', '/hello')).toMatchObject({ body: 'hi' });
 * await kernel.close();
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { resolveConfig } from '../../core/config/plugin-config.js';
import { KernelError } from '../../core/errors/kernel-error.js';
import { callHook } from '../../core/hooks/call-hook.js';
import type { HookTaps } from '../../core/hooks/hook-taps.js';
import type { KernelHooks } from '../../core/hooks/hooks.js';
import { type IsolatedFailure, type IsolationSettings, isolatedPlugin } from '../../core/isolation/isolated-plugin.js';
import { ProcessLaunch } from '../../core/isolation/process-launch.js';
import { createPluginHost } from '../../core/loader/create-plugin-host.js';
import type { LedgerKind } from '../../core/loader/ledger.js';
import { dispatchRoute, runAction } from '../../core/loader/plugin-dispatch.js';
import type { PluginHost } from '../../core/loader/plugin-host.js';
import type { PluginInstance } from '../../core/loader/plugin-instance.js';
import type { KernelRegistries } from '../../core/registries/registries.js';
import { packageRoot } from '../../core/system/package-root.js';
import type { HttpMethod, PluginHttpResponse } from '../context.js';
import { type DefinedPlugin, isDefinedPlugin } from '../define-plugin.js';
import type { HookArg, HookName, HookResult } from '../hook-catalogue.js';
import type { Principal, SignupEvent } from '../hook-types.js';
import type { PluginManifest } from '../manifest.js';
import type { JobStateReport } from '../providers.js';
import { PLUGIN_API_VERSION } from '../version.js';
import { firstPartyDir, isolatedInstall } from './isolated-install.js';

export interface ActivateOptions {
  /** Manifest fields; `name` defaults to `plugin-under-test`, `version` to `0.0.0`. */
  manifest?: Partial<PluginManifest>;
  /** Operator config; validated against `manifest.configSchema` with defaults, as the kernel does. */
  config?: Record<string, unknown>;
  /**
   * The plugin's own directory (holding `assets/` and `docs/`), so `ctx.assetsDir` points at its
   * real assets. Default: an empty scratch directory.
   */
  dir?: string;
}

export interface LogLine {
  level: number;
  msg?: string;
  plugin?: string;
  [key: string]: unknown;
}

export interface TestKernelOptions {
  /** Time limits, shorter than a real kernel's so a hanging test fails fast. */
  activationTimeoutMs?: number;
  hookTimeoutMs?: number;
  drainTimeoutMs?: number;
  /**
   * `process`: every plugin activated runs in a process of its own, as an isolated plugin in a
   * kernel (its `dir` is bundled first; first-party plugins are found by name). Default:
   * `SPINDLE_TEST_ISOLATION` (`process` or `in-process`), else in-process.
   */
  isolation?: 'in-process' | 'process';
}

export class TestKernel {
  readonly hooks: KernelHooks;
  readonly registries: KernelRegistries;
  /** Who taps each hook, in the order the taps run (`taps.order('auth.authenticate')`). */
  readonly taps: HookTaps;
  /** Every `ctx.infrastructure.reportJobState` call, with the reporting plugin's name. */
  readonly jobStateReports: (JobStateReport & { plugin: string })[] = [];
  /** Every `ctx.auth.signedUp` call, with the plugin's name (the `auth.postSignup` taps run too). */
  readonly signups: (SignupEvent & { plugin: string })[] = [];
  /** Every line the plugins (and the loader) logged, parsed. */
  readonly logs: LogLine[] = [];
  /** Isolated plugins whose process crashed or hung, as the kernel's supervisor would hear of them. */
  readonly processFailures: IsolatedFailure[] = [];
  private readonly root = mkdtempSync(path.join(os.tmpdir(), 'spindle-testkit-'));
  private readonly host: PluginHost;
  private readonly isolation: IsolationSettings | undefined;

  constructor(options: TestKernelOptions = {}) {
    const logger = pino(
      { level: 'trace' },
      { write: (line: string) => void this.logs.push(JSON.parse(line) as LogLine) },
    );
    const isolated = (options.isolation ?? process.env.SPINDLE_TEST_ISOLATION) === 'process';
    this.isolation = isolated
      ? {
          launch: new ProcessLaunch({
            packageRoot: packageRoot(),
            // Tests make their job and upload fixtures in the system's temp directory.
            places: { jobs: os.tmpdir(), transfer: os.tmpdir() },
            memoryMb: 256,
            // The plugin under test runs at the test's own priority.
            nice: 0,
            env: process.env,
            logger,
          }),
          unresponsiveMs: 3_000,
          messageMaxBytes: 16 * 1024 * 1024,
          kernelVersion: 'test',
        }
      : undefined;
    ({
      hooks: this.hooks,
      registries: this.registries,
      taps: this.taps,
      host: this.host,
    } = createPluginHost({
      logger,
      dataRoot: path.join(this.root, 'data'),
      kernelVersion: 'test',
      hookTimeoutMs: options.hookTimeoutMs ?? 2_000,
      timeouts: {
        activationMs: options.activationTimeoutMs ?? 5_000,
        drainMs: options.drainTimeoutMs ?? 2_000,
        deactivationMs: 2_000,
      },
      reportJobState: (plugin, report) => void this.jobStateReports.push({ plugin, ...report }),
      signedUp: (plugin, event) => {
        this.signups.push({ plugin, ...event });
        void this.hooks['auth.postSignup'].promise(event).catch(() => undefined);
      },
    }));
  }

  /** Activate a plugin (its module's default export, or the module itself). Returns its name. */
  async activate(plugin: DefinedPlugin | { default: DefinedPlugin }, options: ActivateOptions = {}): Promise<string> {
    const definition = isDefinedPlugin(plugin) ? plugin : (plugin as { default: DefinedPlugin }).default;
    if (!isDefinedPlugin(definition))
      throw new TypeError('activate(): pass the object made by definePlugin() (or the module exporting it as default)');
    const manifest: PluginManifest = {
      name: 'plugin-under-test',
      version: '0.0.0',
      category: 'core',
      main: 'dist/index.cjs',
      engines: { spindle: `^${PLUGIN_API_VERSION}` },
      ...options.manifest,
    };
    const config = resolveConfig(manifest, options.config);
    // A plugin with no directory to bundle (one defined inline in a test) runs in-process.
    const source = this.isolation ? (options.dir ?? firstPartyDir(manifest.name)) : undefined;
    if (this.isolation && source) {
      const settings = this.isolation;
      const dir = await isolatedInstall(source);
      await this.host.start(manifest, dir, config, (instance) =>
        isolatedPlugin(instance, settings, (failure) => void this.processFailures.push(failure)),
      );
      return manifest.name;
    }
    const dir = options.dir
      ? path.resolve(options.dir)
      : path.join(this.root, 'plugins', manifest.name, manifest.version);
    await this.host.start(manifest, dir, config, definition);
    return manifest.name;
  }

  /** Call a hook as the kernel would: sync hooks with `call`, the rest awaited. */
  async hook<N extends HookName>(name: N, arg: HookArg<N>): Promise<HookResult<N>> {
    return callHook(this.hooks, name, arg);
  }

  /** Fire a kernel event (`plugin.installed`, `job.failed`, …) and wait for the listeners. */
  async emit(type: string, data: Record<string, unknown> = {}, actor?: string): Promise<void> {
    const hook = this.hooks[`events.${type.split('.')[0]}` as 'events.plugin'];
    if (!hook) throw new TypeError(`emit(): unknown event family in "${type}"`);
    await hook.promise({ type, at: new Date().toISOString(), actor, data });
  }

  /** Call one of the plugin's routes (`ctx.http.route`). */
  async request(
    method: HttpMethod,
    routePath: string,
    init: {
      body?: unknown;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      plugin?: string;
      principal?: Principal;
    } = {},
  ): Promise<PluginHttpResponse> {
    return dispatchRoute(this.instance(init.plugin), {
      method,
      path: routePath,
      params: {},
      query: init.query ?? {},
      headers: init.headers ?? {},
      body: init.body,
      ...(init.principal ? { principal: init.principal } : {}),
    });
  }

  /** Run one of the plugin's actions (`ctx.actions.register`), input validated as in the kernel. */
  action(name: string, input?: unknown, plugin?: string): Promise<unknown> {
    return runAction(this.instance(plugin), name, input);
  }

  /** What the plugin's ledger holds now, by kind (taps, timers, processes, …), in the kernel and, isolated, in its process. */
  async ledger(plugin?: string): Promise<Partial<Record<LedgerKind, number>>> {
    const instance = this.instance(plugin);
    const { other: _, ...kernelSide } = instance.ledger.summary();
    const remote = (instance.definition as { ledger?: () => Promise<Partial<Record<LedgerKind, number>>> } | undefined)
      ?.ledger;
    if (!instance.isolated || !remote) return kernelSide;
    const inProcess = await remote();
    const merged: Partial<Record<LedgerKind, number>> = { ...kernelSide };
    for (const [kind, count] of Object.entries(inProcess) as [LedgerKind, number][])
      merged[kind] = (merged[kind] ?? 0) + count;
    return merged;
  }

  /** Deactivate a plugin and undo everything it registered. */
  async deactivate(plugin?: string): Promise<void> {
    await this.host.stop(this.instance(plugin).name);
  }

  async close(): Promise<void> {
    await this.host.stopAll(this.host.activeInstances().map((i) => i.name));
    rmSync(this.root, { recursive: true, force: true });
  }

  private instance(name?: string): PluginInstance {
    const active = this.host.activeInstances();
    const found = name ? this.host.activeInstance(name) : active.length === 1 ? active[0] : undefined;
    if (!found) {
      throw new KernelError(
        'KRN_ERR_PLUGIN_NOT_ACTIVE',
        name ? `"${name}" is not active in the test kernel` : `name the plugin: ${active.length} are active`,
      );
    }
    return found;
  }
}

export function createTestKernel(options?: TestKernelOptions): TestKernel {
  return new TestKernel(options);
}

/** Snapshots, jobs and agents for scheduler tests, and checks of a schedule's result. */
export {
  agent,
  freeAfter,
  job,
  partitionProblems,
  placedIds,
  prng,
  reasonOf,
  snapshot,
} from './scheduling-fixtures.js';
