import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import { definePlugin, type RequestInfo } from 'spindle/plugin-sdk';
import { createTestKernel, type TestKernel } from 'spindle/plugin-sdk/testing';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import manifest from '../plugin.json' with { type: 'json' };
import plugin from './index.js';

const AUD = 'spindle';
const ISS = 'https://idp.test';
let kernel: TestKernel;
let idp: jose.GenerateKeyPairResult;
let stranger: jose.GenerateKeyPairResult;
let jwks: { url: string; close: () => Promise<void> };

function listen(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(() => done())) });
    }),
  );
}

beforeAll(async () => {
  idp = await jose.generateKeyPair('RS256');
  stranger = await jose.generateKeyPair('RS256');
  const jwk = { ...(await jose.exportJWK(idp.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
  jwks = await listen((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  return () => jwks.close();
});

afterEach(async () => {
  await kernel?.close();
});

async function start(config: Record<string, unknown>): Promise<void> {
  kernel = createTestKernel();
  await kernel.activate(plugin, { manifest: manifest as never, config: { audience: AUD, issuer: ISS, ...config } });
}

interface Sign {
  claims?: Record<string, unknown>;
  key?: jose.CryptoKey | Uint8Array;
  alg?: string;
  kid?: string;
  aud?: string;
  exp?: string | number;
}

function sign({
  claims = {},
  key = idp.privateKey,
  alg = 'RS256',
  kid = 'idp-1',
  aud = AUD,
  exp = '5m',
}: Sign = {}): Promise<string> {
  return new jose.SignJWT({
    preferred_username: 'Ada Lovelace',
    groups: ['eng', 'ml'],
    email: 'ada@example.com',
    ...claims,
  })
    .setProtectedHeader({ alg, kid })
    .setSubject('ada')
    .setIssuer(ISS)
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(key);
}

function request(init: { cookies?: Record<string, string>; headers?: Record<string, string> } = {}): RequestInfo {
  return {
    method: 'GET',
    url: '/api/v1/jobs',
    headers: init.headers ?? {},
    cookies: init.cookies ?? {},
    ip: '127.0.0.1',
  };
}

const preAuth = (init: Parameters<typeof request>[0]) => kernel.hook('auth.preAuth', request(init));

describe('auth-sso-jwt: accepting tokens', () => {
  it('turns a good cookie token into a user principal and records the user', async () => {
    await start({ jwksUrl: `${jwks.url}/jwks.json` });
    const outcome = await preAuth({ cookies: { spindle_sso: await sign() } });
    expect(outcome).toEqual({
      principal: {
        id: 'ada',
        name: 'Ada Lovelace',
        kind: 'user',
        provider: 'auth-sso-jwt',
        groups: ['eng', 'ml'],
        claims: { iss: ISS, sub: 'ada', aud: AUD, exp: expect.any(Number), email: 'ada@example.com' },
      },
    });
    const line = kernel.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('first sign-in'));
    const users = JSON.parse(readFileSync(line!.file as string, 'utf8'));
    expect(users.ada).toEqual({
      name: 'Ada Lovelace',
      groups: ['eng', 'ml'],
      firstSeen: expect.any(String),
      lastSeen: expect.any(String),
    });
  });

  it('reports a first sight as a signup (auth.postSignup), with the Accept-Language, once', async () => {
    await start({ jwksUrl: `${jwks.url}/jwks.json` });
    const heard: unknown[] = [];
    await kernel.activate(
      definePlugin({ activate: (ctx) => ctx.auth.onPostSignup((event) => void heard.push(event)) }),
      { manifest: { name: 'listener' } },
    );
    const token = await sign();
    await preAuth({ cookies: { spindle_sso: token }, headers: { 'accept-language': 'pl-PL' } });
    await preAuth({ cookies: { spindle_sso: token }, headers: { 'accept-language': 'pl-PL' } });
    expect(kernel.signups).toEqual([
      {
        plugin: 'auth-sso-jwt',
        principal: expect.objectContaining({ id: 'ada', name: 'Ada Lovelace' }),
        acceptLanguage: 'pl-PL',
      },
    ]);
    await vi.waitFor(() => expect(heard).toEqual([expect.objectContaining({ acceptLanguage: 'pl-PL' })]));
  });

  it('reads a Bearer token from the configured header and maps custom claims', async () => {
    await start({
      jwksUrl: `${jwks.url}/jwks.json`,
      headerName: 'X-Forwarded-Access-Token',
      userClaim: 'uid',
      nameClaim: 'display',
      groupsClaim: 'realm_access.roles',
    });
    const token = await sign({ claims: { uid: 'u-7', realm_access: { roles: ['admin'] } } });
    const outcome = await preAuth({ headers: { 'x-forwarded-access-token': `Bearer ${token}` } });
    expect(outcome).toMatchObject({ principal: { id: 'u-7', name: 'u-7', groups: ['admin'] } });
  });

  it('verifies HS256 tokens with hmacSecret', async () => {
    const secret = 'a-shared-secret-of-at-least-32-chars!';
    await start({ hmacSecret: secret });
    const token = await sign({ key: new TextEncoder().encode(secret), alg: 'HS256' });
    expect(await preAuth({ cookies: { spindle_sso: token } })).toMatchObject({ principal: { id: 'ada' } });
    const other = await sign({ key: new TextEncoder().encode('another-secret-of-at-least-32-chars!!'), alg: 'HS256' });
    expect(await preAuth({ cookies: { spindle_sso: other } })).toEqual({
      reject: 'the SSO token signature does not verify',
    });
  });

  it('verifies with a static PEM public key', async () => {
    await start({ publicKeys: [await jose.exportSPKI(idp.publicKey)] });
    expect(await preAuth({ cookies: { spindle_sso: await sign({ kid: 'whatever' }) } })).toMatchObject({
      principal: { id: 'ada' },
    });
  });

  it('passes when there is no token (and ignores non-JWT header values)', async () => {
    await start({ jwksUrl: `${jwks.url}/jwks.json`, headerName: 'authorization' });
    expect(await preAuth({ cookies: { other: 'x' } })).toBeUndefined();
    expect(await preAuth({ headers: { authorization: 'Bearer sk-api-key-123' } })).toBeUndefined();
  });
});

describe('auth-sso-jwt: refusing tokens', () => {
  it('refuses an expired token, saying when it expired', async () => {
    await start({ jwksUrl: `${jwks.url}/jwks.json`, clockToleranceSec: 0 });
    const exp = Math.floor(Date.now() / 1000) - 120;
    const outcome = await preAuth({ cookies: { spindle_sso: await sign({ exp }) } });
    expect(outcome).toEqual({ reject: `the SSO token expired at ${new Date(exp * 1000).toISOString()}` });
  });

  it('refuses a token signed by another key', async () => {
    await start({ jwksUrl: `${jwks.url}/jwks.json` });
    const forged = await sign({ key: stranger.privateKey });
    expect(await preAuth({ cookies: { spindle_sso: forged } })).toEqual({
      reject: expect.stringContaining('signature does not verify'),
    });
  });

  it('refuses a token for another audience, naming both', async () => {
    await start({ jwksUrl: `${jwks.url}/jwks.json` });
    const outcome = await preAuth({ cookies: { spindle_sso: await sign({ aud: 'grafana' }) } });
    expect(outcome).toEqual({ reject: 'the SSO token is for audience grafana, not spindle' });
  });

  it('refuses a wrong issuer, a malformed token and a token without the user claim', async () => {
    await start({ jwksUrl: `${jwks.url}/jwks.json`, issuer: 'https://other.idp' });
    expect(await preAuth({ cookies: { spindle_sso: await sign() } })).toEqual({
      reject: `the SSO token was issued by ${ISS}, not https://other.idp`,
    });
    await kernel.close();
    await start({ jwksUrl: `${jwks.url}/jwks.json`, userClaim: 'employee_id' });
    expect(await preAuth({ cookies: { spindle_sso: 'not-a-jwt' } })).toEqual({ reject: 'the SSO token is malformed' });
    expect(await preAuth({ cookies: { spindle_sso: await sign() } })).toEqual({
      reject: 'the SSO token has no usable "employee_id" claim to identify the user',
    });
  });

  it('never logs the token', async () => {
    await start({ jwksUrl: `${jwks.url}/jwks.json` });
    const tokens = [await sign(), await sign({ aud: 'x' }), await sign({ key: stranger.privateKey })];
    for (const token of tokens) await preAuth({ cookies: { spindle_sso: token } });
    const logged = JSON.stringify(kernel.logs);
    for (const token of tokens) {
      expect(logged).not.toContain(token);
      expect(logged).not.toContain(token.split('.')[2]);
    }
  });
});

describe('auth-sso-jwt: failing closed and config', () => {
  it('throws (KRN_ERR_HOOK_FAILED) when the JWKS cannot be fetched, and warns', async () => {
    const dead = await listen(() => undefined);
    await dead.close();
    await start({ jwksUrl: `${dead.url}/jwks.json` });
    const token = await sign();
    await expect(preAuth({ cookies: { spindle_sso: token } })).rejects.toMatchObject({ code: 'KRN_ERR_HOOK_FAILED' });
    expect(kernel.logs.some((l) => l.level === 40 && /SSO keys unavailable/.test(String(l.msg)))).toBe(true);
    expect(JSON.stringify(kernel.logs)).not.toContain(token);
  });

  it('refuses a config without any key source at activate', async () => {
    kernel = createTestKernel();
    await expect(kernel.activate(plugin, { manifest: manifest as never, config: { audience: AUD } })).rejects.toThrow(
      /jwksUrl, publicKeys or hmacSecret/,
    );
  });

  it('refuses algorithms the keys cannot verify', async () => {
    kernel = createTestKernel();
    await expect(
      kernel.activate(plugin, {
        manifest: manifest as never,
        config: { audience: AUD, hmacSecret: 'x'.repeat(32), algorithms: ['RS256'] },
      }),
    ).rejects.toThrow(/none of the algorithms RS256/);
  });
});
