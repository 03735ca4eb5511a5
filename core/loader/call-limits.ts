/**
 * How long the kernel waits for each plugin call before it fails the call with a
 * `KRN_ERR_*_TIMEOUT` naming the plugin and the call. Documented for plugin authors in
 * docs/guides/plugin-authors.md ("Time limits"); activation, deactivation, drain and hook limits
 * are operator settings (`SPINDLE_*_TIMEOUT_MS`), these are not.
 */
import type { ProviderKind } from '../registries/registries.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/** Per provider kind and method; `*` is any other method. */
export const PROVIDER_LIMITS_MS: Readonly<Record<ProviderKind, Readonly<Record<string, number>>>> = Object.freeze({
  scheduler: { schedule: 30 * SECOND, '*': 30 * SECOND },
  'job type': { prepare: 15 * MINUTE, '*': MINUTE },
  'infrastructure target': {
    agents: 30 * SECOND,
    list: 30 * SECOND,
    attach: MINUTE,
    logs: 30 * SECOND,
    deploy: 15 * MINUTE,
    stop: 5 * MINUTE,
    '*': MINUTE,
  },
  'storage backend': {
    putFile: 10 * MINUTE,
    getFile: 10 * MINUTE,
    cloneVolume: 10 * MINUTE,
    deleteVolume: 10 * MINUTE,
    '*': MINUTE,
  },
});

/** A plugin's own HTTP route (`ctx.http.route`). */
export const ROUTE_LIMIT_MS = MINUTE;
/** An operator-run action (`ctx.actions.register`). */
export const ACTION_LIMIT_MS = 5 * MINUTE;

export function providerLimitMs(kind: ProviderKind, method: string): number {
  const limits = PROVIDER_LIMITS_MS[kind];
  return limits[method] ?? limits['*']!;
}
