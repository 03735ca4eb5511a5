import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Principal } from '../../plugin-sdk/hook-types.js';
import type { StateStore } from '../state/store.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Make sure an admin token exists. `SPINDLE_ADMIN_TOKEN`, when given, becomes the admin token
 * (replacing any earlier one). Otherwise one is generated on first start and returned so it can
 * be printed once; only its hash is stored.
 */
export async function ensureAdminToken(store: StateStore, fromEnv: string | undefined): Promise<string | null> {
  const now = new Date().toISOString();
  const admins = (await store.listTokens()).filter((t) => t.kind === 'admin' && !t.revokedAt);
  if (fromEnv) {
    const hash = hashToken(fromEnv);
    for (const t of admins) if (t.hash !== hash) await store.revokeToken(t.id, now);
    if (!admins.some((t) => t.hash === hash)) {
      await store.putToken({
        id: randomUUID(),
        name: 'admin',
        hash,
        kind: 'admin',
        createdAt: now,
        expiresAt: null,
        revokedAt: null,
      });
    }
    return null;
  }
  if (admins.length > 0) return null;
  const token = `spx_${randomBytes(32).toString('base64url')}`;
  await store.putToken({
    id: randomUUID(),
    name: 'admin',
    hash: hashToken(token),
    kind: 'admin',
    createdAt: now,
    expiresAt: null,
    revokedAt: null,
  });
  return token;
}

/** The bootstrap admin principal for a valid, unrevoked, unexpired admin token. */
export async function authenticateAdminToken(store: StateStore, token: string): Promise<Principal | undefined> {
  const record = await store.findTokenByHash(hashToken(token));
  if (record?.kind !== 'admin' || record.revokedAt) return undefined;
  if (record.expiresAt && Date.parse(record.expiresAt) <= Date.now()) return undefined;
  return { id: record.id, name: record.name, kind: 'admin', provider: 'kernel' };
}
