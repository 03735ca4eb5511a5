import { describe, expect, it } from 'vitest';
import { deadPort, sleep, waitFor } from './test-receiver.js';
import { useWebhookKernel } from './webhook-harness.js';

const t = useWebhookKernel();

const WARN = 40;
const warnings = (pattern: RegExp) => t.kernel.logs.filter((l) => l.level === WARN && pattern.test(l.msg ?? ''));

describe('notify-webhook: retries', () => {
  it('retries with backoff until the receiver answers 200: exactly three requests, one delivery id', async () => {
    const r = await t.receiver((_, n) => (n <= 2 ? 500 : 200));
    await t.start({ endpoints: [{ url: `${r.url}/hook` }], initialBackoffMs: 20 });
    await t.kernel.emit('job.deployed', { subject: 'adder@1.0.0' }, 'ada');
    await waitFor(() => r.requests.length === 3, 3_000, 'three attempts');
    await sleep(150);
    expect(r.requests).toHaveLength(3);
    expect(new Set(r.requests.map((q) => q.headers['x-spindle-delivery'])).size).toBe(1);
    expect(warnings(/dropped/)).toEqual([]);
    expect(t.kernel.logs.find((l) => l.msg === 'webhook delivered')).toMatchObject({
      endpoint: r.host,
      type: 'job.deployed',
      attempts: 3,
    });
  });

  it('drops a delivery after maxAttempts with one warning naming the host and event type, then stops', async () => {
    const r = await t.receiver(() => 500);
    await t.start({ endpoints: [{ url: `${r.url}/hook/path-part?key=query-part` }], maxAttempts: 3 });
    await t.kernel.emit('job.failed', { subject: 'adder@1.0.0', reason: 'boom' });
    await waitFor(() => warnings(/dropped after/).length > 0, 3_000, 'the dropped warning');
    await sleep(200);
    expect(r.requests).toHaveLength(3);
    const dropped = warnings(/dropped after/);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ endpoint: r.host, type: 'job.failed', attempts: 3, lastError: 'HTTP 500' });
    expect(dropped[0]!.msg).toBe(`webhook delivery of job.failed to ${r.host} dropped after 3 attempt(s): HTTP 500`);
    expect(JSON.stringify(t.kernel.logs)).not.toMatch(/path-part|query-part/);
  });

  it('counts a request that outlives timeoutMs as a failed attempt', async () => {
    const r = await t.receiver(async (_, n) => {
      if (n === 1) await sleep(400);
      return 200;
    });
    await t.start({ endpoints: [{ url: `${r.url}/slow` }], timeoutMs: 100 });
    await t.kernel.emit('job.lost', { subject: 'a@1.0.0' });
    await waitFor(() => r.requests.length === 2, 3_000, 'the retry after a timeout');
    expect(t.kernel.logs.find((l) => l.msg === 'webhook attempt failed; will retry')).toMatchObject({
      result: 'no answer within 100 ms',
    });
  });
});

describe('notify-webhook: isolation', () => {
  it('a dead endpoint neither delays the event nor holds up a live endpoint', async () => {
    const live = await t.receiver();
    const port = await deadPort();
    await t.start({
      endpoints: [{ url: `http://127.0.0.1:${port}/dead` }, { url: `${live.url}/live` }],
      maxAttempts: 5,
      initialBackoffMs: 50,
    });
    const started = performance.now();
    await t.kernel.emit('job.failed', { subject: 'adder@1.0.0', reason: 'exit code 1' });
    await t.kernel.emit('plugin.installed', { subject: 'hello@1.1.0' }, 'admin');
    expect(performance.now() - started).toBeLessThan(200);
    await waitFor(() => live.requests.length === 2, 1_000, 'both deliveries to the live endpoint');
    expect(live.requests.map((q) => q.headers['x-spindle-event'])).toEqual(['job.failed', 'plugin.installed']);
    expect(warnings(/dropped after/)).toEqual([]);
  });

  it('a hanging endpoint does not hold up another one either', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const hanging = await t.receiver(async () => {
      await gate;
      return 200;
    });
    const live = await t.receiver();
    await t.start({ endpoints: [{ url: `${hanging.url}/h` }, { url: `${live.url}/l` }], timeoutMs: 5_000 });
    const started = performance.now();
    await t.kernel.emit('job.failed', { subject: 'a@1.0.0' });
    await t.kernel.emit('job.lost', { subject: 'b@1.0.0' });
    expect(performance.now() - started).toBeLessThan(200);
    await waitFor(() => live.requests.length === 2, 1_000, 'the live endpoint');
    expect(hanging.requests).toHaveLength(1);
    release();
    await waitFor(() => hanging.requests.length === 2, 1_000, 'the hanging endpoint to catch up');
  });

  it('keeps at most maxQueue pending per endpoint, dropping the oldest with a warning', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const r = await t.receiver(async (_, n) => {
      if (n === 1) await gate;
      return 200;
    });
    await t.start({ endpoints: [{ url: `${r.url}/q`, events: ['job.*'] }], maxQueue: 2 });
    await t.kernel.emit('job.e1', { subject: 'a@1.0.0' });
    await waitFor(() => r.requests.length === 1, 1_000, 'the first request in flight');
    for (const n of [2, 3, 4, 5]) await t.kernel.emit(`job.e${n}`, { subject: 'a@1.0.0' });
    const full = warnings(/queue for .* is full/);
    expect(full).toHaveLength(1);
    expect(full[0]).toMatchObject({ endpoint: r.host, type: 'job.e2', maxQueue: 2 });
    release();
    await waitFor(() => r.requests.length === 3, 1_000, 'the queue to drain');
    await sleep(50);
    expect(r.requests.map((q) => q.headers['x-spindle-event'])).toEqual(['job.e1', 'job.e4', 'job.e5']);
  });
});

describe('notify-webhook: deactivate', () => {
  it('stops deliveries, says how many were dropped, and leaves no timers behind', async () => {
    const r = await t.receiver(() => 500);
    await t.start({
      endpoints: [{ url: `${r.url}/a` }, { url: `${r.url}/b` }],
      initialBackoffMs: 100,
      maxAttempts: 10,
    });
    await t.kernel.emit('job.failed', { subject: 'a@1.0.0' });
    await waitFor(() => r.requests.length === 2, 1_000, 'the first attempts');
    await t.kernel.deactivate();
    expect(t.kernel.logs.find((l) => /^notify-webhook stopped/.test(l.msg ?? ''))).toMatchObject({
      dropped: 2,
      msg: 'notify-webhook stopped; dropped 2 pending deliveries',
    });
    await t.kernel.emit('job.failed', { subject: 'b@1.0.0' }).catch(() => undefined);
    await sleep(400);
    expect(r.requests).toHaveLength(2);
    expect(t.kernel.hooks['events.job'].taps).toHaveLength(0);
  });

  it('registers one tap per event family, one action, and timers only while work is pending', async () => {
    const r = await t.receiver();
    await t.start({ endpoints: [{ url: `${r.url}/a` }] });
    expect(await t.kernel.ledger()).toMatchObject({ tap: 5, action: 1 });
    expect((await t.kernel.ledger()).timer ?? 0).toBe(0);
    await t.kernel.emit('job.failed', { subject: 'a@1.0.0' });
    await waitFor(() => r.requests.length === 1, 1_000, 'the delivery');
    await sleep(20);
    expect((await t.kernel.ledger()).timer ?? 0).toBe(0);
  });
});
