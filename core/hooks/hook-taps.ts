import type { HookName, TapOptions } from '../../plugin-sdk/hook-catalogue.js';
import type { KernelHooks } from './hooks.js';

/** Who owns a tap: the plugin (for order and logs) and the loaded instance (to untap it). */
export interface TapOwner {
  plugin: string;
  instanceId: string;
}

/** A tap as tapable runs it: `sync` on sync hooks, `async` (callback style) elsewhere. */
export type TapableTap =
  | { name: string; type: 'sync'; fn: (arg: never) => unknown }
  | { name: string; type: 'async'; fn: (arg: never, callback: (error: unknown, result?: unknown) => void) => void };

export interface OwnedTap {
  owner: TapOwner;
  options: TapOptions;
  tap: TapableTap;
}

interface Placed extends OwnedTap {
  seq: number;
}

let nextSeq = 0;

/**
 * The taps plugins own on each hook. `replace` swaps one instance's taps for another's in one
 * step (one recompile of tapable's caller), and keeps every hook's taps in the order
 * `TapOptions` documents: stage, then `before`, then plugin name, then registration order.
 */
export class HookTaps {
  private readonly placed = new Map<HookName, Placed[]>();

  constructor(private readonly hooks: KernelHooks) {}

  /** Remove every tap of `removeInstanceId` on `name` (if given) and add `add`. */
  replace(name: HookName, removeInstanceId: string | undefined, add: readonly OwnedTap[]): void {
    const current = this.placed.get(name) ?? [];
    const kept =
      removeInstanceId === undefined ? current : current.filter((t) => t.owner.instanceId !== removeInstanceId);
    if (kept.length === current.length && add.length === 0) return;
    const next = orderTaps([...kept, ...add.map((t) => ({ ...t, seq: ++nextSeq }))]);
    this.placed.set(name, next);
    const hook = this.hooks[name];
    hook.taps = next.map((t) => t.tap);
    hook._resetCompilation();
  }

  /** The hooks `instanceId` has taps on. */
  hooksOf(instanceId: string): HookName[] {
    return [...this.placed]
      .filter(([, taps]) => taps.some((t) => t.owner.instanceId === instanceId))
      .map(([name]) => name);
  }

  /** Untap one instance everywhere (unload). */
  removeInstance(instanceId: string): void {
    for (const name of this.hooksOf(instanceId)) this.replace(name, instanceId, []);
  }

  /** The plugins tapping `name`, in the order their taps run. */
  order(name: HookName): string[] {
    return (this.placed.get(name) ?? []).map((t) => t.owner.plugin);
  }
}

function beforeOf(options: TapOptions): readonly string[] {
  const { before } = options;
  return before === undefined ? [] : typeof before === 'string' ? [before] : before;
}

/** Stage, then plugin name and registration order, then each `before` moves a tap up within its stage. */
export function orderTaps<T extends OwnedTap & { seq: number }>(taps: T[]): T[] {
  const stage = (t: T) => t.options.stage ?? 0;
  const sorted = [...taps].sort(
    (a, b) =>
      stage(a) - stage(b) ||
      (a.owner.plugin < b.owner.plugin ? -1 : a.owner.plugin > b.owner.plugin ? 1 : a.seq - b.seq),
  );
  const result: T[] = [];
  for (const tap of sorted) {
    const before = beforeOf(tap.options);
    const at =
      before.length === 0
        ? -1
        : result.findIndex((other) => stage(other) === stage(tap) && before.includes(other.owner.plugin));
    if (at === -1) result.push(tap);
    else result.splice(at, 0, tap);
  }
  return result;
}
