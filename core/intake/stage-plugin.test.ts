import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLUGIN_API_VERSION } from '../../plugin-sdk/version.js';
import { bundle, listDir, MAIN_SOURCE, manifest, removeHome, sha256, tempHome } from '../../tests/hostile/bundle.js';
import { rawZip } from '../../tests/hostile/raw-zip.js';
import { KernelError } from '../errors/kernel-error.js';
import { cleanStaging, commitStaged, type StageOptions, stagePlugin } from './stage-plugin.js';
import { DEFAULT_ZIP_LIMITS } from './zip-limits.js';

let home: string;
let installed: Record<string, string[]>;
const options = (): StageOptions => ({
  home,
  limits: DEFAULT_ZIP_LIMITS,
  installedVersions: (name) => installed[name] ?? [],
});

beforeEach(async () => {
  home = await tempHome();
  installed = {};
});
afterEach(async () => {
  await removeHome(home);
});

async function refusal(zip: Buffer): Promise<KernelError> {
  const error: unknown = await stagePlugin(zip, options()).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(KernelError);
  expect(await listDir(home, 'staging')).toEqual([]);
  expect(await listDir(home, 'plugins')).toEqual([]);
  return error as KernelError;
}

const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o7777;

describe('stagePlugin and commitStaged', () => {
  it('stages a valid bundle, then commits it to plugins/<name>/<version>', async () => {
    const zip = bundle({ description: 'hi' }, [
      { name: 'assets/', mode: 0o040777 },
      { name: 'assets/run.sh', data: '#!/bin/sh', mode: 0o104755 },
    ]);
    const staged = await stagePlugin(zip, options());
    expect(staged.manifest).toEqual(manifest({ description: 'hi' }));
    expect(staged.sha256).toBe(sha256(zip));
    expect(path.dirname(staged.stagingDir)).toBe(path.join(home, 'staging'));
    // setuid and exec bits from the archive are never kept
    expect(await mode(path.join(staged.stagingDir, 'assets/run.sh'))).toBe(0o644);
    expect(await mode(path.join(staged.stagingDir, 'assets'))).toBe(0o755);
    expect(await mode(path.join(staged.stagingDir, 'dist/index.cjs'))).toBe(0o644);

    const target = await commitStaged(staged.stagingDir, home, staged.manifest);
    expect(target).toBe(path.join(home, 'plugins', 'hello-plugin', '1.0.0'));
    expect(await readFile(path.join(target, 'dist/index.cjs'), 'utf8')).toBe(MAIN_SOURCE);
    expect(await mode(target)).toBe(0o755);
    expect(await listDir(home, 'staging')).toEqual([]);
  });

  it('refuses to commit a version that is already installed, and removes the staging dir', async () => {
    const first = await stagePlugin(bundle(), options());
    await commitStaged(first.stagingDir, home, first.manifest);
    const second = await stagePlugin(bundle(), options());
    const error = await commitStaged(second.stagingDir, home, second.manifest).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({
      code: 'KRN_ERR_ALREADY_INSTALLED',
      details: { plugin: 'hello-plugin', version: '1.0.0' },
    });
    expect((error as Error).message).toContain('plugin hello-plugin: version 1.0.0 is already installed');
    expect(await listDir(home, 'staging')).toEqual([]);
    expect(await listDir(home, 'plugins/hello-plugin')).toEqual(['1.0.0']);
  });

  it('refuses to commit over an existing empty version dir (rename would replace it)', async () => {
    await mkdir(path.join(home, 'plugins', 'hello-plugin', '1.0.0'), { recursive: true });
    const staged = await stagePlugin(bundle(), options());
    await expect(commitStaged(staged.stagingDir, home, staged.manifest)).rejects.toMatchObject({
      code: 'KRN_ERR_ALREADY_INSTALLED',
    });
    expect(await listDir(home, 'staging')).toEqual([]);
  });

  it('refuses to commit a directory that is not one of its staging dirs', async () => {
    await expect(commitStaged(home, home, manifest())).rejects.toMatchObject({ code: 'KRN_ERR_INTERNAL' });
  });

  it('accepts matching file hashes', async () => {
    const files = { 'dist/index.cjs': sha256(MAIN_SOURCE) };
    const staged = await stagePlugin(bundle({ files }), options());
    expect(staged.manifest.files).toEqual(files);
  });

  it('refuses a file whose hash does not match, naming it', async () => {
    const error = await refusal(bundle({ files: { 'dist/index.cjs': sha256('something else') } }));
    expect(error.code).toBe('KRN_ERR_HASH_MISMATCH');
    expect(error.message).toContain('plugin hello-plugin: "dist/index.cjs" has sha256');
    expect(error.details.file).toBe('dist/index.cjs');
  });

  it('refuses a listed file that is not in the bundle', async () => {
    const error = await refusal(bundle({ files: { 'dist/missing.cjs': sha256('x') } }));
    expect(error.code).toBe('KRN_ERR_HASH_MISMATCH');
    expect(error.message).toContain('"dist/missing.cjs" is listed in "files" but is not a file in the bundle');
  });

  it('refuses an engines.spindle range the kernel does not satisfy', async () => {
    const error = await refusal(bundle({ engines: { spindle: '^2.0.0' } }));
    expect(error.code).toBe('KRN_ERR_ENGINE_MISMATCH');
    expect(error.message).toContain(
      `plugin hello-plugin: needs kernel plugin API "^2.0.0" (engines.spindle), but this kernel provides ${PLUGIN_API_VERSION}`,
    );
  });

  it('refuses a missing dependency, saying what is installed', async () => {
    installed = { 'auth-basic': ['1.4.0'] };
    const error = await refusal(bundle({ dependsOn: { 'auth-basic': '^2.0.0', 'storage-s3': '^1.0.0' } }));
    expect(error.code).toBe('KRN_ERR_DEPENDENCY_MISSING');
    expect(error.message).toContain('needs auth-basic@^2.0.0 (installed: 1.4.0), storage-s3@^1.0.0 (not installed)');
    expect(error.details).toMatchObject({ dependency: 'auth-basic', range: '^2.0.0', installed: ['1.4.0'] });
  });

  it('accepts a dependency with an installed version in range', async () => {
    installed = { 'auth-basic': ['1.4.0', '2.1.0'] };
    await expect(stagePlugin(bundle({ dependsOn: { 'auth-basic': '^2.0.0' } }), options())).resolves.toBeDefined();
  });

  it('stages a plugin that asks for isolation "process"', async () => {
    await expect(stagePlugin(bundle({ isolation: 'process' }), options())).resolves.toMatchObject({
      manifest: { isolation: 'process' },
    });
  });

  it('refuses a main that is not in the bundle', async () => {
    const error = await refusal(bundle({ main: 'dist/other.cjs' }));
    expect(error.code).toBe('KRN_ERR_MANIFEST_INVALID');
    expect(error.message).toContain('main "dist/other.cjs" is not a file in the bundle');
  });

  it('refuses a bundle without plugin.json, pointing at a nested one', async () => {
    const zip = rawZip([{ name: 'hello/plugin.json', data: JSON.stringify(manifest()) }]);
    const error = await refusal(zip);
    expect(error.code).toBe('KRN_ERR_MANIFEST_MISSING');
    expect(error.message).toContain('found "hello/plugin.json"');
  });

  it('refuses plugin.json that is not JSON, with the parse error', async () => {
    const error = await refusal(rawZip([{ name: 'plugin.json', data: '{"name": ' }]));
    expect(error.code).toBe('KRN_ERR_MANIFEST_INVALID');
    expect(error.message).toMatch(/plugin\.json is not valid JSON \(.+\)/);
  });

  it('refuses plugin.json that breaks the schema, naming the plugin and every problem', async () => {
    const data = { ...manifest(), category: 'toaster', engines: { spindle: 1 } };
    const error = await refusal(rawZip([{ name: 'plugin.json', data: JSON.stringify(data) }]));
    expect(error.code).toBe('KRN_ERR_MANIFEST_INVALID');
    expect(error.message).toContain('plugin hello-plugin: ');
    expect(error.message).toContain('/engines/spindle: must be string');
    expect(error.message).toContain('/category: must be one of');
  });

  it('accepts a plugin.json with a byte-order mark', async () => {
    const zip = rawZip([
      { name: 'plugin.json', data: `\uFEFF${JSON.stringify(manifest())}` },
      { name: 'dist/index.cjs', data: MAIN_SOURCE },
    ]);
    await expect(stagePlugin(zip, options())).resolves.toBeDefined();
  });
});

describe('cleanStaging', () => {
  it('removes what an interrupted install left in <home>/staging', async () => {
    await mkdir(path.join(home, 'staging', 'install-abc', 'dist'), { recursive: true });
    await writeFile(path.join(home, 'staging', 'install-abc', 'dist', 'index.cjs'), 'half');
    expect(await cleanStaging(home)).toEqual(['install-abc']);
    expect(await listDir(home, 'staging')).toEqual([]);
  });

  it('does nothing when there is no staging dir', async () => {
    expect(await cleanStaging(home)).toEqual([]);
  });
});
