/**
 * API tokens: `spt_` + 32 random bytes (base64url). Only the SHA-256 hex of a token is stored;
 * the token itself is shown once, when it is made.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export const TOKEN_PREFIX = 'spt_';

export function newToken(): { token: string; hash: string; id: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token), id: `tok_${randomUUID()}` };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token a request carries: `Authorization: Bearer <token>` or `X-Spindle-Auth: <token>`. */
export function tokenFromHeaders(headers: Record<string, string | undefined>): string | undefined {
  const authorization = headers.authorization?.trim();
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    return match ? match[1] : undefined;
  }
  const token = headers['x-spindle-auth']?.trim();
  return token ? token : undefined;
}

/** True when the request carries any credentials at all (even ones this plugin cannot read). */
export function hasCredentials(headers: Record<string, string | undefined>): boolean {
  return !!headers.authorization?.trim() || !!headers['x-spindle-auth']?.trim();
}

/** The expiry `days` from `now`, as an ISO string. */
export function expiryAfter(days: number, now = new Date()): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString();
}
