import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manifest, removeHome, tempHome } from '../../tests/hostile/bundle.js';
import { checkCompat, checkDependencies, checkEngine, checkMain } from './check-compat.js';

let dir: string;
beforeEach(async () => {
  dir = await tempHome();
  await mkdir(path.join(dir, 'dist'));
  await writeFile(path.join(dir, 'dist/index.cjs'), 'main');
});
afterEach(async () => {
  await removeHome(dir);
});

describe('checkEngine', () => {
  it.each(['^1.0.0', '>=1.0.0 <2', '1.x', '*'])('accepts %s for API 1.0.0', (range) => {
    expect(() => checkEngine(manifest({ engines: { spindle: range } }), '1.0.0')).not.toThrow();
  });

  it('names the range and the kernel version on a mismatch', () => {
    expect(() => checkEngine(manifest({ engines: { spindle: '^1.2.0' } }), '1.0.0')).toThrow(
      'plugin hello-plugin: needs kernel plugin API "^1.2.0" (engines.spindle), but this kernel provides 1.0.0',
    );
  });

  it('refuses a range that is not semver as a manifest error', () => {
    expect(() => checkEngine(manifest({ engines: { spindle: 'latest' } }))).toThrow(
      expect.objectContaining({ code: 'KRN_ERR_MANIFEST_INVALID' }),
    );
  });
});

describe('checkDependencies', () => {
  const versions: Record<string, string[]> = { 'auth-basic': ['1.0.0', '1.3.0'] };
  const installedVersions = (name: string): string[] => versions[name] ?? [];

  it('accepts an installed version in range', () => {
    expect(() =>
      checkDependencies(manifest({ dependsOn: { 'auth-basic': '^1.2.0' } }), installedVersions),
    ).not.toThrow();
  });

  it('names the dependency, the range and what is installed', () => {
    expect(() => checkDependencies(manifest({ dependsOn: { 'auth-basic': '^2.0.0' } }), installedVersions)).toThrow(
      expect.objectContaining({
        code: 'KRN_ERR_DEPENDENCY_MISSING',
        message: expect.stringContaining('plugin hello-plugin: needs auth-basic@^2.0.0 (installed: 1.0.0, 1.3.0)'),
      }),
    );
  });

  it('refuses a plugin that depends on itself', () => {
    expect(() => checkDependencies(manifest({ dependsOn: { 'hello-plugin': '*' } }), installedVersions)).toThrow(
      expect.objectContaining({ code: 'KRN_ERR_DEPENDENCY_CYCLE' }),
    );
  });

  it('refuses a dependency range that is not semver', () => {
    expect(() => checkDependencies(manifest({ dependsOn: { 'auth-basic': 'newest' } }), installedVersions)).toThrow(
      expect.objectContaining({ code: 'KRN_ERR_MANIFEST_INVALID' }),
    );
  });
});

describe('checkMain and checkCompat', () => {
  it('accepts a main that is a file in the bundle', async () => {
    await expect(checkMain(manifest(), dir)).resolves.toBeUndefined();
  });

  it.each(['dist/missing.cjs', 'dist'])('refuses main %j', async (main) => {
    await expect(checkMain(manifest({ main }), dir)).rejects.toMatchObject({ code: 'KRN_ERR_MANIFEST_INVALID' });
  });

  it('accepts isolation "process" with permissions naming known placeholders and config keys', async () => {
    const isolated = manifest({
      isolation: 'process',
      configSchema: { type: 'object', properties: { root: { type: 'string' } } },
      permissions: {
        childProcess: true,
        fsRead: ['$JOBS', '/etc/ssl'],
        fsWrite: ['${config.root}', '$TRANSFER'],
        request: { headers: ['authorization'] },
      },
    });
    await expect(checkCompat(isolated, dir, { installedVersions: () => [] })).resolves.toBeUndefined();
  });

  it('refuses permissions with an unknown placeholder or config key, naming it', async () => {
    await expect(
      checkCompat(manifest({ permissions: { fsRead: ['$SECRETS/x'] } }), dir, { installedVersions: () => [] }),
    ).rejects.toMatchObject({
      code: 'KRN_ERR_MANIFEST_INVALID',
      message: expect.stringContaining('unknown placeholder $SECRETS'),
    });
    await expect(
      checkCompat(manifest({ permissions: { fsWrite: ['${config.nope}'] } }), dir, { installedVersions: () => [] }),
    ).rejects.toMatchObject({
      code: 'KRN_ERR_MANIFEST_INVALID',
      message: expect.stringContaining('config key "nope"'),
    });
  });

  it('accepts isolation "in-process" and a custom API version', async () => {
    const ok = manifest({ isolation: 'in-process', engines: { spindle: '^3.1.0' } });
    await expect(checkCompat(ok, dir, { installedVersions: () => [], apiVersion: '3.4.0' })).resolves.toBeUndefined();
  });
});
