/**
 * Volumes on a real kernel with the default plugins (storage-local among them) and auth-token:
 * the API and CLI, quota and path escapes, owner and shares, a job writing into its volume, and
 * refusing to delete a volume a running job mounts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../core/cli/main.js';
import { bundleFirstPartyPlugins } from '../../core/plugins/default-plugins.js';
import { type RunningKernel, startKernel } from '../../core/start.js';
import { deployForm, zipDirectory } from '../helpers/job-upload.js';
import { ADMIN_TOKEN } from '../helpers/test-kernel.js';

const ADDER = fileURLToPath(new URL('../../examples/python-adder', import.meta.url));
const USERS = '/api/v1/plugins/auth-token/routes/users';
const json = { 'content-type': 'application/json' };
let kernel: RunningKernel;
const tokens: Record<string, string> = {};

const call = (token: string, p: string, init: RequestInit = {}) =>
  fetch(kernel.url + p, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
  });
const api = (p: string, init: RequestInit = {}) => call(ADMIN_TOKEN, p, init);
const body = async (res: Response) =>
  (await res.json()) as { code?: string; message?: string } & Record<string, unknown>;
const upload = (token: string, volume: string, file: string, data: string | Buffer, query = '') =>
  call(token, `/api/v1/volumes/${volume}/files/${file}${query}`, {
    method: 'PUT',
    body: data,
    headers: { 'content-type': 'application/octet-stream' },
  });

async function user(name: string, grants: object[]): Promise<void> {
  expect(
    (
      await api(USERS, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: name, password: `${name}-password-1`, grants }),
      })
    ).status,
  ).toBe(201);
  tokens[name] = (
    (await (await api(`${USERS}/${name}/tokens`, { method: 'POST', headers: json, body: '{}' })).json()) as {
      token: string;
    }
  ).token;
}

async function waitFor(name: string, version: string, states: string[]): Promise<{ state: string; reason: string }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = (await (await api(`/api/v1/jobs/${name}/${version}`)).json()) as { state: string; reason: string };
    if (states.includes(job.state) || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  kernel = await startKernel({
    home: mkdtempSync(path.join(os.tmpdir(), 'spindle-volumes-')),
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    env: { SPINDLE_ADMIN_TOKEN: ADMIN_TOKEN, SPINDLE_SCHEDULER_TICK_MS: '200' },
    withDefaults: true,
  });
  const [zip] = await bundleFirstPartyPlugins(['auth-token']);
  expect(
    (await api('/api/v1/plugins', { method: 'POST', headers: json, body: JSON.stringify({ path: zip }) })).status,
  ).toBe(201);
  await user('alice', [
    { scope: 'deploy_job' },
    { scope: 'deploy_new_family' },
    { scope: 'read_job' },
    { scope: 'delete_job' },
  ]);
  await user('bob', [{ scope: 'read_job' }]);
}, 120_000);
afterAll(() => kernel.close());

describe('volumes over the API', () => {
  it('creates, fills, lists, downloads and deletes a volume', async () => {
    const created = await api('/api/v1/volumes', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'basics' }),
    });
    expect(created.status).toBe(201);
    expect(await body(created)).toMatchObject({ volume: 'local:basics', owner: 'admin', usedBytes: 0 });
    expect((await upload(ADMIN_TOKEN, 'basics', 'dir/hello.txt', 'hello volume')).status).toBe(201);
    const listing = await body(await api('/api/v1/volumes/local:basics/files?path=dir'));
    expect(listing.files).toEqual([expect.objectContaining({ path: 'dir/hello.txt', type: 'file', size: 12 })]);
    const download = await api('/api/v1/volumes/basics/files/dir/hello.txt');
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(await download.text()).toBe('hello volume');
    expect(await body(await api('/api/v1/volumes/basics'))).toMatchObject({ usedBytes: 12, usedBy: [] });
    expect((await api('/api/v1/volumes/basics', { method: 'DELETE' })).status).toBe(204);
    expect((await api('/api/v1/volumes/basics')).status).toBe(404);
    const actions = (
      (await body(await api('/api/v1/activity?action=volume.created'))).entries as { subject: string; actor: string }[]
    ).map((e) => e.subject);
    expect(actions).toContain('volume local:basics');
  });

  it('enforces the quota on upload and keeps what was there', async () => {
    await api('/api/v1/volumes', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'small', quotaBytes: 1000 }),
    });
    expect((await upload(ADMIN_TOKEN, 'small', 'a.bin', Buffer.alloc(600, 1))).status).toBe(201);
    const refused = await upload(ADMIN_TOKEN, 'small', 'b.bin', Buffer.alloc(600, 2));
    expect(refused.status).toBe(507);
    expect(await body(refused)).toMatchObject({
      code: 'KRN_ERR_VOLUME_QUOTA_EXCEEDED',
      message: expect.stringContaining('local:small'),
    });
    const tooBig = await upload(ADMIN_TOKEN, 'small', 'c.bin', Buffer.alloc(5000, 3));
    expect(tooBig.status).toBe(507);
    const files = (await body(await api('/api/v1/volumes/small/files'))).files as { path: string }[];
    expect(files.map((f) => f.path)).toEqual(['a.bin']);
  });

  it('refuses paths that leave the volume', async () => {
    await api('/api/v1/volumes', { method: 'POST', headers: json, body: JSON.stringify({ name: 'fenced' }) });
    for (const res of [
      await upload(ADMIN_TOKEN, 'fenced', '..%2Fescaped.txt', 'x'),
      await api('/api/v1/volumes/fenced/mkdir', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ path: '../../etc' }),
      }),
      await api('/api/v1/volumes/fenced/files?path=..%2F..'),
      await api('/api/v1/volumes/fenced/rename', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ from: 'a', to: '../b' }),
      }),
    ]) {
      expect(res.status).toBe(400);
      expect((await body(res)).code).toBe('KRN_ERR_VOLUME_PATH_INVALID');
    }
  });

  it('refuses changes in maintenance mode, and still reads', async () => {
    await api('/api/v1/system/maintenance', { method: 'PUT', headers: json, body: JSON.stringify({ enabled: true }) });
    try {
      const refused = await api('/api/v1/volumes', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ name: 'later' }),
      });
      expect(refused.status).toBe(503);
      expect((await body(refused)).code).toBe('KRN_ERR_MAINTENANCE');
      expect((await upload(ADMIN_TOKEN, 'small', 'late.txt', 'x')).status).toBe(503);
      expect((await api('/api/v1/volumes')).status).toBe(200);
    } finally {
      await api('/api/v1/system/maintenance', {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({ enabled: false }),
      });
    }
  });
});

describe('volume permissions', () => {
  it('lets the owner share read-only or read-write, and nobody else in', async () => {
    expect(
      (
        await call(tokens.alice!, '/api/v1/volumes', {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ name: 'team' }),
        })
      ).status,
    ).toBe(201);
    expect((await upload(tokens.alice!, 'team', 'notes.txt', 'from alice')).status).toBe(201);
    // bob may not create volumes (no deploy_job) and does not see alice's.
    const create = await call(tokens.bob!, '/api/v1/volumes', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'bobs' }),
    });
    expect(create.status).toBe(403);
    expect((await call(tokens.bob!, '/api/v1/volumes/team')).status).toBe(404);
    expect((await body(await call(tokens.bob!, '/api/v1/volumes'))).volumes).toEqual([]);

    await call(tokens.alice!, '/api/v1/volumes/team/shares/bob', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ mode: 'ro' }),
    });
    expect(await (await call(tokens.bob!, '/api/v1/volumes/team/files/notes.txt')).text()).toBe('from alice');
    const write = await upload(tokens.bob!, 'team', 'bob.txt', 'from bob');
    expect(write.status).toBe(403);
    expect((await body(write)).message).toMatch(/bob may not write to it.*read-only/);
    // Even an upload larger than any quota is refused for what it is: no write access.
    await api('/api/v1/volumes/team/quota', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ quotaBytes: 100 }),
    });
    expect((await upload(tokens.bob!, 'team', 'big.bin', Buffer.alloc(1000))).status).toBe(403);
    const refusals = (await body(await api('/api/v1/activity?actor=bob'))).entries as {
      action: string;
      subject: string;
      outcome: string;
    }[];
    expect(refusals).toContainEqual(
      expect.objectContaining({ action: 'volume.refused', subject: 'volume local:team', outcome: 'error' }),
    );
    expect(refusals).toContainEqual(
      expect.objectContaining({ action: 'volume.refused', subject: 'volume bobs', outcome: 'error' }),
    );
    expect((await call(tokens.alice!, '/api/v1/volumes/team/shares/carol', { method: 'DELETE' })).status).toBe(404);

    await call(tokens.alice!, '/api/v1/volumes/team/shares/bob', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ mode: 'rw' }),
    });
    expect((await upload(tokens.bob!, 'team', 'bob.txt', 'from bob')).status).toBe(201);
    expect((await call(tokens.bob!, '/api/v1/volumes/team', { method: 'DELETE' })).status).toBe(403);
    expect((await call(tokens.bob!, '/api/v1/volumes/team/shares/bob', { method: 'DELETE' })).status).toBe(403);
    // Quotas are for administrators, not owners.
    expect(
      (
        await call(tokens.alice!, '/api/v1/volumes/team/quota', {
          method: 'PUT',
          headers: json,
          body: JSON.stringify({ quotaBytes: null }),
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await api('/api/v1/volumes/team/quota', {
          method: 'PUT',
          headers: json,
          body: JSON.stringify({ quotaBytes: 1_000_000 }),
        })
      ).status,
    ).toBe(200);
  });
});

describe('volumes in jobs', () => {
  it('mounts a volume into a batch job, which writes its result there', async () => {
    await api('/api/v1/volumes', { method: 'POST', headers: json, body: JSON.stringify({ name: 'results' }) });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spindle-writer-'));
    writeFileSync(
      path.join(dir, 'writer.py'),
      [
        'import json, os',
        'class Writer:',
        '    def run(self):',
        "        mounts = json.loads(os.environ['SPINDLE_MOUNTS'])",
        "        with open(os.path.join(mounts['/results'], 'out.txt'), 'w') as f:",
        "            f.write('written by the job')",
        "        assert mounts['/results'] == os.environ['SPINDLE_VOLUME_RESULTS']",
        '',
      ].join('\n'),
    );
    const manifest = {
      name: 'writer',
      version: '1.0.0',
      jobtype: 'python3:1.x',
      kind: 'batch',
      resources: { cpu: 0.1, memory: 64 },
      volumes: [{ name: 'results', mountPath: '/results' }],
      jobtypeExtra: { entrypointPath: 'writer.py', entrypointClass: 'Writer' },
    };
    const res = await api('/api/v1/jobs', { method: 'POST', body: deployForm(manifest, zipDirectory(dir)) });
    expect(res.status).toBe(201);
    expect(((await body(res)).manifest as { volumes: unknown }).volumes).toEqual([
      { name: 'local:results', mountPath: '/results', readOnly: false },
    ]);
    expect(await waitFor('writer', '1.0.0', ['SUCCEEDED', 'FAILED'])).toMatchObject({ state: 'SUCCEEDED' });
    expect(await (await api('/api/v1/volumes/results/files/out.txt')).text()).toBe('written by the job');
    // A refused change is in the activity log too, found by the job's family.
    expect((await call(tokens.bob!, '/api/v1/jobs/writer/1.0.0', { method: 'DELETE' })).status).toBe(403);
    const entries = (await body(await api('/api/v1/activity?family=writer'))).entries as {
      action: string;
      actor: string;
      outcome: string;
    }[];
    expect(entries[0]).toMatchObject({ action: 'job.refused', actor: 'bob', outcome: 'error' });
  });

  it('refuses a job that mounts a missing volume, or one the deployer may not write', async () => {
    const missing = await api('/api/v1/jobs', {
      method: 'POST',
      body: deployForm(
        {
          name: 'adder',
          version: '9.0.0',
          jobtype: 'python3:1.x',
          volumes: [{ name: 'nope', mountPath: '/x' }],
          jobtypeExtra: { entrypointPath: 'adder.py', entrypointClass: 'Adder' },
        },
        zipDirectory(ADDER),
      ),
    });
    expect(missing.status).toBe(404);
    expect(await body(missing)).toMatchObject({
      code: 'KRN_ERR_VOLUME_NOT_FOUND',
      message: expect.stringContaining('job adder@9.0.0: volume nope'),
    });
    await call(tokens.alice!, '/api/v1/volumes/team/shares/bob', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ mode: 'ro' }),
    });
    await api(`${USERS}/bob/grants`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ scope: 'deploy_new_family' }),
    });
    const manifest = {
      name: 'bobjob',
      version: '1.0.0',
      jobtype: 'python3:1.x',
      volumes: [{ name: 'team', mountPath: '/team' }],
      jobtypeExtra: { entrypointPath: 'adder.py', entrypointClass: 'Adder' },
    };
    const refused = await call(tokens.bob!, '/api/v1/jobs', {
      method: 'POST',
      body: deployForm(manifest, zipDirectory(ADDER)),
    });
    expect(refused.status).toBe(403);
    expect((await body(refused)).message).toMatch(/volume team: bob may not write to it/);
  });

  it('checks the volumes again at a redeploy: a share revoked since is refused', async () => {
    await api('/api/v1/volumes', { method: 'POST', headers: json, body: JSON.stringify({ name: 'lent' }) });
    await api('/api/v1/volumes/lent/shares/bob', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ mode: 'rw' }),
    });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spindle-lent-'));
    writeFileSync(path.join(dir, 'job.py'), 'class Job:\n    def run(self):\n        pass\n');
    const manifest = {
      name: 'borrower',
      version: '1.0.0',
      jobtype: 'python3:1.x',
      kind: 'batch',
      resources: { cpu: 0.1, memory: 32 },
      volumes: [{ name: 'lent', mountPath: '/lent' }],
      jobtypeExtra: { entrypointPath: 'job.py', entrypointClass: 'Job' },
    };
    expect(
      (await call(tokens.bob!, '/api/v1/jobs', { method: 'POST', body: deployForm(manifest, zipDirectory(dir)) }))
        .status,
    ).toBe(201);
    expect(await waitFor('borrower', '1.0.0', ['SUCCEEDED', 'FAILED'])).toMatchObject({ state: 'SUCCEEDED' });
    await api('/api/v1/volumes/lent/shares/bob', { method: 'DELETE' });
    const redeploy = await call(tokens.bob!, '/api/v1/jobs/borrower/1.0.0/redeploy', { method: 'POST' });
    expect(redeploy.status).toBe(404);
    expect(await body(redeploy)).toMatchObject({
      code: 'KRN_ERR_VOLUME_NOT_FOUND',
      message: expect.stringContaining('job borrower@1.0.0: volume local:lent'),
    });
    expect((await waitFor('borrower', '1.0.0', ['SUCCEEDED'])).state).toBe('SUCCEEDED');
  });

  it('refuses to delete a volume while a running job mounts it', async () => {
    await api('/api/v1/volumes', { method: 'POST', headers: json, body: JSON.stringify({ name: 'models' }) });
    const manifest = {
      name: 'adder',
      version: '2.0.0',
      jobtype: 'python3:1.x',
      resources: { cpu: 0.1, memory: 64 },
      volumes: [{ name: 'models', mountPath: '/models', readOnly: true }],
      jobtypeExtra: { entrypointPath: 'adder.py', entrypointClass: 'Adder' },
    };
    expect(
      (await api('/api/v1/jobs', { method: 'POST', body: deployForm(manifest, zipDirectory(ADDER)) })).status,
    ).toBe(201);
    expect(await waitFor('adder', '2.0.0', ['RUNNING', 'FAILED'])).toMatchObject({ state: 'RUNNING' });
    const refused = await api('/api/v1/volumes/models', { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(await body(refused)).toMatchObject({
      code: 'KRN_ERR_VOLUME_IN_USE',
      message: expect.stringContaining('job adder@2.0.0 (RUNNING)'),
    });
    expect((await api('/api/v1/jobs/adder/2.0.0', { method: 'DELETE' })).status).toBe(200);
    expect((await api('/api/v1/volumes/models', { method: 'DELETE' })).status).toBe(204);
  });
});

describe('spindle volume', () => {
  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli([...args, '--url', kernel.url, '--token', ADMIN_TOKEN], {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (err += t) },
      env: { HOME: os.tmpdir() },
    });
    return { code, out, err };
  };

  it('creates, uploads, lists, downloads and removes', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'spindle-volcli-'));
    writeFileSync(path.join(work, 'weights.bin'), Buffer.alloc(3000, 7));
    expect(await cli('volume', 'create', 'cli-vol', '--quota', '1M')).toMatchObject({
      code: 0,
      out: 'created volume local:cli-vol (quota 1.0 MiB)\n',
    });
    expect(
      (await cli('volume', 'upload', 'cli-vol', path.join(work, 'weights.bin'), 'models/weights.bin')).out,
    ).toContain('(2.9 KiB)');
    expect((await cli('volume', 'ls')).out).toMatch(/local:cli-vol\s+admin\s+2\.9 KiB\s+1\.0 MiB\s+owner/);
    expect((await cli('volume', 'files', 'cli-vol', 'models')).out).toMatch(/models\/weights\.bin\s+file\s+2\.9 KiB/);
    const target = path.join(work, 'copy.bin');
    expect((await cli('volume', 'download', 'cli-vol', 'models/weights.bin', target)).code).toBe(0);
    expect(readFileSync(target)).toEqual(Buffer.alloc(3000, 7));
    const again = await cli('volume', 'upload', 'cli-vol', path.join(work, 'weights.bin'), 'models/weights.bin');
    expect(again).toMatchObject({ code: 1, err: expect.stringContaining('KRN_ERR_VOLUME_FILE_EXISTS') });
    const outside = await cli('volume', 'upload', 'cli-vol', path.join(work, 'weights.bin'), '../../escape.bin');
    expect(outside).toMatchObject({ code: 1, err: expect.stringContaining('KRN_ERR_VOLUME_PATH_INVALID') });
    expect((await cli('volume', 'rm', 'cli-vol')).out).toBe('deleted volume cli-vol\n');
  });
});
