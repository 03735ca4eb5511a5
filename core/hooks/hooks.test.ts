import { AsyncSeriesBailHook } from 'tapable';
import { afterEach, describe, expect, it } from 'vitest';
import { HOOK_KINDS } from '../../plugin-sdk/hook-catalogue.js';
import { HookTaps, type OwnedTap } from './hook-taps.js';
import { assertTapableCompatible, createKernelHooks } from './hooks.js';

// tapable's hook classes are factories over one Hook class: the method lives on its prototype.
const proto = Object.getPrototypeOf(new AsyncSeriesBailHook(['arg'])) as { _resetCompilation?: unknown };
const original = proto._resetCompilation;
afterEach(() => {
  proto._resetCompilation = original;
});

const req = {
  principal: { id: 'u', name: 'u', kind: 'user' as const, provider: 't' },
  action: 'a',
  resource: { kind: 'job' as const },
};

function owned(plugin: string, instanceId: string, fn: () => unknown, options: OwnedTap['options'] = {}): OwnedTap {
  return {
    owner: { plugin, instanceId },
    options,
    tap: {
      name: plugin,
      type: 'async',
      fn: (_arg, callback) => void Promise.resolve(fn()).then((v) => callback(null, v), callback),
    },
  };
}

describe('kernel hooks', () => {
  it('declares every hook of the catalogue, frozen, each of its kind', () => {
    const hooks = createKernelHooks();
    expect(Object.keys(hooks).sort()).toEqual(Object.keys(HOOK_KINDS).sort());
    expect(Object.isFrozen(hooks)).toBe(true);
    const classes = {
      'series-bail': 'AsyncSeriesBailHook',
      'series-waterfall': 'AsyncSeriesWaterfallHook',
      'sync-bail': 'SyncBailHook',
      'parallel-notify': 'AsyncParallelHook',
    };
    for (const [name, kind] of Object.entries(HOOK_KINDS))
      expect(hooks[name as keyof typeof hooks].constructor.name, name).toBe(classes[kind]);
  });

  it('passes the boot check with the pinned tapable', () => {
    expect(() => assertTapableCompatible()).not.toThrow();
  });

  it('fails the boot check, by code, when tapable loses _resetCompilation', () => {
    delete proto._resetCompilation;
    expect(() => assertTapableCompatible()).toThrow(expect.objectContaining({ code: 'KRN_ERR_TAPABLE_INCOMPATIBLE' }));
  });

  it('a removed tap never runs again, even after the hook was compiled with it', async () => {
    const hooks = createKernelHooks();
    const taps = new HookTaps(hooks);
    const calls: string[] = [];
    taps.replace('auth.authorize', undefined, [owned('p', 'p1', () => void calls.push('p'))]);
    taps.replace('auth.authorize', undefined, [owned('q', 'q1', () => void calls.push('q'))]);
    await hooks['auth.authorize'].promise(req);
    taps.removeInstance('p1');
    await hooks['auth.authorize'].promise(req);
    expect(calls).toEqual(['p', 'q', 'q']);
  });

  it('orders taps by stage, then before, then plugin name — never by activation order', () => {
    const taps = new HookTaps(createKernelHooks());
    const noop = () => undefined;
    taps.replace('auth.authenticate', undefined, [owned('zeta', 'z1', noop)]);
    taps.replace('auth.authenticate', undefined, [owned('alpha', 'a1', noop)]);
    taps.replace('auth.authenticate', undefined, [owned('mid', 'm1', noop)]);
    expect(taps.order('auth.authenticate')).toEqual(['alpha', 'mid', 'zeta']);
    taps.replace('auth.authenticate', undefined, [
      owned('late', 'l1', noop, { stage: 10 }),
      owned('early', 'e1', noop, { stage: -1 }),
    ]);
    expect(taps.order('auth.authenticate')).toEqual(['early', 'alpha', 'mid', 'zeta', 'late']);
    taps.replace('auth.authenticate', undefined, [owned('sso', 's1', noop, { before: ['alpha'] })]);
    expect(taps.order('auth.authenticate')).toEqual(['early', 'sso', 'alpha', 'mid', 'zeta', 'late']);
  });

  it("a swap keeps the plugin's place", () => {
    const hooks = createKernelHooks();
    const taps = new HookTaps(hooks);
    taps.replace('auth.preAuth', undefined, [owned('a', 'a1', () => undefined)]);
    taps.replace('auth.preAuth', undefined, [owned('b', 'b1', () => undefined)]);
    taps.replace('auth.preAuth', 'a1', [owned('a', 'a2', () => 'new')]);
    expect(taps.order('auth.preAuth')).toEqual(['a', 'b']);
    expect(hooks['auth.preAuth'].taps).toHaveLength(2);
  });
});
