import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needService } from '../../tests/helpers/services.js';
import { isRoot, limitedCommand, sandboxCommand } from './index.js';

const bwrap = await needService('bwrap');
const run = promisify(execFile);

/** Run `script` with sh in a sandbox; resolves with its exit code and output. */
async function inSandbox(script: string, options: Parameters<typeof sandboxCommand>[1], limits = {}) {
  const { command } = limitedCommand(['sh', '-c', script], limits);
  const { file, args } = sandboxCommand(command, options);
  try {
    const { stdout } = await run(file, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 20_000 });
    return { code: 0, out: stdout.trim() };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}`.trim() };
  }
}

describe('sandboxCommand', () => {
  it('builds a bwrap command line with its own namespaces, the system read-only and the binds asked for', () => {
    const { file, args } = sandboxCommand(['python3', 'job.py'], {
      cwd: '/srv/job',
      readOnly: ['/srv/job'],
      writable: [{ host: '/srv/work', at: '/work' }],
      hide: ['/srv/kernel-home'],
    });
    expect(file).toBe('bwrap');
    expect(args).toEqual(expect.arrayContaining(['--unshare-pid', '--unshare-net', '--proc', '/proc']));
    expect(args.join(' ')).toContain('--ro-bind-try /usr /usr');
    expect(args.join(' ')).toContain(
      '--perms 0755 --dir /srv --perms 0755 --tmpfs /srv/kernel-home --ro-bind /srv/job /srv/job --bind /srv/work /work',
    );
    expect(args.slice(-2)).toEqual(['python3', 'job.py']);
    expect(sandboxCommand(['x'], { cwd: '/', network: 'host' }).args).not.toContain('--unshare-net');
  });

  it('refuses an empty command and root as the user to run as', () => {
    expect(() => sandboxCommand([], { cwd: '/' })).toThrow(/empty/);
    if (isRoot()) expect(() => sandboxCommand(['x'], { cwd: '/', runAs: { uid: 0, gid: 0 } })).toThrow(/root/);
  });

  it('reports each limit, with cpu as not enforced', () => {
    const { command, report } = limitedCommand(['job'], { memoryMb: 64, processes: 32, cpu: 2 });
    expect(command).toEqual(['prlimit', `--data=${64 * 1024 * 1024}`, '--nproc=32', '--', 'job']);
    expect(report.map((r) => [r.limit, r.enforced])).toEqual([
      ['memoryMb', true],
      ['processes', true],
      ['cpu', false],
    ]);
    expect(limitedCommand(['job'], {}).command).toEqual(['job']);
  });
});

describe.skipIf(bwrap.skip)('a program in the sandbox', () => {
  let root: string;
  let server: Server;
  let port: number;
  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'spindle-sandbox-'));
    for (const dir of ['ro', 'rw', 'secret']) mkdirSync(path.join(root, dir));
    writeFileSync(path.join(root, 'ro', 'input.txt'), 'hello\n');
    writeFileSync(path.join(root, 'secret', 'state.db'), 'secrets');
    // The sandboxed user must be able to write its writable folder (as root it runs as nobody).
    if (isRoot()) await run('chown', ['65534:65534', path.join(root, 'rw')]);
    server = createServer((socket) => socket.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server?.close();
    rmSync(root, { recursive: true, force: true });
  });
  const options = () => ({
    cwd: path.join(root, 'rw'),
    readOnly: [path.join(root, 'ro')],
    writable: [path.join(root, 'rw')],
  });

  it('reads and writes what it was given, and nothing else of the host', async () => {
    const result = await inSandbox(
      `cat ${root}/ro/input.txt && echo out > ${root}/rw/output.txt && cat ${root}/rw/output.txt; ` +
        `echo x > ${root}/ro/x 2>/dev/null || echo ro-refused; ` +
        `cat ${root}/secret/state.db 2>/dev/null || echo secret-hidden; ` +
        `test -e ${os.homedir()} && echo home-visible || echo home-hidden; id -u`,
      options(),
    );
    expect(result.out.split('\n')).toEqual([
      'hello',
      'out',
      'ro-refused',
      'secret-hidden',
      'home-hidden',
      isRoot() ? '65534' : String(process.getuid?.()),
    ]);
  });

  it("sees only its own processes and reaches no host port; with network 'host' it does", async () => {
    const probe = `python3 -c "import socket; s=socket.create_connection(('127.0.0.1', ${port}), 2); print(s.recv(16).decode())" 2>/dev/null || echo unreachable`;
    const own = await inSandbox(
      `ls /proc | grep -c '^[0-9]'; test -e /proc/${process.pid}/environ && echo kernel-visible || echo kernel-hidden; ${probe}`,
      options(),
    );
    const [count, kernel, net] = own.out.split('\n');
    expect(Number(count)).toBeLessThan(6);
    expect([kernel, net]).toEqual(['kernel-hidden', 'unreachable']);
    expect((await inSandbox(probe, { ...options(), network: 'host' })).out).toBe('reached');
  });

  it('enforces the memory and process limits', async () => {
    const grab = `python3 -c "b = bytearray(200 * 1024 * 1024); print('allocated')" 2>&1 | tail -1`;
    expect((await inSandbox(grab, options())).out).toBe('allocated');
    expect((await inSandbox(grab, options(), { memoryMb: 64 })).out).toBe('MemoryError');
    // RLIMIT_NPROC counts every process of the user: a user of its own, so no other test's count in.
    const own = { ...options(), runAs: { uid: 200_999, gid: 200_999 } };
    // The shell gives up at the first fork that fails: its message is what grep counts.
    const fork = `(for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done) 2>&1 | grep -c 'fork\\|Resource'; wait`;
    expect((await inSandbox(fork, own)).out).toBe('0');
    // Either grep counts the loop's refused forks, or the refusal comes first for the shell itself.
    expect((await inSandbox(fork, own, { processes: 4 })).out).toMatch(/^[1-9]\d*$|Cannot fork|Resource/);
  });
});
