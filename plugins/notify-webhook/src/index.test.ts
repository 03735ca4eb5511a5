import { createHmac, timingSafeEqual } from 'node:crypto';
import { createTestKernel } from 'spindle/plugin-sdk/testing';
import { describe, expect, it } from 'vitest';
import manifest from '../plugin.json' with { type: 'json' };
import plugin from './index.js';
import { deadPort, sleep, waitFor } from './test-receiver.js';
import { useWebhookKernel } from './webhook-harness.js';

const t = useWebhookKernel();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('notify-webhook: bodies and headers', () => {
  it('posts json, slack and teams bodies with event, delivery and timestamp headers', async () => {
    const r = await t.receiver();
    await t.start({ endpoints: ['json', 'slack', 'teams'].map((format) => ({ url: `${r.url}/${format}`, format })) });
    await t.kernel.emit(
      'job.failed',
      { subject: 'adder@1.0.0', reason: 'exit code 1', outcome: 'error', jobId: 'j1' },
      'kernel',
    );
    await waitFor(() => r.requests.length === 3, 3_000, 'three deliveries');

    const [json] = r.at('/json');
    expect(json!.method).toBe('POST');
    expect(json!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json!.headers['x-spindle-event']).toBe('job.failed');
    expect(json!.headers['x-spindle-delivery']).toMatch(UUID);
    expect(Date.parse(json!.headers['x-spindle-timestamp'] as string)).toBeGreaterThan(Date.now() - 10_000);
    expect(json!.body).toEqual({
      type: 'job.failed',
      at: expect.any(String),
      actor: 'kernel',
      data: { subject: 'adder@1.0.0', reason: 'exit code 1', outcome: 'error', jobId: 'j1' },
    });

    expect(r.at('/slack')[0]!.body).toEqual({
      text: 'job adder@1.0.0 failed: exit code 1',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: expect.stringContaining('job adder@1.0.0 failed: exit code 1') },
        },
      ],
    });
    expect(r.at('/teams')[0]!.body).toMatchObject({
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: 'job adder@1.0.0 failed: exit code 1',
      themeColor: 'E81123',
      title: 'Spindle: job.failed',
    });
    expect(new Set(r.requests.map((q) => q.headers['x-spindle-delivery'])).size).toBe(3);
  });

  it('signs the exact body bytes with the secret, and sends no signature without one', async () => {
    const r = await t.receiver();
    const secret = 'whsec-0123456789abcdef';
    await t.start({ endpoints: [{ url: `${r.url}/signed`, secret }, { url: `${r.url}/plain` }] });
    await t.kernel.emit('plugin.installed', { subject: 'hello@1.1.0' }, 'admin');
    await waitFor(() => r.requests.length === 2, 3_000, 'two deliveries');

    const [signed] = r.at('/signed');
    const header = signed!.headers['x-spindle-signature'] as string;
    const expected = `sha256=${createHmac('sha256', secret).update(signed!.raw).digest('hex')}`;
    expect(header).toBe(expected);
    expect(timingSafeEqual(Buffer.from(header), Buffer.from(expected))).toBe(true);
    expect(header).not.toBe(`sha256=${createHmac('sha256', 'wrong-secret').update(signed!.raw).digest('hex')}`);
    expect(r.at('/plain')[0]!.headers['x-spindle-signature']).toBeUndefined();
  });
});

describe('notify-webhook: filtering', () => {
  it('sends each endpoint only the events its patterns match (defaults included)', async () => {
    const r = await t.receiver();
    await t.start({
      endpoints: [
        { url: `${r.url}/jobs`, events: ['job.*'] },
        { url: `${r.url}/installs`, events: ['plugin.installed'] },
        { url: `${r.url}/all`, events: ['*'] },
        { url: `${r.url}/default` },
      ],
    });
    for (const type of ['job.running', 'plugin.installed', 'plugin.swapped', 'user.signed-up', 'job.lost'])
      await t.kernel.emit(type, { subject: 'x@1.0.0' });
    await waitFor(() => r.requests.length === 10, 3_000, 'ten deliveries');
    await sleep(50);
    const types = (path: string) =>
      r
        .at(path)
        .map((q) => q.headers['x-spindle-event'])
        .sort();
    expect(types('/jobs')).toEqual(['job.lost', 'job.running']);
    expect(types('/installs')).toEqual(['plugin.installed']);
    expect(types('/all')).toEqual(['job.lost', 'job.running', 'plugin.installed', 'plugin.swapped', 'user.signed-up']);
    expect(types('/default')).toEqual(['job.lost', 'plugin.installed']);
    expect(r.requests).toHaveLength(10);
  });
});

describe('notify-webhook: test-delivery action', () => {
  it('sends notify.test to every endpoint now and reports each status or error by host', async () => {
    const r = await t.receiver((req) => (req.path === '/bad' ? 503 : 204));
    const port = await deadPort();
    await t.start({
      endpoints: [
        { url: `${r.url}/ok`, format: 'slack', events: ['job.failed'] },
        { url: `${r.url}/bad` },
        { url: `http://127.0.0.1:${port}/x` },
      ],
    });
    const results = await t.kernel.action('test-delivery');
    expect(results).toEqual([
      { index: 0, endpoint: r.host, ok: true, status: 204 },
      { index: 1, endpoint: r.host, ok: false, status: 503 },
      { index: 2, endpoint: `127.0.0.1:${port}`, ok: false, error: expect.stringMatching(/ECONNREFUSED/) },
    ]);
    expect(r.at('/ok')[0]!.headers['x-spindle-event']).toBe('notify.test');
    expect((r.at('/ok')[0]!.body as { text: string }).text).toBe('test delivery from Spindle notify-webhook');
    await sleep(50);
    expect(r.requests).toHaveLength(2);
  });
});

describe('notify-webhook: secrets', () => {
  it('never logs or forwards a secret or a credential URL', async () => {
    const secret = 'never-log-this-secret';
    const r = await t.receiver(() => 500);
    const port = await deadPort();
    const endpoints = [
      { url: `http://hookuser:pa55word-xyz@127.0.0.1:${port}/T0/B0/token-in-path`, secret, events: ['*'] },
      { url: `${r.url}/all`, events: ['*'] },
    ];
    await t.start({ endpoints, maxAttempts: 2 });
    await t.kernel.emit('plugin.config-changed', { subject: 'notify-webhook', config: { endpoints } }, 'admin');
    await t.kernel.emit('job.failed', { subject: 'a@1.0.0', reason: `leaked ${secret}` });
    await t.kernel.action('test-delivery');
    await waitFor(
      () => t.kernel.logs.filter((l) => /dropped after 2/.test(l.msg ?? '')).length === 4,
      3_000,
      'four dropped-delivery warnings',
    );
    await t.kernel.deactivate();

    const bodies = r.requests.map((q) => q.raw.toString('utf8')).join('\n');
    const logs = JSON.stringify(t.kernel.logs);
    for (const leak of [secret, 'pa55word-xyz', 'token-in-path', 'hookuser']) {
      expect(logs).not.toContain(leak);
      expect(bodies).not.toContain(leak);
    }
    expect(logs).toContain(`127.0.0.1:${port}`);
    expect(r.requests.some((q) => (q.body as { data?: { config?: unknown } }).data?.config === '********')).toBe(true);
  });
});

describe('notify-webhook: config', () => {
  it('refuses endpoints the schema does not allow', async () => {
    for (const endpoint of [
      { url: 'ftp://example.com/x' },
      { url: 'https://x.example/h', format: 'xml' },
      { url: 'https://x.example/h', events: ['job.'] },
      { url: 'https://x.example/h', secret: 'short' },
      { format: 'json' },
    ]) {
      t.kernel = createTestKernel();
      await expect(
        t.kernel.activate(plugin, { manifest: manifest as never, config: { endpoints: [endpoint] } }),
      ).rejects.toMatchObject({ code: 'KRN_ERR_CONFIG_INVALID' });
      await t.kernel.close();
    }
    t.kernel = createTestKernel();
    await t.kernel.activate(plugin, {
      manifest: manifest as never,
      config: { endpoints: [{ url: 'HTTPS://x.example/h', events: ['*', 'job.*', 'plugin.config-changed'] }] },
    });
  });

  it('starts with no endpoints by default and sends nothing', async () => {
    await t.start({});
    await t.kernel.emit('job.failed', { subject: 'a@1.0.0' });
    expect(await t.kernel.action('test-delivery')).toEqual([]);
  });
});
