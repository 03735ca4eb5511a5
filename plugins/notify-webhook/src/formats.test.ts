import type { KernelEvent } from 'spindle/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { formatBody, isAlarming, redactEvent, summarise } from './formats.js';

const at = '2025-01-02T03:04:05.000Z';
const ev = (type: string, data: Record<string, unknown> = {}, actor?: string): KernelEvent => ({
  type,
  at,
  actor,
  data,
});

describe('summarise', () => {
  it('names the family, subject, what happened, who did it and why', () => {
    expect(
      summarise(ev('job.failed', { subject: 'adder@1.0.0', reason: 'exit code 1', outcome: 'error' }, 'kernel')),
    ).toBe('job adder@1.0.0 failed: exit code 1');
    expect(summarise(ev('plugin.installed', { subject: 'hello@1.1.0', source: 'upload' }, 'admin'))).toBe(
      'plugin hello@1.1.0 installed by admin',
    );
    expect(summarise(ev('plugin.failed', { subject: 'hello@1.1.0', error: 'activate() threw' }, 'kernel'))).toBe(
      'plugin hello@1.1.0 failed: activate() threw',
    );
    expect(summarise(ev('job.deleted', { subject: 'adder@1.0.0', reason: 'no longer needed' }, 'ada'))).toBe(
      'job adder@1.0.0 deleted by ada: no longer needed',
    );
  });

  it('reads dashes as spaces, shows a swap origin, and copes without a subject', () => {
    expect(summarise(ev('plugin.config-changed', { subject: 'hello' }, 'admin'))).toBe(
      'plugin hello config changed by admin',
    );
    expect(summarise(ev('plugin.swapped', { subject: 'hello@1.1.0', from: '1.0.0', to: '1.1.0' }, 'admin'))).toBe(
      'plugin hello@1.1.0 swapped (from 1.0.0) by admin',
    );
    expect(summarise(ev('system.started', { version: '1.0.0' }))).toBe('system started');
    expect(summarise(ev('notify.test'))).toBe('test delivery from Spindle notify-webhook');
  });

  it('keeps to one bounded line whatever the reason holds', () => {
    const line = summarise(
      ev('job.failed', { subject: 'a@1.0.0', reason: `Traceback:\n  line 1\n${'x'.repeat(2_000)}` }),
    );
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThanOrEqual(500);
    expect(line.startsWith('job a@1.0.0 failed: Traceback: line 1 x')).toBe(true);
  });
});

describe('formatBody', () => {
  const failed = ev('job.failed', { subject: 'adder@1.0.0', reason: 'exit <1> & out', outcome: 'error' }, 'kernel');

  it('json: the event itself, with actor null when there is none', () => {
    expect(JSON.parse(formatBody(failed, 'json'))).toEqual({
      type: 'job.failed',
      at,
      actor: 'kernel',
      data: failed.data,
    });
    expect(JSON.parse(formatBody(ev('system.started'), 'json'))).toEqual({
      type: 'system.started',
      at,
      actor: null,
      data: {},
    });
  });

  it('slack: text and one mrkdwn section, with markup characters escaped', () => {
    const body = JSON.parse(formatBody(failed, 'slack'));
    expect(body.text).toBe('job adder@1.0.0 failed: exit &lt;1&gt; &amp; out');
    expect(body.blocks).toEqual([
      {
        type: 'section',
        text: { type: 'mrkdwn', text: expect.stringContaining('*job.failed*\njob adder@1.0.0 failed: exit &lt;1&gt;') },
      },
    ]);
  });

  it('teams: a MessageCard, red for failed and lost, green otherwise', () => {
    const body = JSON.parse(formatBody(failed, 'teams'));
    expect(body).toMatchObject({
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: 'job adder@1.0.0 failed: exit <1> & out',
      themeColor: 'E81123',
      title: 'Spindle: job.failed',
    });
    expect(body.text).toContain('exit &lt;1&gt; &amp; out');
    expect(JSON.parse(formatBody(ev('job.lost', { subject: 'a@1.0.0' }), 'teams')).themeColor).toBe('E81123');
    expect(JSON.parse(formatBody(ev('job.deployed', { subject: 'a@1.0.0' }), 'teams')).themeColor).toBe('2EB67D');
  });

  it('isAlarming: failed, lost or an error outcome', () => {
    expect(isAlarming(ev('plugin.install-refused', { outcome: 'error' }))).toBe(true);
    expect(isAlarming(ev('job.running', { outcome: 'ok' }))).toBe(false);
  });
});

describe('redactEvent', () => {
  it('masks secrets and endpoint URLs anywhere in the data, longest first', () => {
    const event = ev(
      'user.token-created',
      { note: 'sent to https://hooks.example/T1/abcd with s3cret-value', list: ['s3cret-value'] },
      'a s3cret-value',
    );
    const out = redactEvent(event, ['s3cret-value', 'https://hooks.example/T1/abcd'], 'notify-webhook');
    expect(out.data).toEqual({ note: 'sent to ******** with ********', list: ['********'] });
    expect(out.actor).toBe('a ********');
    expect(event.data.list).toEqual(['s3cret-value']);
  });

  it("never sends this plugin's own config, which the kernel does not mask inside arrays", () => {
    const event = ev('plugin.config-changed', {
      subject: 'notify-webhook',
      config: { endpoints: [{ url: 'https://x/y', secret: 'other-secret' }] },
    });
    expect(redactEvent(event, [], 'notify-webhook').data).toEqual({ subject: 'notify-webhook', config: '********' });
    const other = ev('plugin.config-changed', { subject: 'hello', config: { greeting: 'hi' } });
    expect(redactEvent(other, [], 'notify-webhook')).toBe(other);
  });
});
