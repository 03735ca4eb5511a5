import { AsyncSeriesBailHook } from 'tapable';
import { afterEach, describe, expect, it } from 'vitest';
import { HOOK_KINDS } from '../plugin-sdk/hook-catalogue.js';
import { assertTapableCompatible, createKernelHooks, makeTap, replaceTaps } from './hooks.js';

// tapable's hook classes are factories over one Hook class: the method lives on its prototype.
const proto = Object.getPrototypeOf(new AsyncSeriesBailHook(['arg'])) as { _resetCompilation?: unknown };
const original = proto._resetCompilation;
afterEach(() => {
  proto._resetCompilation = original;
});

describe('kernel hooks', () => {
  it('declares every hook of the catalogue, frozen', () => {
    const hooks = createKernelHooks();
    expect(Object.keys(hooks).sort()).toEqual(Object.keys(HOOK_KINDS).sort());
    expect(Object.isFrozen(hooks)).toBe(true);
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
    const calls: string[] = [];
    const owner = { plugin: 'p', instanceId: 'p@1#1' };
    const other = { plugin: 'q', instanceId: 'q@1#1' };
    replaceTaps(hooks['auth.authorize'], undefined, [makeTap('auth.authorize', owner, async () => void calls.push('p'))]);
    replaceTaps(hooks['auth.authorize'], undefined, [makeTap('auth.authorize', other, async () => void calls.push('q'))]);
    const req = { principal: { id: 'u', name: 'u', kind: 'user' as const, provider: 't' }, action: 'a', resource: { kind: 'job' as const } };
    await hooks['auth.authorize'].promise(req);
    replaceTaps(hooks['auth.authorize'], owner.instanceId, []);
    await hooks['auth.authorize'].promise(req);
    expect(calls).toEqual(['p', 'q', 'q']);
  });

  it('a swap puts the new taps where the old ones were, keeping bail order', () => {
    const hooks = createKernelHooks();
    const tap = (plugin: string, id: string) => makeTap('auth.preAuth', { plugin, instanceId: id }, () => undefined);
    replaceTaps(hooks['auth.preAuth'], undefined, [tap('a', 'a1')]);
    replaceTaps(hooks['auth.preAuth'], undefined, [tap('b', 'b1')]);
    replaceTaps(hooks['auth.preAuth'], 'a1', [tap('a', 'a2')]);
    expect(hooks['auth.preAuth'].taps.map((t) => (t as unknown as { owner: { instanceId: string } }).owner.instanceId)).toEqual(['a2', 'b1']);
  });
});
