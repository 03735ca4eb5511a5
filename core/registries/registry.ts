import { KernelError } from '../errors/kernel-error.js';
import type { TapOwner } from '../hooks/hook-taps.js';
import type { ProviderKind } from './registries.js';

interface Entry<T> {
  owner: TapOwner;
  value: T;
}

/**
 * A registry of providers keyed by name (schedulers, job types, targets, storage backends).
 * A taken key is refused with `KRN_ERR_DUPLICATE`, except by the same plugin's new instance during a
 * swap: `replaceOwner` moves all of one instance's keys to the next in one step.
 */
export class Registry<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(readonly kind: ProviderKind) {}

  /** Throws `KRN_ERR_DUPLICATE` if `key` is taken by another plugin (or twice by this instance). */
  checkFree(key: string, owner: TapOwner, replacingInstanceId?: string): void {
    const taken = this.entries.get(key);
    if (!taken) return;
    const sameSwap = taken.owner.plugin === owner.plugin && taken.owner.instanceId === replacingInstanceId;
    if (!sameSwap) {
      throw new KernelError(
        'KRN_ERR_DUPLICATE',
        `${this.kind} "${key}" is already registered by plugin ${taken.owner.plugin}`,
        {
          plugin: owner.plugin,
          details: { kind: this.kind, key, registeredBy: taken.owner.plugin },
        },
      );
    }
  }

  /** Commit a set of registrations for `owner`, dropping every key `replacingInstanceId` held. */
  replaceOwner(replacingInstanceId: string | undefined, owner: TapOwner, add: ReadonlyMap<string, T>): void {
    for (const key of add.keys()) this.checkFree(key, owner, replacingInstanceId);
    if (replacingInstanceId !== undefined) this.removeOwner(replacingInstanceId);
    for (const [key, value] of add) this.entries.set(key, { owner, value });
  }

  removeOwner(instanceId: string): void {
    for (const [key, entry] of this.entries) if (entry.owner.instanceId === instanceId) this.entries.delete(key);
  }

  get(key: string): T | undefined {
    return this.entries.get(key)?.value;
  }

  ownerOf(key: string): TapOwner | undefined {
    return this.entries.get(key)?.owner;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }
}
