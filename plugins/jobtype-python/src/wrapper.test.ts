import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXAMPLES,
  exitWithin,
  post,
  startWrapper,
  stopWrapper,
  type WrapperProcess,
  waitForHealth,
} from './wrapper-harness.test-helper.js';

const tmp = mkdtempSync(join(os.tmpdir(), 'spindle-pywrapper-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes `files` into a fresh job directory and returns it. */
function jobDir(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

describe('the python wrapper serving examples/python-adder', () => {
  let proc: WrapperProcess;
  beforeAll(async () => {
    proc = await startWrapper({
      jobDir: join(EXAMPLES, 'python-adder'),
      entrypointPath: 'adder.py',
      entrypointClass: 'Adder',
      env: {
        SPINDLE_JOB_NAME: 'adder',
        SPINDLE_JOB_VERSION: '1.0.0',
        SPINDLE_JOBTYPE_VERSION: '1.0.0',
        SPINDLE_KERNEL_VERSION: '9.9.9',
      },
    });
    await waitForHealth(proc);
  });
  afterAll(() => stopWrapper(proc));

  it('answers POST /perform with the result', async () => {
    expect(await post(proc.base, '/perform', '{"numbers": [40, 2]}')).toMatchObject({ status: 200, body: 42 });
  });

  it('answers 400 with the TypeError text for a missing or an extra keyword argument', async () => {
    expect(await post(proc.base, '/perform', '{}')).toMatchObject({
      status: 400,
      body: { error: "missing a required argument: 'numbers'" },
    });
    const extra = await post(proc.base, '/perform', '{"numbers": [1], "carry": 1}');
    expect(extra).toMatchObject({ status: 400, body: { error: "got an unexpected keyword argument 'carry'" } });
  });

  it('answers 400 for a body that is not JSON, or not a JSON object', async () => {
    const bad = await post(proc.base, '/perform', '{"numbers": [40, 2');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^request body is not valid JSON/);
    expect(await post(proc.base, '/perform', '[40, 2]')).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/JSON object/) },
    });
  });

  it('answers 500 with the type and message when perform raises, and logs the traceback', async () => {
    const res = await post(proc.base, '/perform', '{"numbers": [40, "two"]}');
    expect(res).toMatchObject({
      status: 500,
      body: { error: expect.stringMatching(/^TypeError: unsupported operand/) },
    });
    const traceback = /Traceback \(most recent call last\):[\s\S]*adder\.py[\s\S]*TypeError: unsupported operand/;
    await expect.poll(() => proc.stderr(), { timeout: 2_000 }).toMatch(traceback);
  });

  it('reports the job, its version, the job type and kernel versions on /health', async () => {
    const res = await fetch(`${proc.base}/health`);
    expect(await res.json()).toEqual({
      status: 'ok',
      job: 'adder',
      version: '1.0.0',
      jobtypeVersion: '1.0.0',
      kernelVersion: '9.9.9',
    });
  });

  it('answers /live and /ready, and counts requests on /metrics', async () => {
    expect((await fetch(`${proc.base}/live`)).status).toBe(200);
    expect((await fetch(`${proc.base}/ready`)).status).toBe(200);
    const metrics = await fetch(`${proc.base}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/^spindle_job_requests_total\{path="\/perform",status="200"\} [1-9]/m);
    expect(text).toMatch(/^spindle_job_perform_duration_seconds_count [1-9]/m);
    expect(text).toMatch(/^# TYPE spindle_job_errors_total counter$/m);
  });

  it('serves the auxiliary endpoint with query args as keyword arguments', async () => {
    const res = await fetch(`${proc.base}/explain?numbers=40,2`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ expression: '40 + 2 = 42' });
  });

  it('echoes X-Request-Id and writes it into the log lines of the request', async () => {
    const res = await post(proc.base, '/perform', '{"numbers": [1, 2]}', { 'x-request-id': 'req-abc-123' });
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    await expect.poll(() => proc.stderr(), { timeout: 2_000 }).toMatch(/\[req-abc-123\] POST \/perform 200/);
    expect((await fetch(`${proc.base}/live`)).headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers 404 as JSON for an unknown path, and 405 for a wrong method', async () => {
    const res = await fetch(`${proc.base}/nowhere`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: expect.stringContaining('/explain') });
    expect((await fetch(`${proc.base}/perform`)).status).toBe(405);
  });
});

const FLAKY = `
class Flaky:
    def __init__(self):
        self.warm = False

    def ready(self):
        return self.warm

    def perform(self, mode: str):
        if mode == "set":
            return {1, 2}
        raise ValueError("no such mode: " + mode)

    def warm_up(self, level: int = 1):
        self.warm = True
        return {"warm": level}

    def auxiliary_endpoints(self):
        return {"/warm": self.warm_up}
`;

describe('the python wrapper with a job that has ready() and a POST auxiliary endpoint', () => {
  let proc: WrapperProcess;
  beforeAll(async () => {
    proc = await startWrapper({
      jobDir: jobDir('flaky', { 'flaky.py': FLAKY }),
      entrypointPath: 'flaky.py',
      entrypointClass: 'Flaky',
    });
    await waitForHealth(proc);
  });
  afterAll(() => stopWrapper(proc));

  it('answers /ready 503 until ready() says true', async () => {
    expect((await fetch(`${proc.base}/ready`)).status).toBe(503);
    expect(await post(proc.base, '/warm', '{"level": 3}')).toMatchObject({ status: 200, body: { warm: 3 } });
    expect((await fetch(`${proc.base}/ready`)).status).toBe(200);
  });

  it('answers 500 with a clear message when the result is not JSON-serialisable', async () => {
    const res = await post(proc.base, '/perform', '{"mode": "set"}');
    expect(res).toMatchObject({ status: 500, body: { error: expect.stringMatching(/not JSON-serialisable.*set/) } });
  });

  it('answers 500 "ValueError: ..." for an exception raised by perform', async () => {
    expect(await post(proc.base, '/perform', '{"mode": "x"}')).toMatchObject({
      status: 500,
      body: { error: 'ValueError: no such mode: x' },
    });
    const metrics = await (await fetch(`${proc.base}/metrics`)).text();
    expect(metrics).toMatch(/^spindle_job_errors_total 2$/m);
    expect(metrics).toMatch(/^spindle_job_perform_duration_seconds_count 2$/m);
  });

  it('exits 0 on SIGTERM', async () => {
    proc.child.kill('SIGTERM');
    expect(await exitWithin(proc, 5_000)).toEqual({ code: 0, signal: null });
    expect(proc.stderr()).toMatch(/SIGTERM received: stopping/);
  });
});

describe('the python wrapper refusing to start', () => {
  it('fails fast with the stdin message when the job reads stdin at import, even with stdin open', async () => {
    const dir = jobDir('reads-stdin', {
      'job.py': 'import sys\nDATA = sys.stdin.read()\n\nclass Job:\n    def perform(self):\n        return DATA\n',
    });
    const proc = await startWrapper({ jobDir: dir, entrypointPath: 'job.py', entrypointClass: 'Job', stdin: 'pipe' });
    const exit = await exitWithin(proc, 10_000);
    expect(exit.code).not.toBe(0);
    expect(proc.stderr()).toContain('spindle: this job read from stdin during start-up; jobs get no standard input');
  });

  it('exits 2 with one clear line when the entrypoint file is missing', async () => {
    const proc = await startWrapper({
      jobDir: jobDir('empty', { 'other.py': '' }),
      entrypointPath: 'missing.py',
      entrypointClass: 'Job',
    });
    expect((await exitWithin(proc, 10_000)).code).toBe(2);
    expect(proc.stderr().trim()).toMatch(
      /^spindle: entrypoint file missing\.py not found in .*empty \(SPINDLE_ENTRYPOINT_PATH\)$/,
    );
  });

  it('exits 2 naming the class when the entrypoint class is missing', async () => {
    const proc = await startWrapper({
      jobDir: join(EXAMPLES, 'python-adder'),
      entrypointPath: 'adder.py',
      entrypointClass: 'Subtractor',
    });
    expect((await exitWithin(proc, 10_000)).code).toBe(2);
    expect(proc.stderr().trim()).toBe('spindle: class Subtractor not found in adder.py (SPINDLE_ENTRYPOINT_CLASS)');
  });
});

describe('the python wrapper running a batch job', () => {
  it('runs examples/python-batch once and exits 0', async () => {
    const proc = await startWrapper({
      jobDir: join(EXAMPLES, 'python-batch'),
      entrypointPath: 'primes.py',
      entrypointClass: 'Primes',
      kind: 'batch',
    });
    expect(await exitWithin(proc, 10_000)).toEqual({ code: 0, signal: null });
    expect(proc.stdout()).toBe('168 primes below 1000\n');
  });

  it('exits 1 with the traceback when run() raises', async () => {
    const dir = jobDir('failing-batch', {
      'job.py': 'class Job:\n    def run(self):\n        raise RuntimeError("disk full")\n',
    });
    const proc = await startWrapper({ jobDir: dir, entrypointPath: 'job.py', entrypointClass: 'Job', kind: 'batch' });
    expect((await exitWithin(proc, 10_000)).code).toBe(1);
    expect(proc.stderr()).toMatch(/Traceback \(most recent call last\):[\s\S]*RuntimeError: disk full/);
  });
});
