/**
 * Users, tokens and grants, kept in memory and persisted to `<dataDir>/auth.json` after every
 * change. Writes are atomic (a temp file in the same directory, fsync, rename) and serialised, so
 * a crash leaves either the old file or the new one, never half of one.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { PasswordHash } from './passwords.js';
import { type Grant, sameGrant } from './scopes.js';
import { hashToken, newToken } from './tokens.js';

export interface UserRecord {
  id: string;
  username: string;
  password: PasswordHash;
  createdAt: string;
}

export interface TokenRecord {
  id: string;
  userId: string;
  name: string;
  /** SHA-256 hex of the token; the token itself is never stored. */
  hash: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

export interface GrantRecord extends Grant {
  userId: string;
}

export interface AuthData {
  version: 1;
  users: UserRecord[];
  tokens: TokenRecord[];
  grants: GrantRecord[];
}

/** What a token listing shows: everything but the hash. */
export type TokenInfo = Omit<TokenRecord, 'hash' | 'userId'>;

export const AUTH_FILE = 'auth.json';

export class AuthStore {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly data: AuthData,
  ) {}

  /** Load `<dir>/auth.json`, or start empty when there is none. */
  static async open(dir: string): Promise<AuthStore> {
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, AUTH_FILE);
    let data: AuthData = { version: 1, users: [], tokens: [], grants: [] };
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<AuthData>;
      if (parsed.version !== 1) throw new Error(`${file}: unknown version ${String(parsed.version)}`);
      data = { version: 1, users: parsed.users ?? [], tokens: parsed.tokens ?? [], grants: parsed.grants ?? [] };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return new AuthStore(file, data);
  }

  // ---- users

  users(): readonly UserRecord[] {
    return this.data.users;
  }

  userByName(username: string): UserRecord | undefined {
    return this.data.users.find((u) => u.username === username);
  }

  userById(id: string): UserRecord | undefined {
    return this.data.users.find((u) => u.id === id);
  }

  async createUser(username: string, password: PasswordHash, grants: readonly Grant[] = []): Promise<UserRecord> {
    if (this.userByName(username)) throw new Error(`user "${username}" already exists`);
    const user: UserRecord = { id: `usr_${randomUUID()}`, username, password, createdAt: new Date().toISOString() };
    this.data.users.push(user);
    this.pushGrants(user.id, grants);
    await this.save();
    return user;
  }

  /** Remove a user with its tokens and grants. False when there was no such user. */
  async deleteUser(username: string): Promise<boolean> {
    const user = this.userByName(username);
    if (!user) return false;
    this.data.users = this.data.users.filter((u) => u.id !== user.id);
    this.data.tokens = this.data.tokens.filter((t) => t.userId !== user.id);
    this.data.grants = this.data.grants.filter((g) => g.userId !== user.id);
    await this.save();
    return true;
  }

  // ---- grants

  grantsOf(userId: string): Grant[] {
    return this.data.grants.filter((g) => g.userId === userId).map(({ userId: _, ...grant }) => grant);
  }

  /** Add grants the user does not have yet; returns how many were new. */
  async addGrants(userId: string, grants: readonly Grant[]): Promise<number> {
    const added = this.pushGrants(userId, grants);
    if (added > 0) await this.save();
    return added;
  }

  /** Remove the user's grants equal to any of these; returns how many were removed. */
  async removeGrants(userId: string, grants: readonly Grant[]): Promise<number> {
    const before = this.data.grants.length;
    this.data.grants = this.data.grants.filter((g) => g.userId !== userId || !grants.some((r) => sameGrant(g, r)));
    const removed = before - this.data.grants.length;
    if (removed > 0) await this.save();
    return removed;
  }

  private pushGrants(userId: string, grants: readonly Grant[]): number {
    let added = 0;
    for (const grant of grants) {
      if (this.data.grants.some((g) => g.userId === userId && sameGrant(g, grant))) continue;
      this.data.grants.push({ userId, ...grant });
      added++;
    }
    return added;
  }

  // ---- tokens

  /** Make a token for the user. The returned `token` is the only copy of the secret. */
  async createToken(
    userId: string,
    options: { name?: string; expiresAt?: string } = {},
  ): Promise<{ token: string; record: TokenRecord }> {
    const { token, hash, id } = newToken();
    const record: TokenRecord = {
      id,
      userId,
      name: options.name ?? 'token',
      hash,
      createdAt: new Date().toISOString(),
    };
    if (options.expiresAt) record.expiresAt = options.expiresAt;
    this.data.tokens.push(record);
    await this.save();
    return { token, record };
  }

  /** The record of a presented token, found by its hash. */
  tokenBySecret(token: string): TokenRecord | undefined {
    const hash = hashToken(token);
    return this.data.tokens.find((t) => t.hash === hash);
  }

  /**
   * Check a presented token: undefined when it is not one of ours (another provider may know it),
   * a rejection when it was revoked, expired or its user is gone, else its user and record.
   */
  verifyToken(
    token: string,
    now = new Date(),
  ): { user: UserRecord; token: TokenRecord } | { reject: string } | undefined {
    const record = this.tokenBySecret(token);
    if (!record) return undefined;
    if (record.revokedAt) return { reject: 'the token was revoked' };
    if (record.expiresAt && Date.parse(record.expiresAt) <= now.getTime())
      return { reject: `the token expired at ${record.expiresAt}` };
    const user = this.userById(record.userId);
    if (!user) return { reject: 'the token belongs to a user that was deleted' };
    return { user, token: record };
  }

  tokenById(id: string): TokenRecord | undefined {
    return this.data.tokens.find((t) => t.id === id);
  }

  tokensOf(userId: string): TokenInfo[] {
    return this.data.tokens.filter((t) => t.userId === userId).map(({ hash: _h, userId: _u, ...info }) => info);
  }

  /** Mark a token revoked (kept, so a listing shows when). False when unknown or already revoked. */
  async revokeToken(id: string): Promise<boolean> {
    const token = this.tokenById(id);
    if (!token || token.revokedAt) return false;
    token.revokedAt = new Date().toISOString();
    await this.save();
    return true;
  }

  // ---- persistence

  /** Write the whole file atomically; writes are queued so they never interleave. */
  save(): Promise<void> {
    const snapshot = JSON.stringify(this.data, null, 2);
    const write = this.writes.then(() => this.writeAtomically(snapshot));
    this.writes = write.catch(() => undefined);
    return write;
  }

  private async writeAtomically(content: string): Promise<void> {
    const temp = `${this.file}.${process.pid}.${randomUUID()}.tmp`;
    try {
      const handle = await open(temp, 'w', 0o600);
      try {
        await handle.writeFile(content, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
