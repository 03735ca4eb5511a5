/** Test helpers: run the Python wrapper as a real process and talk to it over HTTP. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const WRAPPER = fileURLToPath(new URL('../assets/wrapper/spindle_wrapper.py', import.meta.url));
export const ASSETS_DIR = fileURLToPath(new URL('../assets', import.meta.url));
export const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));

/** The real interpreter behind `python3` (a pyenv shim costs a shell and a lookup per start). */
export const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WrapperProcess {
  child: ChildProcess;
  base: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
}

export interface WrapperOptions {
  jobDir: string;
  entrypointPath: string;
  entrypointClass: string;
  kind?: 'service' | 'batch';
  env?: Record<string, string>;
  /** 'pipe' keeps stdin open and unwritten: a job that reads it would wait for ever. */
  stdin?: 'pipe' | 'ignore';
  command?: string[];
}

export async function startWrapper(options: WrapperOptions): Promise<WrapperProcess> {
  const port = await freePort();
  const [file, ...args] = options.command ?? [PYTHON, WRAPPER];
  const child = spawn(file!, args, {
    cwd: options.jobDir,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      PYTHONDONTWRITEBYTECODE: '1',
      SPINDLE_JOB_DIR: options.jobDir,
      SPINDLE_ENTRYPOINT_PATH: options.entrypointPath,
      SPINDLE_ENTRYPOINT_CLASS: options.entrypointClass,
      SPINDLE_JOB_KIND: options.kind ?? 'service',
      ...options.env,
      PORT: String(port),
    },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, base: `http://127.0.0.1:${port}`, stdout: () => out, stderr: () => err, exited };
}

/** The exit, or a rejection (and a SIGKILL) if the process is still running after `ms`. */
export async function exitWithin(proc: WrapperProcess, ms: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      proc.child.kill('SIGKILL');
      reject(new Error(`still running after ${ms} ms; stderr:\n${proc.stderr()}`));
    }, ms);
  });
  try {
    return await Promise.race([proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `/health` until it answers 200; fails early, with stderr, if the process exits. */
export async function waitForHealth(proc: WrapperProcess, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the wrapper exited before it was healthy; stderr:\n${proc.stderr()}`);
    try {
      if ((await fetch(`${proc.base}/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no healthy answer within ${ms} ms; stderr:\n${proc.stderr()}`);
}

export async function stopWrapper(proc: WrapperProcess): Promise<void> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.child.kill('SIGTERM');
    await exitWithin(proc, 5_000).catch(() => undefined);
  }
}

export async function post(base: string, path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}
