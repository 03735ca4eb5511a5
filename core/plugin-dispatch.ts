import { Ajv, type ValidateFunction } from 'ajv';
import FindMyWay from 'find-my-way';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { PluginHttpRequest, PluginHttpResponse } from '../plugin-sdk/context.js';
import { isPluginError } from '../plugin-sdk/errors.js';
import { KernelError, describeError, isKernelError } from './errors/kernel-error.js';
import type { PluginInstance, RouteDefinition } from './loader/plugin-instance.js';

type Router = ReturnType<typeof FindMyWay>;
const routers = new WeakMap<PluginInstance, { router: Router; routes: number }>();
const inputValidators = new WeakMap<object, ValidateFunction>();
const ajv = new Ajv({ allErrors: true, strict: false });

/** What a plugin threw, as the caller should see it. */
export function pluginCallError(plugin: string, what: string, error: unknown): KernelError {
  if (isKernelError(error)) return error;
  if (isPluginError(error)) {
    return new KernelError('KRN_ERR_PLUGIN_REJECTED', `${what}: ${error.message}`, { plugin, status: error.status, details: error.details });
  }
  return new KernelError('KRN_ERR_PLUGIN_FAILED', `${what} threw: ${describeError(error)}`, { plugin, cause: error });
}

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
  try {
    return await route.handler({ ...request, params: { ...(found.params as Record<string, string>) } });
  } catch (error) {
    throw pluginCallError(instance.name, `route ${request.method} ${route.path}`, error);
  }
}

/** Validate the input against the action's schema, then run it. */
export async function runAction(instance: PluginInstance, name: string, input: unknown): Promise<unknown> {
  const action = instance.actions.get(name);
  if (!action) {
    throw new KernelError('KRN_ERR_ACTION_NOT_FOUND', `no action "${name}" (has: ${[...instance.actions.keys()].join(', ') || 'none'})`, {
      plugin: instance.name,
    });
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
  try {
    return await action.handler(input);
  } catch (error) {
    throw pluginCallError(instance.name, `action "${name}"`, error);
  }
}

const DOC_PAGE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Markdown pages shipped in the bundle's `docs/`, without the `.md`. */
export async function listDocPages(dir: string): Promise<string[]> {
  try {
    return (await readdir(path.join(dir, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)).sort();
  } catch {
    return [];
  }
}

export async function readDocPage(dir: string, plugin: string, page: string): Promise<string> {
  const name = page.replace(/\.md$/, '');
  if (!DOC_PAGE.test(name) || !(await listDocPages(dir)).includes(name)) {
    throw new KernelError('KRN_ERR_NOT_FOUND', `no docs page "${page}"`, { plugin });
  }
  return readFile(path.join(dir, 'docs', `${name}.md`), 'utf8');
}
