import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InfrastructureProvider } from 'spindle/plugin-sdk';
import { createTestKernel, type TestKernel } from 'spindle/plugin-sdk/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { needService } from '../../../tests/helpers/services.js';
import manifest from '../plugin.json' with { type: 'json' };
import plugin from './index.js';
import { isProcessAlive } from './process-info.js';
import { createFixtures, hostPidsOf, httpText, waitFor } from './test-fixtures.js';

const fx = createFixtures();
// The plugin's own folder, for its assets (the sandbox's init script).
const PLUGIN_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const FAST = { healthTimeoutMs: 3_000, healthIntervalMs: 20, stopGraceMs: 1_000, maxRestarts: 3, restartBackoffMs: 50 };
let kernel: TestKernel;

afterEach(() => kernel.close());
afterAll(() => fx.cleanup());

const sandbox = await needService('bwrap');

/** Both ways a job runs: in bubblewrap's sandbox (where the host has it), and as a plain process. */
const MODES = [
  { mode: 'confined', skip: sandbox.skip, config: {} },
  { mode: 'unconfined', skip: false, config: { bwrap: '/nonexistent/bwrap', unconfined: 'warn' } },
] as const;

async function startIn(config: Record<string, unknown> = {}): Promise<InfrastructureProvider> {
  kernel = createTestKernel();
  await kernel.activate(plugin, { manifest: manifest as never, config: { ...FAST, ...config }, dir: PLUGIN_DIR });
  return kernel.registries.targets.get('local')!;
}

const dead = (pid: number | undefined) => waitFor(() => !isProcessAlive(pid), 5_000, `pid ${pid} to end`);
/** Every process of job `jobId` has ended (confined ones included: the host sees them with their host pids). */
const allGone = (jobId: string, script: string) =>
  waitFor(() => hostPidsOf(fx.script(script), jobId).length === 0, 5_000, `the processes of ${jobId} to end`);
const reports = (jobId: string) => kernel.jobStateReports.filter((r) => r.jobId === jobId);
const logOf = (jobId: string, i = 0) => readFileSync(path.join(fx.dir, jobId, 'logs', `replica-${i}.log`), 'utf8');

describe('infra-local: agents', () => {
  it('reports the machine, with config overriding and extending slots', async () => {
    let target = await startIn();
    const [agent] = await target.agents();
    expect(agent).toEqual({
      id: 'local',
      target: 'local',
      capacity: { cpu: os.availableParallelism(), memory: Math.floor(os.totalmem() / 1048576) },
      allocated: {},
      labels: { hostname: os.hostname() },
    });
    await kernel.close();
    target = await startIn({ capacity: { cpu: 2, gpu: 0 } });
    expect((await target.agents())[0]!.capacity).toMatchObject({
      cpu: 2,
      gpu: 0,
      memory: Math.floor(os.totalmem() / 1048576),
    });
  });
});

describe.each(MODES)('infra-local: services, $mode', ({ mode, skip, config: modeConfig }) => {
  const start = (config: Record<string, unknown> = {}) => startIn({ ...modeConfig, ...config });
  beforeAll(() => fx.reset());
  const confined = mode === 'confined';
  const ADDRESS = confined ? /^http\+unix:\/\/%2F.+%2Fhttp\.sock$/ : /^http:\/\/127\.0\.0\.1:\d+$/;

  it.skipIf(skip)(
    'deploys a healthy replica that gets its env and port, with secrets kept off the command line',
    async () => {
      const target = await start();
      const request = fx.request('svc', 'server.cjs', {
        env: { SECRET_TOKEN: 's3cr3t-value' },
        runEnv: { FROM_RUN: 'yes' },
      });
      const { replicas } = await target.deploy(request);
      expect(replicas).toEqual([{ id: 'svc-0', address: expect.stringMatching(ADDRESS), pid: expect.any(Number) }]);
      const [replica] = replicas;
      expect(await httpText(replica!.address)).toBe('hi from replica 0');
      const env = JSON.parse(await httpText(`${replica!.address}/env`));
      expect(env).toEqual({
        // Confined, the network is the replica's own: every one listens on 8080, served on its socket.
        PORT: confined ? '8080' : new URL(replica!.address).port,
        SPINDLE_REPLICA: '0',
        SECRET_TOKEN: 's3cr3t-value',
        FROM_RUN: 'yes',
        HOME: request.workDir,
        LANG: 'C.UTF-8',
        cwd: request.sourceDir,
      });
      expect(readFileSync(`/proc/${replica!.pid}/cmdline`, 'utf8')).not.toContain('s3cr3t');
      expect(JSON.stringify(kernel.logs)).not.toContain('s3cr3t');
      expect(await target.list()).toEqual([{ jobId: 'svc', replicas }]);

      await target.stop('svc', { graceMs: 1_000 });
      expect(isProcessAlive(replica!.pid)).toBe(false);
      expect(await target.list()).toEqual([]);
      await expect(target.stop('svc', { graceMs: 1_000 })).resolves.toBeUndefined();
      await expect(target.stop('never-heard-of', { graceMs: 1_000 })).resolves.toBeUndefined();
    },
  );

  it.skipIf(skip)('runs several replicas at different addresses and reads their logs with a prefix', async () => {
    const target = await start();
    const { replicas } = await target.deploy(fx.request('pair', 'server.cjs', { replicas: 2 }));
    expect(replicas.map((r) => r.id)).toEqual(['pair-0', 'pair-1']);
    expect(replicas[0]!.address).not.toBe(replicas[1]!.address);
    expect(await httpText(replicas[1]!.address)).toBe('hi from replica 1');
    const { text } = await target.logs('pair', { offset: 0 });
    expect(text).toMatch(/^\[replica 0\] pid \d+ port \d+ replica 0\n\[replica 1\] pid \d+ port \d+ replica 1\n$/);
  });

  it.skipIf(skip)('restarts a crashing replica with backoff, then fails the job after maxRestarts', async () => {
    const target = await start();
    const { replicas } = await target.deploy(fx.request('crash', 'crasher.cjs'));
    await waitFor(() => reports('crash').some((r) => r.state === 'FAILED'), 15_000, 'FAILED');
    const seen = reports('crash').map(({ state, reason }) => ({ state, reason }));
    expect(seen).toEqual([
      { state: 'RESTARTING', reason: 'replica 0 exited with code 1; restart 1 of 3 in 50 ms' },
      { state: 'RUNNING', reason: 'replica 0 restarted' },
      { state: 'RESTARTING', reason: 'replica 0 exited with code 1; restart 2 of 3 in 100 ms' },
      { state: 'RUNNING', reason: 'replica 0 restarted' },
      { state: 'RESTARTING', reason: 'replica 0 exited with code 1; restart 3 of 3 in 200 ms' },
      { state: 'RUNNING', reason: 'replica 0 restarted' },
      { state: 'FAILED', reason: 'replica 0 crashed 4 times; last exit code 1' },
    ]);
    const running = reports('crash').find((r) => r.state === 'RUNNING')!;
    expect(running.replicas).toEqual([{ id: 'crash-0', address: expect.any(String), pid: expect.any(Number) }]);
    expect(running.replicas![0]!.pid).not.toBe(replicas[0]!.pid);
    expect(reports('crash').at(-1)!.exitCode).toBe(1);
    expect(await target.list()).toEqual([]);
    expect(logOf('crash')).toContain('--- spindle: restarting replica 0 (restart 3 of 3) ---');
  });

  it.skipIf(skip)(
    'rejects a deploy whose replica never gets healthy, says why, and leaves nothing running',
    async () => {
      const target = await start({ healthTimeoutMs: 600 });
      // The kernel names the plugin and the call; the target's own error is the cause.
      const failure = await target.deploy(fx.request('mute', 'silent.cjs')).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(failure?.message).toMatch(
        /^plugin infra-local: infrastructure target local: deploy\(\) threw: replica 0 of job mute/,
      );
      const error = failure?.cause as Error | undefined;
      expect(error?.message).toMatch(
        confined
          ? /^replica 0 of job mute did not answer http\+unix:\/\/\S+\/health with 2xx within 600 ms \(last try: \w+\); all replicas were stopped\./
          : /^replica 0 of job mute did not answer http:\/\/127\.0\.0\.1:\d+\/health with 2xx within 600 ms \(last try: ECONNREFUSED\); all replicas were stopped\./,
      );
      expect(error?.message).toContain('booting slowly 30');
      expect(error?.message).not.toContain('booting slowly 10\n');
      await allGone('mute', 'silent.cjs');
      expect(await target.list()).toEqual([]);
    },
  );

  it.skipIf(skip)('lets a stop end a deploy that is still waiting for health', async () => {
    const target = await start({ healthTimeoutMs: 20_000 });
    const deploying = target.deploy(fx.request('early', 'silent.cjs')).then(
      () => undefined,
      (e: Error) => e.cause as Error,
    );
    await waitFor(
      () => {
        try {
          return /pid \d+/.test(logOf('early'));
        } catch {
          return false;
        }
      },
      5_000,
      'the replica to start',
    );
    await target.stop('early', { graceMs: 500 });
    expect(hostPidsOf(fx.script('silent.cjs'), 'early')).toEqual([]);
    expect((await deploying)?.message).toBe('job early was stopped before it became healthy');
    expect(reports('early')).toEqual([]);
  });

  it.skipIf(skip)('rejects a deploy whose replica exits before it is healthy, with the exit code', async () => {
    const target = await start();
    const request = fx.request('quits', 'batch.cjs', { runEnv: { EXIT_CODE: '2' } });
    const error = await target.deploy(request).then(
      () => undefined,
      (e: Error) => e.cause as Error,
    );
    expect(error?.message).toMatch(
      /^replica 0 of job quits exited with code 2 before it answered .*\n.*replica-0\.log:\nline 1\nline 2\nline 3$/,
    );
  });

  it.skipIf(skip)('stops with SIGTERM, then SIGKILL after the grace period', async () => {
    const target = await start();
    const { replicas } = await target.deploy(fx.request('stubborn', 'server.cjs', { runEnv: { IGNORE_TERM: '1' } }));
    const began = Date.now();
    await target.stop('stubborn', { graceMs: 500 });
    const took = Date.now() - began;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(2_500);
    expect(isProcessAlive(replicas[0]!.pid)).toBe(false);
    expect(hostPidsOf(fx.script('server.cjs'), 'stubborn')).toEqual([]);
    expect(logOf('stubborn')).toContain('ignoring SIGTERM');
  });

  it.skipIf(skip)('leaves no process behind on deactivate, grandchildren included, and restarts nothing', async () => {
    const target = await start();
    const request = fx.request('family', 'server.cjs');
    // In the work dir: a confined job may write nowhere else.
    const grandchildFile = path.join(request.workDir, 'grandchild.pid');
    mkdirSync(request.workDir, { recursive: true });
    request.run.env = { GRANDCHILD_FILE: grandchildFile };
    const { replicas } = await target.deploy(request);
    const grandchild = Number(
      await waitFor(() => {
        try {
          return readFileSync(grandchildFile, 'utf8');
        } catch {
          return undefined;
        }
      }),
    );
    // Its pid as the job saw it; the host knows it by the file named on its command line.
    expect(grandchild).toBeGreaterThan(0);
    expect(hostPidsOf('setInterval(() => {}, 1000)', grandchildFile)).toHaveLength(1);
    await kernel.deactivate();
    await dead(replicas[0]!.pid);
    await waitFor(
      () => hostPidsOf('setInterval(() => {}, 1000)', grandchildFile).length === 0,
      5_000,
      'the grandchild to end',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reports('family')).toEqual([]);
  });
});

describe.each(MODES)('infra-local: batch jobs and logs, $mode', ({ skip, config: modeConfig }) => {
  const start = (config: Record<string, unknown> = {}) => startIn({ ...modeConfig, ...config });
  beforeAll(() => fx.reset());

  it.skipIf(skip)('reports SUCCEEDED when every replica exits 0', async () => {
    const target = await start();
    const { replicas } = await target.deploy(fx.request('ok', 'batch.cjs', { kind: 'batch', replicas: 2 }));
    expect(replicas).toHaveLength(2);
    const report = await waitFor(() => reports('ok').find((r) => r.state === 'SUCCEEDED'));
    expect(report).toMatchObject({ reason: 'all 2 replicas exited with code 0', exitCode: 0 });
    expect(await target.list()).toEqual([]);
  });

  it.skipIf(skip)('reports FAILED with the exit code', async () => {
    const target = await start();
    await target.deploy(fx.request('bad', 'batch.cjs', { kind: 'batch', runEnv: { EXIT_CODE: '3' } }));
    const report = await waitFor(() => reports('bad').find((r) => r.state === 'FAILED'));
    expect(report).toMatchObject({ reason: 'replica 0 exited with code 3', exitCode: 3 });
  });

  it.skipIf(skip)('reads logs from an offset, in pieces, and as a tail, after the job ended', async () => {
    const target = await start();
    await target.deploy(fx.request('chatty', 'batch.cjs', { kind: 'batch', runEnv: { LINES: '50' } }));
    await waitFor(() => reports('chatty').length > 0);
    const full = Array.from({ length: 50 }, (_, i) => `line ${i + 1}\n`).join('');
    expect(await target.logs('chatty', { offset: 0 })).toEqual({ text: full, offset: full.length });
    let text = '';
    for (let offset = 0, step = 0; step < 100; step++) {
      const chunk = await target.logs('chatty', { offset, limit: 37 });
      if (!chunk.text) break;
      expect(chunk.text.length).toBeLessThanOrEqual(37);
      text += chunk.text;
      offset = chunk.offset;
    }
    expect(text).toBe(full);
    expect(await target.logs('chatty', { offset: -20 })).toEqual({ text: 'line 49\nline 50\n', offset: full.length });
    expect(await target.logs('chatty', { offset: full.length + 10 })).toEqual({ text: '', offset: full.length });
    await expect(target.logs('nobody', { offset: 0 })).rejects.toMatchObject({ status: 404 });
  });
});

describe('infra-local: on a host without a sandbox', () => {
  const user = { id: 'u1', name: 'ada', kind: 'user', provider: 'auth-token' } as const;
  const admin = { id: 'admin', name: 'admin', kind: 'admin', provider: 'kernel' } as const;
  const admit = (principal: typeof user | typeof admin, target = 'local') =>
    kernel.hook('scheduling.admit', {
      queue: 'default',
      job: { id: 'j1', name: 'j', version: '1.0.0', owner: principal.name, resources: {}, target },
      principal,
    });

  it("refuses anyone's but admins' jobs by default, saying why and what to do", async () => {
    await startIn({ bwrap: '/nonexistent/bwrap' });
    expect(kernel.logs.find((l) => l.level === 40 && /no sandbox can be made here/.test(String(l.msg)))).toBeDefined();
    expect(await admit(user)).toEqual({
      reject: expect.stringMatching(/cannot confine jobs on this host \(.*bubblewrap.*\).*unconfined: warn/),
    });
    expect(await admit(admin)).toBeUndefined();
    expect(await admit(user, 'docker')).toBeUndefined();
  });

  it('with unconfined: warn, runs the job, warns at its deploy and tells its owner', async () => {
    const target = await startIn({ ...FAST, bwrap: '/nonexistent/bwrap', unconfined: 'warn' });
    expect(await admit(user)).toBeUndefined();
    const result = await target.deploy(fx.request('loose', 'batch.cjs', { kind: 'batch' }));
    expect(result.notice).toMatch(/^not confined: .*bubblewrap.*can read and write what the kernel's user can/);
    expect(kernel.logs.some((l) => l.level === 40 && /job loose runs unconfined/.test(String(l.msg)))).toBe(true);
    await waitFor(() => reports('loose').find((r) => r.state === 'SUCCEEDED'));
  });

  it.skipIf(sandbox.skip)('confined, tells the owner which limits the host cannot enforce', async () => {
    const target = await startIn(FAST);
    const request = fx.request('limited', 'batch.cjs', { kind: 'batch' });
    const result = await target.deploy({ ...request, job: { ...request.job, resources: { cpu: 0.5, memory: 64 } } });
    const enforcedCpu = kernel.logs.some((l) => /limits by cgroups v1/.test(String(l.msg)));
    if (enforcedCpu) expect(result.notice).toBeUndefined();
    else expect(result.notice).toMatch(/limits not enforced here: cpu 0\.5/);
    await waitFor(() => reports('limited').find((r) => r.state === 'SUCCEEDED'));
  });
});
