/**
 * The job manifest (`job.yaml`) as TypeScript, its validation, and job type references.
 *
 * `job-manifest.schema.json` next to this file is the single source of truth; the types below
 * mirror it and `job-manifest.test.ts` fails when the two drift apart.
 */
import { Ajv } from 'ajv';
import semver from 'semver';
import type { JobManifestData } from '../../plugin-sdk/hook-types.js';
import type { ErrorCode } from '../errors/catalogue.js';
import { KernelError, type KernelErrorOptions } from '../errors/kernel-error.js';
import { describeSchemaErrors, MESSAGE_KEYWORDS } from '../errors/schema-problems.js';
import schemaJson from './job-manifest.schema.json' with { type: 'json' };

export const JOB_MANIFEST_SCHEMA: Readonly<Record<string, unknown>> = schemaJson;

/** A volume mount, with its default applied. */
export interface JobVolume {
  name: string;
  /** Absolute path inside each replica. */
  mountPath: string;
  readOnly: boolean;
}

/** Resource slots per replica: `cpu` in cores, `memory` in MiB, plus any slot an agent reports. */
export interface JobResources {
  cpu: number;
  memory: number;
  [slot: string]: number;
}

/** `job.yaml` as written: the SDK's JobManifestData plus what only the manifest file carries. */
export interface JobManifestDocument extends JobManifestData {
  /** Secret env: merged over `secretEnvFile`, returned apart from the manifest, never printed. */
  secretEnv?: Record<string, string>;
  /** Relative to the job directory: a YAML map (`.yaml`, `.yml`) or KEY=VALUE lines. */
  secretEnvFile?: string;
  /** Relative to the manifest naming it: a base manifest this one is deep-merged over. */
  extends?: string;
}

/** A valid job manifest with the schema's defaults applied. */
export interface JobManifest
  extends Omit<JobManifestDocument, 'queue' | 'kind' | 'replicas' | 'resources' | 'volumes'> {
  queue: string;
  kind: 'service' | 'batch';
  replicas: number;
  resources: JobResources;
  volumes?: JobVolume[];
}

export interface JobManifestProblem {
  /** JSON Pointer into the manifest; `/` for the document itself. */
  path: string;
  message: string;
}

export type JobManifestErrorCode = 'KRN_ERR_JOB_MANIFEST_INVALID' | 'KRN_ERR_JOB_MANIFEST_NOT_FOUND';

/** The catalogue code a job manifest error is thrown with (the one place to remap them). */
export function kernelCodeFor(code: JobManifestErrorCode): ErrorCode {
  return code;
}

export function jobManifestError(code: JobManifestErrorCode, what: string, options?: KernelErrorOptions): KernelError {
  return new KernelError(kernelCodeFor(code), what, options);
}

const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true, verbose: true });
ajv.addVocabulary(MESSAGE_KEYWORDS);
const validate = ajv.compile<JobManifest>(JOB_MANIFEST_SCHEMA);

const PROPERTY_ORDER = Object.keys(schemaJson.properties);

/** What the schema calls a relative path (`extends`, `secretEnvFile`) and an env variable name. */
export const RELATIVE_PATH = new RegExp(schemaJson.definitions.relativePath.pattern, 'u');
export const ENV_NAME = new RegExp(schemaJson.definitions.envMap.propertyNames.pattern, 'u');

/**
 * Checks `data` (a parsed job.yaml, extends already merged) against job-manifest.schema.json and
 * returns a copy with the defaults applied, keys in schema order; `data` itself is not changed.
 * Throws KRN_ERR_JOB_MANIFEST_INVALID listing every problem with its JSON path, e.g.
 * `/resources/cpu: must be >= 0`, also in `details.errors`. `source` names the file (default job.yaml).
 */
export function validateJobManifest(data: unknown, source?: string): JobManifest {
  let copy: unknown;
  try {
    copy = structuredClone(data);
  } catch {
    throw invalid(source, data, [
      { path: '/', message: 'must be plain data (objects, arrays, strings, numbers, booleans)' },
    ]);
  }
  const problems = validate(copy) ? duplicateMounts(copy) : describeSchemaErrors(validate.errors ?? []);
  if (problems.length > 0) throw invalid(source, data, problems);
  const record = copy as unknown as Record<string, unknown>;
  return Object.fromEntries(
    PROPERTY_ORDER.filter((key) => key in record).map((key) => [key, record[key]]),
  ) as unknown as JobManifest;
}

function invalid(source: string | undefined, data: unknown, errors: JobManifestProblem[]): KernelError {
  const listed = errors.map((error) => `${error.path}: ${error.message}`).join('; ');
  const name = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).name : undefined;
  return jobManifestError(
    'KRN_ERR_JOB_MANIFEST_INVALID',
    `${source ?? 'job.yaml'} does not match the job manifest schema: ${listed}`,
    {
      ...(typeof name === 'string' && /^[a-z][a-z0-9-]{0,62}$/.test(name) ? { job: name } : {}),
      details: { errors, ...(source ? { file: source } : {}) },
    },
  );
}

/** Two volumes on one mount path cannot both be mounted; the schema cannot say so. */
function duplicateMounts(manifest: JobManifest): JobManifestProblem[] {
  const seen = new Map<string, number>();
  const problems: JobManifestProblem[] = [];
  (manifest.volumes ?? []).forEach((volume, index) => {
    const first = seen.get(volume.mountPath);
    if (first === undefined) seen.set(volume.mountPath, index);
    else problems.push({ path: `/volumes/${index}/mountPath`, message: `is already used by /volumes/${first}` });
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Job type references: `name:version`
// ---------------------------------------------------------------------------------------------

export interface JobtypeRef {
  name: string;
  /** The version part as written: `1.2.0`, `latest`, `1.x`, `1.2.*`. */
  spec: string;
  /** `exact`: that version only. `latest`: the highest stable. `wildcard`: the highest stable in range. */
  kind: 'exact' | 'latest' | 'wildcard';
  /** A semver range for `spec`: `*` for latest; semver reads `1.x` and `1.2.*` as X-ranges as is. */
  range: string;
}

const JOBTYPE_PATTERN = new RegExp(schemaJson.properties.jobtype.pattern, 'u');
const WILDCARD = /^\d+\.(\d+\.)?[x*]$/;

/** Splits `python3:1.x` into its parts; throws KRN_ERR_JOB_MANIFEST_INVALID when malformed. */
export function parseJobtype(jobtype: string): JobtypeRef {
  if (!JOBTYPE_PATTERN.test(jobtype)) {
    const message = schemaJson.properties.jobtype['x-message'];
    throw jobManifestError('KRN_ERR_JOB_MANIFEST_INVALID', `jobtype ${JSON.stringify(jobtype)} ${message}`, {
      details: { errors: [{ path: '/jobtype', message }] },
    });
  }
  const colon = jobtype.indexOf(':');
  const name = jobtype.slice(0, colon);
  const spec = jobtype.slice(colon + 1);
  if (spec === 'latest') return { name, spec, kind: 'latest', range: '*' };
  if (WILDCARD.test(spec)) return { name, spec, kind: 'wildcard', range: spec };
  return { name, spec, kind: 'exact', range: spec };
}

/**
 * The version of `available` (the versions of the job type `jobtype` names) that `jobtype`
 * selects, or undefined. Exact versions match exactly; `latest` and wildcards pick the highest
 * version in range, skipping prereleases (semver ranges exclude them).
 */
export function resolveJobtypeVersion(jobtype: string, available: readonly string[]): string | undefined {
  const ref = parseJobtype(jobtype);
  if (ref.kind === 'exact') return available.includes(ref.spec) ? ref.spec : undefined;
  return semver.maxSatisfying([...available], ref.range) ?? undefined;
}
