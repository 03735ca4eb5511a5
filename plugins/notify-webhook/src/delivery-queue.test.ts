import { describe, expect, it } from 'vitest';
import { backoffDelay, MAX_BACKOFF_MS } from './delivery-queue.js';
import { parseEndpoint } from './endpoint.js';

describe('backoffDelay', () => {
  it('doubles from the initial wait, caps at 30 s, and adds at most 10 % jitter', () => {
    const none = () => 0;
    expect([1, 2, 3, 4].map((n) => backoffDelay(500, n, none))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(500, 20, none)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelay(1000, 1, () => 0.999)).toBe(1099);
  });
});

describe('parseEndpoint', () => {
  it('applies defaults and labels the endpoint by host only', () => {
    expect(parseEndpoint({ url: 'https://hooks.example.com:8443/services/T1/B2/XYZ?x=1' }, 0)).toMatchObject({
      label: 'hooks.example.com:8443',
      format: 'json',
      events: expect.arrayContaining(['job.failed', 'plugin.installed']),
      secret: undefined,
      authorization: undefined,
    });
  });

  it('moves user:password from the URL into a Basic Authorization header', () => {
    const endpoint = parseEndpoint({ url: 'http://bob:p%40ss@example.com/hook' }, 1);
    expect(endpoint.url).toBe('http://example.com/hook');
    expect(endpoint.authorization).toBe(`Basic ${Buffer.from('bob:p@ss').toString('base64')}`);
  });

  it('refuses other schemes without echoing the URL', () => {
    expect(() => parseEndpoint({ url: 'ftp://user:pw@example.com/' }, 2)).toThrow(
      /^endpoints\[2\]\.url must be http or https$/,
    );
  });
});
