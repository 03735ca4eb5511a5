import type { FastifyInstance } from 'fastify';
import type { KernelApi } from './kernel-api.js';
import { ref, responses } from './schemas.js';

export function registerSystemRoutes(app: FastifyInstance, kernel: KernelApi): void {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        summary: 'Kernel health: 200 when ok, 503 when degraded',
        tags: ['system'],
        security: [],
        response: responses({ 200: ref('HealthView'), 503: ref('HealthView') }),
      },
    },
    async (_request, reply) => {
      const health = await kernel.health();
      return reply.code(health.status === 'ok' ? 200 : 503).send(health);
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        tags: ['system'],
        response: responses({
          200: { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } },
        }),
      },
    },
    async (_request, reply) => {
      const text = await kernel.metrics.metrics();
      return reply.type(kernel.metrics.contentType).send(text);
    },
  );
}
