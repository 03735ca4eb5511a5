import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHttpServer } from './build-http-server.js';
import {
  auth,
  configView,
  createFakeKernel,
  type FakeKernel,
  installResult,
  pluginView,
} from './fake-kernel.test-helper.js';

let app: FastifyInstance | undefined;

async function serve(kernel: FakeKernel, bodyLimitBytes?: number) {
  app = await buildHttpServer(kernel, { logger: false, ...(bodyLimitBytes ? { bodyLimitBytes } : {}) });
  await app.ready();
  return app;
}

afterEach(async () => {
  await app?.close();
  app = undefined;
});

// Not a real ZIP: the HTTP layer must pass the bytes through untouched, including non-UTF-8 ones.
const zipBytes = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x2d, 0x2d, 0x80, 0x01]);

function multipartBody(
  boundary: string,
  parts: { name: string; filename?: string; type?: string; data: Buffer }[],
): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`;
    const type = part.type ? `Content-Type: ${part.type}\r\n` : '';
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`),
      part.data,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

describe('POST /api/v1/plugins (install)', () => {
  it('passes a raw ZIP body through byte for byte and answers 201', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const res = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins?replace=true',
      headers: { ...auth, 'content-type': 'application/zip' },
      payload: zipBytes,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual(installResult());
    const [[source, options]] = kernel.argsOf('install') as [[{ kind: string; data: Buffer }, unknown]];
    expect(source.kind).toBe('upload');
    expect(Buffer.compare(source.data, zipBytes)).toBe(0);
    expect(options).toEqual({ replace: true, actor: 'admin' });
  });

  it('accepts application/octet-stream too', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const res = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      payload: zipBytes,
    });
    expect(res.statusCode).toBe(201);
    const [[source, options]] = kernel.argsOf('install') as [[{ data: Buffer }, unknown]];
    expect(Buffer.compare(source.data, zipBytes)).toBe(0);
    expect(options).toEqual({ replace: false, actor: 'admin' });
  });

  it('takes the first file of a multipart body, whatever its field name', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const boundary = '----spindle-test-boundary';
    const payload = multipartBody(boundary, [
      { name: 'comment', data: Buffer.from('not a file') },
      { name: 'bundle', filename: 'hello-plugin-1.0.0.zip', type: 'application/zip', data: zipBytes },
      { name: 'other', filename: 'second.zip', type: 'application/zip', data: Buffer.from('second') },
    ]);
    const res = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins',
      headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    expect(res.statusCode).toBe(201);
    const [[source]] = kernel.argsOf('install') as [[{ kind: string; data: Buffer; filename?: string }]];
    expect(source.kind).toBe('upload');
    expect(source.filename).toBe('hello-plugin-1.0.0.zip');
    expect(Buffer.compare(source.data, zipBytes)).toBe(0);
  });

  it('refuses a multipart body without a file', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const boundary = 'b0undary';
    const res = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins',
      headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: multipartBody(boundary, [{ name: 'comment', data: Buffer.from('hi') }]),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('no file');
    expect(kernel.argsOf('install')).toEqual([]);
  });

  it('installs from a JSON url or path', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const byUrl = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins',
      headers: auth,
      payload: { url: 'https://example.com/p.zip' },
    });
    const byPath = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins',
      headers: auth,
      payload: { path: '/srv/p.zip' },
    });
    expect([byUrl.statusCode, byPath.statusCode]).toEqual([201, 201]);
    expect(kernel.argsOf('install').map(([source]) => source)).toEqual([
      { kind: 'url', url: 'https://example.com/p.zip' },
      { kind: 'path', path: '/srv/p.zip' },
    ]);
  });

  it.each([
    ['an empty JSON object', { 'content-type': 'application/json' }, '{}', /neither/],
    [
      'both url and path',
      { 'content-type': 'application/json' },
      '{"url":"https://x/p.zip","path":"/p.zip"}',
      /not both/,
    ],
    ['no body', {}, undefined, /no body/],
    ['a text body', { 'content-type': 'text/plain' }, 'hello', /text body/],
    ['an empty ZIP', { 'content-type': 'application/zip' }, '', /empty/],
  ])('refuses %s with 400 KRN_ERR_BAD_REQUEST', async (_label, headers, payload, message) => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const res = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins',
      headers: { ...auth, ...headers },
      ...(payload !== undefined ? { payload } : {}),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('KRN_ERR_BAD_REQUEST');
    expect(res.json().message).toMatch(message);
    expect(kernel.argsOf('install')).toEqual([]);
  });

  it('refuses an unsupported media type with 415 KRN_ERR_BAD_REQUEST', async () => {
    const server = await serve(createFakeKernel());
    const res = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'url=x',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('KRN_ERR_BAD_REQUEST');
    expect(res.json().message).toContain('application/x-www-form-urlencoded');
  });

  it('answers 413 KRN_ERR_ZIP_TOO_LARGE for a raw body over the limit', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel, 1024);
    const res = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins',
      headers: { ...auth, 'content-type': 'application/zip' },
      payload: Buffer.alloc(4096, 1),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'KRN_ERR_ZIP_TOO_LARGE', details: { limitBytes: 1024 } });
    expect(kernel.argsOf('install')).toEqual([]);
  });

  it('answers 413 KRN_ERR_ZIP_TOO_LARGE for a multipart file over the limit', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel, 1024);
    const boundary = 'big';
    const res = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins',
      headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: multipartBody(boundary, [{ name: 'f', filename: 'p.zip', data: Buffer.alloc(4096, 1) }]),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('KRN_ERR_ZIP_TOO_LARGE');
    expect(kernel.argsOf('install')).toEqual([]);
  });
});

describe('plugin management routes', () => {
  it('lists and gets plugins', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const list = await server.inject({ url: '/api/v1/plugins', headers: auth });
    expect(list.json()).toEqual({ plugins: [pluginView()] });
    const one = await server.inject({ url: '/api/v1/plugins/other', headers: auth });
    expect(one.json()).toEqual(pluginView('other'));
  });

  it('uninstalls all versions or one, with force', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const all = await server.inject({ method: 'DELETE', url: '/api/v1/plugins/p?force=true', headers: auth });
    const one = await server.inject({ method: 'DELETE', url: '/api/v1/plugins/p/versions/2.0.0', headers: auth });
    expect(all.json()).toEqual({ removed: ['1.0.0'] });
    expect(one.json()).toEqual({ removed: ['2.0.0'] });
    expect(kernel.argsOf('uninstall')).toEqual([
      ['p', undefined, { force: true, actor: 'admin' }],
      ['p', '2.0.0', { force: false, actor: 'admin' }],
    ]);
  });

  it('pins and unpins', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    await server.inject({ method: 'PUT', url: '/api/v1/plugins/p/pin', headers: auth, payload: { version: '1.0.0' } });
    await server.inject({ method: 'PUT', url: '/api/v1/plugins/p/pin', headers: auth, payload: { version: null } });
    const missing = await server.inject({ method: 'PUT', url: '/api/v1/plugins/p/pin', headers: auth, payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(kernel.argsOf('pin')).toEqual([
      ['p', '1.0.0', 'admin'],
      ['p', null, 'admin'],
    ]);
  });

  it('enables and disables, tolerating an empty JSON body', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const res = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins/p/disable',
      headers: { ...auth, 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().enabled).toBe(false);
    await server.inject({ method: 'POST', url: '/api/v1/plugins/p/enable', headers: auth });
    expect(kernel.argsOf('setEnabled')).toEqual([
      ['p', false, 'admin'],
      ['p', true, 'admin'],
    ]);
  });

  it('reads, replaces and merges config', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    expect((await server.inject({ url: '/api/v1/plugins/p/config', headers: auth })).json()).toEqual(configView);
    await server.inject({ method: 'PUT', url: '/api/v1/plugins/p/config', headers: auth, payload: { a: 1 } });
    await server.inject({
      method: 'PATCH',
      url: '/api/v1/plugins/p/config',
      headers: auth,
      payload: { b: { c: true } },
    });
    const notObject = await server.inject({
      method: 'PUT',
      url: '/api/v1/plugins/p/config',
      headers: auth,
      payload: [1, 2],
    });
    expect(notObject.statusCode).toBe(400);
    expect(kernel.argsOf('setConfig')).toEqual([
      ['p', { a: 1 }, { actor: 'admin', merge: false }],
      ['p', { b: { c: true } }, { actor: 'admin', merge: true }],
    ]);
  });

  it('lists and runs actions', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const actions = await server.inject({ url: '/api/v1/plugins/p/actions', headers: auth });
    expect(actions.json()).toEqual({ actions: pluginView().actions });
    const run = await server.inject({
      method: 'POST',
      url: '/api/v1/plugins/p/actions/greet',
      headers: auth,
      payload: { who: 'x' },
    });
    expect(run.json()).toEqual({ result: { greeted: true } });
    await server.inject({ method: 'POST', url: '/api/v1/plugins/p/actions/greet', headers: auth });
    expect(kernel.argsOf('runAction')).toEqual([
      ['p', 'greet', { who: 'x' }, 'admin'],
      ['p', 'greet', {}, 'admin'],
    ]);
  });

  it('lists docs and serves a page as Markdown', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    expect((await server.inject({ url: '/api/v1/plugins/p/docs', headers: auth })).json()).toEqual({
      pages: ['index'],
    });
    const page = await server.inject({ url: '/api/v1/plugins/p/docs/index', headers: auth });
    expect(page.headers['content-type']).toMatch(/^text\/markdown/);
    expect(page.body).toBe('# Hello\n');
    const traversal = await server.inject({ url: '/api/v1/plugins/p/docs/..%2Fsecret', headers: auth });
    expect(traversal.statusCode).toBe(400);
    expect(kernel.argsOf('getDoc')).toEqual([['p', 'index']]);
  });

  it('filters the activity log', async () => {
    const kernel = createFakeKernel();
    const server = await serve(kernel);
    const res = await server.inject({
      url: '/api/v1/activity?plugin=p&actor=admin&action=plugin.installed&limit=5&before=9',
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().entries).toHaveLength(1);
    await server.inject({ url: '/api/v1/activity', headers: auth });
    expect(kernel.argsOf('listActivity')).toEqual([
      [{ plugin: 'p', actor: 'admin', action: 'plugin.installed', limit: 5, beforeId: 9 }],
      [{}],
    ]);
  });
});
