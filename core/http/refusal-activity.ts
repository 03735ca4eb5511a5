import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { ActivityInput } from '../system/activity-recorder.js';
import type { KernelApi } from './kernel-api.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What a refused change was about, as the activity log files it (so its filters find it). */
export function refusalEntry(
  request: FastifyRequest,
  error: FastifyError & { details?: Record<string, unknown> },
): Omit<ActivityInput, 'actor'> {
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  const details = error.details ?? {};
  const route = request.routeOptions.url ?? request.url;
  const base = {
    outcome: 'error' as const,
    details: {
      method: request.method,
      url: request.url,
      status: error.statusCode ?? 500,
      code: error.code,
      error: error.message,
    },
  };
  const job =
    (details.job as string | undefined) ??
    (route.startsWith('/api/v1/jobs/') && params.name ? `${params.name}@${params.version ?? ''}` : undefined);
  if (job) return { ...base, action: 'job.refused', subject: job };
  const plugin =
    (details.plugin as string | undefined) ?? (route.startsWith('/api/v1/plugins/') ? params.name : undefined);
  const created = (request.body as { name?: unknown } | undefined)?.name;
  const volume =
    (details.volume as string | undefined) ?? params.volume ?? (typeof created === 'string' ? created : undefined);
  if (volume && route.startsWith('/api/v1/volumes'))
    return { ...base, action: 'volume.refused', subject: `volume ${volume}`, plugin: plugin ?? null };
  if (plugin) return { ...base, action: 'plugin.refused', subject: plugin, plugin };
  return { ...base, action: 'system.refused', subject: `${request.method} ${route}` };
}

/**
 * Every refused change by a known caller goes into the activity log with outcome `error` (who,
 * what, when, why), as the successful ones do. Unauthenticated requests are left out: anyone could
 * fill the log with them. Plugin installs record their own refusal.
 */
export function recordRefusals(app: FastifyInstance, kernel: Pick<KernelApi, 'recordActivity'>): void {
  app.addHook('onError', async (request, _reply, error) => {
    if (!MUTATING.has(request.method) || !request.principal) return;
    if (request.method === 'POST' && request.routeOptions.url === '/api/v1/plugins') return;
    await kernel.recordActivity({ actor: request.principal.name, ...refusalEntry(request, error) });
  });
}
