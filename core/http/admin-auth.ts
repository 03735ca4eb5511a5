import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal, RequestInfo } from '../../plugin-sdk/hook-types.js';
import { KernelError } from '../errors/kernel-error.js';
import type { KernelApi } from './kernel-api.js';
import { permissionOf } from './route-permissions.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a token (health, docs). Every other route authenticates. */
    public?: boolean;
  }
  interface FastifyRequest {
    /** Who is calling; set by the auth hook on every non-public route, null elsewhere. */
    principal: Principal | null;
  }
}

export const TOKEN_HEADER = 'x-spindle-auth';

/** Headers that carry the caller's credentials (never forwarded to plugin routes). */
export const CREDENTIAL_HEADERS: readonly string[] = ['authorization', TOKEN_HEADER];

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The token from `Authorization: Bearer <token>` or `X-Spindle-Auth: <token>`, if one was sent. */
export function tokenFromHeaders(headers: IncomingHttpHeaders): string | undefined {
  const authorization = first(headers.authorization)?.trim();
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new KernelError('KRN_ERR_UNAUTHENTICATED', 'the Authorization header must use the Bearer scheme');
    return match[1];
  }
  const token = first(headers[TOKEN_HEADER])?.trim();
  return token ? token : undefined;
}

/** The parts of the request auth plugins may look at, as plain data (header names lower-case). */
export function requestInfo(request: FastifyRequest): RequestInfo {
  const headers: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(request.headers))
    headers[key] = Array.isArray(value) ? value.join(', ') : value;
  return { method: request.method, url: request.url, headers, cookies: parseCookies(headers.cookie), ip: request.ip };
}

function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const value = part.slice(eq + 1).trim();
    try {
      cookies[part.slice(0, eq).trim()] = decodeURIComponent(value);
    } catch {
      cookies[part.slice(0, eq).trim()] = value;
    }
  }
  return cookies;
}

/**
 * Every route authenticates (the kernel's auth chain: admin token, `auth.preAuth`,
 * `auth.authenticate`) and is authorized for its declared action (`auth.authorize`) unless its
 * config says `public: true`. A route with no declared permission is refused: fail closed.
 * Unknown URLs are let through so they answer 404 (the route list is public in `/docs` anyway).
 */
export function registerAdminAuth(app: FastifyInstance, kernel: KernelApi, options: { off?: boolean } = {}): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true || request.is404) return;
    if (options.off) {
      request.principal = AUTH_OFF_PRINCIPAL;
      return;
    }
    request.principal = await kernel.authenticateRequest(requestInfo(request), tokenFromHeaders(request.headers));
    const permission = permissionOf(request.method, request.routeOptions.url);
    if (!permission) {
      throw new KernelError(
        'KRN_ERR_INTERNAL',
        `route ${request.method} ${request.routeOptions.url} declares no permission, so it is refused`,
      );
    }
    if (permission !== 'in-handler')
      await kernel.authorize(request.principal, permission.action, permission.resource(request));
  });
}

/** Who every request is with auth switched off (benchmarks only; `spindle start` never does it). */
const AUTH_OFF_PRINCIPAL: Principal = { id: 'auth-off', name: 'auth-off', kind: 'admin', provider: 'kernel' };

/** The `actor` recorded in the activity log for this request. */
export function actorOf(request: FastifyRequest): string {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url ?? request.url} ran without a principal`);
  return request.principal.name;
}
