import type { FastifyRequest } from 'fastify';
import type { ResourceRef } from '../../plugin-sdk/hook-types.js';

/**
 * What each route asks `auth.authorize` for: an action and the resource it acts on. Every route
 * that is not public must be listed (a test walks the route table). `in-handler`: the handler
 * asks — the resource is only known once the body is read (deploy), or a listing shows only the
 * jobs the caller may read (`read_job` per job family).
 *
 * Actions: `read_job`, `deploy_job`, `deploy_new_family`, `delete_job`, `call_job`,
 * `manage_plugins`, `call_plugin`, `read_system`, `manage_system`, and (asked by the volume
 * service) `create_volume`, `manage_volumes`.
 */
export interface RoutePermission {
  action: string;
  resource(request: FastifyRequest): ResourceRef;
}

type Params = Record<string, string | undefined>;
const params = (request: FastifyRequest): Params => request.params as Params;

const system = (action: string): RoutePermission => ({ action, resource: () => ({ kind: 'system' }) });
const plugin = (action = 'manage_plugins'): RoutePermission => ({
  action,
  resource: (r) => ({ kind: 'plugin', ...(params(r).name ? { name: params(r).name } : {}) }),
});
const job = (action: string): RoutePermission => ({
  action,
  resource: (r) => {
    const { name, version } = params(r);
    return { kind: 'job', ...(name ? { name, family: name } : {}), ...(version ? { version } : {}) };
  },
});
const call = (kind: 'job' | 'plugin', action: string): RoutePermission => ({
  action,
  resource: (r) => {
    const p = params(r);
    return {
      kind,
      name: p.name,
      ...(kind === 'job' ? { family: p.name, version: p.version } : {}),
      endpoint: `/${p['*'] ?? ''}`,
    };
  },
});

export const ROUTE_PERMISSIONS: Readonly<Record<string, RoutePermission | 'in-handler'>> = Object.freeze({
  'GET /metrics': system('read_system'),
  'GET /api/v1/activity': system('read_system'),
  'GET /api/v1/system/maintenance': system('read_system'),
  'GET /api/v1/system/replicas': system('read_system'),
  'PUT /api/v1/system/maintenance': system('manage_system'),
  'GET /api/v1/queues': system('read_system'),
  'PUT /api/v1/queues/:name': system('manage_system'),
  'GET /api/v1/plugins': plugin(),
  'POST /api/v1/plugins': plugin(),
  'GET /api/v1/plugins/:name': plugin(),
  'DELETE /api/v1/plugins/:name': plugin(),
  'DELETE /api/v1/plugins/:name/versions/:version': plugin(),
  'PUT /api/v1/plugins/:name/pin': plugin(),
  'POST /api/v1/plugins/:name/enable': plugin(),
  'POST /api/v1/plugins/:name/disable': plugin(),
  'GET /api/v1/plugins/:name/config': plugin(),
  'PUT /api/v1/plugins/:name/config': plugin(),
  'PATCH /api/v1/plugins/:name/config': plugin(),
  'GET /api/v1/plugins/:name/actions': plugin(),
  'POST /api/v1/plugins/:name/actions/:action': plugin(),
  'GET /api/v1/plugins/:name/docs': plugin(),
  'GET /api/v1/plugins/:name/docs/:page': plugin(),
  '* /api/v1/plugins/:name/routes/*': call('plugin', 'call_plugin'),
  'POST /api/v1/jobs': 'in-handler',
  'GET /api/v1/jobs': 'in-handler',
  'GET /api/v1/jobs/:name': job('read_job'),
  'GET /api/v1/jobs/:name/:version': job('read_job'),
  'DELETE /api/v1/jobs/:name/:version': job('delete_job'),
  'POST /api/v1/jobs/:name/:version/redeploy': job('deploy_job'),
  'GET /api/v1/jobs/:name/:version/logs': job('read_job'),
  'GET /api/v1/queue': 'in-handler',
  // Volumes: the volume service checks ownership, shares, `create_volume` and `manage_volumes`.
  'GET /api/v1/volumes': 'in-handler',
  'POST /api/v1/volumes': 'in-handler',
  'GET /api/v1/volumes/:volume': 'in-handler',
  'DELETE /api/v1/volumes/:volume': 'in-handler',
  'POST /api/v1/volumes/:volume/clone': 'in-handler',
  'PUT /api/v1/volumes/:volume/quota': 'in-handler',
  'PUT /api/v1/volumes/:volume/shares/:grantee': 'in-handler',
  'DELETE /api/v1/volumes/:volume/shares/:grantee': 'in-handler',
  'GET /api/v1/volumes/:volume/files': 'in-handler',
  'GET /api/v1/volumes/:volume/files/*': 'in-handler',
  'PUT /api/v1/volumes/:volume/files/*': 'in-handler',
  'DELETE /api/v1/volumes/:volume/files/*': 'in-handler',
  'POST /api/v1/volumes/:volume/mkdir': 'in-handler',
  'POST /api/v1/volumes/:volume/rename': 'in-handler',
  '* /pub/job/:name/:version': call('job', 'call_job'),
  '* /pub/job/:name/:version/*': call('job', 'call_job'),
});

/**
 * The permission of a request's route, or undefined when none is declared. HEAD is a GET; `*`
 * entries (wildcard routes that take every method) match any method.
 */
export function permissionOf(method: string, url: string | undefined): RoutePermission | 'in-handler' | undefined {
  if (url === undefined) return undefined;
  return ROUTE_PERMISSIONS[`${method === 'HEAD' ? 'GET' : method} ${url}`] ?? ROUTE_PERMISSIONS[`* ${url}`];
}
