import type { ProviderKind } from '../registries/registries.js';
import { providerLimitMs } from './call-limits.js';
import { type CallSite, callPlugin, callPoint } from './plugin-call.js';

/**
 * What goes into a registry for a provider a plugin registers: a frozen copy whose every method
 * calls the plugin's through the seam (drain count, the method's time limit, errors naming plugin
 * and method). Data fields (a job type's `name` and `version`) are copied as they are.
 */
export function sealProvider<T extends object>(site: CallSite, kind: ProviderKind, key: string, provider: T): T {
  const sealed: Record<string, unknown> = {};
  for (const name of allKeys(provider)) {
    const value: unknown = Reflect.get(provider, name);
    if (typeof value !== 'function') {
      sealed[name] = value;
      continue;
    }
    const point = callPoint('provider', `${kind} ${key}: ${name}()`, providerLimitMs(kind, name));
    const method = (value as (...args: never[]) => unknown).bind(provider);
    sealed[name] = (...args: unknown[]) => callPlugin(site, point, method, ...args);
  }
  return Object.freeze(sealed) as T;
}

/** Own and inherited property names (a provider may be a class instance). */
function allKeys(obj: object): string[] {
  const keys = new Set<string>();
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) if (key !== 'constructor') keys.add(key);
  }
  return [...keys];
}
