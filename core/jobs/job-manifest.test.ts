import { describe, expect, it } from 'vitest';
import type { JobManifestData } from '../../plugin-sdk/hook-types.js';
import { KernelError } from '../errors/kernel-error.js';
import {
  type JobManifestProblem,
  kernelCodeFor,
  parseJobtype,
  resolveJobtypeVersion,
  validateJobManifest,
} from './job-manifest.js';

const minimal = { name: 'adder', version: '1.2.0', jobtype: 'python3:1.x' };

function problems(data: unknown): JobManifestProblem[] {
  try {
    validateJobManifest(data);
  } catch (error) {
    expect(error).toBeInstanceOf(KernelError);
    expect((error as KernelError).code).toBe(kernelCodeFor('KRN_ERR_JOB_MANIFEST_INVALID'));
    return (error as KernelError).details.errors as JobManifestProblem[];
  }
  throw new Error('expected validateJobManifest to throw');
}

/** The single problem `patch` (merged over a valid manifest) causes. */
function problem(patch: Record<string, unknown>): string {
  const found = problems({ ...minimal, ...patch });
  expect(found).toHaveLength(1);
  return `${found[0]!.path}: ${found[0]!.message}`;
}

describe('validateJobManifest', () => {
  it('applies the defaults and keeps keys in schema order', () => {
    expect(validateJobManifest(minimal)).toEqual({
      ...minimal,
      queue: 'default',
      kind: 'service',
      replicas: 1,
      resources: { cpu: 1, memory: 256 },
    });
    const manifest = validateJobManifest({
      labels: { tier: 'web' },
      ...minimal,
      volumes: [{ name: 'data', mountPath: '/data' }],
    });
    expect(Object.keys(manifest)).toEqual([
      'name',
      'version',
      'jobtype',
      'queue',
      'kind',
      'replicas',
      'resources',
      'volumes',
      'labels',
    ]);
    expect(manifest.volumes).toEqual([{ name: 'data', mountPath: '/data', readOnly: false }]);
    expect(
      validateJobManifest({ ...minimal, volumes: [{ name: 'local:data', mountPath: '/data' }] }).volumes?.[0]?.name,
    ).toBe('local:data');
  });

  it('fills cpu and memory into partial resources', () => {
    expect(validateJobManifest({ ...minimal, resources: { gpu: 2, memory: 1024 } }).resources).toEqual({
      gpu: 2,
      cpu: 1,
      memory: 1024,
    });
  });

  it('does not change its input', () => {
    const input = { ...minimal };
    validateJobManifest(input);
    expect(input).toEqual(minimal);
  });

  it('accepts every field', () => {
    const full = {
      ...minimal,
      owner: 'team-a',
      infrastructure: 'local',
      queue: 'gpu',
      kind: 'batch',
      replicas: 100,
      resources: { cpu: 0.5, memory: 0, gpu: 1, 'nvidia_a100-80g': 1 },
      env: { DEBUG: '1', _X: '' },
      secretEnv: { TOKEN: 'x' },
      secretEnvFile: 'secrets/prod.env',
      volumes: [{ name: 'data.v1', mountPath: '/data', readOnly: true }],
      jobtypeExtra: { requirements: 'requirements.txt', nested: { a: [1] } },
      labels: { 'app.example.com/tier': 'web' },
      extends: '../base.yaml',
    };
    expect(validateJobManifest(full)).toEqual(full);
  });

  it('names each missing required field', () => {
    expect(problems({})).toEqual([
      { path: '/', message: "must have required property 'name'" },
      { path: '/', message: "must have required property 'version'" },
      { path: '/', message: "must have required property 'jobtype'" },
    ]);
    expect(problems('name: x')).toEqual([{ path: '/', message: 'must be object' }]);
    expect(problems({ ...minimal, fn: () => 1 })).toEqual([
      { path: '/', message: expect.stringMatching(/must be plain data/) },
    ]);
  });

  it('checks name and version', () => {
    expect(problem({ name: 'My_Job' })).toMatch(/^\/name: must be kebab-case/);
    expect(problem({ name: 'a-' })).toMatch(/^\/name: must be kebab-case/);
    expect(problem({ name: `a${'b'.repeat(63)}` })).toBe('/name: must NOT have more than 63 characters');
    expect(validateJobManifest({ ...minimal, name: `a${'b'.repeat(62)}` }).name).toHaveLength(63);
    expect(problem({ version: '1.0' })).toBe('/version: must be a semantic version such as 1.2.0 or 1.2.0-beta.1');
    expect(problem({ version: 1.2 })).toBe('/version: must be string');
    expect(validateJobManifest({ ...minimal, version: '1.2.0-rc.1+build.7' }).version).toBe('1.2.0-rc.1+build.7');
  });

  it('checks jobtype', () => {
    for (const good of [
      'python3:1.2.0',
      'python3:latest',
      'python3:1.x',
      'python3:1.*',
      'python3:1.2.x',
      'py-http:1.2.*',
      'python3:2.0.0-beta.1',
    ]) {
      expect(validateJobManifest({ ...minimal, jobtype: good }).jobtype).toBe(good);
    }
    for (const bad of [
      'python3',
      'python3:',
      'python3:1',
      'python3:1.2',
      'python3:x',
      'python3:1.x.x',
      'python3:01.x',
      'Python3:1.0.0',
      ':1.0.0',
      'python3:^1.0.0',
    ]) {
      expect(problem({ jobtype: bad }), bad).toMatch(
        /^\/jobtype: must be name:version, where version is an exact semver/,
      );
    }
  });

  it('checks owner, infrastructure, queue, kind and replicas', () => {
    expect(problem({ owner: '' })).toBe('/owner: must NOT have fewer than 1 characters');
    expect(problem({ infrastructure: 3 })).toBe('/infrastructure: must be string');
    expect(problem({ queue: '' })).toBe('/queue: must NOT have fewer than 1 characters');
    expect(problem({ kind: 'cron' })).toBe('/kind: must be one of "service", "batch"');
    expect(problem({ replicas: 0 })).toBe('/replicas: must be >= 1');
    expect(problem({ replicas: 101 })).toBe('/replicas: must be <= 100');
    expect(problem({ replicas: 1.5 })).toBe('/replicas: must be integer');
    expect(problem({ replicas: '3' })).toBe('/replicas: must be integer');
  });

  it('checks resources', () => {
    expect(problem({ resources: { cpu: -1 } })).toBe('/resources/cpu: must be >= 0');
    expect(problem({ resources: { gpu: -0.5 } })).toBe('/resources/gpu: must be >= 0');
    expect(problem({ resources: { memory: '512Mi' } })).toBe('/resources/memory: must be number');
    expect(problem({ resources: { cpu: Infinity } })).toBe('/resources/cpu: must be number');
    expect(problem({ resources: { GPU: 1 } })).toMatch(/^\/resources: property name "GPU" must be a slot name/);
    expect(problem({ resources: [] })).toBe('/resources: must be object');
  });

  it('checks env, secretEnv and labels', () => {
    expect(problem({ env: { '1BAD': 'x' } })).toMatch(
      /^\/env: property name "1BAD" must be an environment variable name/,
    );
    expect(problem({ env: { 'A-B': 'x' } })).toMatch(/^\/env: property name "A-B"/);
    expect(problem({ env: { PORT: 8080 } })).toBe('/env/PORT: must be string');
    expect(problem({ secretEnv: { 'X.Y': 'x' } })).toMatch(/^\/secretEnv: property name "X.Y"/);
    expect(problem({ secretEnv: { TOKEN: true } })).toBe('/secretEnv/TOKEN: must be string');
    expect(problem({ labels: { tier: 1 } })).toBe('/labels/tier: must be string');
  });

  it('checks relative paths', () => {
    for (const bad of ['/etc/secrets', '\\\\share\\x', 'C:\\secrets.env', '']) {
      expect(
        problems({ ...minimal, secretEnvFile: bad, extends: bad }).map((p) => p.path),
        bad,
      ).toEqual(['/secretEnvFile', '/extends']);
    }
    expect(problem({ extends: '/base.yaml' })).toBe('/extends: must be a relative path');
  });

  it('checks volumes', () => {
    const volume = (patch: Record<string, unknown>) =>
      problem({ volumes: [{ name: 'data', mountPath: '/data', ...patch }] });
    expect(volume({ mountPath: 'data' })).toBe("/volumes/0/mountPath: must be an absolute path without '..' segments");
    expect(volume({ mountPath: '/data/../etc' })).toBe(
      "/volumes/0/mountPath: must be an absolute path without '..' segments",
    );
    expect(volume({ name: '-x' })).toMatch(/^\/volumes\/0\/name: must be a volume name/);
    expect(volume({ name: 'Local:data' })).toMatch(/^\/volumes\/0\/name: must be a volume name/);
    expect(volume({ readOnly: 'yes' })).toBe('/volumes/0/readOnly: must be boolean');
    expect(volume({ size: 10 })).toBe('/volumes/0: has unknown property "size"');
    expect(problem({ volumes: [{ name: 'data' }] })).toBe("/volumes/0: must have required property 'mountPath'");
    expect(problem({ volumes: {} })).toBe('/volumes: must be array');
    const twice = [
      { name: 'a', mountPath: '/data' },
      { name: 'b', mountPath: '/data' },
    ];
    expect(problem({ volumes: twice })).toBe('/volumes/1/mountPath: is already used by /volumes/0');
  });

  it('checks jobtypeExtra and unknown fields', () => {
    expect(problem({ jobtypeExtra: 'x' })).toBe('/jobtypeExtra: must be object');
    expect(problem({ replica: 3 })).toBe('/: has unknown property "replica"');
  });

  it('lists every problem at once in the message and details', () => {
    try {
      validateJobManifest({ ...minimal, resources: { cpu: -1 }, kind: 'x' }, 'jobs/adder/job.yaml');
      throw new Error('expected a throw');
    } catch (error) {
      const kernelError = error as KernelError;
      expect(kernelError.message).toMatch(
        /^job adder: jobs\/adder\/job\.yaml does not match the job manifest schema: /,
      );
      expect(kernelError.message).toContain('/kind: must be one of "service", "batch"; /resources/cpu: must be >= 0');
      expect(kernelError.details).toMatchObject({ job: 'adder', file: 'jobs/adder/job.yaml' });
      expect(kernelError.details.errors).toHaveLength(2);
    }
  });

  it('returns a manifest the SDK types accept', () => {
    const data: JobManifestData = validateJobManifest(minimal);
    expect(data.name).toBe('adder');
  });
});

describe('parseJobtype', () => {
  it('splits name and version and gives a semver range', () => {
    expect(parseJobtype('python3:1.2.0')).toEqual({ name: 'python3', spec: '1.2.0', kind: 'exact', range: '1.2.0' });
    expect(parseJobtype('python3:latest')).toEqual({ name: 'python3', spec: 'latest', kind: 'latest', range: '*' });
    expect(parseJobtype('python3:1.x')).toEqual({ name: 'python3', spec: '1.x', kind: 'wildcard', range: '1.x' });
    expect(parseJobtype('py-http:1.2.*')).toEqual({ name: 'py-http', spec: '1.2.*', kind: 'wildcard', range: '1.2.*' });
    // An `x` in a prerelease is not a wildcard.
    expect(parseJobtype('python3:1.2.0-x.1').kind).toBe('exact');
  });

  it('refuses malformed references with the schema message', () => {
    expect(() => parseJobtype('python3')).toThrow(/jobtype "python3" must be name:version/);
    try {
      parseJobtype('python3:^1');
    } catch (error) {
      expect((error as KernelError).code).toBe(kernelCodeFor('KRN_ERR_JOB_MANIFEST_INVALID'));
      expect((error as KernelError).details.errors).toEqual([
        { path: '/jobtype', message: expect.stringMatching(/^must be name:version/) },
      ]);
    }
  });
});

describe('resolveJobtypeVersion', () => {
  const available = ['1.2.0', '1.10.1', '2.0.0-beta.1', '1.2.5', '1.3.0-rc.1', '0.9.0'];

  it('takes the highest stable version for latest', () => {
    expect(resolveJobtypeVersion('python3:latest', available)).toBe('1.10.1');
    expect(resolveJobtypeVersion('python3:latest', ['2.0.0-beta.1'])).toBeUndefined();
  });

  it('takes the highest stable version in a wildcard', () => {
    expect(resolveJobtypeVersion('python3:1.x', available)).toBe('1.10.1');
    expect(resolveJobtypeVersion('python3:1.*', available)).toBe('1.10.1');
    expect(resolveJobtypeVersion('python3:1.2.*', available)).toBe('1.2.5');
    expect(resolveJobtypeVersion('python3:1.2.x', available)).toBe('1.2.5');
    expect(resolveJobtypeVersion('python3:1.3.x', available)).toBeUndefined();
    expect(resolveJobtypeVersion('python3:2.x', available)).toBeUndefined();
  });

  it('matches exact versions exactly, prereleases included', () => {
    expect(resolveJobtypeVersion('python3:1.2.0', available)).toBe('1.2.0');
    expect(resolveJobtypeVersion('python3:2.0.0-beta.1', available)).toBe('2.0.0-beta.1');
    expect(resolveJobtypeVersion('python3:1.2.1', available)).toBeUndefined();
  });

  it('finds nothing when nothing is available, and ignores malformed entries', () => {
    expect(resolveJobtypeVersion('python3:latest', [])).toBeUndefined();
    expect(resolveJobtypeVersion('python3:1.2.0', [])).toBeUndefined();
    expect(resolveJobtypeVersion('python3:1.x', ['not-a-version', '1.0.0'])).toBe('1.0.0');
  });
});
