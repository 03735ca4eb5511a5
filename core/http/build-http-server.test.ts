import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { KernelError } from '../errors/kernel-error.js';
import { buildHttpServer } from './build-http-server.js';
import { ADMIN_TOKEN, auth, createFakeKernel, type FakeKernel } from './fake-kernel.test-helper.js';
import { HTTP_DURATION_METRIC } from './http-metrics.js';

let app: FastifyInstance | undefined;

async function serve(kernel: FakeKernel = createFakeKernel(), logger: Logger | false = false) {
  app = await buildHttpServer(kernel, { logger });
  await app.ready();
  return app;
}

afterEach(async () => {
  await app?.close();
  app = undefined;
});

function concreteUrl(pattern: string): string {
  return pattern.replace(/:(\w+)/g, 'x$1').replace('*', 'some/path');
}

describe('authentication', () => {
  it('refuses every non-public route without a token (walks the route table)', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const routes = server.spindleRoutes();
    const guarded = routes.filter((route) => !route.public);
    expect(guarded.length).toBeGreaterThan(20);
    for (const route of guarded) {
      const res = await server.inject({ method: route.method as 'GET', url: concreteUrl(route.url) });
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(401);
      if (route.method !== 'HEAD') {
        expect(res.json().code, `${route.method} ${route.url}`).toBe('KRN_ERR_UNAUTHENTICATED');
      }
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    expect(kernel.calls.filter((call) => call.method !== 'authenticateRequest')).toEqual([]);
  });

  it('leaves only /health and the docs public', async () => {
    const server = await serve();
    const publicUrls = new Set(
      server
        .spindleRoutes()
        .filter((route) => route.public)
        .map((route) => route.url),
    );
    for (const url of publicUrls) expect(url === '/health' || url === '/docs' || url.startsWith('/docs/')).toBe(true);
    expect(publicUrls).toContain('/health');
    expect(publicUrls).toContain('/docs/json');
  });

  it('says the token was not recognised, and accepts both header forms', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const bad = await server.inject({ url: '/api/v1/plugins', headers: { authorization: 'Bearer nope' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toMatchObject({ code: 'KRN_ERR_UNAUTHENTICATED' });
    expect(bad.json().message).toMatch(/not recognised/);

    const basic = await server.inject({ url: '/api/v1/plugins', headers: { authorization: 'Basic abc' } });
    expect(basic.statusCode).toBe(401);

    expect((await server.inject({ url: '/api/v1/plugins', headers: auth })).statusCode).toBe(200);
    expect(
      (await server.inject({ url: '/api/v1/plugins', headers: { 'x-spindle-auth': ADMIN_TOKEN } })).statusCode,
    ).toBe(200);
    expect(kernel.argsOf('authenticateRequest').map((args) => args[1])).toEqual(['nope', ADMIN_TOKEN, ADMIN_TOKEN]);
  });

  it('passes the principal name as actor', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    await server.inject({ method: 'POST', url: '/api/v1/plugins/p/enable', headers: auth });
    expect(kernel.argsOf('setEnabled')).toEqual([['p', true, 'admin']]);
  });
});

describe('system routes', () => {
  it('serves /health without a token, 503 when degraded', async () => {
    let status: 'ok' | 'degraded' = 'ok';
    const kernel = createFakeKernel();
    const base = await kernel.health();
    const server = await serve(createFakeKernel({ health: async () => ({ ...base, status }) }));
    const ok = await server.inject({ url: '/health' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ok', version: '0.1.0', plugins: { active: 1 } });
    status = 'degraded';
    const degraded = await server.inject({ url: '/health' });
    expect(degraded.statusCode).toBe(503);
    expect(degraded.json().status).toBe('degraded');
  });

  it('exposes the request-duration histogram by route pattern', async () => {
    const server = await serve();
    await server.inject({ url: '/api/v1/plugins/some-plugin', headers: auth });
    await server.inject({ url: '/nowhere' });
    const res = await server.inject({ url: '/metrics', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain(`# TYPE ${HTTP_DURATION_METRIC} histogram`);
    expect(res.body).toContain(
      `${HTTP_DURATION_METRIC}_count{method="GET",route="/api/v1/plugins/:name",status="200"} 1`,
    );
    expect(res.body).toContain('route="unmatched",status="404"');
    expect(res.body).not.toContain('some-plugin');
  });

  it('can be built twice on the same metrics registry', async () => {
    const kernel = createFakeKernel();
    const first = await buildHttpServer(kernel, { logger: false });
    await first.close();
    await expect(buildHttpServer(kernel, { logger: false }).then((second) => second.close())).resolves.toBeUndefined();
  });

  it('publishes an OpenAPI 3 document at /docs/json without a token', async () => {
    const server = await serve();
    const res = await server.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Spindle kernel API');
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/plugins',
        '/api/v1/plugins/{name}',
        '/api/v1/plugins/{name}/config',
        '/api/v1/plugins/{name}/actions/{action}',
        '/api/v1/plugins/{name}/routes/{path}',
        '/api/v1/activity',
        '/health',
      ]),
    );
    const install = doc.paths['/api/v1/plugins'].post;
    expect(install.tags).toEqual(['plugins']);
    expect(Object.keys(install.requestBody.content)).toEqual(
      expect.arrayContaining(['application/json', 'application/zip', 'multipart/form-data']),
    );
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.components.schemas.PluginView).toBeDefined();
    expect((await server.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
  });
});

describe('errors', () => {
  it('answers unknown URLs with the KernelError shape', async () => {
    const server = await serve();
    const res = await server.inject({ url: '/api/v1/nothing-here?x=1' });
    expect(res.statusCode).toBe(404);
    expect(Object.keys(res.json()).sort()).toEqual(['code', 'details', 'message']);
    expect(res.json().code).toBe('KRN_ERR_NOT_FOUND');
    expect(res.json().message).toContain('GET /api/v1/nothing-here');
  });

  it('maps a thrown KernelError by its status, code and message', async () => {
    const error = new KernelError('KRN_ERR_PLUGIN_NOT_FOUND', 'no plugin named ghost', { plugin: 'ghost' });
    const server = await serve(createFakeKernel({ getPlugin: async () => Promise.reject(error) }));
    const res = await server.inject({ url: '/api/v1/plugins/ghost', headers: auth });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(error.toJSON());
  });

  it('keeps a KernelError status override', async () => {
    const error = new KernelError('KRN_ERR_ACTIVATION_FAILED', 'activate threw', {
      plugin: 'p',
      details: { result: { state: 'failed' } },
    });
    const server = await serve(createFakeKernel({ install: async () => Promise.reject(error) }));
    const res = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins',
      headers: auth,
      payload: { path: '/tmp/p.zip' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      code: 'KRN_ERR_ACTIVATION_FAILED',
      message: error.message,
      details: { plugin: 'p', result: { state: 'failed' } },
    });
  });

  it('turns an unknown error into a logged 500 KRN_ERR_INTERNAL without leaking its message', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const kernel = createFakeKernel({ listPlugins: async () => Promise.reject(new Error('database exploded')) });
    const server = await serve(kernel, pino({ level: 'error' }, sink));
    const res = await server.inject({ url: '/api/v1/plugins', headers: { ...auth, 'x-request-id': 'req-500' } });
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('KRN_ERR_INTERNAL');
    expect(res.json().message).not.toContain('database exploded');
    expect(res.json().details).toEqual({ requestId: 'req-500' });
    expect(res.headers['x-request-id']).toBe('req-500');
    const logged = lines.map((line) => JSON.parse(line) as { err?: { stack?: string }; requestId?: string });
    expect(
      logged.some((entry) => entry.requestId === 'req-500' && entry.err?.stack?.includes('database exploded')),
    ).toBe(true);
  });

  it('maps schema validation failures to 400 KRN_ERR_BAD_REQUEST', async () => {
    const server = await serve();
    const res = await server.inject({ url: '/api/v1/activity?limit=lots', headers: auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('KRN_ERR_BAD_REQUEST');
    expect(res.json().message).toContain('limit');
  });

  it('maps malformed JSON to 400 KRN_ERR_BAD_REQUEST', async () => {
    const server = await serve();
    const res = await server.inject({
      method: 'PUT',
      url: '/api/v1/plugins/p/config',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"a":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('KRN_ERR_BAD_REQUEST');
  });
});

describe('request ids', () => {
  it('echoes an incoming X-Request-Id and generates one otherwise', async () => {
    const server = await serve();
    const echoed = await server.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const unauthorised = await server.inject({ url: '/api/v1/plugins', headers: { 'x-request-id': 'abc-401' } });
    expect(unauthorised.headers['x-request-id']).toBe('abc-401');
    const generated = await server.inject({ url: '/health' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await server.inject({ url: '/health', headers: { 'x-request-id': 'a b<script>' } });
    expect(unsafe.headers['x-request-id']).not.toBe('a b<script>');
  });
});
