import type { FastifyInstance } from 'fastify';
import type { KernelApi } from '../kernel-api.js';
import type { ActivityFilter } from '../state/store.js';
import { ref, responses } from './schemas.js';

interface ActivityQuery {
  plugin?: string;
  actor?: string;
  action?: string;
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
      const { plugin, actor, action, limit, before } = request.query;
      const filter: ActivityFilter = {
        ...(plugin !== undefined ? { plugin } : {}),
        ...(actor !== undefined ? { actor } : {}),
        ...(action !== undefined ? { action } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(before !== undefined ? { beforeId: before } : {}),
      };
      return { entries: await kernel.listActivity(filter) };
    },
  );
}
