import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobSpec, JobStateReport, PluginLogger } from 'spindle/plugin-sdk';
import { probe } from 'spindle/plugin-sdk/targets';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from './free-port.js';
import { LocalTarget, type TargetContext } from './local-target.js';
import { isProcessAlive, processStartTime } from './process-info.js';
import { type JobRecord, StateFile } from './state-file.js';
import { createFixtures, waitFor } from './test-fixtures.js';

const fx = createFixtures();
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0))
    if (child.pid && isProcessAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(() => fx.cleanup());

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'infra-local-state-'));
  dirs.push(dir);
  return dir;
}

function record(jobId: string, over: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId,
    kind: 'service',
    logDir: path.join(fx.dir, jobId, 'logs'),
    replicaCount: 1,
    healthPath: '/health',
    replicas: [],
    running: true,
    updatedAt: '',
    ...over,
  };
}

/** A replica left over by a kernel that crashed: detached, in its own group, not our business any more. */
async function survivor(script: string): Promise<{ pid: number; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [fx.script(script)], {
    detached: true,
    stdio: 'ignore',
    env: { PORT: String(port) },
  });
  children.push(child);
  return { pid: child.pid!, port };
}

const noop = (): void => undefined;
const logger: PluginLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, child: () => logger };

function fakeContext(dataDir: string, reports: JobStateReport[]): TargetContext {
  return {
    dataDir,
    logger,
    signal: new AbortController().signal,
    exec: () => {
      throw new Error('not used');
    },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
    infrastructure: { registerTarget: noop, reportJobState: (r) => void reports.push(r) },
  };
}

const spec = (id: string): JobSpec => ({
  id,
  name: id,
  version: '1.0.0',
  owner: 'ada',
  jobtype: 'node:1.0.0',
  jobtypeResolved: 'node:1.0.0',
  kind: 'service',
  replicas: 1,
  resources: {},
});

describe('StateFile', () => {
  it('keeps one record per job, marks ended ones and survives a corrupt file', () => {
    const dir = tempDir();
    const warnings: string[] = [];
    const state = new StateFile(dir, (m) => warnings.push(m));
    expect(state.readAll()).toEqual({});
    state.put(record('a'));
    state.put(record('b', { kind: 'batch' }));
    state.markEnded('a');
    expect(state.get('a')).toMatchObject({ running: false, logDir: record('a').logDir });
    expect(state.get('b')).toMatchObject({ running: true, kind: 'batch' });
    expect(JSON.parse(readFileSync(path.join(dir, 'jobs.json'), 'utf8'))).toHaveProperty('b');
    writeFileSync(path.join(dir, 'jobs.json'), '{ half');
    expect(state.readAll()).toEqual({});
    expect(warnings[0]).toMatch(/jobs\.json is not valid JSON/);
  });
});

describe('process liveness', () => {
  it('tells live, dead, reused and zombie pids apart', async () => {
    expect(isProcessAlive(process.pid, processStartTime(process.pid))).toBe(true);
    expect(isProcessAlive(process.pid, '1')).toBe(!existsSync('/proc/self/stat'));
    expect(isProcessAlive(2 ** 22 + 12345)).toBe(false);
    expect(isProcessAlive(undefined)).toBe(false);
    if (!existsSync('/proc/self/stat')) return;
    // `sleep 0.1` becomes a child of `sleep 5`, which never waits for it: a zombie for ~5 s.
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    children.push(parent);
    const zombie = Number(
      await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString()))),
    );
    await waitFor(() => readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z '), 3_000, 'the zombie');
    expect(isProcessAlive(zombie)).toBe(false);
  });
});

describe('list and attach after a kernel restart', () => {
  it('lists only jobs whose processes live, attaches healthy ones and reports LOST when they die', async () => {
    const dataDir = tempDir();
    const alive = await survivor('server.cjs');
    await waitFor(async () => (await probe(`http://127.0.0.1:${alive.port}/health`, 500)).ok, 5_000, 'the survivor');
    const state = new StateFile(dataDir);
    const replica = {
      id: 'kept-0',
      index: 0,
      pid: alive.pid,
      port: alive.port,
      address: `http://127.0.0.1:${alive.port}`,
      startTime: processStartTime(alive.pid),
    };
    state.put(record('kept', { replicas: [replica] }));
    state.put(record('gone', { replicas: [{ ...replica, id: 'gone-0', pid: 2 ** 22 + 4321 }] }));
    mkdirSync(record('kept').logDir, { recursive: true });
    writeFileSync(path.join(record('kept').logDir, 'replica-0.log'), 'from before the crash\n');

    const reports: JobStateReport[] = [];
    const target = new LocalTarget(fakeContext(dataDir, reports), { stopGraceMs: 500 });
    target.restore();
    const listed = await target.list();
    expect(listed).toEqual([{ jobId: 'kept', replicas: [{ id: 'kept-0', address: replica.address, pid: alive.pid }] }]);
    expect(state.get('gone')?.running).toBe(false);
    expect((await target.logs('kept', { offset: 0 })).text).toBe('from before the crash\n');
    expect(await target.attach(spec('kept'), listed[0]!.replicas)).toBe(true);
    expect(await target.attach(spec('gone'), [])).toBe(false);

    process.kill(alive.pid, 'SIGKILL');
    const lost = await waitFor(() => reports.find((r) => r.state === 'LOST'), 4_000, 'LOST');
    expect(lost).toEqual({
      jobId: 'kept',
      state: 'LOST',
      reason: `process ${alive.pid} is gone (the kernel was not its parent after a restart)`,
    });
    expect(await target.list()).toEqual([]);
    expect(state.get('kept')?.running).toBe(false);
    await target.shutdown();
  });

  it('refuses to attach an unhealthy survivor, and stop() ends it', async () => {
    const dataDir = tempDir();
    const mute = await survivor('silent.cjs');
    const address = `http://127.0.0.1:${mute.port}`;
    new StateFile(dataDir).put(
      record('mute', {
        replicas: [
          { id: 'mute-0', index: 0, pid: mute.pid, port: mute.port, address, startTime: processStartTime(mute.pid) },
        ],
      }),
    );
    const target = new LocalTarget(fakeContext(dataDir, []), { stopGraceMs: 500 });
    target.restore();
    expect(await target.attach(spec('mute'), [{ id: 'mute-0', address, pid: mute.pid }])).toBe(false);
    await target.stop('mute', { graceMs: 500 });
    await waitFor(() => !isProcessAlive(mute.pid), 2_000, 'the survivor to end');
    expect(await target.list()).toEqual([]);
  });
});
