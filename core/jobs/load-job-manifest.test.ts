import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KernelError } from '../errors/kernel-error.js';
import { type JobManifestErrorCode, kernelCodeFor } from './job-manifest.js';
import { deepMerge, type LoadJobManifestOptions, loadJobManifest, parseEnvLines } from './load-job-manifest.js';

const roots: string[] = [];
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temp dir holding `files` (path → text); returns its path. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'spindle-job-'));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

const JOB = 'name: adder\nversion: 1.2.0\njobtype: python3:1.x\n';

async function failure(
  dir: string,
  code: JobManifestErrorCode,
  options?: LoadJobManifestOptions,
): Promise<KernelError> {
  const error: unknown = await loadJobManifest(dir, options).then(
    () => new Error('expected loadJobManifest to fail'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(KernelError);
  expect((error as KernelError).code).toBe(kernelCodeFor(code));
  return error as KernelError;
}

describe('loadJobManifest: finding and parsing', () => {
  it('reads job.yaml with the defaults applied', async () => {
    const dir = tree({ 'job.yaml': JOB });
    const loaded = await loadJobManifest(dir);
    expect(loaded.manifest).toEqual({
      name: 'adder',
      version: '1.2.0',
      jobtype: 'python3:1.x',
      queue: 'default',
      kind: 'service',
      replicas: 1,
      resources: { cpu: 1, memory: 256 },
    });
    expect(loaded.secretEnv).toEqual({});
    expect(loaded.sources).toEqual([path.join(dir, 'job.yaml')]);
  });

  it('falls back to job.yml, prefers job.yaml, and reads options.file relative to dir', async () => {
    expect((await loadJobManifest(tree({ 'job.yml': JOB }))).sources[0]).toMatch(/job\.yml$/);
    const both = tree({ 'job.yaml': JOB, 'job.yml': JOB.replace('adder', 'other') });
    expect((await loadJobManifest(both)).manifest.name).toBe('adder');
    const custom = tree({ 'deploy/prod.yaml': JOB.replace('adder', 'prod') });
    expect((await loadJobManifest(custom, { file: 'deploy/prod.yaml' })).manifest.name).toBe('prod');
  });

  it('names what is missing', async () => {
    const dir = tree({});
    expect((await failure(path.join(dir, 'nope'), 'KRN_ERR_JOB_MANIFEST_NOT_FOUND')).message).toMatch(
      /^job directory .*nope does not exist/,
    );
    expect((await failure(dir, 'KRN_ERR_JOB_MANIFEST_NOT_FOUND')).message).toMatch(/^no job\.yaml or job\.yml in /);
    const missing = await failure(dir, 'KRN_ERR_JOB_MANIFEST_NOT_FOUND', { file: 'prod.yaml' });
    expect(missing.message).toContain(`manifest ${path.join(dir, 'prod.yaml')} does not exist`);
  });

  it('reports YAML errors with file, line and column', async () => {
    const dir = tree({ 'job.yaml': 'name: adder\nversion: 1.2.0\nname: again\n' });
    const error = await failure(dir, 'KRN_ERR_JOB_MANIFEST_INVALID');
    expect(error.message).toMatch(/^cannot parse .*job\.yaml: line 3, column 1: Map keys must be unique\./);
    expect(error.details).toMatchObject({ line: 3, column: 1 });
    const flow = await failure(tree({ 'job.yaml': 'name: adder\nenv: {A: b\n' }), 'KRN_ERR_JOB_MANIFEST_INVALID');
    expect(flow.message).toMatch(/job\.yaml: line \d+, column \d+: /);
  });

  it('refuses a file that is not a map', async () => {
    expect((await failure(tree({ 'job.yaml': '- a\n' }), 'KRN_ERR_JOB_MANIFEST_INVALID')).message).toMatch(
      /job\.yaml must be a YAML map of manifest fields, not a list/,
    );
    expect((await failure(tree({ 'job.yaml': '' }), 'KRN_ERR_JOB_MANIFEST_INVALID')).message).toMatch(/not empty/);
  });

  it('names the file in schema errors', async () => {
    const error = await failure(tree({ 'job.yaml': `${JOB}replicas: 0\n` }), 'KRN_ERR_JOB_MANIFEST_INVALID');
    expect(error.message).toMatch(/job\.yaml does not match the job manifest schema: \/replicas: must be >= 1/);
  });
});

describe('loadJobManifest: extends', () => {
  const files = {
    'common.yaml':
      'owner: platform\nqueue: shared\nresources: {cpu: 2, memory: 512}\nenv: {LOG: info, REGION: eu}\nlabels: {tier: base}\n',
    'base/service.yaml':
      'extends: ../common.yaml\njobtype: python3:1.x\nenv: {LOG: debug}\nvolumes: [{name: a, mountPath: /a}, {name: b, mountPath: /b}]\n',
    'jobs/adder/job.yaml':
      'extends: ../../base/service.yaml\nname: adder\nversion: 1.2.0\nresources: {memory: 1024}\nvolumes: [{name: c, mountPath: /c}]\n',
  };

  it('merges two levels, each path relative to the file naming it', async () => {
    const root = tree(files);
    const loaded = await loadJobManifest(path.join(root, 'jobs/adder'));
    expect(loaded.manifest).toEqual({
      name: 'adder',
      version: '1.2.0',
      owner: 'platform',
      jobtype: 'python3:1.x',
      queue: 'shared',
      kind: 'service',
      replicas: 1,
      resources: { cpu: 2, memory: 1024 },
      env: { LOG: 'debug', REGION: 'eu' },
      volumes: [{ name: 'c', mountPath: '/c', readOnly: false }],
      labels: { tier: 'base' },
    });
    expect(loaded.manifest).not.toHaveProperty('extends');
    expect(loaded.sources).toEqual(
      ['jobs/adder/job.yaml', 'base/service.yaml', 'common.yaml'].map((file) => path.join(root, file)),
    );
  });

  it('names cycles', async () => {
    const root = tree({ 'job.yaml': `${JOB}extends: b.yaml\n`, 'b.yaml': 'extends: ./sub/../job.yaml\n' });
    const error = await failure(root, 'KRN_ERR_JOB_MANIFEST_INVALID');
    const shown = ['job.yaml', 'b.yaml', 'job.yaml'].map((file) => path.join(root, file));
    expect(error.message).toMatch(
      new RegExp(`^extends cycle: ${shown.join(' → ').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\. `),
    );
    expect(error.details.cycle).toEqual(shown);
    const self = await failure(tree({ 'job.yaml': `${JOB}extends: job.yaml\n` }), 'KRN_ERR_JOB_MANIFEST_INVALID');
    expect(self.message).toMatch(/^extends cycle: .*job\.yaml → .*job\.yaml/);
  });

  it('names a missing base and the file extending it', async () => {
    const root = tree({ 'job.yaml': `${JOB}extends: ../missing.yaml\n` });
    const error = await failure(root, 'KRN_ERR_JOB_MANIFEST_NOT_FOUND');
    expect(error.message).toContain(
      `manifest ${path.join(root, '../missing.yaml')} (extended by ${path.join(root, 'job.yaml')}) does not exist`,
    );
  });

  it('refuses an extends that is not a relative path', async () => {
    const error = await failure(
      tree({ 'job.yaml': `${JOB}extends: /etc/base.yaml\n` }),
      'KRN_ERR_JOB_MANIFEST_INVALID',
    );
    expect(error.message).toMatch(/job\.yaml: \/extends must be a relative path/);
  });

  it('merges maps key by key and lets lists and scalars of the overlay win', () => {
    const merged = deepMerge(
      { a: { b: 1, c: [1, 2] }, d: 'x', e: { f: 1 } },
      { a: { c: [3] }, d: { y: 1 }, e: null, g: 2 },
    );
    expect(merged).toEqual({ a: { b: 1, c: [3] }, d: { y: 1 }, e: null, g: 2 });
  });
});

describe('loadJobManifest: overrides', () => {
  it('applies overrides after extends and before validation', async () => {
    const root = tree({ 'base.yaml': 'replicas: 2\nenv: {A: a}\n', 'job.yaml': `${JOB}extends: base.yaml\n` });
    const loaded = await loadJobManifest(root, {
      overrides: [
        'replicas=3',
        'env.DEBUG=true',
        'resources.gpu=1',
        'volumes.0.name=data',
        'volumes.0.mountPath=/data',
      ],
    });
    expect(loaded.manifest).toMatchObject({
      replicas: 3,
      env: { A: 'a', DEBUG: 'true' },
      resources: { cpu: 1, memory: 256, gpu: 1 },
      volumes: [{ name: 'data', mountPath: '/data', readOnly: false }],
    });
    const error = await failure(root, 'KRN_ERR_JOB_MANIFEST_INVALID', { overrides: ['replicas=0'] });
    expect(error.message).toMatch(
      /job\.yaml \(with its bases\) does not match the job manifest schema: \/replicas: must be >= 1/,
    );
  });
});

describe('loadJobManifest: secrets', () => {
  const envFile = [
    '# comment',
    '',
    'export TOKEN=from-file',
    'PASSWORD = pa#ss  # trailing comment',
    'QUOTED="line\\none \\"two\\""',
    "LITERAL='a \\n b' # note",
    'EMPTY=',
  ].join('\n');

  it('reads KEY=VALUE lines, and secretEnv wins', async () => {
    const root = tree({
      'job.yaml': `${JOB}secretEnvFile: secrets.env\nsecretEnv: {TOKEN: from-map, EXTRA: x}\n`,
      'secrets.env': envFile,
    });
    const loaded = await loadJobManifest(root);
    expect(loaded.secretEnv).toEqual({
      TOKEN: 'from-map',
      PASSWORD: 'pa#ss',
      QUOTED: 'line\none "two"',
      LITERAL: 'a \\n b',
      EMPTY: '',
      EXTRA: 'x',
    });
    expect(loaded.manifest).not.toHaveProperty('secretEnv');
    expect(loaded.manifest).not.toHaveProperty('secretEnvFile');
    expect(JSON.stringify(loaded.manifest)).not.toMatch(/from-map|from-file|pa#ss/);
    expect(loaded.sources).toEqual([path.join(root, 'job.yaml'), path.join(root, 'secrets.env')]);
  });

  it('reads a YAML map, relative to the job directory even when a base names it', async () => {
    const root = tree({
      'shared/base.yaml': 'secretEnvFile: secrets/prod.yaml\n',
      'job/job.yaml': `${JOB}extends: ../shared/base.yaml\n`,
      'job/secrets/prod.yaml': 'TOKEN: "0123"\nURL: postgres://u:p@db/x\n',
    });
    expect((await loadJobManifest(path.join(root, 'job'))).secretEnv).toEqual({
      TOKEN: '0123',
      URL: 'postgres://u:p@db/x',
    });
    const other = await loadJobManifest(path.join(root, 'job'), { overrides: ['secretEnvFile=other.env'] }).catch(
      (error: Error) => error,
    );
    expect((other as Error).message).toContain(`secretEnvFile ${path.join(root, 'job/other.env')} does not exist`);
  });

  it('names a missing secret file', async () => {
    const error = await failure(
      tree({ 'job.yaml': `${JOB}secretEnvFile: nope.env\n` }),
      'KRN_ERR_JOB_MANIFEST_NOT_FOUND',
    );
    expect(error.message).toMatch(/^secretEnvFile .*nope\.env does not exist/);
  });

  it('refuses bad secret files without showing a value', async () => {
    const cases: Record<string, RegExp> = {
      'TOKEN: 12345\n': /secrets\.yaml: TOKEN must be a string \(quote the value\)/,
      '1BAD: hunter2\n': /secrets\.yaml: "1BAD" is not an environment variable name/,
      '- hunter2\n': /secrets\.yaml must be a YAML map of NAME: value, not a list/,
      'TOKEN: "hunter2\n': /cannot parse .*secrets\.yaml: line 2, column 1: Missing closing "quote/,
    };
    for (const [text, expected] of Object.entries(cases)) {
      const error = await failure(
        tree({ 'job.yaml': `${JOB}secretEnvFile: secrets.yaml\n`, 'secrets.yaml': text }),
        'KRN_ERR_JOB_MANIFEST_INVALID',
      );
      expect(error.message).toMatch(expected);
      expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('hunter2');
    }
  });

  it('reports bad KEY=VALUE lines by number without the value', () => {
    expect(() => parseEnvLines('A=1\nhunter2\n', 's.env')).toThrow(/^secretEnvFile s\.env line 2: expected KEY=VALUE/);
    expect(() => parseEnvLines('A-B=hunter2', 's.env')).toThrow(/line 1: "A-B" is not an environment variable name/);
    expect(() => parseEnvLines('A="hunter2', 's.env')).toThrow(/line 1: A has an unterminated quote/);
    expect(() => parseEnvLines('A="hunter2', 's.env')).not.toThrow(/hunter2/);
  });

  it('never puts secret values in schema errors', async () => {
    const error = await failure(
      tree({ 'job.yaml': `${JOB}secretEnv: {TOKEN: 12345, 'bad-name': hunter2}\n` }),
      'KRN_ERR_JOB_MANIFEST_INVALID',
    );
    expect(error.message).toContain('/secretEnv/TOKEN: must be string');
    expect(error.message).not.toMatch(/12345|hunter2/);
  });
});
