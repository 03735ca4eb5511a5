/** notify-webhook inside a real kernel: events reach a receiver, signed; a dead one delays nothing. */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleFirstPartyPlugins } from '../../core/plugins/default-plugins.js';
import { fakeJob, fakeJobType, fakeTarget } from '../helpers/fake-job-plugins.js';
import { deployForm } from '../helpers/job-upload.js';
import { pluginZip } from '../helpers/plugin-fixtures.js';
import { startTestKernel, uploadZip } from '../helpers/test-kernel.js';

type TestKernel = Awaited<ReturnType<typeof startTestKernel>>;
let k: TestKernel | undefined;
let receiver: http.Server | undefined;
afterEach(async () => {
  await k?.close();
  receiver?.close();
  k = undefined;
});

const json = { 'content-type': 'application/json' };
const SECRET = 'webhook-secret-123';

describe('notify-webhook in a kernel', () => {
  it('posts signed job events, and a dead endpoint does not delay a deploy', async () => {
    const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
    const live = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    k = await startTestKernel();
    const [fifo, webhook] = await bundleFirstPartyPlugins(['scheduler-fifo', 'notify-webhook']);
    for (const zip of [fifo, webhook])
      await k.api('/api/v1/plugins', { method: 'POST', body: JSON.stringify({ path: zip }), headers: json });
    await uploadZip(k.api, pluginZip(fakeTarget));
    await uploadZip(k.api, pluginZip(fakeJobType));
    const config = {
      endpoints: [
        { url: 'http://127.0.0.1:9/dead', events: ['job.*'] },
        { url: live, events: ['job.deployed'], secret: SECRET },
      ],
      timeoutMs: 5000,
    };
    expect(
      (
        await k.api('/api/v1/plugins/notify-webhook/config', {
          method: 'PUT',
          body: JSON.stringify(config),
          headers: json,
        })
      ).status,
    ).toBe(200);
    const shown = await (await k.api('/api/v1/plugins/notify-webhook/config')).text();
    expect(shown).not.toContain(SECRET);

    const started = Date.now();
    const res = await k.api('/api/v1/jobs', {
      method: 'POST',
      body: deployForm(fakeJob('noticed'), pluginZip({ name: 'src', version: '1.0.0', source: '' })),
    });
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(2_000);

    const deadline = Date.now() + 5_000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(got).toHaveLength(1);
    const [delivery] = got;
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'job.deployed', actor: 'admin' });
    const expected = `sha256=${createHmac('sha256', SECRET).update(delivery!.body).digest('hex')}`;
    expect(delivery!.headers['x-spindle-signature']).toBe(expected);
  });
});
