import 'reflect-metadata';
import type { Logger } from 'pino';
import { container, type DependencyContainer } from 'tsyringe';
import type { SignupEvent } from '../../plugin-sdk/hook-types.js';
import type { JobStateReport } from '../../plugin-sdk/providers.js';
import { HookTaps } from '../hooks/hook-taps.js';
import { assertTapableCompatible, createKernelHooks, type KernelHooks } from '../hooks/hooks.js';
import { createRegistries, type KernelRegistries } from '../registries/registries.js';
import { type HostTimeouts, PluginHost } from './plugin-host.js';

export interface PluginHostOptions {
  logger: Logger;
  /** `<home>/data`: each plugin's `ctx.dataDir` is `<dataRoot>/<name>`. */
  dataRoot: string;
  kernelVersion: string;
  hookTimeoutMs: number;
  timeouts: HostTimeouts;
  /** `ctx.infrastructure.reportJobState` lands here. */
  reportJobState(plugin: string, report: JobStateReport): void;
  /** `ctx.auth.signedUp` lands here. */
  signedUp(plugin: string, event: SignupEvent): void;
  /** The DI container plugin containers are children of (default: tsyringe's root). */
  container?: DependencyContainer;
}

/** What plugins extend, and the host that runs them: built once per kernel (and per test kit). */
export interface PluginRuntime {
  hooks: KernelHooks;
  taps: HookTaps;
  registries: KernelRegistries;
  host: PluginHost;
}

/** The one wiring of hooks, registries and the plugin host, used by the kernel and `plugin-sdk/testing`. */
export function createPluginHost(options: PluginHostOptions): PluginRuntime {
  const hooks = createKernelHooks();
  assertTapableCompatible(hooks);
  const taps = new HookTaps(hooks);
  const registries = createRegistries();
  const host = new PluginHost(
    {
      taps,
      registries,
      logger: options.logger,
      container: (options.container ?? container).createChildContainer(),
      dataRoot: options.dataRoot,
      kernelVersion: options.kernelVersion,
      hookTimeoutMs: options.hookTimeoutMs,
      reportJobState: options.reportJobState,
      signedUp: options.signedUp,
    },
    options.timeouts,
    options.logger,
  );
  return { hooks, taps, registries, host };
}
