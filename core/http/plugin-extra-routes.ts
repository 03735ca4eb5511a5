import type { FastifyInstance } from 'fastify';
import { actorOf } from './admin-auth.js';
import type { KernelApi } from './kernel-api.js';
import { paramsWith, pluginNameParams, ref, responses } from './schemas.js';

const BASE = '/api/v1/plugins/:name';

type NameParams = { Params: { name: string } };

/** Config, actions and docs of one plugin. */
export function registerPluginExtraRoutes(app: FastifyInstance, kernel: KernelApi): void {
  registerConfig(app, kernel);
  registerActions(app, kernel);
  registerDocs(app, kernel);
}

function registerConfig(app: FastifyInstance, kernel: KernelApi): void {
  app.get<NameParams>(
    `${BASE}/config`,
    {
      schema: {
        summary: 'Plugin config (defaults applied, secrets masked) and its schema',
        tags: ['config'],
        params: pluginNameParams,
        response: responses({ 200: ref('ConfigView') }),
      },
    },
    async (request) => kernel.getConfig(request.params.name),
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    const merge = method === 'PATCH';
    app.route<NameParams & { Body: Record<string, unknown> }>({
      method,
      url: `${BASE}/config`,
      schema: {
        summary: merge
          ? 'Merge into the plugin config (re-activates the plugin)'
          : 'Replace the plugin config (re-activates the plugin)',
        tags: ['config'],
        params: pluginNameParams,
        body: { type: 'object', additionalProperties: true },
        response: responses({ 200: ref('ConfigView') }),
      },
      handler: async (request) =>
        kernel.setConfig(request.params.name, request.body, { actor: actorOf(request), merge }),
    });
  }
}

function registerActions(app: FastifyInstance, kernel: KernelApi): void {
  app.get<NameParams>(
    `${BASE}/actions`,
    {
      schema: {
        summary: "The plugin's actions",
        tags: ['actions'],
        params: pluginNameParams,
        response: responses({
          200: { type: 'object', properties: { actions: { type: 'array', items: ref('PluginAction') } } },
        }),
      },
    },
    async (request) => ({ actions: (await kernel.getPlugin(request.params.name)).actions }),
  );

  app.post<{ Params: { name: string; action: string }; Body: unknown }>(
    `${BASE}/actions/:action`,
    {
      schema: {
        summary: 'Run an action; the body is its input (JSON, may be empty)',
        tags: ['actions'],
        params: paramsWith({ action: { type: 'string', maxLength: 128 } }),
        response: responses({ 200: { type: 'object', additionalProperties: true, properties: { result: {} } } }),
      },
    },
    async (request) => {
      // An empty body means "no input": the action sees {} (what an object inputSchema expects).
      const input = request.body === undefined ? {} : request.body;
      const result = await kernel.runAction(request.params.name, request.params.action, input, actorOf(request));
      return { result: result ?? null };
    },
  );
}

function registerDocs(app: FastifyInstance, kernel: KernelApi): void {
  app.get<NameParams>(
    `${BASE}/docs`,
    {
      schema: {
        summary: "The plugin's documentation pages",
        tags: ['docs'],
        params: pluginNameParams,
        response: responses({
          200: { type: 'object', properties: { pages: { type: 'array', items: { type: 'string' } } } },
        }),
      },
    },
    async (request) => ({ pages: await kernel.listDocs(request.params.name) }),
  );

  app.get<{ Params: { name: string; page: string } }>(
    `${BASE}/docs/:page`,
    {
      schema: {
        summary: 'One documentation page, as Markdown',
        tags: ['docs'],
        params: paramsWith({ page: { type: 'string', maxLength: 256, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } }),
        response: responses({
          200: { description: 'Markdown', content: { 'text/markdown': { schema: { type: 'string' } } } },
        }),
      },
    },
    async (request, reply) => {
      const page = await kernel.getDoc(request.params.name, request.params.page);
      return reply.type('text/markdown; charset=utf-8').send(page);
    },
  );
}
