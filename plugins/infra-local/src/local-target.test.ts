import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InfrastructureProvider } from 'spindle/plugin-sdk';
import { createTestKernel, type TestKernel } from 'spindle/plugin-sdk/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import manifest from '../plugin.json' with { type: 'json' };
import plugin from './index.js';
import { isProcessAlive } from './process-info.js';
import { createFixtures, httpText, waitFor } from './test-fixtures.js';

const fx = createFixtures();
const FAST = { healthTimeoutMs: 3_000, healthIntervalMs: 20, stopGraceMs: 1_000, maxRestarts: 3, restartBackoffMs: 50 };
let kernel: TestKernel;

afterEach(() => kernel.close());
afterAll(() => fx.cleanup());

async function start(config: Record<string, unknown> = {}): Promise<InfrastructureProvider> {
  kernel = createTestKernel();
  await kernel.activate(plugin, { manifest: manifest as never, config: { ...FAST, ...config } });
  return kernel.registries.targets.get('local')!;
}

const portOf = (address: string): number => Number(new URL(address).port);
const dead = (pid: number | undefined) => waitFor(() => !isProcessAlive(pid), 5_000, `pid ${pid} to end`);
const reports = (jobId: string) => kernel.jobStateReports.filter((r) => r.jobId === jobId);
const logOf = (jobId: string, i = 0) => readFileSync(path.join(fx.dir, jobId, 'logs', `replica-${i}.log`), 'utf8');

describe('infra-local: agents', () => {
  it('reports the machine, with config overriding and extending slots', async () => {
    let target = await start();
    const [agent] = await target.agents();
    expect(agent).toEqual({
      id: 'local',
      target: 'local',
      capacity: { cpu: os.availableParallelism(), memory: Math.floor(os.totalmem() / 1048576) },
      allocated: {},
      labels: { hostname: os.hostname() },
    });
    await kernel.close();
    target = await start({ capacity: { cpu: 2, gpu: 0 } });
    expect((await target.agents())[0]!.capacity).toMatchObject({
      cpu: 2,
      gpu: 0,
      memory: Math.floor(os.totalmem() / 1048576),
    });
  });
});

describe('infra-local: services', () => {
  it('deploys a healthy replica that gets its env and port, with secrets kept off the command line', async () => {
    const target = await start();
    const request = fx.request('svc', 'server.cjs', {
      env: { SECRET_TOKEN: 's3cr3t-value' },
      runEnv: { FROM_RUN: 'yes' },
    });
    const { replicas } = await target.deploy(request);
    expect(replicas).toEqual([
      { id: 'svc-0', address: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), pid: expect.any(Number) },
    ]);
    const [replica] = replicas;
    expect(await httpText(replica!.address)).toBe('hi from replica 0');
    const env = JSON.parse(await httpText(`${replica!.address}/env`));
    expect(env).toEqual({
      PORT: String(portOf(replica!.address)),
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
  });

  it('runs several replicas on different ports and reads their logs with a prefix', async () => {
    const target = await start();
    const { replicas } = await target.deploy(fx.request('pair', 'server.cjs', { replicas: 2 }));
    expect(replicas.map((r) => r.id)).toEqual(['pair-0', 'pair-1']);
    expect(portOf(replicas[0]!.address)).not.toBe(portOf(replicas[1]!.address));
    expect(await httpText(replicas[1]!.address)).toBe('hi from replica 1');
    const { text } = await target.logs('pair', { offset: 0 });
    expect(text).toMatch(/^\[replica 0\] pid \d+ port \d+ replica 0\n\[replica 1\] pid \d+ port \d+ replica 1\n$/);
  });

  it('restarts a crashing replica with backoff, then fails the job after maxRestarts', async () => {
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

  it('rejects a deploy whose replica never gets healthy, says why, and leaves nothing running', async () => {
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
      /^replica 0 of job mute did not answer http:\/\/127\.0\.0\.1:\d+\/health with 2xx within 600 ms \(last try: ECONNREFUSED\); all replicas were stopped\./,
    );
    expect(error?.message).toContain('booting slowly 30');
    expect(error?.message).not.toContain('booting slowly 10\n');
    const pid = Number(/pid (\d+)/.exec(logOf('mute'))![1]);
    await dead(pid);
    expect(await target.list()).toEqual([]);
  });

  it('lets a stop end a deploy that is still waiting for health', async () => {
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
    const pid = Number(/pid (\d+)/.exec(logOf('early'))![1]);
    expect(isProcessAlive(pid)).toBe(false);
    expect((await deploying)?.message).toBe('job early was stopped before it became healthy');
    expect(reports('early')).toEqual([]);
  });

  it('rejects a deploy whose replica exits before it is healthy, with the exit code', async () => {
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

  it('stops with SIGTERM, then SIGKILL after the grace period', async () => {
    const target = await start();
    const { replicas } = await target.deploy(fx.request('stubborn', 'server.cjs', { runEnv: { IGNORE_TERM: '1' } }));
    const began = Date.now();
    await target.stop('stubborn', { graceMs: 500 });
    const took = Date.now() - began;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(2_500);
    expect(isProcessAlive(replicas[0]!.pid)).toBe(false);
    expect(logOf('stubborn')).toContain('ignoring SIGTERM');
  });

  it('leaves no process behind on deactivate, grandchildren included, and restarts nothing', async () => {
    const target = await start();
    const grandchildFile = path.join(fx.dir, 'grandchild.pid');
    const { replicas } = await target.deploy(
      fx.request('family', 'server.cjs', { runEnv: { GRANDCHILD_FILE: grandchildFile } }),
    );
    const grandchild = Number(
      await waitFor(() => {
        try {
          return readFileSync(grandchildFile, 'utf8');
        } catch {
          return undefined;
        }
      }),
    );
    expect(isProcessAlive(grandchild)).toBe(true);
    await kernel.deactivate();
    await dead(replicas[0]!.pid);
    await dead(grandchild);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reports('family')).toEqual([]);
  });
});

describe('infra-local: batch jobs and logs', () => {
  it('reports SUCCEEDED when every replica exits 0', async () => {
    const target = await start();
    const { replicas } = await target.deploy(fx.request('ok', 'batch.cjs', { kind: 'batch', replicas: 2 }));
    expect(replicas).toHaveLength(2);
    const report = await waitFor(() => reports('ok').find((r) => r.state === 'SUCCEEDED'));
    expect(report).toMatchObject({ reason: 'all 2 replicas exited with code 0', exitCode: 0 });
    expect(await target.list()).toEqual([]);
  });

  it('reports FAILED with the exit code', async () => {
    const target = await start();
    await target.deploy(fx.request('bad', 'batch.cjs', { kind: 'batch', runEnv: { EXIT_CODE: '3' } }));
    const report = await waitFor(() => reports('bad').find((r) => r.state === 'FAILED'));
    expect(report).toMatchObject({ reason: 'replica 0 exited with code 3', exitCode: 3 });
  });

  it('reads logs from an offset, in pieces, and as a tail, after the job ended', async () => {
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
