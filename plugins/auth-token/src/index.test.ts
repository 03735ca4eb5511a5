import type { RequestInfo } from 'spindle/plugin-sdk';
import { createTestKernel, type TestKernel } from 'spindle/plugin-sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import manifest from '../plugin.json' with { type: 'json' };
import plugin, { anonymousPrincipal } from './index.js';

let kernel: TestKernel;
afterEach(async () => kernel.close());

async function start(config: Record<string, unknown> = {}): Promise<void> {
  kernel = createTestKernel();
  await kernel.activate(plugin, { manifest: manifest as never, config });
}

const ROUTES = '/api/v1/plugins/auth-token/routes';
const info = (headers: Record<string, string> = {}, method = 'GET', url = '/api/v1/jobs'): RequestInfo => ({
  method,
  url,
  headers,
  cookies: {},
  ip: '127.0.0.1',
});
const bearer = (token: string) => info({ authorization: `Bearer ${token}` });

async function createUser(username: string, grants?: unknown[]): Promise<void> {
  const res = await kernel.request('POST', '/users', {
    body: { username, password: 'password-123', ...(grants ? { grants } : {}) },
  });
  expect(res.status).toBe(201);
}
async function tokenFor(username: string, body: Record<string, unknown> = {}): Promise<{ token: string; id: string }> {
  return (await kernel.request('POST', `/users/${username}/tokens`, { body })).body as { token: string; id: string };
}
async function principalOf(token: string) {
  const outcome = await kernel.hook('auth.authenticate', bearer(token));
  if (!outcome || !('principal' in outcome)) throw new Error(`not authenticated: ${JSON.stringify(outcome)}`);
  return outcome.principal;
}

describe('auth-token: authenticate', () => {
  beforeEach(() => start());

  it('authenticates a created token from either header', async () => {
    await createUser('alice');
    const { token, id } = await tokenFor('alice', { name: 'ci' });
    expect(token).toMatch(/^spt_[A-Za-z0-9_-]{43}$/);
    const expected = {
      principal: {
        id: expect.stringMatching(/^usr_/),
        name: 'alice',
        kind: 'user',
        provider: 'auth-token',
        claims: { tokenId: id },
      },
    };
    expect(await kernel.hook('auth.authenticate', bearer(token))).toEqual(expected);
    expect(await kernel.hook('auth.authenticate', info({ 'x-spindle-auth': token }))).toEqual(expected);
  });

  it('passes on unknown tokens and requests without one', async () => {
    expect(await kernel.hook('auth.authenticate', bearer('spt_unknown'))).toBeUndefined();
    expect(await kernel.hook('auth.authenticate', bearer('the-admin-token'))).toBeUndefined();
    expect(await kernel.hook('auth.authenticate', info())).toBeUndefined();
  });

  it('rejects revoked and expired tokens with the reason', async () => {
    await createUser('alice');
    const revoked = await tokenFor('alice');
    expect((await kernel.request('DELETE', `/tokens/${revoked.id}`)).body).toMatchObject({
      id: revoked.id,
      revokedAt: expect.any(String),
    });
    expect(await kernel.hook('auth.authenticate', bearer(revoked.token))).toEqual({ reject: 'the token was revoked' });

    const short = await tokenFor('alice', { expiresInDays: 0.000001 });
    await new Promise((r) => setTimeout(r, 150));
    const outcome = await kernel.hook('auth.authenticate', bearer(short.token));
    expect(outcome).toEqual({ reject: expect.stringMatching(/^the token expired at \d{4}-\d\d-\d\dT/) });

    const listed = (await kernel.request('GET', '/users/alice/tokens')).body as Record<string, unknown>[];
    expect(listed).toHaveLength(2);
    for (const t of listed) expect(Object.keys(t).sort()).toEqual(expect.not.arrayContaining(['hash', 'token']));
  });
});

describe('auth-token: login and signup', () => {
  it('logs in without a token, and the token then authenticates', async () => {
    await start();
    await createUser('alice', [{ scope: 'read_job' }]);
    const anon = await kernel.hook('auth.preAuth', info({}, 'POST', `${ROUTES}/login`));
    expect(anon).toEqual({ principal: anonymousPrincipal('auth-token') });
    expect(
      await kernel.hook('auth.authorize', {
        principal: anonymousPrincipal('auth-token'),
        action: 'call_plugin',
        resource: { kind: 'plugin', name: 'auth-token', endpoint: '/login' },
      }),
    ).toEqual({ decision: 'allow' });

    const res = await kernel.request('POST', '/login', { body: { username: 'alice', password: 'password-123' } });
    const { token, expiresAt } = res.body as { token: string; expiresAt: string };
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expect(await principalOf(token)).toMatchObject({ name: 'alice', provider: 'auth-token' });
    const me = await kernel.request('GET', '/me', { headers: { authorization: `Bearer ${token}` } });
    expect(me.body).toMatchObject({ user: { username: 'alice' }, grants: [{ scope: 'read_job', jobs: '*' }] });
  });

  it('answers 401 to a wrong password or unknown user', async () => {
    await start();
    await createUser('alice');
    for (const body of [
      { username: 'alice', password: 'wrong-password' },
      { username: 'nobody', password: 'password-123' },
    ]) {
      await expect(kernel.request('POST', '/login', { body })).rejects.toMatchObject({
        status: 401,
        message: expect.stringContaining('wrong username or password'),
      });
    }
  });

  it('gives the anonymous principal only to credential-less POSTs to login and signup', async () => {
    await start();
    expect(await kernel.hook('auth.preAuth', info({}, 'POST', `${ROUTES}/signup?x=1`))).toMatchObject({
      principal: { id: 'anonymous' },
    });
    expect(await kernel.hook('auth.preAuth', info({}, 'GET', `${ROUTES}/login`))).toBeUndefined();
    expect(await kernel.hook('auth.preAuth', info({}, 'POST', `${ROUTES}/users`))).toBeUndefined();
    expect(await kernel.hook('auth.preAuth', info({}, 'POST', '/api/v1/plugins/other/routes/login'))).toBeUndefined();
    expect(
      await kernel.hook('auth.preAuth', info({ authorization: 'Bearer x' }, 'POST', `${ROUTES}/login`)),
    ).toBeUndefined();
    const principal = anonymousPrincipal('auth-token');
    for (const [action, resource] of [
      ['call_plugin', { kind: 'plugin', name: 'auth-token', endpoint: '/users' }],
      ['read_job', { kind: 'job' }],
    ] as const) {
      expect(await kernel.hook('auth.authorize', { principal, action, resource })).toMatchObject({ decision: 'deny' });
    }
  });

  it('signs up only when allowSignup is on, with no grants', async () => {
    await start();
    await expect(
      kernel.request('POST', '/signup', { body: { username: 'carol', password: 'password-123' } }),
    ).rejects.toMatchObject({ status: 403 });
    await kernel.close();
    await start({ allowSignup: true });
    const res = await kernel.request('POST', '/signup', {
      body: { username: 'carol', password: 'password-123' },
      headers: { 'accept-language': 'de-CH' },
    });
    expect(res).toMatchObject({ status: 201, body: { username: 'carol', grants: [] } });
    expect(kernel.signups).toEqual([
      {
        plugin: 'auth-token',
        principal: expect.objectContaining({ name: 'carol', kind: 'user', provider: 'auth-token' }),
        acceptLanguage: 'de-CH',
      },
    ]);
  });
});

describe('auth-token: authorize', () => {
  beforeEach(() => start());

  it('allows with a matching grant and denies its own users with what is missing', async () => {
    await createUser('alice', [{ scope: 'read_job', jobs: { family: 'adder' } }]);
    const principal = await principalOf((await tokenFor('alice')).token);
    const ask = (action: string, resource: Record<string, unknown>) =>
      kernel.hook('auth.authorize', { principal, action, resource: resource as never });
    expect(await ask('read_job', { kind: 'job', name: 'adder', family: 'adder' })).toEqual({ decision: 'allow' });
    expect(await ask('deploy_job', { kind: 'job', name: 'adder', family: 'adder' })).toEqual({
      decision: 'deny',
      reason: 'alice has no deploy_job on job adder',
    });
    expect(await ask('call_plugin', { kind: 'plugin', name: 'auth-token', endpoint: '/me' })).toEqual({
      decision: 'allow',
    });
    expect(await ask('call_plugin', { kind: 'plugin', name: 'auth-token', endpoint: '/users' })).toMatchObject({
      decision: 'deny',
      reason: expect.stringContaining('manage_users'),
    });
  });

  it('has no opinion on principals of other providers', async () => {
    const other = { id: 'x', name: 'sso-user', kind: 'user' as const, provider: 'auth-sso' };
    expect(
      await kernel.hook('auth.authorize', { principal: other, action: 'read_job', resource: { kind: 'job' } }),
    ).toBeUndefined();
  });

  it('gives a deployer read/call/deploy/delete on its family after job.deployed, and persists them', async () => {
    await createUser('alice');
    await kernel.emit('job.deployed', { subject: 'adder@1.0.0' }, 'alice');
    await kernel.emit('job.deployed', { subject: 'adder@1.0.1' }, 'alice'); // no duplicates
    await kernel.emit('job.deployed', { subject: 'other@1.0.0' }, 'someone-else'); // not ours: ignored
    const users = (await kernel.request('GET', '/users')).body as { username: string; grants: unknown[] }[];
    expect(users.find((u) => u.username === 'alice')!.grants).toEqual(
      ['read_job', 'call_job', 'deploy_job', 'delete_job'].map((scope) => ({ scope, jobs: { family: 'adder' } })),
    );
    const principal = await principalOf((await tokenFor('alice')).token);
    expect(
      await kernel.hook('auth.authorize', {
        principal,
        action: 'delete_job',
        resource: { kind: 'job', name: 'adder', family: 'adder', version: '1.0.0' },
      }),
    ).toEqual({ decision: 'allow' });
  });

  it('applies grant changes and user deletion at once', async () => {
    await createUser('bob');
    const principal = await principalOf((await tokenFor('bob')).token);
    const ask = () =>
      kernel.hook('auth.authorize', { principal, action: 'manage_plugins', resource: { kind: 'plugin' } });
    expect(await ask()).toMatchObject({ decision: 'deny' });
    expect(
      (await kernel.request('POST', '/users/bob/grants', { body: { scope: 'manage_plugins' } })).body,
    ).toMatchObject({ added: 1 });
    expect(await ask()).toEqual({ decision: 'allow' });
    expect(
      (await kernel.request('DELETE', '/users/bob/grants', { body: { grants: [{ scope: 'manage_plugins' }] } })).body,
    ).toMatchObject({ removed: 1, grants: [] });
    expect(await ask()).toMatchObject({ decision: 'deny' });
    await kernel.request('DELETE', '/users/bob');
    expect(await ask()).toEqual({ decision: 'deny', reason: 'user bob no longer exists' });
  });
});

describe('auth-token: input validation', () => {
  beforeEach(() => start());
  it.each([
    [{ username: 'al', password: 'short' }, /at least 8 characters/],
    [{ username: 'Bad Name', password: 'password-123' }, /username must be/],
    [{ username: 'anonymous', password: 'password-123' }, /reserved/],
    [
      { username: 'dave', password: 'password-123', grants: [{ scope: 'root' }] },
      /grants\[0\]: grant scope must be one of/,
    ],
  ])('refuses %j', async (body, message) => {
    await expect(kernel.request('POST', '/users', { body })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(message),
    });
  });

  it('refuses duplicates, unknown users and too-long tokens', async () => {
    await createUser('erin');
    await expect(
      kernel.request('POST', '/users', { body: { username: 'erin', password: 'password-123' } }),
    ).rejects.toMatchObject({ status: 409 });
    await expect(kernel.request('POST', '/users/nobody/tokens', { body: {} })).rejects.toMatchObject({ status: 404 });
    await expect(kernel.request('POST', '/users/erin/tokens', { body: { expiresInDays: 400 } })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('at most 365'),
    });
    await expect(kernel.request('DELETE', '/tokens/tok_nope')).rejects.toMatchObject({ status: 404 });
  });
});
