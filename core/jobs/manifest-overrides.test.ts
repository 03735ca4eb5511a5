import { describe, expect, it } from 'vitest';
import { KernelError } from '../errors/kernel-error.js';
import { kernelCodeFor } from './job-manifest.js';
import { applyOverrides, parseOverride } from './manifest-overrides.js';

const base = {
  name: 'adder',
  replicas: 1,
  env: { A: 'a' },
  volumes: [{ name: 'data', mountPath: '/data' }],
};

function failure(overrides: string[], manifest: object = base): KernelError {
  try {
    applyOverrides(manifest, overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(KernelError);
    expect((error as KernelError).code).toBe(kernelCodeFor('KRN_ERR_JOB_MANIFEST_INVALID'));
    return error as KernelError;
  }
  throw new Error('expected applyOverrides to throw');
}

describe('parseOverride', () => {
  it('reads the value as YAML', () => {
    expect(parseOverride('replicas=3')).toEqual({ path: ['replicas'], value: 3 });
    expect(parseOverride('kind=batch')).toEqual({ path: ['kind'], value: 'batch' });
    expect(parseOverride('jobtype=python3:1.x')).toEqual({ path: ['jobtype'], value: 'python3:1.x' });
    expect(parseOverride('volumes.0.readOnly=true')).toEqual({ path: ['volumes', '0', 'readOnly'], value: true });
    expect(parseOverride('labels={tier: web, team: a}')).toEqual({
      path: ['labels'],
      value: { tier: 'web', team: 'a' },
    });
    expect(parseOverride('resources.cpu=0.5')).toEqual({ path: ['resources', 'cpu'], value: 0.5 });
    expect(parseOverride('owner=')).toEqual({ path: ['owner'], value: null });
    expect(parseOverride('owner=a=b')).toEqual({ path: ['owner'], value: 'a=b' });
  });

  it('keeps env, labels and secretEnv values as typed', () => {
    expect(parseOverride('env.DEBUG=true').value).toBe('true');
    expect(parseOverride('env.PIN=0123').value).toBe('0123');
    expect(parseOverride('labels.version=1.10').value).toBe('1.10');
    expect(parseOverride('secretEnv.TOKEN= a: b ').value).toBe(' a: b ');
  });
});

describe('applyOverrides', () => {
  it('sets top-level and nested fields on a copy', () => {
    const result = applyOverrides(base, ['replicas=3', 'env.DEBUG=1', 'env.A=b', 'resources.gpu=2']);
    expect(result).toEqual({ ...base, replicas: 3, env: { A: 'b', DEBUG: '1' }, resources: { gpu: 2 } });
    expect(base.env).toEqual({ A: 'a' });
  });

  it('addresses list entries by index, and appends at the end', () => {
    const result = applyOverrides(base, [
      'volumes.0.readOnly=true',
      'volumes.1.name=logs',
      'volumes.1.mountPath=/logs',
    ]);
    expect(result.volumes).toEqual([
      { name: 'data', mountPath: '/data', readOnly: true },
      { name: 'logs', mountPath: '/logs' },
    ]);
    expect(applyOverrides({}, ['volumes.0.name=x'])).toEqual({ volumes: [{ name: 'x' }] });
  });

  it('lets a later override win', () => {
    expect(applyOverrides(base, ['replicas=2', 'replicas=5']).replicas).toBe(5);
  });

  it('names a bad override', () => {
    expect(failure(['foo']).message).toMatch(/^override "foo" is not key\.path=value/);
    expect(failure(['=3']).message).toMatch(/^override "=3" is not key\.path=value/);
    expect(failure(['env..X=1']).message).toMatch(/^override "env\.\.X" has an empty path segment/);
    expect(failure(['extends=../other.yaml']).message).toMatch(/^override "extends" is not allowed/);
    expect(failure(['labels={a: [']).message).toMatch(/^override "labels": the value is not valid YAML/);
  });

  it('refuses paths through scalars and past the end of lists', () => {
    expect(failure(['replicas.max=3']).message).toMatch(
      /^override "replicas\.max": replicas is a number, not a map or list/,
    );
    expect(failure(['volumes.name=x']).message).toMatch(
      /^override "volumes\.name": volumes is a list, so "name" must be an index/,
    );
    expect(failure(['volumes.5.name=x']).message).toMatch(
      /^override "volumes\.5\.name": index 5 is past the end of volumes, which has 1 entry \(index 1 appends\)/,
    );
  });

  it('never shows the value of a bad override', () => {
    const error = failure(['secretEnv..TOKEN=hunter2', 'x']);
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify(error.details)).not.toContain('hunter2');
  });

  it('cannot reach Object.prototype', () => {
    const result = applyOverrides({}, ['__proto__.polluted=yes', 'constructor.prototype.polluted=yes']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(result)).toEqual(['__proto__', 'constructor']);
  });
});
