import type { FastifyInstance } from 'fastify';
import { actorOf } from './admin-auth.js';
import { installDocsTransform, installJsonBody, readInstallSource } from './install-source.js';
import type { KernelApi } from './kernel-api.js';
import { paramsWith, pluginNameParams, ref, responses } from './schemas.js';

const BASE = '/api/v1/plugins';
const TAGS = ['plugins'];

const versionParam = { type: 'string', maxLength: 256, description: 'Plugin version (semver)' } as const;
const forceQuery = {
  type: 'object',
  properties: { force: { type: 'boolean', default: false, description: 'Remove even if in use or depended on' } },
} as const;
const removedResponse = {
  type: 'object',
  properties: { removed: { type: 'array', items: { type: 'string' } } },
} as const;

type NameParams = { Params: { name: string } };

/** Listing, install, uninstall, pin, enable / disable. */
export function registerPluginRoutes(app: FastifyInstance, kernel: KernelApi): void {
  app.get(
    BASE,
    {
      schema: {
        summary: 'List installed plugins',
        tags: TAGS,
        response: responses({
          200: { type: 'object', properties: { plugins: { type: 'array', items: ref('PluginView') } } },
        }),
      },
    },
    async () => ({ plugins: await kernel.listPlugins() }),
  );

  app.post<{ Querystring: { replace?: boolean } }>(
    BASE,
    {
      config: { swaggerTransform: installDocsTransform },
      schema: {
        summary: 'Install a plugin (ZIP body, multipart file, or JSON url / path)',
        description: 'The new version is activated; if an older version was active it is swapped out.',
        tags: TAGS,
        querystring: {
          type: 'object',
          properties: {
            replace: {
              type: 'boolean',
              default: false,
              description: 'Remove the other versions once this one is active',
            },
          },
        },
        body: installJsonBody,
        response: responses({ 201: ref('InstallResult') }),
      },
    },
    async (request, reply) => {
      const source = await readInstallSource(request);
      const result = await kernel.install(source, { replace: request.query.replace === true, actor: actorOf(request) });
      return reply.code(201).send(result);
    },
  );

  app.get<NameParams>(
    `${BASE}/:name`,
    {
      schema: {
        summary: 'One plugin, all its versions',
        tags: TAGS,
        params: pluginNameParams,
        response: responses({ 200: ref('PluginView') }),
      },
    },
    async (request) => kernel.getPlugin(request.params.name),
  );

  registerRemoval(app, kernel);
  registerPinAndToggle(app, kernel);
}

function registerRemoval(app: FastifyInstance, kernel: KernelApi): void {
  app.delete<NameParams & { Querystring: { force?: boolean } }>(
    `${BASE}/:name`,
    {
      schema: {
        summary: 'Uninstall every version of a plugin',
        tags: TAGS,
        params: pluginNameParams,
        querystring: forceQuery,
        response: responses({ 200: removedResponse }),
      },
    },
    async (request) =>
      kernel.uninstall(request.params.name, undefined, {
        force: request.query.force === true,
        actor: actorOf(request),
      }),
  );

  app.delete<{ Params: { name: string; version: string }; Querystring: { force?: boolean } }>(
    `${BASE}/:name/versions/:version`,
    {
      schema: {
        summary: 'Uninstall one version of a plugin',
        tags: TAGS,
        params: paramsWith({ version: versionParam }),
        querystring: forceQuery,
        response: responses({ 200: removedResponse }),
      },
    },
    async (request) =>
      kernel.uninstall(request.params.name, request.params.version, {
        force: request.query.force === true,
        actor: actorOf(request),
      }),
  );
}

function registerPinAndToggle(app: FastifyInstance, kernel: KernelApi): void {
  app.put<NameParams & { Body: { version: string | null } }>(
    `${BASE}/:name/pin`,
    {
      schema: {
        summary: 'Pin a version (it becomes active) or unpin with null (the highest becomes active)',
        tags: TAGS,
        params: pluginNameParams,
        body: {
          type: 'object',
          required: ['version'],
          properties: { version: { type: ['string', 'null'], maxLength: 256 } },
        },
        response: responses({ 200: ref('PluginView') }),
      },
    },
    async (request) => kernel.pin(request.params.name, request.body.version, actorOf(request)),
  );

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    app.post<NameParams>(
      `${BASE}/:name/${verb}`,
      {
        schema: {
          summary: enabled
            ? 'Enable a plugin (activate its chosen version)'
            : 'Disable a plugin (deactivate it, keep it installed)',
          tags: TAGS,
          params: pluginNameParams,
          response: responses({ 200: ref('PluginView') }),
        },
      },
      async (request) => kernel.setEnabled(request.params.name, enabled, actorOf(request)),
    );
  }
}
