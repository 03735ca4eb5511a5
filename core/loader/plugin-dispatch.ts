import { Ajv, type ValidateFunction } from 'ajv';
import FindMyWay from 'find-my-way';
import type { PluginHttpRequest, PluginHttpResponse } from '../../plugin-sdk/context.js';
import { KernelError } from '../errors/kernel-error.js';
import { ACTION_LIMIT_MS, ROUTE_LIMIT_MS } from './call-limits.js';
import { callPlugin, sharedPoint } from './plugin-call.js';
import type { PluginInstance, RouteDefinition } from './plugin-instance.js';

type Router = ReturnType<typeof FindMyWay>;
const routers = new WeakMap<PluginInstance, { router: Router; routes: number }>();
const inputValidators = new WeakMap<object, ValidateFunction>();
const ajv = new Ajv({ allErrors: true, strict: false });

/** The instance's router, rebuilt when it registered routes since (routes are only ever added). */
function routerOf(instance: PluginInstance): Router {
  const cached = routers.get(instance);
  if (cached && cached.routes === instance.routes.length) return cached.router;
  const router = FindMyWay({ ignoreTrailingSlash: true });
  for (const route of instance.routes) router.on(route.method, route.path, () => undefined, { route });
  routers.set(instance, { router, routes: instance.routes.length });
  return router;
}

/** Run one of the plugin's own routes (its table is per instance, so a swap replaces it whole). */
export async function dispatchRoute(instance: PluginInstance, request: PluginHttpRequest): Promise<PluginHttpResponse> {
  const found = routerOf(instance).find(request.method as 'GET', request.path);
  const route = (found?.store as { route?: RouteDefinition } | undefined)?.route;
  if (!found || !route) {
    throw new KernelError('KRN_ERR_NOT_FOUND', `no route ${request.method} ${request.path}`, { plugin: instance.name });
  }
  const point = sharedPoint('route', `route ${route.method} ${route.path}`, ROUTE_LIMIT_MS);
  return callPlugin(instance, point, route.handler, {
    ...request,
    params: { ...(found.params as Record<string, string>) },
  });
}

/** Validate the input against the action's schema, then run it. */
export async function runAction(instance: PluginInstance, name: string, input: unknown): Promise<unknown> {
  const action = instance.actions.get(name);
  if (!action) {
    throw new KernelError(
      'KRN_ERR_ACTION_NOT_FOUND',
      `no action "${name}" (has: ${[...instance.actions.keys()].join(', ') || 'none'})`,
      {
        plugin: instance.name,
      },
    );
  }
  if (action.inputSchema) {
    let validate = inputValidators.get(action.inputSchema);
    if (!validate) inputValidators.set(action.inputSchema, (validate = ajv.compile(action.inputSchema)));
    if (!validate(input)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
      throw new KernelError('KRN_ERR_ACTION_INPUT_INVALID', `action "${name}" input is invalid: ${errors.join('; ')}`, {
        plugin: instance.name,
        details: { errors },
      });
    }
  }
  return callPlugin(instance, sharedPoint('action', `action "${name}"`, ACTION_LIMIT_MS), action.handler, input);
}
