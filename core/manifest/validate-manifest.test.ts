import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { KernelError } from '../errors/kernel-error.js';
import { findManifestSchema, type ManifestProblem, validateManifest } from './validate-manifest.js';

const valid: PluginManifest = {
  $schema: './plugin-manifest.schema.json',
  name: 'scheduler-fifo',
  version: '1.2.0-beta.1+build.5',
  description: 'First in, first out.',
  category: 'scheduler',
  main: 'dist/index.cjs',
  engines: { spindle: '^1.0.0' },
  dependsOn: { 'auth-basic': '^1.0.0' },
  isolation: 'in-process',
  configSchema: { type: 'object', properties: { token: { type: 'string', 'x-secret': true } } },
  defaultConfig: { retries: 3 },
  files: { 'dist/index.cjs': 'a'.repeat(64) },
  homepage: 'https://example.com/scheduler-fifo',
};

function problems(data: unknown, hint?: string): { error: KernelError; errors: ManifestProblem[] } {
  try {
    validateManifest(data, hint);
  } catch (error) {
    expect(error).toBeInstanceOf(KernelError);
    const kernelError = error as KernelError;
    expect(kernelError.code).toBe('KRN_ERR_MANIFEST_INVALID');
    return { error: kernelError, errors: kernelError.details.errors as ManifestProblem[] };
  }
  throw new Error('expected validateManifest to throw');
}

describe('validateManifest', () => {
  it('returns a valid manifest as is', () => {
    expect(validateManifest(valid)).toBe(valid);
    expect(
      validateManifest({ name: 'ab', version: '0.0.1', category: 'core', main: 'index.js', engines: { spindle: '*' } }),
    ).toBeDefined();
  });

  it('lists every problem with its JSON path, in the message and in details', () => {
    const { error, errors } = problems({ ...valid, name: 'Bad_Name', engines: { spindle: 2 } }, 'Bad_Name');
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: '/engines/spindle', message: 'must be string' },
        { path: '/name', message: expect.stringContaining('must match pattern') },
      ]),
    );
    expect(error.message).toContain('/engines/spindle: must be string');
    expect(error.message).toContain('; ');
    expect(error.message).toMatch(/\/name: must match pattern/);
    expect(error.message).toMatch(/^plugin Bad_Name: plugin.json does not match the manifest schema: /);
  });

  it('explains missing, unknown, enum and .. problems in plain words', () => {
    const { version: _version, ...rest } = valid;
    const { errors } = problems({ ...rest, category: 'toaster', main: 'dist/../../x.cjs', colour: 'red' });
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: '/', message: "must have required property 'version'" },
        { path: '/', message: 'has unknown property "colour"' },
        { path: '/category', message: expect.stringContaining('must be one of "scheduler", "job-type"') },
        { path: '/main', message: "must not contain a '..' segment" },
      ]),
    );
  });

  it('names a bad property name in dependsOn', () => {
    const { errors } = problems({ ...valid, dependsOn: { Auth_Basic: '^1.0.0' } });
    expect(errors).toEqual([
      { path: '/dependsOn', message: expect.stringContaining('property name "Auth_Basic" must match pattern') },
    ]);
  });

  it.each([
    ['not an object', [], '/'],
    ['null', null, '/'],
    ['a bad sha256', { ...valid, files: { 'dist/index.cjs': 'ABC' } }, '/files/dist~1index.cjs'],
    ['a bad homepage', { ...valid, homepage: 'not a uri' }, '/homepage'],
    ['a bad isolation', { ...valid, isolation: 'vm' }, '/isolation'],
    ['a non-JS main', { ...valid, main: 'dist/index.ts' }, '/main'],
    ['an absolute main', { ...valid, main: '/dist/index.cjs' }, '/main'],
  ])('refuses %s', (_kind, data, at) => {
    expect(problems(data).errors.map((problem) => problem.path)).toContain(at);
  });
});

describe('findManifestSchema', () => {
  it('finds the schema at the repo root from source', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    expect(findManifestSchema()).toBe(path.join(root, 'plugin-manifest.schema.json'));
  });

  it('walks up from a deeper directory, as from build/core/manifest', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'spindle-schema-'));
    try {
      await mkdir(path.join(root, 'build/core/manifest'), { recursive: true });
      await writeFile(path.join(root, 'plugin-manifest.schema.json'), '{}');
      expect(findManifestSchema(path.join(root, 'build/core/manifest'))).toBe(
        path.join(root, 'plugin-manifest.schema.json'),
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
