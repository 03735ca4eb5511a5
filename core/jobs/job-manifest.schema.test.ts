/**
 * Keeps the TypeScript types JobManifestDocument / JobManifest and job-manifest.schema.json in
 * step. Each list below is checked against the types at compile time (a key missing from a list,
 * or a list entry that is not a key, fails tsc) and against the schema at test time.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JobManifest, JobManifestDocument, JobResources, JobVolume } from './job-manifest.js';

interface SchemaObject {
  required?: string[];
  properties?: Record<string, SchemaObject>;
  items?: SchemaObject;
  enum?: unknown[];
  default?: unknown;
}

const schema = JSON.parse(readFileSync(new URL('./job-manifest.schema.json', import.meta.url), 'utf8')) as SchemaObject;

/** Resolves to `true` only when `List` names every member of `All`. */
type Covers<All, List> = [Exclude<All, List>] extends [never] ? true : { missing: Exclude<All, List> };
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
/** The named keys of a type with an index signature. */
type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };
type Defaulted = Exclude<RequiredKeys<JobManifest>, RequiredKeys<JobManifestDocument>>;

const KEYS = [
  'name',
  'version',
  'owner',
  'jobtype',
  'infrastructure',
  'queue',
  'kind',
  'replicas',
  'resources',
  'limits',
  'env',
  'secretEnv',
  'secretEnvFile',
  'volumes',
  'jobtypeExtra',
  'labels',
  'extends',
] as const satisfies readonly (keyof JobManifestDocument)[];
const keysCovered: Covers<keyof JobManifestDocument, (typeof KEYS)[number]> = true;
const sameKeys: Covers<keyof JobManifest, keyof JobManifestDocument> &
  Covers<keyof JobManifestDocument, keyof JobManifest> = true;

const REQUIRED = ['name', 'version', 'jobtype'] as const satisfies readonly RequiredKeys<JobManifestDocument>[];
const requiredCovered: Covers<RequiredKeys<JobManifestDocument>, (typeof REQUIRED)[number]> = true;

/** Optional as written, always present once validated: exactly the fields with a schema default. */
const DEFAULTED = ['queue', 'kind', 'replicas', 'resources'] as const satisfies readonly Defaulted[];
const defaultedCovered: Covers<Defaulted, (typeof DEFAULTED)[number]> = true;

const KINDS = ['service', 'batch'] as const satisfies readonly JobManifest['kind'][];
const kindsCovered: Covers<JobManifest['kind'], (typeof KINDS)[number]> = true;

const VOLUME_KEYS = ['name', 'mountPath', 'readOnly'] as const satisfies readonly (keyof JobVolume)[];
const volumeKeysCovered: Covers<keyof JobVolume, (typeof VOLUME_KEYS)[number]> = true;
const VOLUME_REQUIRED = ['name', 'mountPath'] as const satisfies readonly RequiredKeys<
  NonNullable<JobManifestDocument['volumes']>[number]
>[];

const RESOURCE_DEFAULTS = ['cpu', 'memory'] as const satisfies readonly (keyof JobResources)[];
const resourcesCovered: Covers<KnownKeys<JobResources>, (typeof RESOURCE_DEFAULTS)[number]> = true;

const sorted = (values: readonly unknown[] | undefined): unknown[] => [...(values ?? [])].sort();
const withDefault = (properties: Record<string, SchemaObject> | undefined): string[] =>
  Object.entries(properties ?? {})
    .filter(([, property]) => property.default !== undefined)
    .map(([key]) => key);

describe('the job manifest types and job-manifest.schema.json', () => {
  it('cover every list at compile time', () => {
    const covered = [
      keysCovered,
      sameKeys,
      requiredCovered,
      defaultedCovered,
      kindsCovered,
      volumeKeysCovered,
      resourcesCovered,
    ];
    expect(covered).toEqual(covered.map(() => true));
  });

  it('have the same top-level properties', () => {
    expect(sorted(Object.keys(schema.properties ?? {}))).toEqual(sorted(KEYS));
  });

  it('agree on which properties are required, and which have defaults', () => {
    expect(sorted(schema.required)).toEqual(sorted(REQUIRED));
    expect(sorted(withDefault(schema.properties))).toEqual(sorted(DEFAULTED));
  });

  it('agree on kind, volumes and the resource defaults', () => {
    expect(sorted(schema.properties?.kind?.enum)).toEqual(sorted(KINDS));
    const volume = schema.properties?.volumes?.items;
    expect(sorted(Object.keys(volume?.properties ?? {}))).toEqual(sorted(VOLUME_KEYS));
    expect(sorted(volume?.required)).toEqual(sorted(VOLUME_REQUIRED));
    expect(withDefault(volume?.properties)).toEqual(['readOnly']);
    expect(sorted(withDefault(schema.properties?.resources?.properties))).toEqual(sorted(RESOURCE_DEFAULTS));
    expect(schema.properties?.resources?.default).toEqual({ cpu: 1, memory: 256 });
  });
});
