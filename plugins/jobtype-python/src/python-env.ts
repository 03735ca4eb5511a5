import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type ExecResult, type PluginContext, PluginError } from 'spindle/plugin-sdk';
import { DEFAULT_RUN_AS, isRoot, sandboxCommand } from 'spindle/plugin-sdk/sandbox';

export type Exec = PluginContext['exec'];

const PROBE = 'import sys; print(sys.executable); print("%d.%d" % sys.version_info[:2]); print(sys.base_prefix)';
const MARKER = '.spindle-requirements.sha256';

/**
 * What the tool steps (the interpreter probe, venv, pip) get of the kernel's environment: how to
 * find programs and the network (proxies, CA certificates, pip's own PIP_* settings), nothing else,
 * so no kernel secret (SPINDLE_ADMIN_TOKEN, a database URL) reaches a job's setup.py. Confined,
 * HOME is the sandbox's private /tmp.
 */
const TOOL_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TZ',
  'PYENV_ROOT',
  'PYENV_VERSION',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
];

export function toolEnv(confined = false): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (typeof value === 'string' && (TOOL_ENV.includes(key) || key.startsWith('PIP_'))) env[key] = value;
  }
  if (confined) env.HOME = '/tmp';
  return { ...env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PYTHONDONTWRITEBYTECODE: '1' };
}

/** Where the venv and pip steps run: in a sandbox (bubblewrap) when the host can make one. */
export interface ToolSandbox {
  bwrap: string;
  /** What the steps may read besides the system: the interpreter's installation, the job's files. */
  readOnly: string[];
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n').slice(-2000);
}

function failure(what: string, result: ExecResult, timeoutMs: number): string {
  if (result.signal) return `${what} was stopped by ${result.signal} (venvTimeoutMs is ${timeoutMs})`;
  const output = tail(result.stderr || result.stdout);
  return `${what} failed with exit code ${result.exitCode}${output ? `:\n${output}` : ''}`;
}

export interface Interpreter {
  /** Absolute path of the interpreter. */
  executable: string;
  /** Its installation (`sys.base_prefix`): what a confined job must see to run it. */
  prefix: string;
}

/**
 * The interpreter as an absolute path (so the job runs with it whatever PATH or HOME the target
 * gives: a pyenv shim, for one, needs both), checked to be Python 3.8 or later.
 */
export async function resolveInterpreter(exec: Exec, python: string): Promise<Interpreter> {
  const result = await exec(python, ['-c', PROBE], { timeout: 30_000, env: toolEnv() }).result;
  const [executable, version, prefix] = result.stdout.trim().split('\n');
  if (result.exitCode !== 0 || !executable || !version || !prefix) {
    const why = tail(result.stderr, 3) || `exit code ${result.exitCode}`;
    throw new PluginError(`python3: cannot run the interpreter "${python}" (config python): ${why}`);
  }
  const [major, minor] = version.split('.').map(Number) as [number, number];
  if (major !== 3 || minor < 8) {
    throw new PluginError(
      `python3: the interpreter "${python}" is Python ${version}; jobs need Python 3.8 or later (config python)`,
    );
  }
  return { executable, prefix };
}

export interface VenvRequest {
  python: string;
  venvDir: string;
  requirementsFile: string;
  /** As the job names it, for messages. */
  requirementsPath: string;
  pipArgs: readonly string[];
  timeoutMs: number;
  /** Run confined in this sandbox (network: the host's, writable: the venv only); unconfined when absent. */
  sandbox?: ToolSandbox;
}

/**
 * A venv with the requirements installed; returns its python. A venv made earlier from the same
 * interpreter, requirements and pip args is reused, so restarting a job does not reinstall.
 */
export async function ensureVenv(exec: Exec, request: VenvRequest): Promise<string> {
  const { python, venvDir, requirementsFile, requirementsPath, pipArgs, timeoutMs } = request;
  const venvPython = join(venvDir, 'bin', 'python');
  const requirements = await readFile(requirementsFile);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([python, pipArgs]))
    .update(requirements)
    .digest('hex');
  const marker = join(venvDir, MARKER);
  if (existsSync(venvPython) && existsSync(marker) && (await readFile(marker, 'utf8')) === fingerprint)
    return venvPython;

  const deadline = Date.now() + timeoutMs;
  const run = (command: string[]) => {
    const options = { env: toolEnv(!!request.sandbox), timeout: Math.max(1, deadline - Date.now()) };
    if (!request.sandbox) return exec(command[0]!, command.slice(1), options).result;
    const { file, args } = sandboxCommand(command, {
      bwrap: request.sandbox.bwrap,
      readOnly: [...request.sandbox.readOnly, dirname(requirementsFile)],
      writable: [venvDir],
      network: 'host',
      cwd: venvDir,
    });
    return exec(file, args, options).result;
  };
  await rm(venvDir, { recursive: true, force: true });
  await mkdir(venvDir, { recursive: true });
  // As root the sandbox runs the steps as nobody, who must be able to fill the venv.
  if (request.sandbox && isRoot()) await chown(venvDir, DEFAULT_RUN_AS.uid, DEFAULT_RUN_AS.gid);
  const created = await run([python, '-m', 'venv', venvDir]);
  if (created.exitCode !== 0) throw new PluginError(`python3: ${failure('creating the venv', created, timeoutMs)}`);
  const installed = await run([venvPython, '-m', 'pip', 'install', '--no-input', '-r', requirementsFile, ...pipArgs]);
  if (installed.exitCode !== 0)
    throw new PluginError(`python3: ${failure(`pip install -r ${requirementsPath}`, installed, timeoutMs)}`);
  await writeFile(marker, fingerprint);
  return venvPython;
}
