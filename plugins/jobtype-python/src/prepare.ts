import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginError, type PrepareRequest, type RunSpec } from 'spindle/plugin-sdk';
import { copyTree } from 'spindle/plugin-sdk/files';
import { renderDockerfile } from './dockerfile.js';
import { type Exec, ensureVenv, resolveInterpreter } from './python-env.js';
import { checkPythonExtra, type PythonExtra } from './python-extra.js';

export interface PythonConfig {
  python: string;
  pipArgs: string[];
  venvTimeoutMs: number;
  baseImage: string;
  bwrap: string;
}

export interface PrepareDeps {
  exec: Exec;
  config: Readonly<PythonConfig>;
  assetsDir: string;
  /** This job type's version (the plugin's). */
  version: string;
  /** Whether venv and pip run in a sandbox (bubblewrap); unconfined when absent. */
  sandbox?: { bwrap: string };
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** The requirements file to install, relative to the job dir: the named one (which must exist), else requirements.txt if present. */
function requirementsOf(extra: PythonExtra, sourceDir: string): string | undefined {
  if (extra.requirementsPath !== undefined) {
    if (!isFile(join(sourceDir, extra.requirementsPath))) {
      throw new PluginError(
        `python3: requirements file ${extra.requirementsPath} not found in the job's files (jobtypeExtra.requirementsPath)`,
      );
    }
    return extra.requirementsPath;
  }
  return isFile(join(sourceDir, 'requirements.txt')) ? 'requirements.txt' : undefined;
}

/**
 * The image's build context, `<workDir>/image`: the wrapper (without its tests) in `wrapper/` and
 * a copy of the job's files in `job/`. Made afresh each time, so it matches the deployed files.
 */
async function buildContext(wrapperDir: string, sourceDir: string, workDir: string): Promise<string> {
  const context = join(workDir, 'image');
  await rm(context, { recursive: true, force: true });
  await mkdir(join(context, 'wrapper'), { recursive: true });
  for (const name of (await readdir(wrapperDir)).filter((n) => n.endsWith('.py') && !n.startsWith('test_'))) {
    await copyFile(join(wrapperDir, name), join(context, 'wrapper', name));
  }
  await copyTree(sourceDir, join(context, 'job'));
  return context;
}

/** PrepareRequest → RunSpec for a python3 job: checks its files, makes its venv if it has requirements. */
export async function preparePythonJob(deps: PrepareDeps, request: PrepareRequest): Promise<RunSpec> {
  const { job, sourceDir, workDir } = request;
  const extra = checkPythonExtra(job.jobtypeExtra);
  if (!isFile(join(sourceDir, extra.entrypointPath))) {
    throw new PluginError(
      `python3: entrypoint file ${extra.entrypointPath} not found in the job's files (jobtypeExtra.entrypointPath)`,
    );
  }
  const requirementsPath = requirementsOf(extra, sourceDir);
  const interpreter = await resolveInterpreter(deps.exec, deps.config.python);
  let python = interpreter.executable;
  const env: Record<string, string> = {
    SPINDLE_JOB_DIR: sourceDir,
    SPINDLE_ENTRYPOINT_PATH: extra.entrypointPath,
    SPINDLE_ENTRYPOINT_CLASS: extra.entrypointClass,
    SPINDLE_JOB_NAME: job.name,
    SPINDLE_JOB_VERSION: job.version,
    SPINDLE_JOBTYPE_VERSION: deps.version,
    SPINDLE_KERNEL_VERSION: request.kernelVersion,
    SPINDLE_JOB_KIND: job.kind,
    PYTHONUNBUFFERED: '1',
    // the job's files are read-only by convention: no __pycache__ next to them
    PYTHONDONTWRITEBYTECODE: '1',
  };
  if (requirementsPath) {
    const venvDir = join(workDir, 'venv');
    python = await ensureVenv(deps.exec, {
      python,
      venvDir,
      requirementsFile: join(sourceDir, requirementsPath),
      requirementsPath,
      pipArgs: deps.config.pipArgs,
      timeoutMs: deps.config.venvTimeoutMs,
      sandbox: deps.sandbox && { bwrap: deps.sandbox.bwrap, readOnly: [interpreter.prefix] },
    });
    env.VIRTUAL_ENV = venvDir;
    env.PATH = [join(venvDir, 'bin'), process.env.PATH].filter(Boolean).join(':');
  }
  const wrapperDir = join(deps.assetsDir, 'wrapper');
  const template = await readFile(join(deps.assetsDir, 'Dockerfile.template'), 'utf8');
  const imageEnv = Object.fromEntries(
    [
      'SPINDLE_ENTRYPOINT_PATH',
      'SPINDLE_ENTRYPOINT_CLASS',
      'SPINDLE_JOB_NAME',
      'SPINDLE_JOB_VERSION',
      'SPINDLE_JOBTYPE_VERSION',
      'SPINDLE_JOB_KIND',
    ].map((k) => [k, env[k]!]),
  );
  const dockerfile = renderDockerfile({
    template,
    baseImage: deps.config.baseImage,
    requirementsPath,
    pipArgs: deps.config.pipArgs,
    env: imageEnv,
  });
  return {
    command: [python, join(wrapperDir, 'spindle_wrapper.py')],
    cwd: sourceDir,
    env,
    healthPath: '/health',
    livePath: '/live',
    readyPath: '/ready',
    // A target that confines the job must show it the wrapper (in this plugin's assets) and the
    // interpreter's installation (a pyenv one lives in a home directory).
    readPaths: [wrapperDir, interpreter.prefix],
    image: { dockerfile, contextDir: await buildContext(wrapperDir, sourceDir, workDir) },
  };
}
