/** The auth chain over HTTP: preAuth, authenticate, authorize, postAuthenticate, failing closed. */
import { afterEach, describe, expect, it } from 'vitest';
import { type FixturePlugin, pluginZip } from '../helpers/plugin-fixtures.js';
import { startTestKernel, uploadZip } from '../helpers/test-kernel.js';

type TestKernel = Awaited<ReturnType<typeof startTestKernel>>;
let k: TestKernel | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

const plugin = (
  name: string,
  activate: string,
  request?: { headers?: string[]; cookies?: string[] },
): FixturePlugin => ({
  name,
  version: '1.0.0',
  manifest: { category: 'auth', ...(request ? { permissions: { request } } : {}) },
  source: `module.exports = definePlugin({ activate(ctx) { ${activate} } });`,
});

/** SSO: a principal from the `sso` cookie. Tokens: `Bearer user-<name>` → that user; `Bearer expired` → reject. */
const sso = plugin(
  'test-sso',
  `ctx.auth.preAuth((req) => req.cookies.sso ? { principal: { id: req.cookies.sso, name: req.cookies.sso, kind: 'user', provider: 'test-sso' } } : undefined);`,
  { cookies: ['sso'] },
);
const tokens = plugin(
  'test-tokens',
  `
  ctx.auth.authenticate((req) => {
    const h = req.headers.authorization || '';
    if (h === 'Bearer expired') return { reject: 'the token expired' };
    const m = /^Bearer user-(\\w+)$/.exec(h);
    return m ? { principal: { id: m[1], name: m[1], kind: 'user', provider: 'test-tokens' } } : undefined;
  });
  ctx.auth.onPostAuthenticate((e) => { globalThis.__seen = (globalThis.__seen || []).concat(e.principal.name); });`,
  { headers: ['authorization'] },
);
/** alice may read and call plugins; bob is denied plugins with a reason; nobody else gets an answer. */
const rules = plugin(
  'test-rules',
  `ctx.auth.authorize((r) => {
  if (r.principal.name === 'alice' && (r.action === 'manage_plugins' || r.action === 'call_plugin' || r.action === 'read_system')) return { decision: 'allow' };
  if (r.principal.name === 'bob' && r.resource.kind === 'plugin') return { decision: 'deny', reason: 'bob is not an operator' };
  return undefined;
});`,
);

async function withAuth(env: Record<string, string> = {}): Promise<TestKernel> {
  const kernel = await startTestKernel({ env });
  for (const p of [sso, tokens, rules]) expect((await uploadZip(kernel.api, pluginZip(p))).status).toBe(201);
  return kernel;
}

const as = (kernel: TestKernel, path: string, headers: Record<string, string>) => fetch(kernel.url + path, { headers });

describe('auth hooks', () => {
  it('takes a principal from preAuth (SSO cookie) or authenticate (token), then authorizes per action', async () => {
    k = await withAuth();
    const viaCookie = await as(k, '/api/v1/plugins', { cookie: 'sso=alice' });
    expect(viaCookie.status).toBe(200);
    const viaToken = await as(k, '/api/v1/plugins', { authorization: 'Bearer user-alice' });
    expect(viaToken.status).toBe(200);
    const denied = await as(k, '/api/v1/plugins', { authorization: 'Bearer user-bob' });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({
      code: 'KRN_ERR_FORBIDDEN',
      message: expect.stringContaining('bob is not an operator'),
    });
    const noAnswer = await as(k, '/api/v1/jobs/adder', { authorization: 'Bearer user-carol' });
    expect(noAnswer.status).toBe(403);
    expect(((await noAnswer.json()) as { message: string }).message).toContain('carol may not read_job');
  });

  it('ends with 401 and the reason when a provider rejects, and 401 when nobody vouches', async () => {
    k = await withAuth();
    const expired = await as(k, '/api/v1/plugins', { authorization: 'Bearer expired' });
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { message: string }).message).toContain('the token expired');
    expect((await as(k, '/api/v1/plugins', { authorization: 'Bearer nobody-knows-me' })).status).toBe(401);
    expect((await as(k, '/api/v1/plugins', {})).status).toBe(401);
  });

  it('fails closed with 503 naming the plugin when a tap throws, and the admin token still works', async () => {
    k = await withAuth();
    await uploadZip(
      k.api,
      pluginZip(plugin('broken-auth', `ctx.auth.authenticate(() => { throw new Error('directory down'); });`)),
    );
    const res = await as(k, '/api/v1/plugins', { authorization: 'Bearer who-knows' });
    expect(res.status).toBe(503);
    const err = (await res.json()) as { code: string; message: string };
    expect(err.code).toBe('KRN_ERR_HOOK_FAILED');
    expect(err.message).toContain('broken-auth');
    expect((await k.api('/api/v1/plugins')).status).toBe(200);
  });

  it('fails closed with 503 when an authorize tap passes its time limit', async () => {
    k = await withAuth({ SPINDLE_HOOK_TIMEOUT_MS: '200' });
    await uploadZip(k.api, pluginZip(plugin('slow-rules', `ctx.auth.authorize(() => new Promise(() => {}));`)));
    const res = await as(k, '/api/v1/jobs/adder', { authorization: 'Bearer user-carol' });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'KRN_ERR_HOOK_TIMEOUT' });
  });

  it('records the principal as the actor and notifies postAuthenticate', async () => {
    k = await withAuth();
    (globalThis as { __seen?: string[] }).__seen = [];
    const res = await fetch(`${k.url}/api/v1/plugins/test-rules/config`, {
      method: 'PATCH',
      body: '{}',
      headers: { cookie: 'sso=alice', 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect((globalThis as { __seen?: string[] }).__seen).toEqual(['alice']);
    const log = (await (await k.api('/api/v1/activity?action=plugin.config-changed')).json()) as {
      entries: { actor: string }[];
    };
    expect(log.entries[0]!.actor).toBe('alice');
  });

  it('shows an auth tap only the credential headers and cookies its manifest names', async () => {
    k = await withAuth();
    const spy = plugin(
      'test-spy',
      `ctx.auth.preAuth((req) => { globalThis.__spied = { headers: req.headers, cookies: req.cookies }; return undefined; });
       ctx.http.route('GET', '/spied', async () => ({ body: globalThis.__spied }));`,
      { headers: ['x-api-key'], cookies: ['theme'] },
    );
    expect((await uploadZip(k.api, pluginZip(spy))).status).toBe(201);
    await as(k, '/api/v1/plugins', {
      authorization: 'Bearer user-alice',
      cookie: 'session=s1; theme=dark',
      'x-api-key': 'k1',
      'x-trace': 't',
    });
    const seen = (await (await k.api('/api/v1/plugins/test-spy/routes/spied')).json()) as {
      headers: Record<string, string>;
      cookies: Record<string, string>;
    };
    // The last request through the chain was the admin's own: it carries no credential the spy may see.
    expect(seen.headers.authorization).toBeUndefined();
    const spied = await as(k, '/api/v1/plugins/test-spy/routes/spied', {
      authorization: 'Bearer user-alice',
      cookie: 'session=s1; theme=dark',
      'x-api-key': 'k1',
      'x-trace': 't',
    });
    const view = (await spied.json()) as { headers: Record<string, string>; cookies: Record<string, string> };
    expect(view.headers).toMatchObject({ 'x-api-key': 'k1', 'x-trace': 't' });
    expect(view.headers.authorization).toBeUndefined();
    expect(view.headers.cookie).toBeUndefined();
    expect(view.cookies).toEqual({ theme: 'dark' });
  });
});
