/**
 * `spindle/plugin-sdk/sandbox`: run a program confined by bubblewrap (`bwrap`, Debian's
 * `bubblewrap`), as `infra-local` runs job replicas and `jobtype-python` runs pip. Bundled into
 * the plugin like any library.
 *
 * What the program sees:
 * - the system read-only (`/usr`, `/etc`, `/opt`, `/bin`, `/sbin`, `/lib*`), nothing else of the
 *   host's file tree: no home directories, no kernel home, no `/tmp` of the host;
 * - a `/proc` of its own processes (a PID namespace), its own IPC and host name, a private `/tmp`,
 *   a minimal `/dev`;
 * - the paths you bind, read-only or read-write, at the same path or another;
 * - by default a network namespace of its own with only a loopback interface: it can reach no
 *   other process's port, and nothing can reach its ports from outside;
 * - when this process is root, an unprivileged user (`runAs`): root only sets the sandbox up.
 *
 * Limits (`limitedCommand`) use `prlimit`: memory as the size of private writable memory
 * (RLIMIT_DATA), processes (RLIMIT_NPROC, per user). CPU shares need cgroups, which this does not
 * set up: they are reported as not enforced.
 */

import path from 'node:path';

export interface SandboxBind {
  host: string;
  /** Where it appears inside; the same path by default. */
  at?: string;
}

export interface SandboxOptions {
  /** Bound read-only. */
  readOnly?: readonly (string | SandboxBind)[];
  /** Bound read-write. */
  writable?: readonly (string | SandboxBind)[];
  /** `none` (default): a network namespace with only loopback. `host`: the host's network. */
  network?: 'none' | 'host';
  /** Working directory inside. */
  cwd: string;
  /** The user the program runs as when this process is root. Ignored otherwise (it runs as you). */
  runAs?: { uid: number; gid: number };
  /** Paths shown empty (a tmpfs), e.g. the kernel's home when it lies in a system directory. */
  hide?: readonly string[];
  /** The bwrap executable (default `bwrap`, found on PATH). */
  bwrap?: string;
}

/** What `ctx.exec` runs. */
export interface SandboxCommand {
  file: string;
  args: string[];
}

/** The host's system, read-only. `-try`: a directory the host lacks is skipped. */
const SYSTEM = ['/usr', '/etc', '/opt', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** `nobody:nogroup` on Debian. */
export const DEFAULT_RUN_AS = Object.freeze({ uid: 65534, gid: 65534 });

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

const bind = (b: string | SandboxBind): [string, string] => (typeof b === 'string' ? [b, b] : [b.host, b.at ?? b.host]);

/**
 * bwrap makes a mount point's missing parents with the modes of the host's, so a bind below a
 * folder only its owner may enter would be out of the sandboxed user's reach: make them 755 first.
 */
class Parents {
  private readonly made = new Set<string>();
  constructor(private readonly args: string[]) {}

  mount(at: string, ...mount: string[]): void {
    const parts = path.posix.resolve(at).split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      if (this.made.has(dir) || SYSTEM.some((s) => dir === s || dir.startsWith(`${s}/`))) continue;
      this.args.push('--perms', '0755', '--dir', dir);
      this.made.add(dir);
    }
    // A tmpfs hides what was made below it.
    if (mount[0] === '--tmpfs') for (const dir of this.made) if (dir.startsWith(`${at}/`)) this.made.delete(dir);
    if (mount[0] === '--tmpfs') this.args.push('--perms', '0755');
    this.args.push(...mount);
  }
}

/** `command` confined as `options` say: hand the result to `ctx.exec`. */
export function sandboxCommand(command: readonly string[], options: SandboxOptions): SandboxCommand {
  if (command.length === 0) throw new Error('sandboxCommand: the command is empty');
  const root = isRoot();
  const args = ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
  // Unprivileged, bwrap needs a user namespace for the others; as root it must not have one, or
  // the program would be the host's root inside.
  if (!root) args.push('--unshare-user');
  if (options.network !== 'host') args.push('--unshare-net');
  for (const dir of SYSTEM) args.push('--ro-bind-try', dir, dir);
  // /tmp as on any system: everyone may write, only the owner may remove (1777).
  args.push('--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/tmp');
  const parents = new Parents(args);
  for (const dir of options.hide ?? []) parents.mount(dir, '--tmpfs', dir);
  for (const b of options.readOnly ?? []) parents.mount(bind(b)[1], '--ro-bind', ...bind(b));
  for (const b of options.writable ?? []) parents.mount(bind(b)[1], '--bind', ...bind(b));
  args.push('--chdir', options.cwd, '--');
  if (root) {
    const { uid, gid } = options.runAs ?? DEFAULT_RUN_AS;
    if (uid === 0) throw new Error('sandboxCommand: runAs must be an unprivileged user, not root');
    // Root sets the sandbox up; the program runs as `runAs`, with no way back.
    args.push(
      'setpriv',
      `--reuid=${uid}`,
      `--regid=${gid}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
    );
  }
  args.push(...command);
  return { file: options.bwrap ?? 'bwrap', args };
}

export interface ResourceLimits {
  /** MiB. */
  memoryMb?: number;
  processes?: number;
  /** Cores. */
  cpu?: number;
}

export interface LimitReport {
  limit: keyof ResourceLimits;
  value: number;
  enforced: boolean;
  /** How, or why not. */
  how: string;
}

/**
 * `command` under `prlimit` with the limits it can enforce, and a report of each limit. Put it
 * inside the sandbox (after `sandboxCommand`'s options, as the command), so the limits bind the
 * program and not the sandbox's own helpers.
 */
export function limitedCommand(
  command: readonly string[],
  limits: ResourceLimits,
): { command: string[]; report: LimitReport[] } {
  const flags: string[] = [];
  const report: LimitReport[] = [];
  if (limits.memoryMb !== undefined && limits.memoryMb > 0) {
    flags.push(`--data=${Math.floor(limits.memoryMb * 1024 * 1024)}`);
    report.push({
      limit: 'memoryMb',
      value: limits.memoryMb,
      enforced: true,
      how: 'prlimit --data: private writable memory (heap, stacks, anonymous maps); an allocation past it fails',
    });
  }
  if (limits.processes !== undefined && limits.processes > 0) {
    flags.push(`--nproc=${Math.floor(limits.processes)}`);
    report.push({
      limit: 'processes',
      value: limits.processes,
      enforced: true,
      how: "prlimit --nproc: processes and threads of the job's user",
    });
  }
  if (limits.cpu !== undefined && limits.cpu > 0) {
    report.push({
      limit: 'cpu',
      value: limits.cpu,
      enforced: false,
      how: 'not enforced: a CPU share needs a cgroup, which this target does not set up',
    });
  }
  return { command: flags.length > 0 ? ['prlimit', ...flags, '--', ...command] : [...command], report };
}

export type SandboxProbe =
  | { available: true; bwrap: string }
  | {
      available: false;
      /** What failed, and what to do. */
      reason: string;
    };

type Exec = (
  file: string,
  args: string[],
  options: { timeout?: number; env?: Record<string, string> },
) => { result: Promise<{ exitCode: number; signal?: string; stderr: string }> };

/** Whether a sandbox can be made here: runs `true` in one, as a job would be run. */
export async function probeSandbox(exec: Exec, options: Partial<SandboxOptions> = {}): Promise<SandboxProbe> {
  const { file, args } = sandboxCommand(['true'], { cwd: '/', ...options });
  const env: Record<string, string> = process.env.PATH ? { PATH: process.env.PATH } : {};
  const { exitCode, signal, stderr } = await exec(file, args, { timeout: 10_000, env }).result;
  if (exitCode === 0) return { available: true, bwrap: file };
  const said = stderr.trim().split('\n')[0] ?? '';
  // -1 without a signal: the program could not be started at all.
  const missing = exitCode === -1 && !signal;
  return {
    available: false,
    reason: missing
      ? `${file} is not installed or cannot be run (install bubblewrap: apt-get install bubblewrap)`
      : `${file} cannot make a sandbox here (exit ${exitCode}: ${said || 'no message'}); check that user namespaces are allowed (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0)${isRoot() ? ' and that setpriv (util-linux) is installed' : ''}`,
  };
}

export { cgroupCommand, cgroupV1Available } from './cgroup.js';
