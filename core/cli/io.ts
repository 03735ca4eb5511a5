/** What the CLI touches outside itself, injectable so tests run it in-process. */
import type { RunningKernel, StartOptions } from '../start.js';

export interface Writer {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Where `spindle start` waits for SIGINT / SIGTERM; `process` by default. */
export interface SignalSource {
  once(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

export interface CliIo {
  stdout: Writer;
  stderr: Writer;
  env: Record<string, string | undefined>;
  /** Defaults to the kernel's `startKernel` (imported lazily: it loads the whole kernel). */
  startKernel?: (options: StartOptions) => Promise<Pick<RunningKernel, 'url' | 'generatedAdminToken' | 'close'>>;
  signals?: SignalSource;
  /** Where `login --username` reads the password (process.stdin by default). */
  stdin?: NodeJS.ReadableStream;
  fetch?: typeof fetch;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process, stdin: process.stdin };
}

/** A failure the CLI reports as `error: <message>` (exit code 1). */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}
