import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchZip } from './fetch-zip.js';

const ZIP = Buffer.from('PK\u0005\u0006 pretend zip');
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    switch (request.url) {
      case '/private.zip':
        if (request.headers.authorization !== `Basic ${Buffer.from('user:s3cret').toString('base64')}`) {
          response.writeHead(401, 'Unauthorized').end();
          return;
        }
        response.writeHead(200).end(ZIP);
        return;
      case '/plugin.zip':
        response.writeHead(200, { 'content-type': 'application/zip' }).end(ZIP);
        return;
      case '/redirect':
        response.writeHead(302, { location: '/plugin.zip' }).end();
        return;
      case '/declared-huge':
        response.writeHead(200, { 'content-length': String(10_000_000) });
        response.write(Buffer.alloc(10));
        return; // never ends: the declared length alone must refuse it
      case '/endless':
        response.writeHead(200); // chunked, no length: only counting can stop it
        for (let i = 0; i < 50; i++) response.write(Buffer.alloc(1024));
        return;
      case '/slow':
        return; // never answers
      default:
        response.writeHead(404, 'Not Found').end('nope');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('fetchZip', () => {
  it('downloads a ZIP, following redirects', async () => {
    expect(await fetchZip(`${base}/plugin.zip`, { maxBytes: 1000 })).toEqual(ZIP);
    expect(await fetchZip(`${base}/redirect`, { maxBytes: 1000 })).toEqual(ZIP);
  });

  it('refuses a non-2xx answer with its status', async () => {
    await expect(fetchZip(`${base}/missing.zip`, { maxBytes: 1000 })).rejects.toMatchObject({
      code: 'KRN_ERR_DOWNLOAD_FAILED',
      message: expect.stringContaining(`download of ${base}/missing.zip answered HTTP 404 Not Found`),
      details: { status: 404 },
    });
  });

  it('refuses a declared length over the cap before reading the body', async () => {
    await expect(fetchZip(`${base}/declared-huge`, { maxBytes: 1000 })).rejects.toMatchObject({
      code: 'KRN_ERR_ZIP_TOO_LARGE',
    });
  });

  it('stops reading once the body passes the cap', async () => {
    await expect(fetchZip(`${base}/endless`, { maxBytes: 8 * 1024 })).rejects.toMatchObject({
      code: 'KRN_ERR_ZIP_TOO_LARGE',
      message: expect.stringContaining('larger than the limit of 8192 bytes (8 KiB)'),
    });
  });

  it('times out', async () => {
    await expect(fetchZip(`${base}/slow`, { maxBytes: 1000, timeoutMs: 200 })).rejects.toMatchObject({
      code: 'KRN_ERR_DOWNLOAD_FAILED',
      message: expect.stringContaining('timed out after 200 ms'),
    });
  });

  it('reports a connection failure', async () => {
    await expect(fetchZip('http://127.0.0.1:1/plugin.zip', { maxBytes: 1000 })).rejects.toMatchObject({
      code: 'KRN_ERR_DOWNLOAD_FAILED',
      message: expect.stringContaining('failed ('),
    });
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/p.zip', 'data:application/zip;base64,UEsFBg==', 'not a url'])(
    'refuses %j',
    async (url) => {
      await expect(fetchZip(url, { maxBytes: 1000 })).rejects.toMatchObject({ code: 'KRN_ERR_BAD_REQUEST' });
    },
  );

  it('sends credentials in the URL as Basic auth', async () => {
    expect(await fetchZip(`${base.replace('http://', 'http://user:s3cret@')}/private.zip`, { maxBytes: 1000 })).toEqual(
      ZIP,
    );
  });

  it('keeps credentials out of messages', async () => {
    const url = `${base.replace('http://', 'http://user:s3cret@')}/missing.zip`;
    const error = await fetchZip(url, { maxBytes: 1000 }).catch((thrown: unknown) => thrown);
    expect((error as Error).message).not.toContain('s3cret');
    expect(JSON.stringify((error as { details: unknown }).details)).not.toContain('s3cret');
  });
});
