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
      throw new KernelError(
        'KRN_ERR_MANIFEST_INVALID',
        `configSchema is not a valid JSON Schema: ${(error as Error).message}`,
        {
          plugin: manifest.name,
        },
      );
    }
    compiled.set(schema, validate);
  }
  if (!validate(config)) {
    const errors = formatErrors(validate.errors ?? []);
    throw new KernelError(
      'KRN_ERR_CONFIG_INVALID',
      `config is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
      {
        plugin: manifest.name,
        details: { errors },
      },
    );
  }
  return config;
}

type Container = Record<string, unknown> | unknown[];

/**
 * Call `visit(container, key, stored)` for every `x-secret` field present in `value`, following
 * `properties` and array `items`; `stored` is the value at the same place in `twin`, if given.
 */
function eachSecret(
  schema: unknown,
  value: unknown,
  visit: (container: Container, key: string | number, stored: unknown) => void,
  twin?: unknown,
): void {
  if (!isObject(schema)) return;
  if (Array.isArray(value) && isObject(schema.items)) {
    const items = schema.items;
    value.forEach((element, index) => {
      const stored = Array.isArray(twin) ? twin[index] : undefined;
      if (items['x-secret'] === true) visit(value, index, stored);
      else eachSecret(items, element, visit, stored);
    });
    return;
  }
  if (!isObject(value) || !isObject(schema.properties)) return;
  for (const [key, sub] of Object.entries(schema.properties)) {
    if (!(key in value)) continue;
    const stored = isObject(twin) ? twin[key] : undefined;
    if (isObject(sub) && sub['x-secret'] === true) visit(value, key, stored);
    else eachSecret(sub, value[key], visit, stored);
  }
}

const read = (container: Container, key: string | number): unknown =>
  (container as Record<string | number, unknown>)[key];
const write = (container: Container, key: string | number, value: unknown): void => {
  (container as Record<string | number, unknown>)[key] = value;
};

/** A copy of `config` with every `x-secret` field that has a value replaced by the mask. */
export function maskSecrets(schema: unknown, config: Json): Json {
  const out = structuredClone(config);
  eachSecret(schema, out, (container, key) => {
    if (read(container, key) !== undefined && read(container, key) !== null) write(container, key, SECRET_MASK);
  });
  return out;
}

/** The secret values set in `config` (strings of 4+ characters), for scrubbing logs. */
export function secretValues(schema: unknown, config: Json): string[] {
  const values: string[] = [];
  eachSecret(schema, config, (container, key) => {
    const value = read(container, key);
    if (typeof value === 'string' && value.length >= 4) values.push(value);
  });
  return values;
}

/** A masked value sent back unchanged means "keep the stored secret": put the stored one back. */
export function unmaskSecrets(schema: unknown, incoming: Json, stored: Json): Json {
  const out = structuredClone(incoming);
  eachSecret(
    schema,
    out,
    (container, key, old) => {
      if (read(container, key) === SECRET_MASK) write(container, key, old);
    },
    stored,
  );
  return out;
}
