import type { FastifyInstance } from 'fastify';
import type { ActivityFilter } from '../state/store.js';
import { actorOf } from './admin-auth.js';
import type { KernelApi } from './kernel-api.js';
import { ref, responses } from './schemas.js';

interface ActivityQuery {
  plugin?: string;
  actor?: string;
  action?: string;
  family?: string;
  job?: string;
  limit?: number;
  before?: number;
}

const text = { type: 'string', minLength: 1, maxLength: 256 } as const;

export function registerActivityRoutes(app: FastifyInstance, kernel: KernelApi): void {
  app.get<{ Querystring: ActivityQuery }>(
    '/api/v1/activity',
    {
      schema: {
        summary: 'Activity log, newest first',
        tags: ['activity'],
        querystring: {
          type: 'object',
          properties: {
            plugin: text,
            actor: text,
            action: text,
            family: { ...text, description: 'Job family: every version of the job with this name' },
            job: { ...text, description: 'One job version, name@version' },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
            before: { type: 'integer', minimum: 1, description: 'Only entries with an id below this (paging back)' },
          },
        },
        response: responses({
          200: { type: 'object', properties: { entries: { type: 'array', items: ref('ActivityEntry') } } },
        }),
      },
    },
    async (request) => {
      const { plugin, actor, action, family, job, limit, before } = request.query;
      const filter: ActivityFilter = {
        ...(plugin !== undefined ? { plugin } : {}),
        ...(actor !== undefined ? { actor } : {}),
        ...(action !== undefined ? { action } : {}),
        ...(family !== undefined ? { family } : {}),
        ...(job !== undefined ? { job } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(before !== undefined ? { beforeId: before } : {}),
      };
      return { entries: await kernel.listActivity(filter) };
    },
  );
}

/** Maintenance mode: read it, and switch it (an admin action; toggling is in the activity log). */
export function registerMaintenanceRoutes(app: FastifyInstance, kernel: KernelApi): void {
  app.get(
    '/api/v1/system/replicas',
    {
      schema: {
        summary: 'The kernel replicas sharing this database, with the plugin-set generation each runs',
        tags: ['system'],
      },
    },
    async () => ({
      replicas: await kernel.listReplicas(),
    }),
  );
  const state = {
    type: 'object',
    properties: {
      enabled: { type: 'boolean' },
      message: { type: ['string', 'null'] },
      since: { type: ['string', 'null'] },
      by: { type: ['string', 'null'] },
    },
  } as const;
  app.get(
    '/api/v1/system/maintenance',
    { schema: { summary: 'Maintenance mode', tags: ['system'], response: responses({ 200: state }) } },
    async () => kernel.getMaintenance(),
  );
  app.put<{ Body: { enabled: boolean; message?: string } }>(
    '/api/v1/system/maintenance',
    {
      schema: {
        summary: 'Turn maintenance mode on or off (while on, changes answer 503; reads and job calls work)',
        tags: ['system'],
        body: {
          type: 'object',
          required: ['enabled'],
          additionalProperties: false,
          properties: { enabled: { type: 'boolean' }, message: { type: 'string', maxLength: 500 } },
        },
        response: responses({ 200: state }),
      },
    },
    async (request) => kernel.setMaintenance(request.body.enabled, request.body.message ?? null, actorOf(request)),
  );
}
