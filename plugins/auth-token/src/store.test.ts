import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';
import { AUTH_FILE, AuthStore } from './store.js';
import { hashToken } from './tokens.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'auth-token-store-'));
  dirs.push(dir);
  return dir;
};

describe('auth store', () => {
  it('persists users, grants and tokens across a reopen of the same directory', async () => {
    const dir = tempDir();
    const store = await AuthStore.open(dir);
    const alice = await store.createUser('alice', await hashPassword('correct horse'), [
      { scope: 'read_job', jobs: '*' },
    ]);
    await store.addGrants(alice.id, [
      { scope: 'deploy_job', jobs: { family: 'adder' } },
      { scope: 'read_job', jobs: '*' },
    ]);
    const { token, record } = await store.createToken(alice.id, { name: 'ci', expiresAt: '2999-01-01T00:00:00.000Z' });
    await store.revokeToken((await store.createToken(alice.id)).record.id);

    const again = await AuthStore.open(dir);
    const loaded = again.userByName('alice')!;
    expect(loaded.id).toBe(alice.id);
    expect(await verifyPassword('correct horse', loaded.password)).toBe(true);
    expect(await verifyPassword('wrong horse', loaded.password)).toBe(false);
    expect(again.grantsOf(alice.id)).toEqual([
      { scope: 'read_job', jobs: '*' },
      { scope: 'deploy_job', jobs: { family: 'adder' } },
    ]);
    expect(again.verifyToken(token)).toMatchObject({ user: { username: 'alice' }, token: { id: record.id } });
    expect(again.tokensOf(alice.id)).toHaveLength(2);
    expect(again.tokensOf(alice.id)[1]!.revokedAt).toEqual(expect.any(String));
    expect(readdirSync(dir)).toEqual([AUTH_FILE]); // no temp files left behind
  });

  it('never stores a password in clear, and tokens only as sha256 hashes', async () => {
    const dir = tempDir();
    const store = await AuthStore.open(dir);
    const alice = await store.createUser('alice', await hashPassword('s3cret-password'));
    const { token } = await store.createToken(alice.id);
    const raw = readFileSync(path.join(dir, AUTH_FILE), 'utf8');
    expect(raw).not.toContain('s3cret-password');
    expect(raw).not.toContain(token);
    expect(raw).not.toContain(token.slice(4));
    expect(raw).toContain(hashToken(token));
    const data = JSON.parse(raw) as {
      users: { password: Record<string, unknown> }[];
      tokens: Record<string, unknown>[];
    };
    expect(data.users[0]!.password).toMatchObject({
      algorithm: 'scrypt',
      N: 16384,
      r: 8,
      p: 1,
      keylen: 64,
      salt: expect.any(String),
      hash: expect.any(String),
    });
    expect(Object.keys(data.tokens[0]!).sort()).toEqual(['createdAt', 'hash', 'id', 'name', 'userId']);
  });

  it('verifies tokens: unknown, revoked, expired, deleted user', async () => {
    const store = await AuthStore.open(tempDir());
    const bob = await store.createUser('bob', await hashPassword('password-1'));
    expect(store.verifyToken('spt_nope')).toBeUndefined();
    const expired = await store.createToken(bob.id, { expiresAt: '2020-01-01T00:00:00.000Z' });
    expect(store.verifyToken(expired.token)).toEqual({ reject: 'the token expired at 2020-01-01T00:00:00.000Z' });
    const revoked = await store.createToken(bob.id);
    await store.revokeToken(revoked.record.id);
    expect(store.verifyToken(revoked.token)).toEqual({ reject: 'the token was revoked' });
    const live = await store.createToken(bob.id);
    await store.deleteUser('bob');
    expect(store.verifyToken(live.token)).toBeUndefined(); // its tokens went with it
  });

  it('serialises concurrent writes and keeps a valid file', async () => {
    const dir = tempDir();
    const store = await AuthStore.open(dir);
    const hash = await hashPassword('password-1');
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.createUser(`user${i}`, hash)));
    expect((await AuthStore.open(dir)).users()).toHaveLength(20);
  });

  it('refuses a file of an unknown version', async () => {
    const dir = tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, AUTH_FILE), JSON.stringify({ version: 9 }));
    await expect(AuthStore.open(dir)).rejects.toThrow(/unknown version 9/);
  });
});
