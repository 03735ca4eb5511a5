/**
 * An isolated plugin, as the plugin host sees it: a `definePlugin` object whose `activate(ctx)`
 * starts the plugin's process and replays what the plugin registers there onto the kernel-side
 * `ctx` — so every tap, provider, route and action is in the instance's ledger like an in-process
 * plugin's, with a stub that calls across IPC. The host calls those stubs through the plugin-call
 * seam, so time limits, drain counting and the error shape are the same for both.
 */
import type { PluginContext } from '../../plugin-sdk/context.js';
import type { DefinedPlugin } from '../../plugin-sdk/define-plugin.js';
import type { HookName } from '../../plugin-sdk/hook-catalogue.js';
import { PLUGIN_API_VERSION, SDK_BRAND } from '../../plugin-sdk/version.js';
import { describeError, KernelError } from '../errors/kernel-error.js';
import type { PluginInstance } from '../loader/plugin-instance.js';
import type { FromChild, Registration } from './ipc-protocol.js';
import { PluginProcess, type ProcessFailure } from './plugin-process.js';
import type { ProcessLaunch } from './process-launch.js';
import { wireCodec } from './wire-codecs.js';

export interface IsolationSettings {
  /** Builds the process's flags and environment from the plugin's permissions. */
  launch: ProcessLaunch;
  /** A process that has not answered a heartbeat for this long is killed and restarted. */
  unresponsiveMs: number;
  /** Largest request or answer body (routes, actions) that crosses to the plugin's process. */
  messageMaxBytes: number;
  kernelVersion: string;
}

/** Why an isolated instance stopped serving after it was active (the supervisor restarts or fails it). */
export type IsolatedFailure = ProcessFailure & { instance: PluginInstance };

/** A tap method of ctx, whatever its hook (the stub forwards the argument as it comes). */
type Tapper = (handler: never, options: object) => void;

function tapperOf(ctx: PluginContext, hook: HookName): Tapper | undefined {
  const taps: Partial<Record<HookName, Tapper>> = {
    'auth.preAuth': ctx.auth.preAuth,
    'auth.authenticate': ctx.auth.authenticate,
    'auth.authorize': ctx.auth.authorize,
    'auth.postAuthenticate': ctx.auth.onPostAuthenticate,
    'auth.postSignup': ctx.auth.onPostSignup,
    'jobs.validateManifest': ctx.jobTypes.validateManifest,
    'scheduling.admit': ctx.scheduling.admit,
    'plugins.inUse': ctx.plugins.inUse,
  };
  return taps[hook];
}

function sizeOf(body: unknown): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return body.byteLength;
  return 0;
}

export function isolatedPlugin(
  instance: PluginInstance,
  settings: IsolationSettings,
  onFailure: (failure: IsolatedFailure) => void,
): DefinedPlugin {
  const { manifest } = instance;
  let proc: PluginProcess | undefined;
  let active = false;
  const tooLarge = (what: string, bytes: number) =>
    new KernelError(
      'KRN_ERR_PLUGIN_MESSAGE_TOO_LARGE',
      `${what} of ${bytes} bytes is larger than ${settings.messageMaxBytes} bytes`,
      { plugin: manifest.name },
    );
  const checked = (what: string, body: unknown): void => {
    const bytes = sizeOf(body);
    if (bytes > settings.messageMaxBytes) throw tooLarge(what, bytes);
  };

  /** Replay one registration of the plugin's process onto the kernel-side ctx. */
  const replay = (ctx: PluginContext, registration: Registration): void => {
    const remote =
      (handler: number) =>
      (...args: unknown[]) =>
        proc!.call(handler, args);
    switch (registration.kind) {
      case 'tap': {
        const tap = tapperOf(ctx, registration.hook);
        if (!tap)
          throw new KernelError(
            'KRN_ERR_ISOLATION_UNSUPPORTED',
            `${registration.hook} cannot be tapped from another process`,
            { plugin: manifest.name },
          );
        tap(remote(registration.handler) as never, registration.options);
        return;
      }
      case 'event':
        ctx.events.on(registration.pattern, remote(registration.handler) as never, registration.options);
        return;
      case 'provider': {
        const stub: Record<string, unknown> = { ...registration.data };
        for (const [method, handler] of Object.entries(registration.methods)) {
          const codec = wireCodec(registration.registry, method);
          stub[method] = codec
            ? async (...args: unknown[]) => codec.decodeResult(await proc!.call(handler, codec.encodeArgs(args)))
            : remote(handler);
        }
        if (registration.registry === 'schedulers') ctx.scheduling.registerScheduler(registration.name, stub as never);
        else if (registration.registry === 'jobTypes') ctx.jobTypes.register(stub as never);
        else if (registration.registry === 'targets')
          ctx.infrastructure.registerTarget(registration.name, stub as never);
        else ctx.storage.registerBackend(registration.name, stub as never);
        return;
      }
      case 'route':
        ctx.http.route(registration.method as never, registration.path, async (request) => {
          checked('the request body', request.body);
          const response = (await proc!.call(registration.handler, [request])) as { body?: unknown } | undefined;
          checked('the answer body', response?.body);
          return response ?? {};
        });
        return;
      case 'action':
        ctx.actions.register(registration.name, {
          description: registration.description,
          ...(registration.inputSchema ? { inputSchema: registration.inputSchema } : {}),
          handler: (input) => proc!.call(registration.handler, [input]),
        });
        return;
    }
  };

  return Object.freeze({
    $$brand: SDK_BRAND,
    $$kind: 'plugin' as const,
    $$apiVersion: PLUGIN_API_VERSION,
    async activate(ctx: PluginContext) {
      let refused: unknown;
      const received = (message: FromChild): void => {
        try {
          if (message.t === 'register') replay(ctx, message.registration);
          else if (message.t === 'log') {
            const fields =
              typeof message.obj === 'object' && message.obj !== null
                ? { ...message.bindings, ...message.obj }
                : { ...message.bindings, value: message.obj };
            ctx.logger[message.level](
              fields,
              message.msg ?? (typeof message.obj === 'string' ? message.obj : undefined),
            );
          } else if (message.t === 'report') ctx.infrastructure.reportJobState(message.report);
          else if (message.t === 'signedUp') ctx.auth.signedUp(message.event);
        } catch (error) {
          // During activate() a refused registration fails the activation, as it would in-process.
          if (!active) refused ??= error;
          else ctx.logger.error({ err: describeError(error) }, 'a registration from the plugin process was refused');
        }
      };
      const { execArgv, env, cwd, nice } = settings.launch.forPlugin(
        manifest,
        instance.config,
        instance.dir,
        ctx.dataDir,
      );
      proc = new PluginProcess({
        manifest,
        runner: settings.launch.runner,
        execArgv,
        env,
        cwd,
        nice,
        unresponsiveMs: settings.unresponsiveMs,
        logger: settings.launch.logger,
        onMessage: received,
        onFailure: (failure) => {
          if (active) onFailure({ ...failure, instance });
        },
      });
      const started = proc;
      instance.ledger.add('other', `plugin process ${started.pid}`, () => started.stop(0));
      await started.activate({
        manifest,
        config: instance.config,
        bundleDir: instance.dir,
        dataDir: ctx.dataDir,
        kernel: { version: settings.kernelVersion, pluginApiVersion: PLUGIN_API_VERSION },
      });
      if (refused !== undefined) throw refused;
      active = true;
    },
    async deactivate() {
      active = false;
      await proc?.stop(2_000);
    },
    /** What the plugin's process holds now (timers, programs), for the test kit. */
    ledger: () => proc?.ledger() ?? Promise.resolve({}),
  });
}
