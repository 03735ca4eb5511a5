import { describe, expect, it } from 'vitest';
import { maskSecrets, SECRET_MASK, secretValues, unmaskSecrets } from './plugin-config.js';

const schema = {
  type: 'object',
  properties: {
    token: { type: 'string', 'x-secret': true },
    nested: {
      type: 'object',
      properties: { password: { type: 'string', 'x-secret': true }, user: { type: 'string' } },
    },
    endpoints: {
      type: 'array',
      items: { type: 'object', properties: { url: { type: 'string' }, secret: { type: 'string', 'x-secret': true } } },
    },
    keys: { type: 'array', items: { type: 'string', 'x-secret': true } },
  },
};
const config = {
  token: 'top-token',
  nested: { password: 'pass-word', user: 'u' },
  endpoints: [{ url: 'https://a', secret: 'secret-a' }, { url: 'https://b' }],
  keys: ['key-one', 'key-two'],
};

describe('x-secret fields', () => {
  it('masks them in objects, nested objects and arrays', () => {
    expect(maskSecrets(schema, config)).toEqual({
      token: SECRET_MASK,
      nested: { password: SECRET_MASK, user: 'u' },
      endpoints: [{ url: 'https://a', secret: SECRET_MASK }, { url: 'https://b' }],
      keys: [SECRET_MASK, SECRET_MASK],
    });
    expect(config.token).toBe('top-token');
  });

  it('lists their values for log scrubbing', () => {
    expect(secretValues(schema, config).sort()).toEqual(['key-one', 'key-two', 'pass-word', 'secret-a', 'top-token']);
  });

  it('puts stored secrets back where the mask was sent, and keeps new values', () => {
    const incoming = maskSecrets(schema, config);
    (incoming.endpoints as { secret?: string }[])[1]!.secret = 'secret-b';
    expect(unmaskSecrets(schema, incoming, config)).toEqual({
      ...config,
      endpoints: [
        { url: 'https://a', secret: 'secret-a' },
        { url: 'https://b', secret: 'secret-b' },
      ],
    });
  });
});
