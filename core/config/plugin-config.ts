import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { KernelError } from '../errors/kernel-error.js';

export const SECRET_MASK = '********';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
const compiled = new WeakMap<object, ValidateFunction>();

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge of plain objects; arrays and scalars from `over` win. */
export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isObject(value) && isObject(out[key]) ? deepMerge(out[key] as Json, value) : value;
  }
  return out;
}

function formatErrors(errors: ErrorObject[]): { path: string; message: string }[] {
  return errors.map((e) => ({ path: e.instancePath || '/', message: e.message ?? 'is invalid' }));
}

/**
 * The config an instance gets: `defaultConfig`, overlaid by what the operator stored, validated
 * against `configSchema` with its defaults filled in. Throws `KRN_ERR_CONFIG_INVALID` with every
 * error and its path.
 */
export function resolveConfig(manifest: PluginManifest, stored: Json | undefined): Json {
  const config = structuredClone(deepMerge(manifest.defaultConfig ?? {}, stored ?? {}));
  const schema = manifest.configSchema;
  if (!schema) return config;
  let validate = compiled.get(schema);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (error) {
      throw new KernelError('KRN_ERR_MANIFEST_INVALID', `configSchema is not a valid JSON Schema: ${(error as Error).message}`, {
        plugin: manifest.name,
      });
    }
    compiled.set(schema, validate);
  }
  if (!validate(config)) {
    const errors = formatErrors(validate.errors ?? []);
    throw new KernelError('KRN_ERR_CONFIG_INVALID', `config is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, {
      plugin: manifest.name,
      details: { errors },
    });
  }
  return config;
}

/** Paths (as key arrays) of every `x-secret` field in a schema, following `properties`. */
export function secretPaths(schema: unknown, prefix: string[] = []): string[][] {
  if (!isObject(schema)) return [];
  if (schema['x-secret'] === true) return [prefix];
  const props = schema.properties;
  if (!isObject(props)) return [];
  return Object.entries(props).flatMap(([key, sub]) => secretPaths(sub, [...prefix, key]));
}

/** A copy of `config` with every `x-secret` field that has a value replaced by the mask. */
export function maskSecrets(schema: unknown, config: Json): Json {
  const out = structuredClone(config);
  for (const keys of secretPaths(schema)) {
    let node: Json | undefined = out;
    for (const key of keys.slice(0, -1)) node = isObject(node?.[key]) ? (node[key] as Json) : undefined;
    const last = keys[keys.length - 1];
    if (node && last !== undefined && node[last] !== undefined && node[last] !== null) node[last] = SECRET_MASK;
  }
  return out;
}

/** The secret values set in `config` (strings of 4+ characters), for scrubbing logs. */
export function secretValues(schema: unknown, config: Json): string[] {
  const values: string[] = [];
  for (const keys of secretPaths(schema)) {
    let node: unknown = config;
    for (const key of keys) node = isObject(node) ? node[key] : undefined;
    if (typeof node === 'string' && node.length >= 4) values.push(node);
  }
  return values;
}

/** A masked value sent back unchanged means "keep the stored secret": put the stored one back. */
export function unmaskSecrets(schema: unknown, incoming: Json, stored: Json): Json {
  const out = structuredClone(incoming);
  for (const keys of secretPaths(schema)) {
    let inNode: Json | undefined = out;
    let oldNode: Json | undefined = stored;
    for (const key of keys.slice(0, -1)) {
      inNode = isObject(inNode?.[key]) ? (inNode[key] as Json) : undefined;
      oldNode = isObject(oldNode?.[key]) ? (oldNode[key] as Json) : undefined;
    }
    const last = keys[keys.length - 1];
    if (last !== undefined && inNode?.[last] === SECRET_MASK) inNode[last] = oldNode?.[last];
  }
  return out;
}
