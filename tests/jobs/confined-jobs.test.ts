/**
 * A deployer stays a deployer: on a real kernel with the default plugins and auth-token, a user
 * who holds only `deploy_new_family` deploys a batch job to the default `local` target that tries
 * every way out the issue found (the kernel's environment, its state.db, its home, another job's
 * service, the kernel's port, writes outside its places, a read-only volume). Each must fail, and
 * its own work must succeed.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
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

const sandbox = await needService('bwrap');
const ADDER = fileURLToPath(new URL('../../examples/python-adder', import.meta.url));
const USERS = '/api/v1/plugins/auth-token/routes/users';
const json = { 'content-type': 'application/json' };
const KERNEL_SECRET = 'kernel-env-secret-4f1c';
let kernel: RunningKernel;
let home: string;
let mallory: string;

const call = (token: string, p: string, init: RequestInit = {}) =>
  fetch(kernel.url + p, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
  });
const api = (p: string, init: RequestInit = {}) => call(ADMIN_TOKEN, p, init);

async function settled(name: string, states: string[]): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const job = (await (await api(`/api/v1/jobs/${name}/1.0.0`)).json()) as Record<string, unknown>;
    if (states.includes(job.state as string) || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the escaping job tries; it prints one `REPORT {json}` line. */
const ESCAPE = `
import json, os, socket

def attempt(fn):
    try:
        return ['ok', fn()]
    except Exception as e:
        return ['refused', type(e).__name__]

def scan_environs():
    found = []
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            try:
                if os.environ['KERNEL_SECRET_REVERSED'][::-1].encode() in open('/proc/%s/environ' % pid, 'rb').read():
                    found.append(pid)
            except OSError:
                pass
    return found

def connect_tcp(port):
    s = socket.create_connection(('127.0.0.1', port), timeout=2)
    s.close()
    return 'connected'

def connect_unix(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    s.connect(path)
    s.close()
    return 'connected'

def write(path):
    with open(path, 'w') as f:
        f.write('x')
    return 'written'

class Escape:
    def run(self):
        home = os.environ['KERNEL_HOME']
        report = {
            'uid': os.getuid(),
            'kernelEnviron': attempt(lambda: open('/proc/%s/environ' % os.environ['KERNEL_PID'], 'rb').read().decode(errors='replace')),
            'environsWithSecret': scan_environs(),
            'stateDb': attempt(lambda: len(open(os.path.join(home, 'state.db'), 'rb').read())),
            'homeListing': attempt(lambda: sorted(os.listdir(home))),
            'kernelPort': attempt(lambda: connect_tcp(int(os.environ['KERNEL_PORT']))),
            'otherJobSocket': attempt(lambda: connect_unix(os.environ['OTHER_SOCKET'])),
            'writeSystem': attempt(lambda: write('/etc/spindle-escape')),
            'writeHostTmp': attempt(lambda: write(os.path.join(os.environ['HOST_TMP'], 'escape.txt'))),
            'writeReadOnlyVolume': attempt(lambda: write('/ref/escape.txt')),
            'readReadOnlyVolume': attempt(lambda: open('/ref/notes.txt').read()),
            'writeOwnVolume': attempt(lambda: write('/out/result.txt')),
            'writeWorkDir': attempt(lambda: write(os.path.join(os.environ['HOME'], 'scratch.txt'))),
        }
        print('REPORT ' + json.dumps(report), flush=True)
`;

beforeAll(async () => {
  if (sandbox.skip) return;
  process.env.SPINDLE_TEST_KERNEL_SECRET = KERNEL_SECRET;
  home = mkdtempSync(path.join(os.tmpdir(), 'spindle-confined-'));
  kernel = await startKernel({
    home,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    env: { SPINDLE_ADMIN_TOKEN: ADMIN_TOKEN, SPINDLE_SCHEDULER_TICK_MS: '200' },
    withDefaults: true,
  });
  const [zip] = await bundleFirstPartyPlugins(['auth-token']);
  await api('/api/v1/plugins', { method: 'POST', headers: json, body: JSON.stringify({ path: zip }) });
  const created = await api(USERS, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      username: 'mallory',
      password: 'mallory-password-1',
      grants: [{ scope: 'deploy_new_family' }],
    }),
  });
  expect(created.status).toBe(201);
  mallory = (
    (await (await api(`${USERS}/mallory/tokens`, { method: 'POST', headers: json, body: '{}' })).json()) as {
      token: string;
    }
  ).token;
  for (const [volume, mode] of [
    ['ref', 'ro'],
    ['out', 'rw'],
  ] as const) {
    await api('/api/v1/volumes', { method: 'POST', headers: json, body: JSON.stringify({ name: volume }) });
    await api(`/api/v1/volumes/${volume}/shares/mallory`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ mode }),
    });
  }
  await api('/api/v1/volumes/ref/files/notes.txt', {
    method: 'PUT',
    body: 'reference data',
    headers: { 'content-type': 'application/octet-stream' },
  });
}, 180_000);
afterAll(async () => {
  delete process.env.SPINDLE_TEST_KERNEL_SECRET;
  await kernel?.close();
});

describe.skipIf(sandbox.skip)('a confined local job', () => {
  it("cannot reach the kernel's secrets, home or port, nor another job; its own work succeeds", async () => {
    // Another user's service, reachable only through the proxy.
    const adder = { name: 'adder', version: '1.0.0', jobtype: 'python3:1.x', resources: { cpu: 0.1, memory: 128 } };
    const deployed = await api('/api/v1/jobs', {
      method: 'POST',
      body: deployForm(
        { ...adder, jobtypeExtra: { entrypointPath: 'adder.py', entrypointClass: 'Adder' } },
        zipDirectory(ADDER),
      ),
    });
    expect(deployed.status).toBe(201);
    const running = await settled('adder', ['RUNNING', 'FAILED']);
    expect(running.state).toBe('RUNNING');
    const address = (running.runtime as { replicas: { address: string }[] }).replicas[0]!.address;
    expect(address).toMatch(/^http\+unix:\/\//);
    const otherSocket = decodeURIComponent(address.slice('http+unix://'.length));
    const sum = await api('/pub/job/adder/1.0.0/perform', {
      method: 'POST',
      headers: json,
      body: '{"numbers":[40,2]}',
    });
    expect(await sum.json()).toBe(42);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'spindle-escape-job-'));
    writeFileSync(path.join(dir, 'escape.py'), ESCAPE);
    const hostTmp = path.join(dir, 'host-tmp');
    mkdirSync(hostTmp, { mode: 0o777 });
    const manifest = {
      name: 'escape',
      version: '1.0.0',
      jobtype: 'python3:1.x',
      kind: 'batch',
      resources: { cpu: 0.1, memory: 128 },
      volumes: [
        { name: 'ref', mountPath: '/ref', readOnly: true },
        { name: 'out', mountPath: '/out' },
      ],
      env: {
        KERNEL_PID: String(process.pid),
        KERNEL_PORT: new URL(kernel.url).port,
        KERNEL_HOME: home,
        // Reversed: the job's own environment must not hold what it looks for.
        KERNEL_SECRET_REVERSED: [...KERNEL_SECRET].reverse().join(''),
        OTHER_SOCKET: otherSocket,
        HOST_TMP: hostTmp,
      },
      jobtypeExtra: { entrypointPath: 'escape.py', entrypointClass: 'Escape' },
    };
    const res = await call(mallory, '/api/v1/jobs', { method: 'POST', body: deployForm(manifest, zipDirectory(dir)) });
    expect(res.status).toBe(201);
    const job = await settled('escape', ['SUCCEEDED', 'FAILED']);
    const logs = ((await (await api('/api/v1/jobs/escape/1.0.0/logs')).json()) as { text: string }).text;
    expect(job.state, logs).toBe('SUCCEEDED');
    const line = /REPORT (\{.*\})/.exec(logs);
    expect(line, logs).not.toBeNull();
    const report = JSON.parse(line![1]!);

    expect(report.kernelEnviron[0]).toBe('refused');
    expect(report.environsWithSecret).toEqual([]);
    expect(report.stateDb[0]).toBe('refused');
    // The home shows only the folders that lead to the job's own files.
    expect(report.homeListing[0] === 'refused' || !report.homeListing[1].includes('state.db')).toBe(true);
    expect(report.kernelPort[0]).toBe('refused');
    expect(report.otherJobSocket[0]).toBe('refused');
    expect(report.writeSystem[0]).toBe('refused');
    expect(report.writeHostTmp[0]).toBe('refused');
    expect(report.writeReadOnlyVolume[0]).toBe('refused');
    expect(report.readReadOnlyVolume).toEqual(['ok', 'reference data']);
    expect(report.writeOwnVolume).toEqual(['ok', 'written']);
    expect(report.writeWorkDir).toEqual(['ok', 'written']);
    if (process.getuid?.() === 0) expect(report.uid).not.toBe(0);
    expect(await (await api('/api/v1/volumes/out/files/result.txt')).text()).toBe('x');
  });
});
