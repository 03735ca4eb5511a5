import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { registerActivityRoutes, registerMaintenanceRoutes } from './activity-routes.js';
import { registerAdminAuth } from './admin-auth.js';
import { registerBodyParsers } from './body-parsers.js';
import { registerErrorHandling } from './error-handler.js';
import { registerHttpMetrics } from './http-metrics.js';
import { registerJobProxy } from './job-proxy.js';
import { registerJobRoutes } from './job-routes.js';
import type { KernelApi } from './kernel-api.js';
import { registerOpenApi } from './openapi.js';
import { registerPluginDispatchRoute } from './plugin-dispatch-route.js';
import { registerPluginExtraRoutes } from './plugin-extra-routes.js';
import { registerPluginRoutes } from './plugin-routes.js';
import { recordRefusals } from './refusal-activity.js';
import { echoRequestId, requestIdFor } from './request-id.js';
import { collectRoutes } from './route-table.js';
import { registerSharedSchemas } from './schemas.js';
import { registerSystemRoutes } from './system-routes.js';
import { registerVolumeRoutes } from './volume-routes.js';

export interface HttpServerOptions {
  /** pino logger for request logs and errors, or false for none. */
  logger: Logger | false;
  /** Largest accepted request body (ZIP upload, multipart file, JSON), in bytes. Default 64 MiB. */
  bodyLimitBytes?: number;
  /** How long the job proxy waits for a job's answer. Default 60 s. */
  proxyTimeoutMs?: number;
  /** Skip authentication and authorization: for the auth benchmark's baseline only. */
  authOff?: boolean;
}

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024 * 1024;

const QUIET_URLS = new Set(['/health', '/metrics']);

/**
 * The kernel's HTTP API over `kernel`, every route registered but not listening (the caller calls
 * `listen`, which also readies it).
 * Order matters: the route collector, hooks and swagger must exist before the first route, because
 * fastify copies a context's hooks when a child is created and swagger collects routes on `onRoute`.
 */
export async function buildHttpServer(kernel: KernelApi, options: HttpServerOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const app: FastifyInstance = Fastify({
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger } : { logger: false }),
    bodyLimit,
    genReqId: requestIdFor,
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      // Probes and scrapes would drown the request log.
      disableRequestLogging: (request) => QUIET_URLS.has(request.url.split('?')[0] ?? ''),
    }),
  });

  collectRoutes(app);
  registerErrorHandling(app, bodyLimit);
  echoRequestId(app);
  registerAdminAuth(app, kernel, { off: options.authOff === true });
  recordRefusals(app, kernel);
  registerHttpMetrics(app, kernel.metrics);
  await registerBodyParsers(app, bodyLimit);
  registerSharedSchemas(app);
  await registerOpenApi(app, kernel.version);

  registerSystemRoutes(app, kernel);
  registerPluginRoutes(app, kernel);
  registerPluginExtraRoutes(app, kernel);
  registerPluginDispatchRoute(app, kernel);
  registerJobRoutes(app, kernel);
  registerVolumeRoutes(app, kernel);
  await registerJobProxy(app, kernel.jobs, { timeoutMs: options.proxyTimeoutMs ?? 60_000 });
  registerActivityRoutes(app, kernel);
  registerMaintenanceRoutes(app, kernel);
  return app;
}
