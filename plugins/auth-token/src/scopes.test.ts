import { describe, expect, it } from 'vitest';
import { decide, describeTarget, type Grant, grantCovers, parseGrant, requiredScope, sameGrant } from './scopes.js';

const SELF = 'auth-token';
const job = (name?: string, version?: string, endpoint?: string) => ({
  kind: 'job' as const,
  ...(name ? { name, family: name } : {}),
  ...(version ? { version } : {}),
  ...(endpoint ? { endpoint } : {}),
});
const allow = (grants: Grant[], action: string, resource: Parameters<typeof decide>[2]) =>
  decide(grants, action, resource, 'alice', SELF).allow;

describe('scopes: targets', () => {
  it('a grant on all jobs covers every job, version and the job list', () => {
    const grants: Grant[] = [{ scope: 'read_job', jobs: '*' }];
    expect(allow(grants, 'read_job', job('adder', '1.0.0'))).toBe(true);
    expect(allow(grants, 'read_job', job('other'))).toBe(true);
    expect(allow(grants, 'read_job', job())).toBe(true);
    expect(allow([{ scope: 'read_job' }], 'read_job', job('x'))).toBe(true); // jobs defaults to *
  });

  it('a family grant covers every version of that family only', () => {
    const grants: Grant[] = [{ scope: 'deploy_job', jobs: { family: 'adder' } }];
    expect(allow(grants, 'deploy_job', job('adder', '1.0.0'))).toBe(true);
    expect(allow(grants, 'deploy_job', job('adder', '2.3.4'))).toBe(true);
    expect(allow(grants, 'deploy_job', job('adder'))).toBe(true);
    expect(allow(grants, 'deploy_job', job('subtractor', '1.0.0'))).toBe(false);
    expect(allow(grants, 'deploy_job', job())).toBe(false); // not all jobs
    expect(allow(grants, 'deploy_job', { kind: 'plugin', name: 'adder' })).toBe(false);
  });

  it('a one-job grant covers that name@version only', () => {
    const grants: Grant[] = [{ scope: 'delete_job', jobs: { job: 'adder@1.0.0' } }];
    expect(allow(grants, 'delete_job', job('adder', '1.0.0'))).toBe(true);
    expect(allow(grants, 'delete_job', job('adder', '1.0.1'))).toBe(false);
    expect(allow(grants, 'delete_job', job('adder'))).toBe(false);
  });

  it('an endpoint grant covers call_job on that endpoint only', () => {
    const grants: Grant[] = [{ scope: 'call_job', jobs: { family: 'adder' }, endpoint: '/perform' }];
    expect(allow(grants, 'call_job', job('adder', '1.0.0', '/perform'))).toBe(true);
    expect(allow(grants, 'call_job', job('adder', '1.0.0', '/perform/'))).toBe(true);
    expect(allow(grants, 'call_job', job('adder', '1.0.0', '/health'))).toBe(false);
    expect(allow(grants, 'call_job', job('adder', '1.0.0'))).toBe(false);
    expect(
      allow([{ scope: 'call_job', jobs: { family: 'adder' } }], 'call_job', job('adder', '1.0.0', '/anything')),
    ).toBe(true);
  });

  it('a scope covers only its own action', () => {
    const grants: Grant[] = [{ scope: 'read_job', jobs: '*' }];
    for (const action of ['deploy_job', 'deploy_new_family', 'delete_job', 'call_job'])
      expect(allow(grants, action, job('adder', '1.0.0'))).toBe(false);
    expect(allow([{ scope: 'deploy_new_family', jobs: '*' }], 'deploy_new_family', job('fresh'))).toBe(true);
    expect(allow([{ scope: 'deploy_job', jobs: '*' }], 'deploy_new_family', job('fresh'))).toBe(false);
  });
});

describe('scopes: plugins, system, users', () => {
  const managePlugins: Grant[] = [{ scope: 'manage_plugins' }];
  it("manage_plugins covers plugin and system actions and other plugins' routes", () => {
    expect(allow(managePlugins, 'manage_plugins', { kind: 'plugin', name: 'hello' })).toBe(true);
    expect(allow(managePlugins, 'read_system', { kind: 'system' })).toBe(true);
    expect(allow(managePlugins, 'manage_system', { kind: 'system' })).toBe(true);
    expect(allow(managePlugins, 'call_plugin', { kind: 'plugin', name: 'hello', endpoint: '/x' })).toBe(true);
    expect(allow(managePlugins, 'call_plugin', { kind: 'plugin', name: SELF, endpoint: '/users' })).toBe(false);
    expect(allow(managePlugins, 'read_job', job('adder'))).toBe(false);
  });

  it("manage_users covers this plugin's user and token routes only", () => {
    const grants: Grant[] = [{ scope: 'manage_users' }];
    for (const endpoint of ['/users', '/users/bob', '/users/bob/grants', '/users/bob/tokens', '/tokens/tok_1']) {
      expect(requiredScope('call_plugin', { kind: 'plugin', name: SELF, endpoint }, SELF)).toBe('manage_users');
      expect(allow(grants, 'call_plugin', { kind: 'plugin', name: SELF, endpoint })).toBe(true);
    }
    expect(allow(grants, 'call_plugin', { kind: 'plugin', name: 'hello', endpoint: '/users' })).toBe(false);
    expect(allow(grants, 'manage_plugins', { kind: 'plugin' })).toBe(false);
  });

  it('/me, /login and /signup are open to anyone authenticated', () => {
    for (const endpoint of ['/me', '/login', '/signup', '/login/'])
      expect(allow([], 'call_plugin', { kind: 'plugin', name: SELF, endpoint })).toBe(true);
    expect(allow([], 'call_plugin', { kind: 'plugin', name: 'other', endpoint: '/me' })).toBe(false);
  });

  it('full_access allows everything, including unknown actions', () => {
    const grants: Grant[] = [{ scope: 'full_access' }];
    expect(allow(grants, 'delete_job', job('adder', '1.0.0'))).toBe(true);
    expect(allow(grants, 'manage_system', { kind: 'system' })).toBe(true);
    expect(allow(grants, 'call_plugin', { kind: 'plugin', name: SELF, endpoint: '/users' })).toBe(true);
    expect(allow(grants, 'something_new', { kind: 'volume', name: 'v' })).toBe(true);
    expect(allow([{ scope: 'manage_plugins' }], 'something_new', { kind: 'volume', name: 'v' })).toBe(false);
  });
});

describe('scopes: deny reasons and parsing', () => {
  it('names the user, the missing scope and the target', () => {
    expect(decide([], 'deploy_job', job('adder'), 'alice', SELF)).toEqual({
      allow: false,
      scope: 'deploy_job',
      reason: 'alice has no deploy_job on job adder',
    });
    expect(decide([], 'call_job', job('adder', '1.0.0', '/perform'), 'bob', SELF)).toMatchObject({
      reason: 'bob has no call_job on job adder@1.0.0 endpoint /perform',
    });
    expect(decide([], 'read_job', job(), 'bob', SELF)).toMatchObject({ reason: 'bob has no read_job on all jobs' });
    expect(decide([], 'read_system', { kind: 'system' }, 'bob', SELF)).toMatchObject({
      reason: 'bob has no manage_plugins on the system',
    });
    expect(describeTarget({ kind: 'plugin', name: SELF, endpoint: '/users' })).toBe(
      'plugin auth-token endpoint /users',
    );
  });

  it('parses and normalises grants, refusing bad ones with a message', () => {
    expect(parseGrant({ scope: 'read_job' })).toEqual({ scope: 'read_job', jobs: '*' });
    expect(parseGrant({ scope: 'call_job', jobs: { job: 'adder@1.0.0' }, endpoint: 'perform/' })).toEqual({
      scope: 'call_job',
      jobs: { job: 'adder@1.0.0' },
      endpoint: '/perform',
    });
    expect(() => parseGrant({ scope: 'root' })).toThrow(/scope must be one of read_job/);
    expect(() => parseGrant({ scope: 'read_job', jobs: { job: 'adder' } })).toThrow(/grant jobs must be/);
    expect(() => parseGrant({ scope: 'read_job', jobs: { family: 'a', job: 'a@1' } })).toThrow(/grant jobs must be/);
    expect(() => parseGrant({ scope: 'read_job', endpoint: '/x' })).toThrow(/only allowed with scope call_job/);
    expect(() => parseGrant({ scope: 'read_job', extra: 1 })).toThrow(/no field "extra"/);
    expect(() => parseGrant('read_job')).toThrow(/must be an object/);
  });

  it('compares grants by value', () => {
    expect(sameGrant({ scope: 'read_job' }, { scope: 'read_job', jobs: '*' })).toBe(true);
    expect(sameGrant({ scope: 'read_job', jobs: { family: 'a' } }, { scope: 'read_job', jobs: { family: 'b' } })).toBe(
      false,
    );
    expect(grantCovers({ scope: 'full_access' }, 'manage_users', { kind: 'plugin' })).toBe(true);
  });
});
