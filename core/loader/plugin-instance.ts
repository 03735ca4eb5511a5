import type {
  ActionDefinition,
  HttpMethod,
  PluginContext,
  PluginHttpRequest,
  PluginHttpResponse,
} from '../../plugin-sdk/context.js';
import type { DefinedPlugin } from '../../plugin-sdk/define-plugin.js';
import type { HookName } from '../../plugin-sdk/hook-catalogue.js';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import type { OwnedTap, TapOwner } from '../hooks/hook-taps.js';
import type { Registry } from '../registries/registry.js';
import { Ledger } from './ledger.js';
import { watchedSlot } from './loop-watchdog.js';
import type { CallSite } from './plugin-call.js';

export interface RouteDefinition {
  method: HttpMethod;
  path: string;
  handler: (req: PluginHttpRequest) => PluginHttpResponse | Promise<PluginHttpResponse>;
}

let nextInstance = 0;

/**
 * One loaded copy of `name@version`. A config change or a swap makes a new instance; the old one
 * drains and unloads. Every call into it goes through the plugin-call seam, which counts it here
 * (`enter` / `exit`) so a drain knows when the old instance is idle.
 */
export class PluginInstance implements CallSite {
  readonly id: string;
  readonly owner: TapOwner;
  /** Its slot in the event-loop watchdog, which names it when it blocks the loop. */
  readonly slot: number;
  readonly ledger = new Ledger();
  readonly abort = new AbortController();
  /** Registrations made during `activate`, made visible all at once by the host on success. */
  readonly staged = {
    taps: new Map<HookName, OwnedTap[]>(),
    registries: new Map<Registry<unknown>, Map<string, unknown>>(),
  };
  /** Raw handlers: the kernel calls them through the seam (loader/plugin-dispatch.ts). */
  readonly routes: RouteDefinition[] = [];
  readonly actions = new Map<string, ActionDefinition>();
  /** Set once the host has made the registrations visible; later ones apply at once. */
  committed = false;
  /** True when the plugin's code runs in a process of its own (`isolation: "process"` or policy). */
  isolated = false;
  definition?: DefinedPlugin;
  ctx?: PluginContext;
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly manifest: PluginManifest,
    readonly dir: string,
    readonly config: Record<string, unknown>,
  ) {
    this.id = `${manifest.name}@${manifest.version}#${++nextInstance}`;
    this.slot = watchedSlot(this);
    this.owner = { plugin: manifest.name, instanceId: this.id };
  }

  get name(): string {
    return this.manifest.name;
  }

  get version(): string {
    return this.manifest.version;
  }

  get inflightCalls(): number {
    return this.inflight;
  }

  /** A call into the plugin started (the seam calls this). */
  enter(): void {
    this.inflight++;
  }

  /** A call into the plugin ended. */
  exit(): void {
    if (--this.inflight === 0 && this.idleWaiters.length > 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Resolve when no call is in flight, or after `deadlineMs`; says which. */
  async drain(deadlineMs: number): Promise<{ drained: boolean; inflight: number }> {
    if (this.inflight === 0) return { drained: true, inflight: 0 };
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs))),
    ]);
    clearTimeout(timer);
    return { drained, inflight: this.inflight };
  }
}
