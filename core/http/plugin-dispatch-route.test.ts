import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { PluginHttpRequest, PluginHttpResponse } from '../../plugin-sdk/context.js';
import { KernelError } from '../errors/kernel-error.js';
import { buildHttpServer } from './build-http-server.js';
import { auth, createFakeKernel } from './fake-kernel.test-helper.js';

let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serveAnswering(answer: (req: PluginHttpRequest) => PluginHttpResponse) {
  const seen: { name: string; request: PluginHttpRequest }[] = [];
  const kernel = createFakeKernel({
    dispatchPluginRoute: async (name, request) => {
      seen.push({ name, request });
      return answer(request);
    },
  });
  app = await buildHttpServer(kernel, { logger: false });
  await app.ready();
  return { server: app, seen };
}

describe('plugin route dispatch', () => {
  it('passes method, path, query, headers and body, and returns status, headers and body', async () => {
    const { server, seen } = await serveAnswering(() => ({
      status: 202,
      headers: { 'x-plugin': 'yes' },
      body: { accepted: true },
    }));
    const res = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins/hello-plugin/routes/items/42?verbose=1&tag=a&tag=b',
      headers: { ...auth, 'x-spindle-auth': 'also-secret', 'X-Custom': 'Value' },
      payload: { name: 'thing' },
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers['x-plugin']).toBe('yes');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ accepted: true });

    expect(seen).toHaveLength(1);
    const { name, request } = seen[0]!;
    expect(name).toBe('hello-plugin');
    expect(request).toMatchObject({
      method: 'POST',
      path: '/items/42',
      params: {},
      query: { verbose: '1', tag: 'a' },
      body: { name: 'thing' },
    });
    expect(request.headers['x-custom']).toBe('Value');
    expect(request.headers['content-type']).toBe('application/json');
    // The caller's credentials stay with the kernel.
    expect(request.headers.authorization).toBeUndefined();
    expect(request.headers['x-spindle-auth']).toBeUndefined();
  });

  it('dispatches the routes root as "/" and HEAD as GET', async () => {
    const { server, seen } = await serveAnswering(() => ({ body: 'plain text' }));
    const res = await server.inject({ url: '/api/v1/plugins/p/routes/', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('plain text');
    await server.inject({ method: 'HEAD', url: '/api/v1/plugins/p/routes/x', headers: auth });
    expect(seen.map(({ request }) => [request.method, request.path])).toEqual([
      ['GET', '/'],
      ['GET', '/x'],
    ]);
  });

  it('sends strings and Buffers untouched with the plugin content type, and empty bodies empty', async () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    let next: PluginHttpResponse = { headers: { 'content-type': 'application/octet-stream' }, body: bytes };
    const { server } = await serveAnswering(() => next);
    const binary = await server.inject({ url: '/api/v1/plugins/p/routes/file', headers: auth });
    expect(binary.headers['content-type']).toBe('application/octet-stream');
    expect(Buffer.compare(binary.rawPayload, bytes)).toBe(0);

    next = { status: 204 };
    const empty = await server.inject({ method: 'DELETE', url: '/api/v1/plugins/p/routes/file', headers: auth });
    expect(empty.statusCode).toBe(204);
    expect(empty.body).toBe('');
  });

  it('turns an invalid status or header from the plugin into KRN_ERR_PLUGIN_FAILED', async () => {
    let next: PluginHttpResponse = { status: 42 };
    const { server } = await serveAnswering(() => next);
    const badStatus = await server.inject({ url: '/api/v1/plugins/p/routes/x', headers: auth });
    expect(badStatus.statusCode).toBe(502);
    expect(badStatus.json()).toMatchObject({ code: 'KRN_ERR_PLUGIN_FAILED', details: { plugin: 'p' } });

    next = { headers: { 'x-bad': 'line\r\nbreak' } };
    const badHeader = await server.inject({ url: '/api/v1/plugins/p/routes/x', headers: auth });
    expect(badHeader.statusCode).toBe(502);
    expect(badHeader.json().code).toBe('KRN_ERR_PLUGIN_FAILED');
  });

  it('maps a KernelError from the router (no such route, plugin not active)', async () => {
    const { server } = await serveAnswering(() => {
      throw new KernelError('KRN_ERR_PLUGIN_NOT_ACTIVE', 'it is disabled', { plugin: 'p' });
    });
    const res = await server.inject({ url: '/api/v1/plugins/p/routes/x', headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('KRN_ERR_PLUGIN_NOT_ACTIVE');
  });
});
