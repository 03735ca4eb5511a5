import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { openMemoryStore, openSqliteStore, type SqliteStore } from './sqlite-store.js';
import type { PluginRecord, TokenRecord } from './store.js';

const manifest: PluginManifest = {
  name: 'hello',
  version: '1.0.0',
  category: 'core',
  main: 'dist/index.cjs',
  engines: { spindle: '^1.0.0' },
  configSchema: { type: 'object', properties: { greeting: { type: 'string' } } },
};

const plugin = (version: string, over: Partial<PluginRecord> = {}): PluginRecord => ({
  name: 'hello',
  version,
  state: 'installed',
  error: null,
  manifest: { ...manifest, version },
  sha256: 'ab'.repeat(32),
  source: 'upload',
  installedAt: `2024-01-0${version[0]}T00:00:00.000Z`,
  ...over,
});

const token = (id: string, hash: string, over: Partial<TokenRecord> = {}): TokenRecord => ({
  id,
  name: `token ${id}`,
  hash,
  kind: 'user',
  createdAt: '2024-01-01T00:00:00.000Z',
  expiresAt: null,
  revokedAt: null,
  ...over,
});

let store: SqliteStore;
beforeEach(() => {
  store = openMemoryStore();
});
afterEach(async () => {
  await store.close();
});

describe('plugins', () => {
  it('round-trip, including the parsed manifest', async () => {
    await store.putPlugin(plugin('1.0.0'));
    await store.putPlugin(plugin('2.0.0', { state: 'active' }));
    expect(await store.getPlugin('hello', '1.0.0')).toEqual(plugin('1.0.0'));
    expect(await store.getPlugin('hello', '3.0.0')).toBeUndefined();
    expect((await store.listPlugins()).map((p) => p.version)).toEqual(['1.0.0', '2.0.0']);
  });

  it('put replaces the record for name@version', async () => {
    await store.putPlugin(plugin('1.0.0'));
    await store.putPlugin(plugin('1.0.0', { source: 'drop-in:hello.zip', sha256: 'cd'.repeat(32) }));
    expect(await store.listPlugins()).toEqual([
      plugin('1.0.0', { source: 'drop-in:hello.zip', sha256: 'cd'.repeat(32) }),
    ]);
  });

  it('set state with an error, then clear it; an unknown version is refused', async () => {
    await store.putPlugin(plugin('1.0.0'));
    await store.setPluginState('hello', '1.0.0', 'failed', 'activate threw');
    expect(await store.getPlugin('hello', '1.0.0')).toMatchObject({ state: 'failed', error: 'activate threw' });
    await store.setPluginState('hello', '1.0.0', 'active', null);
    expect(await store.getPlugin('hello', '1.0.0')).toMatchObject({ state: 'active', error: null });
    await expect(store.setPluginState('hello', '9.9.9', 'active', null)).rejects.toMatchObject({
      code: 'KRN_ERR_PLUGIN_NOT_FOUND',
    });
  });

  it('delete removes one version only', async () => {
    await store.putPlugin(plugin('1.0.0'));
    await store.putPlugin(plugin('2.0.0'));
    await store.deletePlugin('hello', '1.0.0');
    await store.deletePlugin('hello', '1.0.0');
    expect((await store.listPlugins()).map((p) => p.version)).toEqual(['2.0.0']);
  });

  it('wraps constraint violations in KRN_ERR_STATE naming the operation', async () => {
    const bad = plugin('1.0.0', { state: 'exploded' as PluginRecord['state'] });
    await expect(store.putPlugin(bad)).rejects.toMatchObject({
      code: 'KRN_ERR_STATE',
      details: { operation: 'putPlugin' },
      message: expect.stringContaining('putPlugin'),
    });
  });
});

describe('desired plugins and config', () => {
  it('desired round-trips', async () => {
    await store.putDesired({ name: 'b', pinnedVersion: null, enabled: true });
    await store.putDesired({ name: 'a', pinnedVersion: '1.2.0', enabled: false });
    expect(await store.getDesired('a')).toEqual({ name: 'a', pinnedVersion: '1.2.0', enabled: false });
    expect(await store.getDesired('zzz')).toBeUndefined();
    expect((await store.listDesired()).map((d) => d.name)).toEqual(['a', 'b']);
    await store.putDesired({ name: 'a', pinnedVersion: null, enabled: true });
    expect(await store.getDesired('a')).toEqual({ name: 'a', pinnedVersion: null, enabled: true });
    await store.deleteDesired('a');
    expect(await store.listDesired()).toEqual([{ name: 'b', pinnedVersion: null, enabled: true }]);
  });

  it('config round-trips as JSON, is replaced and deleted', async () => {
    expect(await store.getConfig('hello')).toBeUndefined();
    await store.putConfig('hello', { greeting: 'hi', nested: { n: 1, list: [true, null] } });
    expect(await store.getConfig('hello')).toEqual({ greeting: 'hi', nested: { n: 1, list: [true, null] } });
    await store.putConfig('hello', {});
    expect(await store.getConfig('hello')).toEqual({});
    await store.deleteConfig('hello');
    expect(await store.getConfig('hello')).toBeUndefined();
  });
});

describe('desired generation', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spindle-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('increments on every change of the desired set, and only then', async () => {
    const file = join(dir, 'state.db');
    const fileStore = openSqliteStore(file);
    const raw = new Database(file, { readonly: true });
    const generation = () => raw.prepare('SELECT generation FROM desired_generation WHERE id = 1').pluck().get();
    try {
      expect(generation()).toBe(0);
      await fileStore.putDesired({ name: 'a', pinnedVersion: null, enabled: true });
      expect(generation()).toBe(1);
      await fileStore.putDesired({ name: 'a', pinnedVersion: '1.0.0', enabled: true });
      expect(generation()).toBe(2);
      await fileStore.putDesired({ name: 'a', pinnedVersion: '1.0.0', enabled: false });
      expect(generation()).toBe(3);
      await fileStore.putDesired({ name: 'a', pinnedVersion: '1.0.0', enabled: false });
      expect(generation()).toBe(3);
      await fileStore.deleteDesired('a');
      expect(generation()).toBe(4);
      await fileStore.deleteDesired('a');
      expect(generation()).toBe(4);
      await fileStore.putConfig('a', { x: 1 });
      expect(generation()).toBe(4);
    } finally {
      raw.close();
      await fileStore.close();
    }
  });
});

describe('activity', () => {
  const add = (actor: string, action: string, plugin: string | null, i: number) =>
    store.addActivity({ actor, action, subject: `${plugin ?? 'kernel'}#${i}`, plugin, outcome: 'ok', details: { i } });

  it('returns the stored entry with id and time, details parsed back', async () => {
    const entry = await store.addActivity({
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
    expect(await store.listActivity()).toEqual([entry]);
    const stamped = await add('kernel', 'kernel.started', null, 0);
    expect(Number.isNaN(Date.parse(stamped.at))).toBe(false);
  });

  it('lists newest first with filters and paging', async () => {
    for (let i = 0; i < 30; i++) {
      await add(i % 2 ? 'alice' : 'bob', i % 3 ? 'plugin.installed' : 'plugin.swapped', i % 5 ? 'hello' : 'other', i);
    }
    const all = await store.listActivity();
    expect(all).toHaveLength(30);
    expect(all.map((e) => e.details.i)).toEqual([...Array(30).keys()].reverse());

    const alice = await store.listActivity({ actor: 'alice' });
    expect(alice.every((e) => e.actor === 'alice')).toBe(true);
    expect(alice).toHaveLength(15);
    expect((await store.listActivity({ plugin: 'other' })).map((e) => e.details.i)).toEqual([25, 20, 15, 10, 5, 0]);
    const combined = await store.listActivity({ plugin: 'hello', actor: 'bob', action: 'plugin.swapped' });
    expect(combined.map((e) => e.details.i)).toEqual([24, 18, 12, 6]);

    const page1 = await store.listActivity({ actor: 'alice', limit: 4 });
    const page2 = await store.listActivity({ actor: 'alice', limit: 4, beforeId: page1.at(-1)!.id });
    expect([...page1, ...page2].map((e) => e.details.i)).toEqual([29, 27, 25, 23, 21, 19, 17, 15]);
    expect(await store.listActivity({ beforeId: all.at(-1)!.id })).toEqual([]);
  });

  it('limits to 100 by default and 1000 at most', async () => {
    for (let i = 0; i < 1005; i++) await add('kernel', 'tick', null, i);
    expect(await store.listActivity()).toHaveLength(100);
    expect(await store.listActivity({ limit: 5000 })).toHaveLength(1000);
    expect(await store.listActivity({ limit: 0 })).toHaveLength(1);
  });
});

describe('tokens', () => {
  it('put, find by hash, list', async () => {
    await store.putToken(token('t2', 'hash-2', { kind: 'admin', createdAt: '2024-02-01T00:00:00.000Z' }));
    await store.putToken(token('t1', 'hash-1', { expiresAt: '2030-01-01T00:00:00.000Z' }));
    expect(await store.findTokenByHash('hash-1')).toEqual(
      token('t1', 'hash-1', { expiresAt: '2030-01-01T00:00:00.000Z' }),
    );
    expect(await store.findTokenByHash('nope')).toBeUndefined();
    expect((await store.listTokens()).map((t) => t.id)).toEqual(['t1', 't2']);
  });

  it('revoke sets revokedAt once and keeps the first time', async () => {
    await store.putToken(token('t1', 'hash-1'));
    await store.revokeToken('t1', '2024-03-01T00:00:00.000Z');
    await store.revokeToken('t1', '2024-04-01T00:00:00.000Z');
    await store.revokeToken('unknown', '2024-04-01T00:00:00.000Z');
    expect((await store.findTokenByHash('hash-1'))?.revokedAt).toBe('2024-03-01T00:00:00.000Z');
  });

  it('refuses a second token with the same hash', async () => {
    await store.putToken(token('t1', 'same'));
    await expect(store.putToken(token('t2', 'same'))).rejects.toMatchObject({ code: 'KRN_ERR_STATE' });
  });
});

describe('drop-in files', () => {
  it('round-trip, replace and delete', async () => {
    const record = { file: 'hello-1.0.0.zip', sha256: 'ab'.repeat(32), name: 'hello', version: '1.0.0' };
    await store.putDropIn(record);
    await store.putDropIn({ file: 'a.zip', sha256: 'cd'.repeat(32), name: 'a', version: '0.1.0' });
    expect(await store.getDropIn('hello-1.0.0.zip')).toEqual(record);
    expect(await store.getDropIn('missing.zip')).toBeUndefined();
    expect((await store.listDropIns()).map((r) => r.file)).toEqual(['a.zip', 'hello-1.0.0.zip']);
    await store.putDropIn({ ...record, sha256: 'ef'.repeat(32), version: '1.0.1' });
    expect(await store.getDropIn('hello-1.0.0.zip')).toMatchObject({ sha256: 'ef'.repeat(32), version: '1.0.1' });
    await store.deleteDropIn('hello-1.0.0.zip');
    expect(await store.listDropIns()).toHaveLength(1);
  });
});

describe('lifecycle', () => {
  it('configures the connection: foreign keys, NORMAL sync, a busy timeout', () => {
    // biome-ignore lint/complexity/useLiteralKeys: private, read through TypeScript's bracket escape hatch
    const db = store['db'];
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
  });

  it('memory stores are private to each other', async () => {
    const other = openMemoryStore();
    await store.putConfig('x', { a: 1 });
    expect(await other.getConfig('x')).toBeUndefined();
    await other.close();
  });

  it('close is idempotent and later calls reject with KRN_ERR_STATE', async () => {
    const s = openMemoryStore();
    await s.close();
    await s.close();
    await expect(s.listPlugins()).rejects.toMatchObject({
      code: 'KRN_ERR_STATE',
      details: { operation: 'listPlugins' },
    });
  });
});
