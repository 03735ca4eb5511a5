import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { KernelError } from '../errors/kernel-error.js';
import { describeSchemaErrors, MESSAGE_KEYWORDS } from '../errors/schema-problems.js';

const SCHEMA_FILE = 'plugin-manifest.schema.json';

/**
 * Where the schema lives: the first directory above this file that holds it. That is the repo
 * root both when running from source (core/manifest) and when compiled (build/core/manifest).
 */
export function findManifestSchema(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, SCHEMA_FILE);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`${SCHEMA_FILE} not found in ${from} or any directory above it`);
  }
}

export const MANIFEST_SCHEMA: Readonly<Record<string, unknown>> = JSON.parse(
  readFileSync(findManifestSchema(), 'utf8'),
);

// ajv-formats is CommonJS with `exports.default`; under NodeNext its default import is module.exports.
const addFormats = addFormatsModule.default;
const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
ajv.addVocabulary(MESSAGE_KEYWORDS);
addFormats(ajv, ['uri']);
const validate = ajv.compile<PluginManifest>(MANIFEST_SCHEMA);

export interface ManifestProblem {
  /** JSON Pointer into plugin.json; `/` for the document itself. */
  path: string;
  message: string;
}

/**
 * Checks `data` (parsed plugin.json) against plugin-manifest.schema.json and returns it typed.
 * Throws KRN_ERR_MANIFEST_INVALID listing every problem with its JSON path, e.g.
 * `/engines/spindle: must be string; /name: must match pattern ...`. `pluginHint` (the name as
 * read from the file, when there is one) goes into the message, since the manifest is not yet
 * trusted to name the plugin.
 */
export function validateManifest(data: unknown, pluginHint?: string): PluginManifest {
  if (validate(data)) return data;
  const errors = describeSchemaErrors(validate.errors ?? []);
  const listed = errors.map((error) => `${error.path}: ${error.message}`).join('; ');
  throw new KernelError('KRN_ERR_MANIFEST_INVALID', `plugin.json does not match the manifest schema: ${listed}`, {
    ...(pluginHint ? { plugin: pluginHint } : {}),
    details: { errors },
  });
}
