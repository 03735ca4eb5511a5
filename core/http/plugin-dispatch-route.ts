import { type IncomingHttpHeaders, validateHeaderName, validateHeaderValue } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifySchema } from 'fastify';
import type { PluginHttpResponse } from '../../plugin-sdk/context.js';
import { KernelError } from '../errors/kernel-error.js';
import { CREDENTIAL_HEADERS } from './admin-auth.js';
import type { KernelApi } from './kernel-api.js';
import { paramsWith } from './schemas.js';

export const PLUGIN_ROUTES_URL = '/api/v1/plugins/:name/routes/*';

// fastify computes these itself; a plugin setting them would corrupt the response.
const HEADERS_KEPT_BY_SERVER = new Set(['content-length', 'transfer-encoding', 'connection']);

/** Lower-case names, string values; the caller's credentials are not handed to plugin code. */
export function plainHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (value === undefined || CREDENTIAL_HEADERS.includes(key)) continue;
    out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Repeated query keys keep their first value. */
export function plainQuery(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof query !== 'object' || query === null) return out;
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    const one: unknown = Array.isArray(value) ? value[0] : value;
    if (one !== undefined) out[key] = String(one);
  }
  return out;
}

function setPluginHeaders(reply: FastifyReply, plugin: string, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (HEADERS_KEPT_BY_SERVER.has(name.toLowerCase())) continue;
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      throw new KernelError(
        'KRN_ERR_PLUGIN_FAILED',
        `its route returned an invalid response header "${name.slice(0, 100)}"`,
        { plugin },
      );
    }
    reply.header(name, value);
  }
}

/** Send what the plugin's handler returned: strings and Buffers as they are, anything else as JSON. */
export function sendPluginResponse(reply: FastifyReply, plugin: string, response: PluginHttpResponse): FastifyReply {
  const status = response.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new KernelError('KRN_ERR_PLUGIN_FAILED', `its route returned an invalid HTTP status ${String(status)}`, {
      plugin,
    });
  }
  setPluginHeaders(reply, plugin, response.headers ?? {});
  reply.code(status);
  const body = response.body;
  if (body === undefined) return reply.send();
  if (typeof body === 'string' || Buffer.isBuffer(body)) return reply.send(body);
  if (!reply.hasHeader('content-type')) reply.type('application/json; charset=utf-8');
  return reply.send(JSON.stringify(body));
}

/** OpenAPI has no wildcard parameter: document `*` as a `{path}` parameter. */
function namedWildcard({ schema, url }: { schema: FastifySchema; url: string }): {
  schema: FastifySchema;
  url: string;
} {
  const params = schema.params as { properties: Record<string, unknown>; required: string[] };
  const { '*': wildcard, ...named } = params.properties;
  return {
    url: url.replace(/\*$/, '{path}'),
    schema: {
      ...schema,
      params: {
        ...params,
        properties: { ...named, path: wildcard },
        required: params.required.map((key) => (key === '*' ? 'path' : key)),
      },
    },
  };
}

/**
 * One wildcard for every plugin's own routes: fastify cannot add routes after ready, so the kernel
 * keeps a router per plugin (swapped with the plugin) and this route hands requests to it.
 */
export function registerPluginDispatchRoute(app: FastifyInstance, kernel: KernelApi): void {
  app.route<{ Params: { name: string; '*': string } }>({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: PLUGIN_ROUTES_URL,
    config: { swaggerTransform: namedWildcard },
    schema: {
      summary: "A plugin's own route (dispatched to the plugin's router)",
      tags: ['plugin routes'],
      params: paramsWith({ '*': { type: 'string', maxLength: 2048, description: 'Path below /routes/' } }),
    },
    handler: async (request, reply) => {
      const { name } = request.params;
      const response = await kernel.dispatchPluginRoute(name, {
        // HEAD is fastify's automatic twin of GET: the plugin answers GET and fastify drops the body.
        method: request.method === 'HEAD' ? 'GET' : request.method,
        path: `/${request.params['*']}`,
        params: {},
        query: plainQuery(request.query),
        headers: plainHeaders(request.headers),
        body: request.body,
        ...(request.principal ? { principal: request.principal } : {}),
      });
      return sendPluginResponse(reply, name, response);
    },
  });
}
