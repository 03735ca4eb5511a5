import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

export const HTTP_DURATION_METRIC = 'spindle_http_request_duration_seconds';

type Labels = 'method' | 'route' | 'status';

function histogramIn(registry: Registry): Histogram<Labels> {
  // A second server on the same registry (tests, restart in-process) reuses the metric.
  const existing = registry.getSingleMetric(HTTP_DURATION_METRIC);
  if (existing) return existing as Histogram<Labels>;
  return new Histogram({
    name: HTTP_DURATION_METRIC,
    help: 'HTTP request duration in seconds, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
}

/** Time every response, labelled with the route pattern (not the raw URL) to bound cardinality. */
export function registerHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const histogram = histogramIn(registry);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
    histogram.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}
