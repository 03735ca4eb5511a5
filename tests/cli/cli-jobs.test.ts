/** The job commands against a tiny fake kernel on node:http, run in-process through runCli. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import AdmZip from 'adm-zip';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../core/cli/main.js';
import { fake, parseMultipart, startFakeJobKernel } from './fake-job-kernel.js';

let kernel: Awaited<ReturnType<typeof startFakeJobKernel>>;
let url: string;
let root: string;

beforeAll(async () => {
  kernel = await startFakeJobKernel();
  url = kernel.url;
});
afterAll(() => kernel.close());

beforeEach(() => {
  fake.seen = [];
  fake.jobs.clear();
  fake.log = '';
  root = mkdtempSync(join(tmpdir(), 'spindle-cli-jobs-'));
  return () => rmSync(root, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = join(root, 'job');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { HOME: root, SPINDLE_URL: url, SPINDLE_TOKEN: 'tok' },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

const JOB_YAML =
  'name: adder\nversion: 1.0.0\njobtype: python3:1.x\nkind: service\nsecretEnvFile: secrets.env\nresources:\n  cpu: 0.1\n';

describe('spindle deploy', () => {
  it('uploads manifest, secrets and a ZIP of the directory, then follows the job until it runs', async () => {
    const dir = tree({
      'job.yaml': JOB_YAML,
      'secrets.env': 'API_KEY=s3cret\n',
      'adder.py': 'class Adder: pass\n',
      'lib/util.py': 'X = 1\n',
      '.spindleignore': '*.log\n',
      'debug.log': 'noise',
      'cache.pyc': 'x',
      '__pycache__/adder.cpython-312.pyc': 'x',
      'node_modules/a/index.js': 'x',
      '.git/HEAD': 'ref',
      'venv/bin/python': 'x',
      'dist/out.txt': 'x',
    });
    const result = await cli(['deploy', dir, '-e', 'replicas=2', '-e', 'env.DEBUG=1']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      // The reason's second version differs only in a count: no line of its own.
      [
        'validating',
        'queued',
        'waiting: no agent has cpu 64 free; failed 1 of 3 passes',
        'scheduled on local-1',
        'preparing',
        'running at /pub/job/adder/1.0.0/',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(0);

    const upload = fake.seen[0]!;
    expect(upload).toMatchObject({ method: 'POST', url: '/api/v1/jobs' });
    expect(upload.headers.authorization).toBe('Bearer tok');
    const form = parseMultipart(upload.body, String(upload.headers['content-type']));
    const manifest = JSON.parse(form.get('manifest')!.data.toString());
    expect(manifest).toMatchObject({ name: 'adder', version: '1.0.0', replicas: 2, env: { DEBUG: '1' } });
    expect(manifest).not.toHaveProperty('secretEnvFile');
    expect(JSON.parse(form.get('secretEnv')!.data.toString())).toEqual({ API_KEY: 's3cret' });
    const entries = new AdmZip(form.get('source')!.data).getEntries().map((e) => e.entryName);
    // The manifest files stay out of the source: they may hold inline secrets, and the kernel gets the final manifest.
    expect(entries.sort()).toEqual(['.spindleignore', 'adder.py', 'lib/util.py']);
    expect(fake.seen.slice(1).every((r) => r.method === 'GET' && r.url === '/api/v1/jobs/adder/1.0.0')).toBe(true);
  });

  it('exits 1 with the reason and a logs hint when the job fails; --json prints the final job', async () => {
    const dir = tree({
      'job.yaml': JOB_YAML.replace('adder', 'broken').replace('secretEnvFile: secrets.env\n', ''),
      'main.py': '',
    });
    const result = await cli(['deploy', dir, '--json', '--force']);
    expect(result.code).toBe(1);
    expect(fake.seen[0]!.url).toBe('/api/v1/jobs?force=true');
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'broken', state: 'FAILED' });
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines.slice(0, -1)).toEqual([
      'validating',
      'queued',
      'scheduled on local-1',
      'preparing',
      'failed: replica 0 exited with code 1: ModuleNotFoundError: numpy',
    ]);
    expect(lines.at(-1)).toBe(
      'error: broken@1.0.0 FAILED: replica 0 exited with code 1: ModuleNotFoundError: numpy; see its log with `spindle logs broken --version 1.0.0`',
    );
  });

  it('stops at the upload with --no-wait, and gives up after --timeout', async () => {
    const dir = tree({ 'job.yaml': JOB_YAML.replace('secretEnvFile: secrets.env\n', '') });
    expect(await cli(['deploy', dir, '--no-wait'])).toMatchObject({ code: 0, stdout: 'validating\nqueued\n' });
    expect(fake.seen).toHaveLength(1);
    fake.jobs.clear();
    const slow = await cli(['deploy', dir, '--timeout', '0.2']);
    expect(slow.code).toBe(1);
    expect(slow.stderr).toMatch(
      /^error: adder@1\.0\.0 did not start running within 0\.2 s; it is PENDING: no agent has cpu 64 free/,
    );
  });

  it('refuses a symlink that leaves the job directory, before uploading', async () => {
    const dir = tree({ 'job.yaml': JOB_YAML.replace('secretEnvFile: secrets.env\n', '') });
    symlinkSync(tmpdir(), join(dir, 'escape'));
    const result = await cli(['deploy', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: escape in .* is a symbolic link to .*, outside the job directory/);
    expect(fake.seen).toHaveLength(0);
  });
});

describe('spindle call', () => {
  it('POSTs the JSON to the job proxy and prints the answer', async () => {
    const result = await cli(['call', 'adder', '/perform', '{"numbers": [40, 2]}']);
    expect(result).toEqual({ code: 0, stdout: '42\n', stderr: '' });
    expect(fake.seen[0]).toMatchObject({ method: 'POST', url: '/pub/job/adder/latest/perform' });
    expect(fake.seen[0]!.headers['content-type']).toBe('application/json');
    expect(fake.seen[0]!.headers.authorization).toBe('Bearer tok');
    expect((await cli(['call', 'adder', 'text'])).stdout).toBe('plain answer\n');
    expect(fake.seen[1]!.method).toBe('GET');
  });

  it('maps error answers to one stderr line and exit 1', async () => {
    expect(await cli(['call', 'adder', 'boom'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: HTTP 500: Traceback: ZeroDivisionError\n',
    });
    const notRunning = await cli(['call', 'broken', 'x', '{}', '--version', '1.0.0']);
    expect(fake.seen.at(-1)!.url).toBe('/pub/job/broken/1.0.0/x');
    expect(notRunning).toMatchObject({
      code: 1,
      stderr: 'error: HTTP 503: KRN_ERR_JOB_NOT_RUNNING: broken@1.0.0 is FAILED: exit 1\n',
    });
    expect((await cli(['call', 'adder', 'perform', '{oops'])).stderr).toMatch(/^error: the request body must be JSON/);
  });
});

describe('spindle logs, delete, jobs, queue', () => {
  it('reads the last --tail bytes and passes the returned offset back when following', async () => {
    const dir = tree({ 'job.yaml': JOB_YAML.replace('adder', 'broken').replace('secretEnvFile: secrets.env\n', '') });
    await cli(['deploy', dir, '--no-wait']);
    fake.log = 'line one\nline two\n';
    fake.seen = [];
    expect((await cli(['logs', 'broken', '--tail', '9'])).stdout).toBe('line two\n');
    expect(fake.seen[0]!.url).toBe('/api/v1/jobs/broken/latest/logs?offset=-9&limit=1048576');

    fake.seen = [];
    const followed = await cli(['logs', 'broken', '--follow', '--version', '1.0.0']);
    expect(followed).toMatchObject({ code: 0, stdout: 'line one\nline two\n' });
    const reads = fake.seen
      .filter((r) => r.url.includes('/logs'))
      .map((r) => new URL(r.url, url).searchParams.get('offset'));
    expect(reads[0]).toBe('-65536');
    expect(reads.slice(1).every((offset) => offset === String(fake.log.length))).toBe(true);
  });

  it('needs --version (or --all) to delete', async () => {
    const dir = tree({ 'job.yaml': JOB_YAML.replace('secretEnvFile: secrets.env\n', '') });
    await cli(['deploy', dir, '--no-wait']);
    fake.seen = [];
    const refused = await cli(['delete', 'adder']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: delete needs --version <v>/);
    expect(fake.seen).toHaveLength(0);
    expect(await cli(['delete', 'adder', '--version', '1.0.0'])).toMatchObject({
      code: 0,
      stdout: 'deleted adder@1.0.0 (was PENDING)\n',
    });
    expect(fake.seen[0]).toMatchObject({ method: 'DELETE', url: '/api/v1/jobs/adder/1.0.0' });
    const all = await cli(['delete', 'adder', '--all']);
    expect(all.stdout).toBe('deleted adder@1.0.0 (was PENDING)\ndeleted adder@0.9.0 (was PENDING)\n');
  });

  it('lists jobs and the queue as tables, or JSON', async () => {
    const dir = tree({ 'job.yaml': JOB_YAML.replace('secretEnvFile: secrets.env\n', '') });
    await cli(['deploy', dir, '--no-wait']);
    const list = (await cli(['jobs'])).stdout.trimEnd().split('\n');
    expect(list[0]).toMatch(/^NAME\s+VERSION\s+STATE\s+OWNER\s+QUEUE\s+TARGET\s+JOBTYPE\s+AGE\/REASON$/);
    expect(list[1]).toMatch(/^adder\s+1\.0\.0\s+PENDING\s+alice\s+default\s+local\s+python3:1\.2\.0\s+90s queued$/);
    const queue = (await cli(['queue', '--queue', 'default'])).stdout.trimEnd().split('\n');
    expect(fake.seen.at(-1)!.url).toBe('/api/v1/queue?queue=default');
    expect(queue[0]).toMatch(/^NAME\s+VERSION\s+OWNER\s+QUEUE\s+WAITING-SINCE\s+REASON$/);
    expect(queue[1]).toMatch(/^adder\s+1\.0\.0\s+alice\s+default\s+\S+Z\s+queued$/);
    expect(JSON.parse((await cli(['queue', '--json'])).stdout).jobs).toHaveLength(1);
    expect((await cli(['queue', '--queue', 'gpu'])).stdout).toBe('No jobs waiting.\n');
  });

  it('shows one job with its history; --version is the job version, not the CLI version', async () => {
    const dir = tree({ 'job.yaml': JOB_YAML.replace('secretEnvFile: secrets.env\n', '') });
    await cli(['deploy', dir]);
    fake.seen = [];
    const shown = await cli(['jobs', 'get', 'adder', '--version', '1.0.0']);
    expect(shown.code).toBe(0);
    expect(fake.seen[0]!.url).toBe('/api/v1/jobs/adder/1.0.0');
    expect(shown.stdout).toMatch(/^state: +RUNNING$/m);
    expect(shown.stdout).toContain('Replicas:\nID  ADDRESS\nr0  http://127.0.0.1:41000\n');
    expect(shown.stdout).toMatch(/Events:\nAT\s+FROM\s+TO\s+REASON\n.*-\s+PENDING\s+queued\n/);
    expect(JSON.parse((await cli(['jobs', 'get', 'adder', '--json'])).stdout)).toMatchObject({
      name: 'adder',
      state: 'RUNNING',
    });
    expect(fake.seen[1]!.url).toBe('/api/v1/jobs/adder/latest');
    expect((await cli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await cli(['plugin', '--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(await cli(['jobs', 'get', 'adder', '--version'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: --version needs a value/),
    });
    await cli(['logs', 'adder', '--version=1.0.0']);
    expect(fake.seen.at(-1)!.url).toMatch(/^\/api\/v1\/jobs\/adder\/1\.0\.0\/logs\?/);
    expect((await cli(['jobs', 'get', 'ghost'])).stderr).toBe(
      'error: KRN_ERR_JOB_NOT_FOUND: no job named ghost is deployed\n',
    );
  });
});
