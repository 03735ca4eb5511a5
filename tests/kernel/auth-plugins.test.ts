/** The auth plugins in a real kernel: users and scoped tokens (auth-token), SSO (auth-sso-jwt), spindle login. */

import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../core/cli/main.js';
import { bundleFirstPartyPlugins } from '../../core/plugins/default-plugins.js';
import { startTestKernel } from '../helpers/test-kernel.js';

const json = { 'content-type': 'application/json' };
const HMAC = 'sso-shared-secret-for-tests-0123456789';
let k: Awaited<ReturnType<typeof startTestKernel>>;
const routes = '/api/v1/plugins/auth-token/routes';

beforeAll(async () => {
  k = await startTestKernel();
  for (const zip of await bundleFirstPartyPlugins(['auth-sso-jwt', 'auth-token'])) {
    const res = await k.api('/api/v1/plugins', { method: 'POST', body: JSON.stringify({ path: zip }), headers: json });
    expect([201, 422]).toContain(res.status);
  }
  // Without config the SSO plugin cannot start (no key); setting its config activates it.
  const configured = await k.api('/api/v1/plugins/auth-sso-jwt/config', {
    method: 'PUT',
    body: JSON.stringify({ audience: 'spindle', hmacSecret: HMAC }),
    headers: json,
  });
  expect(configured.status).toBe(200);
  expect(
    ((await (await k.api('/api/v1/plugins/auth-sso-jwt')).json()) as { activeVersion: string }).activeVersion,
  ).toBe('1.0.0');
  const created = await k.api(`${routes}/users`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      username: 'alice',
      password: 'a-long-password',
      grants: [{ scope: 'read_job', jobs: '*' }],
    }),
  });
  expect(created.status).toBe(201);
}, 60_000);
afterAll(() => k.close());

const as = (token: string, p: string, init: RequestInit = {}) =>
  fetch(k.url + p, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
  });

describe('auth plugins in a kernel', () => {
  it('logs in with spindle login (password on stdin), and the token carries exactly its scopes', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'spindle-login-'));
    const stdin = new PassThrough();
    stdin.end('a-long-password\n');
    let out = '';
    const code = await runCli(['login', '--url', k.url, '--username', 'alice'], {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => undefined },
      env: { HOME: home },
      stdin,
    });
    expect(code).toBe(0);
    expect(out).toContain('a token for alice');
    const { token } = JSON.parse(
      await import('node:fs').then((fs) => fs.readFileSync(path.join(home, '.spindle', 'config.json'), 'utf8')),
    ) as { token: string };

    expect((await as(token, '/api/v1/jobs')).status).toBe(200);
    expect(((await (await as(token, `${routes}/me`)).json()) as { user: { username: string } }).user.username).toBe(
      'alice',
    );
    const refused = await as(token, '/api/v1/plugins');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toContain('alice');
    expect((await as('spt_not-a-real-token', '/api/v1/jobs')).status).toBe(401);
  });

  it('lists only the jobs a user may read', async () => {
    const routesBase = `${routes}/users`;
    await k.api(routesBase, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        username: 'fam',
        password: 'fam-password',
        grants: [{ scope: 'read_job', jobs: { family: 'visible' } }],
      }),
    });
    const { token } = (await (
      await k.api(`${routesBase}/fam/tokens`, { method: 'POST', headers: json, body: '{}' })
    ).json()) as { token: string };
    // No jobs are deployed in this kernel: the list is empty for both, but allowed (not 403) for a family-only user.
    const list = await as(token, '/api/v1/jobs');
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ jobs: [] });
    expect((await as(token, '/api/v1/queue')).status).toBe(200);
  });

  it('signs a user in from an SSO cookie, and refuses expired and wrong-audience tokens with the reason', async () => {
    const key = new TextEncoder().encode(HMAC);
    const good = await new SignJWT({ preferred_username: 'carol' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('carol')
      .setAudience('spindle')
      .setExpirationTime('5m')
      .sign(key);
    const viaCookie = await fetch(`${k.url}/api/v1/jobs/adder`, { headers: { cookie: `spindle_sso=${good}` } });
    // carol is known (401 would mean unknown) but has no grants: 403 with no plugin allowing it.
    expect(viaCookie.status).toBe(403);
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('carol')
      .setAudience('spindle')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(key);
    const late = await fetch(`${k.url}/api/v1/jobs`, { headers: { cookie: `spindle_sso=${expired}` } });
    expect(late.status).toBe(401);
    expect(((await late.json()) as { message: string }).message).toContain('expired');
    const other = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('carol')
      .setAudience('another-app')
      .setExpirationTime('5m')
      .sign(key);
    const wrong = await fetch(`${k.url}/api/v1/jobs`, { headers: { cookie: `spindle_sso=${other}` } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toContain('another-app');
    expect((await k.api('/api/v1/jobs')).status).toBe(200);
  });
});
