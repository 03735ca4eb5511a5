import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN } from './test-kernel.js';

const BIN = fileURLToPath(new URL('../../bin/spindle.js', import.meta.url));

export interface ChildKernel {
  url: string;
  child: ChildProcess;
  output: () => string;
  api: (p: string, init?: RequestInit) => Promise<Response>;
  stop: () => Promise<void>;
}

/** `spindle start` in a child process (for SIGKILL and process-level error tests). */
export async function startChildKernel(
  home: string,
  env: Record<string, string> = {},
  extraArgs: string[] = [],
): Promise<ChildKernel> {
  const { withDefaults, ...rest } = env;
  const args = [
    BIN,
    'start',
    '--port',
    '0',
    '--home',
    home,
    ...(withDefaults ? ['--with-defaults'] : []),
    ...extraArgs,
  ];
  env = rest;
  const child = spawn(process.execPath, args, {
    env: { ...process.env, SPINDLE_ADMIN_TOKEN: ADMIN_TOKEN, SPINDLE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kernel did not start:\n${out}`)), 60_000);
    const check = (): void => {
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kernel exited with ${code}:\n${out}`));
    });
  });
  const api = (p: string, init: RequestInit = {}) =>
    fetch(url + p, {
      ...init,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers as Record<string, string>) },
    });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { url, child, output: () => out, api, stop };
}
