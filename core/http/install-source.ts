import type { FastifyRequest, FastifySchema } from 'fastify';
import { KernelError } from '../errors/kernel-error.js';
import type { InstallSource } from './kernel-api.js';

const HOW =
  'send the ZIP as the body (Content-Type: application/zip), as a multipart/form-data file, or JSON {"url": "https://..."} or {"path": "/abs/file.zip"}';

function badRequest(what: string): KernelError {
  return new KernelError('KRN_ERR_BAD_REQUEST', `${what}; ${HOW}`);
}

async function fromMultipart(request: FastifyRequest): Promise<InstallSource> {
  const part = await request.file();
  if (!part) throw badRequest('the multipart body holds no file');
  const data = await part.toBuffer();
  return { kind: 'upload', data, ...(part.filename ? { filename: part.filename } : {}) };
}

function fromJson(body: unknown): InstallSource {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the JSON body must be an object');
  const { url, path } = body as { url?: unknown; path?: unknown };
  if (url !== undefined && path !== undefined) throw badRequest('give either "url" or "path", not both');
  if (typeof url === 'string' && url !== '') return { kind: 'url', url };
  if (typeof path === 'string' && path !== '') return { kind: 'path', path };
  throw badRequest('the JSON body has neither a "url" nor a "path" string');
}

/** Where the bundle to install comes from, read from the request's body (see HOW). */
export async function readInstallSource(request: FastifyRequest): Promise<InstallSource> {
  if (request.isMultipart()) return fromMultipart(request);
  const body = request.body;
  if (Buffer.isBuffer(body)) {
    if (body.length === 0) throw badRequest('the body is empty');
    return { kind: 'upload', data: body };
  }
  if (body === undefined || body === null) throw badRequest('the request has no body');
  if (typeof body === 'string') throw badRequest('a text body is not a bundle');
  return fromJson(body);
}

/** JSON body schema (validated); the binary ones are added for OpenAPI only (see installDocsTransform). */
export const installJsonBody = {
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          url: {
            type: 'string',
            minLength: 1,
            maxLength: 4096,
            description: 'Where the kernel downloads the ZIP from',
          },
          path: {
            type: 'string',
            minLength: 1,
            maxLength: 4096,
            description: 'Absolute path of a ZIP on the kernel host',
          },
        },
      },
    },
  },
} as const;

const binary = { schema: { type: 'string', format: 'binary' } };

/**
 * Adds the ZIP and multipart bodies to the install route's OpenAPI entry. They are not in the route
 * schema itself because fastify would validate a Buffer against `type: string` and refuse it.
 */
export function installDocsTransform({ schema, url }: { schema: FastifySchema; url: string }): {
  schema: FastifySchema;
  url: string;
} {
  const body = schema.body as { content?: Record<string, unknown> } | undefined;
  return {
    url,
    schema: {
      ...schema,
      body: {
        content: {
          ...body?.content,
          'application/zip': binary,
          'application/octet-stream': binary,
          'multipart/form-data': {
            schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } },
          },
        },
      },
    },
  };
}
