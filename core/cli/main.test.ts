import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StartOptions } from '../start.js';
import type { CliIo, SignalSource } from './io.js';
import { runCli } from './main.js';

interface Captured extends CliIo {
  out: () => string;
  err: () => string;
}

function captureIo(env: Record<string, string | undefined> = {}, extra: Partial<CliIo> = {}): Captured {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env,
    ...extra,
    out: () => out,
    err: () => err,
  };
}

const homes: string[] = [];
afterEach(() => {
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-cli-'));
  homes.push(dir);
  return dir;
}

describe('runCli parsing', () => {
  it('prints help on stdout with exit 0', async () => {
    const io = captureIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/Usage: spindle/);
    for (const command of ['start', 'plugin', 'activity', 'login']) expect(io.out()).toContain(command);
  });

  it('lists every plugin subcommand', async () => {
    const io = captureIo();
    expect(await runCli(['plugin', '--help'], io)).toBe(0);
    for (const sub of [
      'bundle',
      'install',
      'uninstall',
      'list',
      'get',
      'pin',
      'enable',
      'disable',
      'config',
      'docs',
      'action',
    ]) {
      expect(io.out()).toMatch(new RegExp(`\\n\\s+${sub}\\b`));
    }
  });

  it('reports usage errors in one stderr line with exit 1', async () => {
    const io = captureIo();
    expect(await runCli(['frobnicate'], io)).toBe(1);
    expect(io.err()).toMatch(/^error: unknown command 'frobnicate'/);
    const missing = captureIo();
    expect(await runCli(['plugin', 'get'], missing)).toBe(1);
    expect(missing.err().trim()).toBe("error: missing required argument 'name'");
  });

  it('refuses bad flag values with a one-line error', async () => {
    const io = captureIo({ HOME: tempHome() });
    expect(await runCli(['activity', '--limit', 'x'], io)).toBe(1);
    expect(io.err()).toBe('error: --limit must be a positive integer, got "x"\n');
  });
});

describe('login', () => {
  it('writes ~/.spindle/config.json with mode 600', async () => {
    const home = tempHome();
    const io = captureIo({ HOME: home });
    expect(await runCli(['login', '--url', 'http://k.example:7070/', '--token', 'sekrit'], io)).toBe(0);
    const file = join(home, '.spindle', 'config.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: 'http://k.example:7070', token: 'sekrit' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(io.out()).not.toContain('sekrit');
  });

  it('needs both url and token', async () => {
    const io = captureIo({ HOME: tempHome() });
    expect(await runCli(['login', '--url', 'http://k:1'], io)).toBe(1);
    expect(io.err()).toBe(
      'error: login needs --token <token>, or --username <name> with the password on standard input\n',
    );
    const noUrl = captureIo({ HOME: tempHome() });
    expect(await runCli(['login', '--token', 't'], noUrl)).toBe(1);
    expect(noUrl.err()).toBe('error: login needs --url <url> (or SPINDLE_URL)\n');
  });
});

describe('start', () => {
  function fakeKernel(token: string | null) {
    const close = vi.fn(async () => {});
    const seen: StartOptions[] = [];
    const startKernel = async (options: StartOptions) => {
      seen.push(options);
      return { url: `http://${options.host}:${options.port}`, generatedAdminToken: token, close };
    };
    return { close, seen, startKernel };
  }

  it('starts with flags over env, prints the URL and the one-time token, stops on SIGTERM', async () => {
    const kernel = fakeKernel('tok-123');
    const signals = new EventEmitter() as EventEmitter & SignalSource;
    const io = captureIo(
      { SPINDLE_PORT: '9000', SPINDLE_HOST: '0.0.0.0', SPINDLE_HOME: '/env/home' },
      {
        startKernel: kernel.startKernel,
        signals,
      },
    );
    const done = runCli(['start', '--port', '8123', '--home', 'rel-home'], io);
    await vi.waitFor(() => expect(io.out()).toContain('listening'));
    expect(kernel.seen).toEqual([{ port: 8123, host: '0.0.0.0', home: resolve('rel-home') }]);
    expect(io.out()).toContain('http://0.0.0.0:8123');
    expect(io.out()).toContain('Admin token: tok-123');
    expect(io.out()).toMatch(/shown once/);
    expect(kernel.close).not.toHaveBeenCalled();

    signals.emit('SIGTERM');
    expect(await done).toBe(0);
    expect(kernel.close).toHaveBeenCalledTimes(1);
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });

  it('uses the defaults and prints no token when none was generated', async () => {
    const kernel = fakeKernel(null);
    const signals = new EventEmitter() as EventEmitter & SignalSource;
    const io = captureIo({}, { startKernel: kernel.startKernel, signals });
    const done = runCli(['start'], io);
    await vi.waitFor(() => expect(io.out()).toContain('listening'));
    expect(kernel.seen[0]).toEqual({ port: 7070, host: '127.0.0.1', home: resolve('.spindle') });
    expect(io.out()).not.toContain('token');
    signals.emit('SIGINT');
    expect(await done).toBe(0);
  });

  it('refuses a bad port before starting anything', async () => {
    const kernel = fakeKernel(null);
    const io = captureIo({ SPINDLE_PORT: 'abc' }, { startKernel: kernel.startKernel });
    expect(await runCli(['start'], io)).toBe(1);
    expect(io.err()).toBe('error: SPINDLE_PORT must be a port number 0-65535, got "abc"\n');
    expect(kernel.seen).toHaveLength(0);
  });

  it('reports a start failure in one line, with the stack only under SPINDLE_DEBUG=1', async () => {
    const startKernel = async (): Promise<never> => {
      throw new Error('EADDRINUSE: address already in use 127.0.0.1:7070');
    };
    const io = captureIo({}, { startKernel });
    expect(await runCli(['start'], io)).toBe(1);
    expect(io.err()).toBe('error: EADDRINUSE: address already in use 127.0.0.1:7070\n');
    const debug = captureIo({ SPINDLE_DEBUG: '1' }, { startKernel });
    expect(await runCli(['start'], debug)).toBe(1);
    expect(debug.err()).toMatch(/\n\s+at /);
  });
});
