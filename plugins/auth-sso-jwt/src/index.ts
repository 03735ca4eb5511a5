/**
 * auth-sso-jwt: single sign-on from a JWT in a cookie or header, on `auth.preAuth` (like
 * Backend.AI's PRE_AUTH_MIDDLEWARE). No token: pass. A good token: a user principal, recorded in
 * users.json on first sight. A bad token: `{reject}` with a reason. An unreachable JWKS: throw, so
 * the kernel fails closed (503, naming this plugin). The token itself is never logged. See
 * docs/usage.md.
 */

import type { JWTPayload } from 'jose';
import { type AuthOutcome, definePlugin, PluginError, type Principal, type RequestInfo } from 'spindle/plugin-sdk';
import { missingClaim } from './reasons.js';
import { UserDirectory } from './user-directory.js';
import { JwksUnavailableError, type KeyConfig, TokenVerifier } from './verify-token.js';

export interface SsoConfig extends KeyConfig {
  cookieName: string;
  headerName?: string;
  userClaim: string;
  nameClaim: string;
  groupsClaim: string;
}

export const PROVIDER = 'auth-sso-jwt';

/** Three base64url segments: what a compact JWS looks like. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The token in the request, if any: the cookie first, then the header (with `Bearer ` stripped).
 * A header value that is not JWT-shaped is not ours (an API key, say) and is left to other taps.
 */
export function findToken(
  request: RequestInfo,
  config: Pick<SsoConfig, 'cookieName' | 'headerName'>,
): string | undefined {
  const cookie = request.cookies[config.cookieName]?.trim();
  if (cookie) return cookie;
  if (!config.headerName) return undefined;
  const raw = request.headers[config.headerName.toLowerCase()]?.trim();
  if (!raw) return undefined;
  const value = raw.replace(/^bearer\s+/i, '').trim();
  return JWT_SHAPE.test(value) ? value : undefined;
}

/** A claim by name, or by dotted path into nested objects (`realm_access.roles`). */
export function claimAt(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const asId = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim()
    ? value.trim()
    : typeof value === 'number' && Number.isFinite(value)
      ? String(value)
      : undefined;

function asGroups(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() ? [value.trim()] : [];
  if (!Array.isArray(value)) return [];
  return [...new Set(value.filter((g): g is string => typeof g === 'string' && g.trim() !== '').map((g) => g.trim()))];
}

/** Map verified claims to a principal, or a reason when the user claim is missing. */
export function toPrincipal(
  payload: JWTPayload,
  config: Pick<SsoConfig, 'userClaim' | 'nameClaim' | 'groupsClaim'>,
): AuthOutcome {
  const id = asId(claimAt(payload, config.userClaim));
  if (!id) return { reject: missingClaim(config.userClaim) };
  const name = asId(claimAt(payload, config.nameClaim)) ?? id;
  const claims: Record<string, unknown> = { iss: payload.iss, sub: payload.sub, aud: payload.aud, exp: payload.exp };
  if (typeof payload.email === 'string') claims.email = payload.email;
  const principal: Principal = {
    id,
    name,
    kind: 'user',
    provider: PROVIDER,
    groups: asGroups(claimAt(payload, config.groupsClaim)),
    claims,
  };
  return { principal };
}

function checkKeySource(config: SsoConfig): void {
  if (!config.jwksUrl && !(config.publicKeys && config.publicKeys.length > 0) && !config.hmacSecret) {
    throw new PluginError('auth-sso-jwt needs a key to verify tokens with: set jwksUrl, publicKeys or hmacSecret', {
      details: { field: 'jwksUrl' },
    });
  }
}

export default definePlugin<SsoConfig>({
  async activate(ctx) {
    const config = ctx.config;
    checkKeySource(config);
    let verifier: TokenVerifier;
    try {
      verifier = new TokenVerifier(config);
    } catch (error) {
      throw new PluginError(`auth-sso-jwt cannot use its keys: ${(error as Error).message}`);
    }
    const users = new UserDirectory(ctx.dataDir, ctx.logger);

    ctx.auth.preAuth(async (request) => {
      const token = findToken(request, config);
      if (token === undefined) return undefined;
      let verified;
      try {
        verified = await verifier.verify(token);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        ctx.logger.warn(
          { url: request.url, err: why },
          error instanceof JwksUnavailableError
            ? 'SSO keys unavailable; failing closed'
            : 'SSO token check failed; failing closed',
        );
        throw error instanceof JwksUnavailableError ? error : new Error(`SSO token check failed: ${why}`);
      }
      if ('reject' in verified) {
        ctx.logger.info({ url: request.url, ip: request.ip, reason: verified.reject }, 'SSO token refused');
        return verified;
      }
      const outcome = toPrincipal(verified.payload, config);
      if ('reject' in outcome) {
        ctx.logger.info({ url: request.url, ip: request.ip, reason: outcome.reject }, 'SSO token refused');
        return outcome;
      }
      // Bookkeeping only: the verified token decides access, so a directory failure is just logged.
      const seen = await users
        .seen(outcome.principal.id, outcome.principal.name, outcome.principal.groups ?? [])
        .catch((error: unknown) => {
          ctx.logger.error(
            { user: outcome.principal.id, err: (error as Error).message },
            'could not record the SSO user',
          );
        });
      // First sight of a user is their signup.
      const acceptLanguage = request.headers['accept-language'];
      if (seen === 'created')
        ctx.auth.signedUp({ principal: outcome.principal, ...(acceptLanguage ? { acceptLanguage } : {}) });
      return outcome;
    });

    ctx.logger.info(
      {
        cookie: config.cookieName,
        header: config.headerName,
        jwks: config.jwksUrl,
        staticKeys: config.publicKeys?.length ?? 0,
        hmac: Boolean(config.hmacSecret),
        issuer: config.issuer,
        audience: config.audience,
        algorithms: verifier.allowedAlgorithms,
      },
      'auth-sso-jwt active',
    );
  },
});
