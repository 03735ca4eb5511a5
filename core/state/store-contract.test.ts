/**
 * One contract, two backends: every scenario runs against SQLite and PostgreSQL and expects the
 * same records, order and errors (plugins, desired state, activity, tokens, drop-ins, settings).
 * The PostgreSQL half needs a server (SPINDLE_TEST_PG_URL, default the local one); without it the
 * half is skipped, or fails when CI=true. Jobs and volumes: store-contract-jobs.test.ts;
 * migrations: store-contract-migrations.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { needService } from '../../tests/helpers/services.js';
import type { PluginRecord } from './store.js';
import { describeStoreContract, plugin, token } from './store-contract.test-helper.js';

const postgres = await needService('postgres');

describeStoreContract('plugins, activity, tokens', postgres.skip, (t) => {
  describe('plugins', () => {
    it('round-trip and list by name, install time, version in byte order', async () => {
      const { store } = t.state;
      await store.putPlugin(plugin('hello', '2.0.0', { state: 'active' }));
      await store.putPlugin(plugin('hello', '1.0.0'));
      await store.putPlugin(plugin('Hello', '1.0.0'));
      await store.putPlugin(plugin('hello-x', '1.0.0'));
      await store.putPlugin(plugin('hello_x', '1.0.0'));
      await store.putPlugin(plugin('hello', '1.5.0', { installedAt: '2024-01-01T00:00:00.000Z' }));
      expect(await store.getPlugin('hello', '1.0.0')).toEqual(plugin('hello', '1.0.0'));
      expect(await store.getPlugin('hello', '3.0.0')).toBeUndefined();
      expect((await store.listPlugins()).map((p) => `${p.name}@${p.version}`)).toEqual([
        'Hello@1.0.0',
        'hello@1.0.0',
        'hello@1.5.0',
        'hello@2.0.0',
        'hello-x@1.0.0',
        'hello_x@1.0.0',
      ]);
    });

    it('put replaces, state changes refuse an unknown version, delete removes one version', async () => {
      const { store } = t.state;
      await store.putPlugin(plugin('hello', '1.0.0'));
      await store.putPlugin(plugin('hello', '2.0.0'));
      await store.putPlugin(plugin('hello', '1.0.0', { source: 'drop-in:hello.zip', sha256: 'cd'.repeat(32) }));
      expect(await store.getPlugin('hello', '1.0.0')).toEqual(
        plugin('hello', '1.0.0', { source: 'drop-in:hello.zip', sha256: 'cd'.repeat(32) }),
      );
      await store.setPluginState('hello', '1.0.0', 'failed', 'activate threw');
      expect(await store.getPlugin('hello', '1.0.0')).toMatchObject({ state: 'failed', error: 'activate threw' });
      await store.setPluginState('hello', '1.0.0', 'active', null);
      expect(await store.getPlugin('hello', '1.0.0')).toMatchObject({ state: 'active', error: null });
      await expect(store.setPluginState('hello', '9.9.9', 'active', null)).rejects.toMatchObject({
        code: 'KRN_ERR_PLUGIN_NOT_FOUND',
      });
      await store.deletePlugin('hello', '1.0.0');
      await store.deletePlugin('hello', '1.0.0');
      expect((await store.listPlugins()).map((p) => p.version)).toEqual(['2.0.0']);
    });

    it('wrap constraint violations in KRN_ERR_STATE naming the operation', async () => {
      const bad = plugin('hello', '1.0.0', { state: 'exploded' as PluginRecord['state'] });
      await expect(t.state.store.putPlugin(bad)).rejects.toMatchObject({
        code: 'KRN_ERR_STATE',
        details: { operation: 'putPlugin' },
        message: expect.stringContaining('state putPlugin failed'),
      });
    });
  });

  describe('desired plugins and config', () => {
    it('desired round-trips in name order', async () => {
      const { store } = t.state;
      await store.putDesired({ name: 'b', pinnedVersion: null, enabled: true });
      await store.putDesired({ name: 'a', pinnedVersion: '1.2.0', enabled: false });
      await store.putDesired({ name: 'B', pinnedVersion: null, enabled: true });
      expect(await store.getDesired('a')).toEqual({ name: 'a', pinnedVersion: '1.2.0', enabled: false });
      expect(await store.getDesired('zzz')).toBeUndefined();
      expect((await store.listDesired()).map((d) => d.name)).toEqual(['B', 'a', 'b']);
      await store.putDesired({ name: 'a', pinnedVersion: null, enabled: true });
      expect(await store.getDesired('a')).toEqual({ name: 'a', pinnedVersion: null, enabled: true });
      await store.deleteDesired('a');
      await store.deleteDesired('B');
      expect(await store.listDesired()).toEqual([{ name: 'b', pinnedVersion: null, enabled: true }]);
    });

    it('the desired generation moves on every change of the desired set, and only then', async () => {
      const { store } = t.state;
      const generation = async () =>
        Number((await t.backend.raw('SELECT generation FROM desired_generation WHERE id = 1'))[0]!.generation);
      expect(await generation()).toBe(0);
      await store.putDesired({ name: 'a', pinnedVersion: null, enabled: true });
      expect(await generation()).toBe(1);
      await store.putDesired({ name: 'a', pinnedVersion: '1.0.0', enabled: true });
      expect(await generation()).toBe(2);
      await store.putDesired({ name: 'a', pinnedVersion: '1.0.0', enabled: false });
      expect(await generation()).toBe(3);
      await store.putDesired({ name: 'a', pinnedVersion: '1.0.0', enabled: false });
      expect(await generation()).toBe(3);
      await store.deleteDesired('a');
      expect(await generation()).toBe(4);
      await store.deleteDesired('a');
      await store.putConfig('a', { x: 1 });
      expect(await generation()).toBe(4);
    });

    it('config round-trips as JSON, is replaced and deleted', async () => {
      const { store } = t.state;
      expect(await store.getConfig('hello')).toBeUndefined();
      await store.putConfig('hello', { greeting: 'hi', nested: { n: 1.5, list: [true, null, 'é'] } });
      expect(await store.getConfig('hello')).toEqual({ greeting: 'hi', nested: { n: 1.5, list: [true, null, 'é'] } });
      await store.putConfig('hello', {});
      expect(await store.getConfig('hello')).toEqual({});
      await store.deleteConfig('hello');
      expect(await store.getConfig('hello')).toBeUndefined();
    });
  });

  describe('activity', () => {
    const add = (
      actor: string,
      action: string,
      plugin: string | null,
      i: number,
      subject = `${plugin ?? 'kernel'}#${i}`,
    ) => t.state.store.addActivity({ actor, action, subject, plugin, outcome: 'ok', details: { i } });

    it('returns the stored entry with a numeric id and time, details parsed back', async () => {
      const entry = await t.state.store.addActivity({
        actor: 'admin',
        action: 'plugin.installed',
        subject: 'hello@1.0.0',
        plugin: 'hello',
        outcome: 'error',
        details: { reason: 'x', n: [1, 2] },
        at: '2024-05-01T10:00:00.000Z',
      });
      expect(entry).toEqual({
        id: expect.any(Number),
        at: '2024-05-01T10:00:00.000Z',
        actor: 'admin',
        action: 'plugin.installed',
        subject: 'hello@1.0.0',
        plugin: 'hello',
        outcome: 'error',
        details: { reason: 'x', n: [1, 2] },
      });
      expect(await t.state.store.listActivity()).toEqual([entry]);
      const stamped = await add('kernel', 'kernel.started', null, 0);
      expect(stamped.id).toBeGreaterThan(entry.id);
      expect(Number.isNaN(Date.parse(stamped.at))).toBe(false);
    });

    it('lists newest first with filters and paging', async () => {
      for (let i = 0; i < 30; i++) {
        await add(i % 2 ? 'alice' : 'bob', i % 3 ? 'plugin.installed' : 'plugin.swapped', i % 5 ? 'hello' : 'other', i);
      }
      const { store } = t.state;
      const all = await store.listActivity();
      expect(all.map((e) => e.details.i)).toEqual([...Array(30).keys()].reverse());
      const alice = await store.listActivity({ actor: 'alice' });
      expect(alice).toHaveLength(15);
      expect(alice.every((e) => e.actor === 'alice')).toBe(true);
      expect((await store.listActivity({ plugin: 'other' })).map((e) => e.details.i)).toEqual([25, 20, 15, 10, 5, 0]);
      expect(
        (await store.listActivity({ plugin: 'hello', actor: 'bob', action: 'plugin.swapped' })).map((e) => e.details.i),
      ).toEqual([24, 18, 12, 6]);
      const page1 = await store.listActivity({ actor: 'alice', limit: 4 });
      const page2 = await store.listActivity({ actor: 'alice', limit: 4, beforeId: page1.at(-1)!.id });
      expect([...page1, ...page2].map((e) => e.details.i)).toEqual([29, 27, 25, 23, 21, 19, 17, 15]);
      expect(await store.listActivity({ beforeId: all.at(-1)!.id })).toEqual([]);
    });

    it('filters by job family and job version, LIKE wildcards taken literally', async () => {
      await add('alice', 'job.deployed', null, 0, 'web@1.0.0');
      await add('alice', 'job.deployed', null, 1, 'web@2.0.0');
      await add('alice', 'job.deployed', null, 2, 'web-api@1.0.0');
      await add('alice', 'job.deployed', null, 3, 'a_b@1.0.0');
      await add('alice', 'job.deployed', null, 4, 'axb@1.0.0');
      await add('alice', 'plugin.installed', 'web', 5, 'web@1.0.0');
      const { store } = t.state;
      const ids = async (filter: Parameters<typeof store.listActivity>[0]) =>
        (await store.listActivity(filter)).map((e) => e.details.i);
      expect(await ids({ family: 'web' })).toEqual([1, 0]);
      expect(await ids({ family: 'a_b' })).toEqual([3]);
      expect(await ids({ family: '%' })).toEqual([]);
      // SQLite's LIKE ignores ASCII case; PostgreSQL matches it.
      expect(await ids({ family: 'WEB' })).toEqual([1, 0]);
      expect(await ids({ job: 'web@1.0.0' })).toEqual([0]);
      expect(await ids({ job: 'web@1.0.0', actor: 'bob' })).toEqual([]);
    });

    it('limits to 100 by default and 1000 at most', async () => {
      for (let i = 0; i < 1005; i++) await add('kernel', 'tick', null, i);
      const { store } = t.state;
      expect(await store.listActivity()).toHaveLength(100);
      expect(await store.listActivity({ limit: 5000 })).toHaveLength(1000);
      expect(await store.listActivity({ limit: 0 })).toHaveLength(1);
      expect(await store.listActivity({ limit: 2.9 })).toHaveLength(2);
    });
  });

  describe('tokens, drop-ins, settings', () => {
    it('tokens: put, find by hash, list in creation order, revoke keeps the first time', async () => {
      const { store } = t.state;
      await store.putToken(token('t2', 'hash-2', { kind: 'admin', createdAt: '2024-02-01T00:00:00.000Z' }));
      await store.putToken(token('t1', 'hash-1', { expiresAt: '2030-01-01T00:00:00.000Z' }));
      await store.putToken(token('T0', 'hash-0'));
      expect(await store.findTokenByHash('hash-1')).toEqual(
        token('t1', 'hash-1', { expiresAt: '2030-01-01T00:00:00.000Z' }),
      );
      expect(await store.findTokenByHash('nope')).toBeUndefined();
      expect((await store.listTokens()).map((t) => t.id)).toEqual(['T0', 't1', 't2']);
      await store.revokeToken('t1', '2024-03-01T00:00:00.000Z');
      await store.revokeToken('t1', '2024-04-01T00:00:00.000Z');
      await store.revokeToken('unknown', '2024-04-01T00:00:00.000Z');
      expect((await store.findTokenByHash('hash-1'))?.revokedAt).toBe('2024-03-01T00:00:00.000Z');
      await expect(store.putToken(token('t3', 'hash-2'))).rejects.toMatchObject({
        code: 'KRN_ERR_STATE',
        details: { operation: 'putToken' },
      });
    });

    it('drop-ins round-trip, list by file, replace and delete', async () => {
      const { store } = t.state;
      const record = { file: 'hello-1.0.0.zip', sha256: 'ab'.repeat(32), name: 'hello', version: '1.0.0' };
      await store.putDropIn(record);
      await store.putDropIn({ file: 'a.zip', sha256: 'cd'.repeat(32), name: 'a', version: '0.1.0' });
      await store.putDropIn({ file: 'Z.zip', sha256: 'cd'.repeat(32), name: 'z', version: '0.1.0' });
      expect(await store.getDropIn('hello-1.0.0.zip')).toEqual(record);
      expect(await store.getDropIn('missing.zip')).toBeUndefined();
      expect((await store.listDropIns()).map((r) => r.file)).toEqual(['Z.zip', 'a.zip', 'hello-1.0.0.zip']);
      await store.putDropIn({ ...record, sha256: 'ef'.repeat(32), version: '1.0.1' });
      expect(await store.getDropIn('hello-1.0.0.zip')).toMatchObject({ sha256: 'ef'.repeat(32), version: '1.0.1' });
      await store.deleteDropIn('hello-1.0.0.zip');
      expect(await store.listDropIns()).toHaveLength(2);
    });

    it('settings hold JSON values by key and are replaced', async () => {
      const { store } = t.state;
      expect(await store.getSetting('maintenance')).toBeUndefined();
      await store.putSetting('maintenance', { on: true, reason: 'upgrade', since: '2024-01-01T00:00:00.000Z' });
      await store.putSetting('count', 3);
      await store.putSetting('nothing', null);
      expect(await store.getSetting('maintenance')).toEqual({
        on: true,
        reason: 'upgrade',
        since: '2024-01-01T00:00:00.000Z',
      });
      expect(await store.getSetting('count')).toBe(3);
      expect(await store.getSetting('nothing')).toBeNull();
      await store.putSetting('maintenance', { on: false });
      expect(await store.getSetting('maintenance')).toEqual({ on: false });
    });
  });
});
