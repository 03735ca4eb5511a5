import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KernelApi } from './kernel-api.js';
import { responses } from './schemas.js';

const BASE = '/api/v1/volumes';
const TAGS = ['volumes'];
const VOLUME = '/api/v1/volumes/:volume';

type VolumeParams = { Params: { volume: string } };
type FileParams = { Params: { volume: string; '*': string } };

const volumeParams = {
  type: 'object',
  required: ['volume'],
  properties: {
    volume: {
      type: 'string',
      maxLength: 127,
      description: '`backend:name`, or `name` when one storage backend is active',
    },
  },
} as const;
const fileParams = {
  type: 'object',
  required: ['volume'],
  properties: { ...volumeParams.properties, '*': { type: 'string', maxLength: 4096 } },
} as const;
const anyObject = { type: 'object', additionalProperties: true } as const;
const quota = {
  type: ['integer', 'null'],
  minimum: 0,
  description: 'Bytes; null for no limit (the backend may cap it)',
} as const;
const pathBody = (...keys: string[]) =>
  ({
    type: 'object',
    required: keys,
    additionalProperties: false,
    properties: Object.fromEntries(keys.map((k) => [k, { type: 'string', maxLength: 4096 }])),
  }) as const;

/**
 * Volumes: create, list, inspect, clone, delete, quota, shares, and file operations. Each route
 * leaves the permission check to the volume service (owner, shares, `manage_volumes`), which is
 * why they are `in-handler` in route-permissions.ts.
 */
export function registerVolumeRoutes(app: FastifyInstance, kernel: KernelApi): void {
  const { volumes } = kernel;
  const { files } = volumes;
  const who = (request: FastifyRequest) => request.principal!;

  app.get(BASE, { schema: { summary: 'Volumes the caller may see', tags: TAGS } }, async (request) => ({
    volumes: await volumes.list(who(request)),
  }));
  app.post<{ Body: { name: string; quotaBytes?: number | null } }>(
    BASE,
    {
      schema: {
        summary: 'Create a volume (owned by the caller)',
        tags: TAGS,
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 127 }, quotaBytes: quota },
        },
        response: responses({ 201: anyObject }),
      },
    },
    async (request, reply) => reply.code(201).send(await volumes.create(who(request), request.body)),
  );
  app.get<VolumeParams>(
    `${VOLUME}`,
    { schema: { summary: 'One volume: usage, quota, owner, shares, jobs using it', tags: TAGS, params: volumeParams } },
    async (request) => volumes.get(who(request), request.params.volume),
  );
  app.delete<VolumeParams>(
    `${VOLUME}`,
    {
      schema: {
        summary: 'Delete a volume and its files (refused while a job mounts it)',
        tags: TAGS,
        params: volumeParams,
      },
    },
    async (request, reply) => {
      await volumes.remove(who(request), request.params.volume);
      return reply.code(204).send();
    },
  );
  app.post<VolumeParams & { Body: { name: string; quotaBytes?: number | null } }>(
    `${VOLUME}/clone`,
    {
      schema: {
        summary: 'Copy a volume into a new one on the same backend',
        tags: TAGS,
        params: volumeParams,
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 127 }, quotaBytes: quota },
        },
        response: responses({ 201: anyObject }),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await volumes.clone(who(request), request.params.volume, request.body)),
  );
  app.put<VolumeParams & { Body: { quotaBytes: number | null } }>(
    `${VOLUME}/quota`,
    {
      schema: {
        summary: 'Set the quota (administrators)',
        tags: TAGS,
        params: volumeParams,
        body: {
          type: 'object',
          required: ['quotaBytes'],
          additionalProperties: false,
          properties: { quotaBytes: quota },
        },
      },
    },
    async (request) => volumes.setQuota(who(request), request.params.volume, request.body.quotaBytes),
  );
  const shareParams = {
    type: 'object',
    required: ['volume', 'grantee'],
    properties: {
      ...volumeParams.properties,
      grantee: { type: 'string', minLength: 1, maxLength: 256, description: 'A user name, or group:<name>' },
    },
  } as const;
  app.put<{ Params: { volume: string; grantee: string }; Body: { mode: 'ro' | 'rw' } }>(
    `${VOLUME}/shares/:grantee`,
    {
      schema: {
        summary: 'Share with a user or group, read-only or read-write (owner)',
        tags: TAGS,
        params: shareParams,
        body: {
          type: 'object',
          required: ['mode'],
          additionalProperties: false,
          properties: { mode: { type: 'string', enum: ['ro', 'rw'] } },
        },
      },
    },
    async (request) => volumes.share(who(request), request.params.volume, request.params.grantee, request.body.mode),
  );
  app.delete<{ Params: { volume: string; grantee: string } }>(
    `${VOLUME}/shares/:grantee`,
    { schema: { summary: 'Stop sharing with a user or group (owner)', tags: TAGS, params: shareParams } },
    async (request) => volumes.share(who(request), request.params.volume, request.params.grantee, null),
  );

  app.get<VolumeParams & { Querystring: { path?: string } }>(
    `${VOLUME}/files`,
    {
      schema: {
        summary: 'List one directory of a volume',
        tags: TAGS,
        params: volumeParams,
        querystring: { type: 'object', properties: { path: { type: 'string', maxLength: 4096, default: '' } } },
      },
    },
    async (request) => ({
      files: await files.listFiles(who(request), request.params.volume, request.query.path ?? ''),
    }),
  );
  app.get<FileParams>(
    `${VOLUME}/files/*`,
    { schema: { summary: 'Download a file', tags: TAGS, params: fileParams } },
    async (request, reply) => {
      const { file, stream } = await files.download(who(request), request.params.volume, request.params['*']);
      const name = file.path.split('/').pop() ?? 'file';
      return reply
        .type('application/octet-stream')
        .header('content-length', file.size)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
        .send(stream);
    },
  );
  app.delete<FileParams & { Querystring: { recursive?: boolean } }>(
    `${VOLUME}/files/*`,
    {
      schema: {
        summary: 'Delete a file, or a directory with ?recursive=true',
        tags: TAGS,
        params: fileParams,
        querystring: { type: 'object', properties: { recursive: { type: 'boolean', default: false } } },
      },
    },
    async (request, reply) => {
      await files.deleteFile(
        who(request),
        request.params.volume,
        request.params['*'],
        request.query.recursive === true,
      );
      return reply.code(204).send();
    },
  );
  app.post<VolumeParams & { Body: { path: string } }>(
    `${VOLUME}/mkdir`,
    {
      schema: {
        summary: 'Create a directory (and its parents)',
        tags: TAGS,
        params: volumeParams,
        body: pathBody('path'),
      },
    },
    async (request, reply) => {
      await files.mkdir(who(request), request.params.volume, request.body.path);
      return reply.code(204).send();
    },
  );
  app.post<VolumeParams & { Body: { from: string; to: string } }>(
    `${VOLUME}/rename`,
    {
      schema: {
        summary: 'Rename or move a file or directory inside the volume',
        tags: TAGS,
        params: volumeParams,
        body: pathBody('from', 'to'),
      },
    },
    async (request, reply) => {
      await files.rename(who(request), request.params.volume, request.body.from, request.body.to);
      return reply.code(204).send();
    },
  );

  // Uploads stream the raw body to a staging file: in their own scope, any body type is passed through unread.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    scope.put<FileParams & { Querystring: { overwrite?: boolean } }>(
      `${VOLUME}/files/*`,
      {
        schema: {
          summary: 'Upload a file (the raw request body); refused past the quota',
          tags: TAGS,
          params: fileParams,
          querystring: { type: 'object', properties: { overwrite: { type: 'boolean', default: false } } },
          response: responses({ 201: anyObject }),
        },
      },
      async (request, reply) => {
        const declared = Number(request.headers['content-length'] ?? Number.NaN);
        const options = {
          overwrite: request.query.overwrite === true,
          ...(Number.isFinite(declared) ? { declaredBytes: declared } : {}),
        };
        const stored = await files.upload(
          who(request),
          request.params.volume,
          request.params['*'],
          (request.body ?? request.raw) as Readable,
          options,
        );
        return reply.code(201).send(stored);
      },
    );
  });
}
