import { describe, expect, it } from 'vitest';
import { deliveryHeaders, sign } from './signing.js';

describe('signing', () => {
  it('is the hex HMAC-SHA256 of the body (RFC 4231, test case 2)', () => {
    expect(sign('what do ya want for nothing?', 'Jefe')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(sign(Buffer.from('what do ya want for nothing?'), 'Jefe')).toBe(
      sign('what do ya want for nothing?', 'Jefe'),
    );
  });

  it('signs only when there is a secret; event, delivery and timestamp always', () => {
    const base = {
      body: Buffer.from('{}'),
      eventType: 'job.failed',
      deliveryId: 'd-1',
      userAgent: 'ua',
      now: new Date(0),
    };
    expect(deliveryHeaders(base)).toEqual({
      'Content-Type': 'application/json; charset=utf-8',
      'User-Agent': 'ua',
      'X-Spindle-Event': 'job.failed',
      'X-Spindle-Delivery': 'd-1',
      'X-Spindle-Timestamp': '1970-01-01T00:00:00.000Z',
    });
    expect(deliveryHeaders({ ...base, secret: 'k3y-k3y-k3y' })['X-Spindle-Signature']).toBe(sign('{}', 'k3y-k3y-k3y'));
  });
});
