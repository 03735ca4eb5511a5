/** Jobs end to end on a real kernel with the default plugins: python job type, local target, FIFO. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningKernel, startKernel } from '../../core/start.js';
import { deployForm, zipDirectory } from '../helpers/job-upload.js';
import { ADMIN_TOKEN } from '../helpers/test-kernel.js';

const ADDER = fileURLToPath(new URL('../../examples/python-adder', import.meta.url));
const SECRET = 'very-secret-value-123';
let kernel: RunningKernel;
let logs = '';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  const sink = new Writable({
    write: (chunk, _e, done) => {
      logs += chunk.toString();
      done();
    },
  });
  kernel = await startKernel({
    home: mkdtempSync(path.join(os.tmpdir(), 'spindle-jobs-')),
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'debug' }, sink),
    env: { SPINDLE_ADMIN_TOKEN: ADMIN_TOKEN, SPINDLE_SCHEDULER_TICK_MS: '200' },
    withDefaults: true,
  });
}, 120_000);
afterAll(() => kernel.close());

const api = (p: string, init: RequestInit = {}) =>
  fetch(kernel.url + p, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });

async function waitFor(
  name: string,
  version: string,
  states: string[],
  ms = 60_000,
): Promise<{ state: string; reason: string; notice: string | null }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const job = (await (await api(`/api/v1/jobs/${name}/${version}`)).json()) as {
      state: string;
      reason: string;
      notice: string | null;
    };
    if (states.includes(job.state) || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function jobDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spindle-jobsrc-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const adder = (version: string, extra: object = {}) => ({
  name: 'adder',
  version,
  jobtype: 'python3:1.x',
  resources: { cpu: 0.1, memory: 64 },
  jobtypeExtra: { entrypointPath: 'adder.py', entrypointClass: 'Adder' },
  ...extra,
});

describe('python jobs on the local target', () => {
  it('deploys the adder, runs it, and answers 42 through the proxy, with aliases', async () => {
    const res = await api('/api/v1/jobs', {
      method: 'POST',
      body: deployForm(adder('1.0.0', { env: { GREETING: 'hi' } }), zipDirectory(ADDER), { API_KEY: SECRET }),
    });
    expect(res.status).toBe(201);
    expect(await waitFor('adder', '1.0.0', ['RUNNING', 'FAILED'])).toMatchObject({ state: 'RUNNING' });
    for (const alias of ['1.0.0', 'latest', '1.x', '1.0.x']) {
      const call = await api(`/pub/job/adder/${alias}/perform`, {
        method: 'POST',
        body: JSON.stringify({ numbers: [40, 2] }),
        headers: { 'content-type': 'application/json', 'x-request-id': `req-${alias}` },
      });
      expect(call.status).toBe(200);
      expect(await call.json()).toBe(42);
      expect(call.headers.get('x-request-id')).toBe(`req-${alias}`);
    }
    const bad = await api('/pub/job/adder/latest/perform', {
      method: 'POST',
      body: JSON.stringify({ nums: [1] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/numbers|nums/);
  });

  it('never returns or logs the secret env', async () => {
    const all = await (await api('/api/v1/jobs')).text();
    const one = await (await api('/api/v1/jobs/adder/1.0.0')).text();
    const activity = await (await api('/api/v1/activity?limit=1000')).text();
    for (const text of [all, one, activity, logs]) expect(text).not.toContain(SECRET);
  });

  it('refuses to overwrite a deployed name@version without force', async () => {
    const res = await api('/api/v1/jobs', { method: 'POST', body: deployForm(adder('1.0.0'), zipDirectory(ADDER)) });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe('KRN_ERR_JOB_EXISTS');
  });

  it('refuses an invalid manifest with every error and its path', async () => {
    const res = await api('/api/v1/jobs', {
      method: 'POST',
      body: deployForm({ name: 'Bad Name', version: 'one', jobtype: 'python3:1.x', replicas: 0 }, zipDirectory(ADDER)),
    });
    expect(res.status).toBe(400);
    const err = (await res.json()) as { code: string; details: { errors: { path: string }[] } };
    expect(err.code).toBe('KRN_ERR_JOB_MANIFEST_INVALID');
    expect(err.details.errors.map((e) => e.path).sort()).toEqual(['/name', '/replicas', '/version']);
  });

  it('says 503 with the state when the job is not running, and 404 for an unknown job', async () => {
    const dir = jobDir({
      'slow.py':
        'import time\nclass Slow:\n    def __init__(self):\n        time.sleep(30)\n    def perform(self):\n        return 1\n',
    });
    await api('/api/v1/jobs', {
      method: 'POST',
      body: deployForm(
        {
          name: 'slow',
          version: '1.0.0',
          jobtype: 'python3:latest',
          resources: { cpu: 0.1, memory: 32 },
          jobtypeExtra: { entrypointPath: 'slow.py', entrypointClass: 'Slow' },
        },
        zipDirectory(dir),
      ),
    });
    await waitFor('slow', '1.0.0', ['PREPARING']);
    const res = await api('/pub/job/slow/latest/perform', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'KRN_ERR_JOB_NOT_RUNNING' });
    expect((await api('/pub/job/nope/latest/x')).status).toBe(404);
    expect((await api('/api/v1/jobs/slow/1.0.0', { method: 'DELETE' })).status).toBe(200);
  });

  it('runs a batch job to SUCCEEDED or FAILED by exit code', async () => {
    const ok = jobDir({ 'job.py': 'class Job:\n    def run(self):\n        print("done")\n' });
    const bad = jobDir({ 'job.py': 'class Job:\n    def run(self):\n        raise RuntimeError("boom")\n' });
    const batch = (name: string) => ({
      name,
      version: '1.0.0',
      kind: 'batch',
      jobtype: 'python3:1.x',
      resources: { cpu: 0.1, memory: 32 },
      jobtypeExtra: { entrypointPath: 'job.py', entrypointClass: 'Job' },
    });
    await api('/api/v1/jobs', { method: 'POST', body: deployForm(batch('batch-ok'), zipDirectory(ok)) });
    await api('/api/v1/jobs', { method: 'POST', body: deployForm(batch('batch-bad'), zipDirectory(bad)) });
    expect(await waitFor('batch-ok', '1.0.0', ['SUCCEEDED', 'FAILED'])).toMatchObject({ state: 'SUCCEEDED' });
    const failed = await waitFor('batch-bad', '1.0.0', ['SUCCEEDED', 'FAILED']);
    expect(failed.state).toBe('FAILED');
    expect(failed.reason).toContain('exited with code 1');
    const log = (await (await api('/api/v1/jobs/batch-bad/1.0.0/logs')).json()) as { text: string };
    expect(log.text).toContain('RuntimeError: boom');
  });

  it('restarts a crashing service with backoff, then marks it FAILED', async () => {
    await api('/api/v1/plugins/infra-local/config', {
      method: 'PATCH',
      body: JSON.stringify({ maxRestarts: 2, restartBackoffMs: 100 }),
      headers: { 'content-type': 'application/json' },
    });
    const dir = jobDir({
      'crash.py':
        'import os, threading\nclass Crash:\n    def __init__(self):\n        threading.Timer(0.3, lambda: os._exit(3)).start()\n    def perform(self):\n        return 1\n',
    });
    await api('/api/v1/jobs', {
      method: 'POST',
      body: deployForm(
        {
          name: 'crasher',
          version: '1.0.0',
          jobtype: 'python3:1.x',
          resources: { cpu: 0.1, memory: 32 },
          jobtypeExtra: { entrypointPath: 'crash.py', entrypointClass: 'Crash' },
        },
        zipDirectory(dir),
      ),
    });
    const failed = await waitFor('crasher', '1.0.0', ['FAILED'], 30_000);
    expect(failed.state).toBe('FAILED');
    const events = (
      (await (await api('/api/v1/jobs/crasher/1.0.0')).json()) as { events: { to: string; reason: string }[] }
    ).events;
    expect(events.some((e) => e.reason.startsWith('restarting:'))).toBe(true);
  });

  it('refuses to uninstall the job type plugin while jobs use it, unless forced', async () => {
    // The infra-local config change above replaced the instance running the adder: it was queued again and runs.
    expect((await waitFor('adder', '1.0.0', ['RUNNING'])).state).toBe('RUNNING');
    const adder = (await (await api('/api/v1/jobs/adder/1.0.0')).json()) as {
      state: string;
      events: { reason: string }[];
    };
    expect(adder.events.some((e) => e.reason.includes('plugin serving target local changed'))).toBe(true);
    const res = await api('/api/v1/plugins/jobtype-python', { method: 'DELETE' });
    expect(res.status).toBe(409);
    const err = (await res.json()) as { code: string; details: { users: string[] } };
    expect(err.code).toBe('KRN_ERR_PLUGIN_IN_USE');
    expect(err.details.users.join(' ')).toContain('adder@1.0.0');
  });
});
