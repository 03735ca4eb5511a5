/**
 * A python job on the real Docker Engine through infra-docker: built into an image, run, called
 * through the kernel's proxy, its logs read, re-attached after a kernel restart, deleted with
 * nothing Spindle-owned left behind. Needs dockerd and the spindle/python:3.11 base image
 * (scripts/ci-services.sh makes both).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFirstPartyPlugins } from '../../core/plugins/default-plugins.js';
import { type RunningKernel, startKernel } from '../../core/start.js';
import { deployForm, zipDirectory } from '../helpers/job-upload.js';
import { needService } from '../helpers/services.js';
import { ADMIN_TOKEN } from '../helpers/test-kernel.js';

const ADDER = fileURLToPath(new URL('../../examples/python-adder', import.meta.url));
const SECRET = 'docker-secret-value-42';
const json = { 'content-type': 'application/json' };
const home = mkdtempSync(path.join(os.tmpdir(), 'spindle-docker-'));
let kernel: RunningKernel;

const start = () =>
  startKernel({
    home,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    env: { SPINDLE_ADMIN_TOKEN: ADMIN_TOKEN, SPINDLE_SCHEDULER_TICK_MS: '200' },
    withDefaults: true,
  });
const api = (p: string, init: RequestInit = {}) =>
  fetch(kernel.url + p, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers as Record<string, string>) },
  });
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const owned = (jobId: string) => docker('ps', '--all', '--quiet', '--filter', `label=spindle.job=${jobId}`);

async function waitFor(
  name: string,
  version: string,
  states: string[],
  ms = 120_000,
): Promise<{ id: string; state: string; reason: string; agentId: string }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const job = (await (await api(`/api/v1/jobs/${name}/${version}`)).json()) as {
      id: string;
      state: string;
      reason: string;
      agentId: string;
    };
    if (states.includes(job.state) || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const engine = await needService('docker', { image: 'spindle/python:3.11' });

describe.skipIf(engine.skip)('python jobs on Docker', () => {
  beforeAll(async () => {
    kernel = await start();
    const [zip] = await bundleFirstPartyPlugins(['infra-docker']);
    const res = await api('/api/v1/plugins', { method: 'POST', headers: json, body: JSON.stringify({ path: zip }) });
    expect(res.status).toBe(201);
  }, 120_000);
  afterAll(() => kernel?.close());

  it('builds, runs and proxies the adder in a container, with its secret out of sight', async () => {
    const manifest = {
      name: 'dockadder',
      version: '1.0.0',
      jobtype: 'python3:1.x',
      infrastructure: 'docker',
      resources: { cpu: 0.5, memory: 128 },
      jobtypeExtra: { entrypointPath: 'adder.py', entrypointClass: 'Adder' },
    };
    const res = await api('/api/v1/jobs', {
      method: 'POST',
      body: deployForm(manifest, zipDirectory(ADDER), { API_KEY: SECRET }),
    });
    expect(res.status).toBe(201);
    const job = await waitFor('dockadder', '1.0.0', ['RUNNING', 'FAILED']);
    // Placed on the agent the Docker host reports, named after the Engine's host.
    expect(job).toMatchObject({ state: 'RUNNING', agentId: `docker:${docker('info', '--format', '{{.Name}}')}` });
    const call = await api('/pub/job/dockadder/latest/perform', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ numbers: [40, 2] }),
    });
    expect(call.status).toBe(200);
    expect(await call.json()).toBe(42);

    const [container] = JSON.parse(docker('inspect', owned(job.id))) as {
      Config: { Labels: Record<string, string>; Cmd: string[] };
      Args: string[];
      HostConfig: { Memory: number; NanoCpus: number; PortBindings: Record<string, { HostIp: string }[]> };
    }[];
    expect(container!.HostConfig.Memory).toBe(128 * 1024 * 1024);
    expect(container!.HostConfig.NanoCpus).toBe(0.5e9);
    expect(Object.values(container!.HostConfig.PortBindings)[0]![0]!.HostIp).toBe('127.0.0.1');
    expect(JSON.stringify([container!.Config.Labels, container!.Config.Cmd, container!.Args])).not.toContain(SECRET);

    const logs = (await (await api('/api/v1/jobs/dockadder/1.0.0/logs?offset=0')).json()) as { text: string };
    expect(logs.text.length).toBeGreaterThan(0);
  }, 180_000);

  it('re-attaches the running container after a kernel restart', async () => {
    const before = await waitFor('dockadder', '1.0.0', ['RUNNING']);
    await kernel.close();
    kernel = await start();
    const after = await waitFor('dockadder', '1.0.0', ['RUNNING', 'FAILED', 'LOST']);
    expect(after).toMatchObject({ id: before.id, state: 'RUNNING' });
    const call = await api('/pub/job/dockadder/1.0.0/perform', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ numbers: [1, 2] }),
    });
    expect(await call.json()).toBe(3);
  }, 120_000);

  it('runs a batch job to SUCCEEDED with a volume bind-mounted', async () => {
    await api('/api/v1/volumes', { method: 'POST', headers: json, body: JSON.stringify({ name: 'dock-out' }) });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spindle-dockbatch-'));
    writeFileSync(
      path.join(dir, 'writer.py'),
      [
        'import os',
        'class Writer:',
        '    def run(self):',
        "        with open('/out/result.txt', 'w') as f:",
        "            f.write('from a container ' + os.environ['SPINDLE_VOLUME_DOCK_OUT'])",
        '',
      ].join('\n'),
    );
    const manifest = {
      name: 'dockbatch',
      version: '1.0.0',
      jobtype: 'python3:1.x',
      infrastructure: 'docker',
      kind: 'batch',
      resources: { cpu: 0.2, memory: 64 },
      volumes: [{ name: 'dock-out', mountPath: '/out' }],
      jobtypeExtra: { entrypointPath: 'writer.py', entrypointClass: 'Writer' },
    };
    expect((await api('/api/v1/jobs', { method: 'POST', body: deployForm(manifest, zipDirectory(dir)) })).status).toBe(
      201,
    );
    expect(await waitFor('dockbatch', '1.0.0', ['SUCCEEDED', 'FAILED'])).toMatchObject({ state: 'SUCCEEDED' });
    expect(await (await api('/api/v1/volumes/dock-out/files/result.txt')).text()).toBe('from a container /out');
  }, 180_000);

  it('deletes the jobs and leaves no Spindle container or image behind', async () => {
    const ids = [
      (await waitFor('dockadder', '1.0.0', ['RUNNING'])).id,
      (await waitFor('dockbatch', '1.0.0', ['SUCCEEDED'])).id,
    ];
    for (const name of ['dockadder', 'dockbatch'])
      expect((await api(`/api/v1/jobs/${name}/1.0.0`, { method: 'DELETE' })).status).toBe(200);
    for (const id of ids) {
      expect(owned(id)).toBe('');
      expect(docker('image', 'ls', '--quiet', `spindle-job-${id.toLowerCase()}`)).toBe('');
    }
  }, 60_000);
});
