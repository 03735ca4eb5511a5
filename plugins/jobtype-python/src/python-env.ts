import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExecResult, type PluginContext, PluginError } from 'spindle/plugin-sdk';

export type Exec = PluginContext['exec'];

const PROBE = 'import sys; print(sys.executable); print("%d.%d" % sys.version_info[:2])';
const MARKER = '.spindle-requirements.sha256';

/** The kernel's environment for pip and venv (proxies, pip config), plus no prompts and no self-update check. */
function toolEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (typeof value === 'string') env[key] = value;
  return { ...env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PYTHONDONTWRITEBYTECODE: '1' };
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n').slice(-2000);
}

function failure(what: string, result: ExecResult, timeoutMs: number): string {
  if (result.signal) return `${what} was stopped by ${result.signal} (venvTimeoutMs is ${timeoutMs})`;
  const output = tail(result.stderr || result.stdout);
  return `${what} failed with exit code ${result.exitCode}${output ? `:\n${output}` : ''}`;
}

/**
 * The interpreter as an absolute path (so the job runs with it whatever PATH or HOME the target
 * gives: a pyenv shim, for one, needs both), checked to be Python 3.8 or later.
 */
export async function resolveInterpreter(exec: Exec, python: string): Promise<string> {
  const result = await exec(python, ['-c', PROBE], { timeout: 30_000, env: toolEnv() }).result;
  const [executable, version] = result.stdout.trim().split('\n');
  if (result.exitCode !== 0 || !executable || !version) {
    const why = tail(result.stderr, 3) || `exit code ${result.exitCode}`;
    throw new PluginError(`python3: cannot run the interpreter "${python}" (config python): ${why}`);
  }
  const [major, minor] = version.split('.').map(Number) as [number, number];
  if (major !== 3 || minor < 8) {
    throw new PluginError(
      `python3: the interpreter "${python}" is Python ${version}; jobs need Python 3.8 or later (config python)`,
    );
  }
  return executable;
}

export interface VenvRequest {
  python: string;
  venvDir: string;
  requirementsFile: string;
  /** As the job names it, for messages. */
  requirementsPath: string;
  pipArgs: readonly string[];
  timeoutMs: number;
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
  const options = () => ({ env: toolEnv(), timeout: Math.max(1, deadline - Date.now()) });
  const created = await exec(python, ['-m', 'venv', '--clear', venvDir], options()).result;
  if (created.exitCode !== 0) throw new PluginError(`python3: ${failure('creating the venv', created, timeoutMs)}`);
  const pip = ['-m', 'pip', 'install', '--no-input', '-r', requirementsFile, ...pipArgs];
  const installed = await exec(venvPython, pip, options()).result;
  if (installed.exitCode !== 0)
    throw new PluginError(`python3: ${failure(`pip install -r ${requirementsPath}`, installed, timeoutMs)}`);
  await writeFile(marker, fingerprint);
  return venvPython;
}
