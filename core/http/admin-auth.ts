import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../plugin-sdk/hook-types.js';
import { KernelError } from '../errors/kernel-error.js';
import type { KernelApi } from '../kernel-api.js';

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

/**
 * Resolve the caller. Today only the kernel's token check; this is where later auth hooks
 * (`auth.preAuth`, `auth.authenticate`) plug in, in front of and after the token check.
 */
async function authenticate(kernel: KernelApi, request: FastifyRequest): Promise<Principal> {
  const token = tokenFromHeaders(request.headers);
  if (token === undefined) throw new KernelError('KRN_ERR_UNAUTHENTICATED', 'this route needs a token and none was sent');
  const principal = await kernel.authenticateToken(token);
  if (!principal) throw new KernelError('KRN_ERR_UNAUTHENTICATED', 'the token was not recognised');
  return principal;
}

/**
 * Every route authenticates unless its config says `public: true`. Unknown URLs are let through so
 * they answer 404 (the route list is public in `/docs` anyway).
 */
export function registerAdminAuth(app: FastifyInstance, kernel: KernelApi): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true || request.is404) return;
    request.principal = await authenticate(kernel, request);
  });
}

/** The `actor` recorded in the activity log for this request. */
export function actorOf(request: FastifyRequest): string {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url ?? request.url} ran without a principal`);
  return request.principal.name;
}
