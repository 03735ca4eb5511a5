/**
 * Keeps the TypeScript type PluginManifest and plugin-manifest.schema.json in step. Each list
 * below is checked against the type at compile time (a key missing from a list, or a list entry
 * that is not a key, fails tsc) and against the schema at test time.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PluginCategory, PluginIsolation, PluginManifest } from './manifest.js';

interface SchemaObject {
  required?: string[];
  properties?: Record<string, SchemaObject>;
  enum?: unknown[];
}

const schema = JSON.parse(
  readFileSync(new URL('../plugin-manifest.schema.json', import.meta.url), 'utf8'),
) as SchemaObject;

/** Resolves to `true` only when `List` names every member of `All`. */
type Covers<All, List> = [Exclude<All, List>] extends [never] ? true : { missing: Exclude<All, List> };
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

const KEYS = [
  '$schema',
  'name',
  'version',
  'description',
  'category',
  'main',
  'engines',
  'dependsOn',
  'isolation',
  'permissions',
  'configSchema',
  'defaultConfig',
  'files',
  'homepage',
] as const satisfies readonly (keyof PluginManifest)[];
const keysCovered: Covers<keyof PluginManifest, (typeof KEYS)[number]> = true;

const REQUIRED = [
  'name',
  'version',
  'category',
  'main',
  'engines',
] as const satisfies readonly RequiredKeys<PluginManifest>[];
const requiredCovered: Covers<RequiredKeys<PluginManifest>, (typeof REQUIRED)[number]> = true;

const ENGINE_KEYS = ['spindle'] as const satisfies readonly (keyof PluginManifest['engines'])[];
const engineKeysCovered: Covers<keyof PluginManifest['engines'], (typeof ENGINE_KEYS)[number]> = true;

const CATEGORIES = [
  'scheduler',
  'job-type',
  'infrastructure',
  'storage',
  'auth',
  'notification',
  'core',
] as const satisfies readonly PluginCategory[];
const categoriesCovered: Covers<PluginCategory, (typeof CATEGORIES)[number]> = true;

const ISOLATIONS = ['in-process', 'process'] as const satisfies readonly PluginIsolation[];
const isolationsCovered: Covers<PluginIsolation, (typeof ISOLATIONS)[number]> = true;

const sorted = (values: readonly unknown[] | undefined): unknown[] => [...(values ?? [])].sort();

describe('PluginManifest and plugin-manifest.schema.json', () => {
  it('cover every list at compile time', () => {
    expect([keysCovered, requiredCovered, engineKeysCovered, categoriesCovered, isolationsCovered]).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it('have the same top-level properties', () => {
    expect(sorted(Object.keys(schema.properties ?? {}))).toEqual(sorted(KEYS));
  });

  it('agree on which properties are required', () => {
    expect(sorted(schema.required)).toEqual(sorted(REQUIRED));
  });

  it('agree on engines', () => {
    const engines = schema.properties?.engines;
    expect(sorted(Object.keys(engines?.properties ?? {}))).toEqual(sorted(ENGINE_KEYS));
    expect(sorted(engines?.required)).toEqual(sorted(ENGINE_KEYS));
  });

  it('agree on the category and isolation values', () => {
    expect(sorted(schema.properties?.category?.enum)).toEqual(sorted(CATEGORIES));
    expect(sorted(schema.properties?.isolation?.enum)).toEqual(sorted(ISOLATIONS));
  });
});
