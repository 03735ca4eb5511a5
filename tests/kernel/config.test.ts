import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningKernel, startKernel } from '../../core/start.js';
import { type FixturePlugin, pluginZip } from '../helpers/plugin-fixtures.js';
import { ADMIN_TOKEN } from '../helpers/test-kernel.js';

const SECRET = 'hunter2-very-secret';

const configured = (version: string, activate = ''): FixturePlugin => ({
  name: 'configured',
  version,
  manifest: {
    configSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['endpoint'],
      properties: {
        endpoint: { type: 'string', pattern: '^https?://' },
        retries: { type: 'integer', minimum: 0, default: 3 },
        auth: { type: 'object', properties: { token: { type: 'string', 'x-secret': true } } },
      },
    },
    defaultConfig: { endpoint: 'http://localhost' },
  },
  source: `module.exports = definePlugin({ activate(ctx) {
    ${activate}
    ctx.logger.info({ config: ctx.config }, 'activated with config');
    ctx.http.route('GET', '/config', () => ({ body: { endpoint: ctx.config.endpoint, retries: ctx.config.retries, hasToken: !!(ctx.config.auth && ctx.config.auth.token) } }));
  } });`,
});

let running: RunningKernel | undefined;
let logs = '';
afterEach(async () => {
  await running?.close();
  running = undefined;
  logs = '';
});

async function start(): Promise<(p: string, init?: RequestInit) => Promise<Response>> {
  const sink = new Writable({
    write: (chunk, _enc, done) => {
      logs += chunk.toString();
      done();
    },
  });
  running = await startKernel({
    home: mkdtempSync(path.join(os.tmpdir(), 'spindle-config-')),
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'debug' }, sink),
    env: { SPINDLE_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  const url = running.url;
  return (p, init = {}) =>
    fetch(url + p, {
      ...init,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string>),
      },
    });
}

describe('plugin config', () => {
  it('applies defaults, validates, re-activates on change, and masks secrets everywhere', async () => {
    const api = await start();
    await api('/api/v1/plugins', {
      method: 'POST',
      body: pluginZip(configured('1.0.0')),
      headers: { 'content-type': 'application/zip' },
    });
    expect(await (await api('/api/v1/plugins/configured/config')).json()).toMatchObject({
      config: { endpoint: 'http://localhost', retries: 3 },
    });

    const set = await api('/api/v1/plugins/configured/config', {
      method: 'PATCH',
      body: JSON.stringify({ retries: 5, auth: { token: SECRET } }),
    });
    expect(set.status).toBe(200);
    const setBody = await set.text();
    expect(setBody).not.toContain(SECRET);
    expect(JSON.parse(setBody)).toMatchObject({ config: { retries: 5, auth: { token: '********' } } });
    expect(await (await api('/api/v1/plugins/configured/routes/config')).json()).toEqual({
      endpoint: 'http://localhost',
      retries: 5,
      hasToken: true,
    });

    const got = await (await api('/api/v1/plugins/configured/config')).text();
    expect(got).not.toContain(SECRET);
    const activity = await (await api('/api/v1/activity?plugin=configured')).text();
    expect(activity).toContain('plugin.config-changed');
    expect(activity).not.toContain(SECRET);

    // Sending the mask back keeps the stored secret.
    await api('/api/v1/plugins/configured/config', {
      method: 'PUT',
      body: JSON.stringify({ endpoint: 'https://example.test', auth: { token: '********' } }),
    });
    expect(await (await api('/api/v1/plugins/configured/routes/config')).json()).toMatchObject({
      endpoint: 'https://example.test',
      hasToken: true,
    });
    expect(logs).toContain('activated with config');
    expect(logs).not.toContain(SECRET);
  });

  it('refuses an invalid config with every error and its path, and keeps the old one running', async () => {
    const api = await start();
    await api('/api/v1/plugins', {
      method: 'POST',
      body: pluginZip(configured('1.0.0')),
      headers: { 'content-type': 'application/zip' },
    });
    const res = await api('/api/v1/plugins/configured/config', {
      method: 'PATCH',
      body: JSON.stringify({ endpoint: 'ftp://x', retries: -1 }),
    });
    expect(res.status).toBe(400);
    const err = (await res.json()) as { code: string; message: string; details: { errors: { path: string }[] } };
    expect(err.code).toBe('KRN_ERR_CONFIG_INVALID');
    expect(err.details.errors.map((e) => e.path).sort()).toEqual(['/endpoint', '/retries']);
    expect(await (await api('/api/v1/plugins/configured/routes/config')).json()).toMatchObject({
      endpoint: 'http://localhost',
      retries: 3,
    });
  });

  it('keeps the old instance when the plugin fails to activate with the new config', async () => {
    const api = await start();
    const picky = configured('1.0.0', `if (ctx.config.retries === 7) throw new Error('7 retries is unlucky');`);
    await api('/api/v1/plugins', {
      method: 'POST',
      body: pluginZip(picky),
      headers: { 'content-type': 'application/zip' },
    });
    const res = await api('/api/v1/plugins/configured/config', {
      method: 'PATCH',
      body: JSON.stringify({ retries: 7 }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toContain('unlucky');
    expect(await (await api('/api/v1/plugins/configured/routes/config')).json()).toMatchObject({ retries: 3 });
    expect(await (await api('/api/v1/plugins/configured/config')).json()).toMatchObject({ config: { retries: 3 } });
    const view = (await (await api('/api/v1/plugins/configured')).json()) as { versions: { state: string }[] };
    expect(view.versions[0]!.state).toBe('active');
  });
});
