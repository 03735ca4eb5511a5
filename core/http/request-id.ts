import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

export const REQUEST_ID_HEADER = 'x-request-id';

// Only ids that are safe to log and echo in a header are honoured; anything else gets a fresh one.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** fastify `genReqId`: the caller's `X-Request-Id` when it is sane, else a random UUID. */
export function requestIdFor(raw: IncomingMessage): string {
  const incoming = raw.headers[REQUEST_ID_HEADER];
  const value = Array.isArray(incoming) ? incoming[0] : incoming;
  return value !== undefined && SAFE_REQUEST_ID.test(value) ? value : randomUUID();
}

/** Echo the request id on every response, errors included (added before auth so 401s carry it). */
export function echoRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
}
