import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { JobManifestData, JobSpec, JobTypeProvider, PrepareRequest } from 'spindle/plugin-sdk';
import { createTestKernel, type TestKernel } from 'spindle/plugin-sdk/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { needService } from '../../../tests/helpers/services.js';
import manifest from '../plugin.json' with { type: 'json' };
import plugin from './index.js';
import { ASSETS_DIR, EXAMPLES, post, startWrapper, stopWrapper, waitForHealth } from './wrapper-harness.test-helper.js';

const tmp = mkdtempSync(join(os.tmpdir(), 'spindle-jobtype-python-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sandbox = await needService('bwrap');
let kernel: TestKernel;
afterEach(() => kernel.close());

/** The example job as the kernel would hand it over: a copy under a job directory of its own. */
function example(name: string): string {
  const dir = join(tmp, 'jobs', name);
  if (!existsSync(dir)) cpSync(join(EXAMPLES, name), dir, { recursive: true });
  return dir;
}

/** Activates the plugin and puts its real assets where the test kernel says its bundle lives. */
async function activate(config: Record<string, unknown> = {}): Promise<JobTypeProvider> {
  kernel = createTestKernel();
  await kernel.activate(plugin, { manifest: manifest as never, config });
  const assetsDir = kernel.logs.find((line) => line.msg === 'python3 job type registered')?.assetsDir as string;
  mkdirSync(join(assetsDir, '..'), { recursive: true });
  if (!existsSync(assetsDir)) cpSync(ASSETS_DIR, assetsDir, { recursive: true });
  return kernel.registries.jobTypes.get('python3:1.0.0') as JobTypeProvider;
}

const adder: JobManifestData = {
  name: 'adder',
  version: '1.0.0',
  jobtype: 'python3:1.x',
  kind: 'service',
  resources: { cpu: 0.1, memory: 64 },
  jobtypeExtra: { entrypointPath: 'adder.py', entrypointClass: 'Adder' },
};

function request(sourceDir: string, extra: Record<string, unknown> = adder.jobtypeExtra!): PrepareRequest {
  const job: JobSpec = {
    ...adder,
    jobtypeExtra: extra,
    id: 'job-1',
    owner: 'ada',
    kind: 'service',
    replicas: 1,
    resources: { cpu: 0.1 },
    jobtypeResolved: 'python3:1.0.0',
  };
  const workDir = mkdtempSync(join(tmp, 'work-'));
  return { job, sourceDir, workDir, kernelVersion: '1.2.3' };
}

describe('jobtype-python: validateManifest', () => {
  it('passes a valid python3 manifest, and any other job type, through unchanged', async () => {
    await activate();
    expect(await kernel.hook('jobs.validateManifest', adder)).toEqual(adder);
    const other = { name: 'x', version: '1.0.0', jobtype: 'node20:1.x' };
    expect(await kernel.hook('jobs.validateManifest', other)).toEqual(other);
    const withRequirements = {
      ...adder,
      jobtypeExtra: { ...adder.jobtypeExtra, requirementsPath: 'deps/requirements.txt' },
    };
    expect(await kernel.hook('jobs.validateManifest', withRequirements)).toEqual(withRequirements);
  });

  it.each([
    [undefined, 'jobtypeExtra: a python3 job needs jobtypeExtra.entrypointPath'],
    [{ entrypointClass: 'Adder' }, 'jobtypeExtra.entrypointPath: must be a non-empty string (got missing)'],
    [
      { entrypointPath: '../adder.py', entrypointClass: 'Adder' },
      "jobtypeExtra.entrypointPath: must not contain '..' segments",
    ],
    [{ entrypointPath: '/srv/adder.py', entrypointClass: 'Adder' }, 'jobtypeExtra.entrypointPath: must be relative'],
    [{ entrypointPath: 'adder.txt', entrypointClass: 'Adder' }, 'jobtypeExtra.entrypointPath: must name a .py file'],
    [{ entrypointPath: 'adder.py' }, 'jobtypeExtra.entrypointClass: must be a Python class name'],
    [
      { entrypointPath: 'adder.py', entrypointClass: '1Adder' },
      'jobtypeExtra.entrypointClass: must be a Python class name',
    ],
    [
      { entrypointPath: 'adder.py', entrypointClass: 'Adder', requirementsPath: 'a/../../r.txt' },
      'jobtypeExtra.requirementsPath: must not',
    ],
  ])('rejects jobtypeExtra %j naming the field', async (extra, message) => {
    await activate();
    const rejected = kernel.hook('jobs.validateManifest', { ...adder, jobtypeExtra: extra as Record<string, unknown> });
    await expect(rejected).rejects.toMatchObject({
      code: 'KRN_ERR_PLUGIN_REJECTED',
      message: expect.stringContaining(message),
    });
  });
});

describe('jobtype-python: prepare', () => {
  it('registers python3 at the plugin version and returns the RunSpec for examples/python-adder', async () => {
    const provider = await activate();
    expect(provider).toMatchObject({ name: 'python3', version: '1.0.0' });
    const sourceDir = example('python-adder');
    const run = await provider.prepare(request(sourceDir));
    expect(run.command).toHaveLength(2);
    expect(run.command[0]).toMatch(/^\//);
    expect(run.command[1]).toMatch(/\/assets\/wrapper\/spindle_wrapper\.py$/);
    expect(run).toMatchObject({ cwd: sourceDir, healthPath: '/health', livePath: '/live', readyPath: '/ready' });
    expect(run.env).toMatchObject({
      SPINDLE_JOB_DIR: sourceDir,
      SPINDLE_ENTRYPOINT_PATH: 'adder.py',
      SPINDLE_ENTRYPOINT_CLASS: 'Adder',
      SPINDLE_JOB_NAME: 'adder',
      SPINDLE_JOB_VERSION: '1.0.0',
      SPINDLE_JOBTYPE_VERSION: '1.0.0',
      SPINDLE_KERNEL_VERSION: '1.2.3',
      SPINDLE_JOB_KIND: 'service',
    });
    expect(run.env).not.toHaveProperty('PORT');
    expect(readdirSync(join(run.image!.contextDir, 'job'))).toEqual(readdirSync(sourceDir));
    expect(readdirSync(join(run.image!.contextDir, 'wrapper'))).toContain('spindle_wrapper.py');
    const dockerfile = run.image!.dockerfile;
    expect(dockerfile).toMatch(/^FROM spindle\/python:3\.11$/m);
    expect(dockerfile).toMatch(/^COPY wrapper \/opt\/spindle\/wrapper$/m);
    expect(dockerfile).toMatch(/^COPY job \/opt\/spindle\/job$/m);
    expect(dockerfile).toContain('SPINDLE_ENTRYPOINT_CLASS="Adder"');
    expect(dockerfile).toMatch(/^EXPOSE 7000$/m);
    expect(dockerfile).toMatch(/^ENV PORT=7000 SPINDLE_BIND_HOST=0\.0\.0\.0$/m);
    expect(dockerfile).toMatch(/^CMD \["python3", "\/opt\/spindle\/wrapper\/spindle_wrapper\.py"\]$/m);
    expect(dockerfile).not.toMatch(/\{\{(baseImage|wrapperFiles|requirements|jobEnv)\}\}|^RUN .*pip/m);
  });

  it('gives a RunSpec that runs as a target would run it (env + PORT) and answers /perform', async () => {
    const provider = await activate();
    const run = await provider.prepare(request(example('python-adder')));
    const proc = await startWrapper({
      jobDir: run.cwd!,
      entrypointPath: '',
      entrypointClass: '',
      command: run.command,
      env: run.env,
    });
    try {
      await waitForHealth(proc);
      expect(await post(proc.base, '/perform', '{"numbers": [40, 2]}')).toMatchObject({ status: 200, body: 42 });
    } finally {
      await stopWrapper(proc);
    }
  });

  it('fails with a clear error when the entrypoint file or the named requirements file is missing', async () => {
    const provider = await activate();
    const sourceDir = example('python-adder');
    await expect(
      provider.prepare(request(sourceDir, { entrypointPath: 'nope.py', entrypointClass: 'Adder' })),
    ).rejects.toThrow("python3: entrypoint file nope.py not found in the job's files (jobtypeExtra.entrypointPath)");
    const extra = { ...adder.jobtypeExtra, requirementsPath: 'reqs.txt' };
    await expect(provider.prepare(request(sourceDir, extra))).rejects.toThrow('requirements file reqs.txt not found');
  });

  it('fails with a clear error when the configured interpreter cannot run', async () => {
    const provider = await activate({ python: '/nonexistent/python3' });
    await expect(provider.prepare(request(example('python-adder')))).rejects.toThrow(
      /python3: cannot run the interpreter "\/nonexistent\/python3" \(config python\)/,
    );
  });

  it('makes a venv in the work dir when requirements.txt exists, and reuses it', { timeout: 240_000 }, async () => {
    const provider = await activate({ pipArgs: ['--no-index'] });
    const sourceDir = join(tmp, 'with-requirements');
    mkdirSync(sourceDir);
    writeFileSync(
      join(sourceDir, 'adder.py'),
      'class Adder:\n    def perform(self, numbers):\n        return sum(numbers)\n',
    );
    writeFileSync(join(sourceDir, 'requirements.txt'), '# nothing to install yet\n');
    const req = request(sourceDir);
    const run = await provider.prepare(req);
    const venv = join(req.workDir, 'venv');
    expect(run.command[0]).toBe(join(venv, 'bin', 'python'));
    expect(existsSync(join(venv, 'pyvenv.cfg'))).toBe(true);
    expect(run.env).toMatchObject({ VIRTUAL_ENV: venv, PATH: expect.stringMatching(new RegExp(`^${venv}/bin:`)) });
    expect(run.image!.dockerfile).toContain('"-r", "/opt/spindle/requirements.txt", "--no-index"]');
    const started = Date.now();
    expect((await provider.prepare(req)).command[0]).toBe(run.command[0]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.skipIf(sandbox.skip)(
    "runs pip confined: a package's build code sees neither the kernel's secrets nor files outside the job",
    { timeout: 240_000 },
    async () => {
      const provider = await activate({ pipArgs: ['--no-index', '--no-build-isolation'] });
      const secretFile = join(tmp, 'kernel-secret.txt');
      writeFileSync(secretFile, 'kernel secret');
      process.env.SPINDLE_TEST_KERNEL_SECRET = 'in-the-kernel-env';
      const sourceDir = join(tmp, 'with-sdist');
      mkdirSync(sourceDir);
      writeFileSync(join(sourceDir, 'adder.py'), 'class Adder:\n    def perform(self):\n        return 1\n');
      // An sdist whose build backend (code a job's author controls) reports what it can reach.
      const backend = [
        'import json, os, sys',
        'def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):',
        '    try:',
        `        secret = open(${JSON.stringify(secretFile)}).read()`,
        '    except OSError as e:',
        '        secret = type(e).__name__',
        "    report = {'uid': os.getuid(), 'env': 'SPINDLE_TEST_KERNEL_SECRET' in os.environ, 'secret': secret}",
        "    open(os.path.join(sys.prefix, 'report.json'), 'w').write(json.dumps(report))",
        "    raise RuntimeError('reported')",
      ].join('\n');
      execFileSync('python3', [
        '-c',
        'import io, sys, tarfile\nwith tarfile.open(sys.argv[1], "w:gz") as t:\n  for name, text in [("pyproject.toml", sys.argv[2]), ("backend.py", sys.argv[3]), ("PKG-INFO", "Metadata-Version: 2.1\\nName: probe\\nVersion: 1.0\\n")]:\n    data = text.encode(); info = tarfile.TarInfo("probe-1.0/" + name); info.size = len(data); t.addfile(info, io.BytesIO(data))',
        join(sourceDir, 'probe-1.0.tar.gz'),
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        backend,
      ]);
      writeFileSync(join(sourceDir, 'requirements.txt'), `${join(sourceDir, 'probe-1.0.tar.gz')}\n`);
      const req = request(sourceDir);
      try {
        await expect(provider.prepare(req)).rejects.toThrow(/pip install -r requirements.txt failed/);
      } finally {
        delete process.env.SPINDLE_TEST_KERNEL_SECRET;
      }
      const report = JSON.parse(readFileSync(join(req.workDir, 'venv', 'report.json'), 'utf8'));
      expect(report).toMatchObject({ env: false, secret: expect.stringMatching(/Error$/) });
      if (process.getuid?.() === 0) expect(report.uid).not.toBe(0);
    },
  );
});
