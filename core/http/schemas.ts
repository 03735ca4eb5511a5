/**
 * JSON schemas shared by the routes, registered with `addSchema` so OpenAPI lists them as
 * components. Response schemas keep `additionalProperties: true` and no `required`: they document
 * the shape without letting the serializer drop or reject fields the kernel adds later.
 */
import type { FastifyInstance } from 'fastify';

const open = { type: 'object', additionalProperties: true } as const;
const nullableString = { type: ['string', 'null'] } as const;

const SHARED_SCHEMAS = [
  {
    $id: 'KernelError',
    type: 'object',
    additionalProperties: true,
    properties: { code: { type: 'string' }, message: { type: 'string' }, details: open },
  },
  {
    $id: 'PluginVersionView',
    ...open,
    properties: {
      version: { type: 'string' },
      state: { type: 'string', enum: ['installed', 'active', 'failed', 'disabled'] },
      error: nullableString,
      installedAt: { type: 'string' },
      sha256: { type: 'string' },
      source: { type: 'string' },
      active: { type: 'boolean' },
    },
  },
  {
    $id: 'PluginAction',
    ...open,
    properties: {
      name: { type: 'string' },
      description: { type: 'string' },
      inputSchema: { type: ['object', 'null'], additionalProperties: true },
    },
  },
  {
    $id: 'PluginView',
    ...open,
    properties: {
      name: { type: 'string' },
      description: nullableString,
      category: { type: 'string' },
      activeVersion: nullableString,
      pinnedVersion: nullableString,
      enabled: { type: 'boolean' },
      versions: { type: 'array', items: { $ref: 'PluginVersionView#' } },
      actions: { type: 'array', items: { $ref: 'PluginAction#' } },
      routes: {
        type: 'array',
        items: { ...open, properties: { method: { type: 'string' }, path: { type: 'string' } } },
      },
      docs: { type: 'array', items: { type: 'string' } },
      runs: { type: ['string', 'null'], enum: ['in-process', 'process', null] },
      permissions: open,
    },
  },
  {
    $id: 'InstallResult',
    ...open,
    properties: {
      name: { type: 'string' },
      version: { type: 'string' },
      state: { type: 'string' },
      swappedFrom: nullableString,
      permissions: open,
      removed: { type: 'array', items: { type: 'string' } },
      plugin: { $ref: 'PluginView#' },
    },
  },
  {
    $id: 'ConfigView',
    ...open,
    properties: { config: open, schema: { type: ['object', 'null'], additionalProperties: true } },
  },
  {
    $id: 'HealthView',
    ...open,
    properties: {
      status: { type: 'string', enum: ['ok', 'degraded'] },
      version: { type: 'string' },
      pluginApiVersion: { type: 'string' },
      uptimeSeconds: { type: 'number' },
      plugins: { ...open, additionalProperties: { type: 'integer' } },
      maintenance: { type: 'boolean' },
      safeMode: { type: 'boolean' },
      isolation: { type: 'string', enum: ['manifest', 'third-party', 'all'] },
    },
  },
  {
    $id: 'ActivityEntry',
    ...open,
    properties: {
      id: { type: 'integer' },
      at: { type: 'string' },
      actor: { type: 'string' },
      action: { type: 'string' },
      subject: { type: 'string' },
      plugin: nullableString,
      outcome: { type: 'string', enum: ['ok', 'error'] },
      details: open,
    },
  },
];

export function registerSharedSchemas(app: FastifyInstance): void {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
}

export const ref = (id: string) => ({ $ref: `${id}#` }) as const;

/** Route response map with the error shape for every 4xx / 5xx. */
export function responses(ok: Record<string, unknown>): Record<string, unknown> {
  const error = { description: 'Error: {code, message, details}', ...ref('KernelError') };
  return { ...ok, '4xx': error, '5xx': error };
}

export const pluginNameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 128, description: 'Plugin name' } },
} as const;

export function paramsWith(
  extra: Record<string, { type: 'string'; maxLength: number; pattern?: string; description?: string }>,
) {
  return {
    type: 'object',
    required: ['name', ...Object.keys(extra)],
    properties: { ...pluginNameParams.properties, ...extra },
  } as const;
}
