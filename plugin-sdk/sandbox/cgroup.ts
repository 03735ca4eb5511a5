import { existsSync, readFileSync } from 'node:fs';
import type { LimitReport, ResourceLimits } from './index.js';

/**
 * Limits with cgroups v1 (memory, cpu, pids), for a caller that is root on a host that mounts
 * them (Debian without systemd's unified hierarchy, most containers' hosts, this CI). Each
 * confined program gets a group of its own below the caller's, which its first process enters
 * before it runs anything, so nothing it starts escapes. cgroups v2 is not handled: there the
 * limits fall back to `prlimit` (`limitedCommand`).
 */

const ROOT = '/sys/fs/cgroup';
const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
type Controller = (typeof CONTROLLERS)[number];

/** The caller's own group in each v1 controller, e.g. `memory` → `/process_api/d7f1…`. */
function ownGroups(): Partial<Record<Controller, string>> | undefined {
  try {
    const groups: Partial<Record<Controller, string>> = {};
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, list, where] = line.split(':');
      for (const name of list?.split(',') ?? [])
        if ((CONTROLLERS as readonly string[]).includes(name)) groups[name as Controller] = where;
    }
    return groups;
  } catch {
    return undefined;
  }
}

/** Whether cgroups v1 limits can be set here: root, and the three controllers mounted. */
export function cgroupV1Available(): boolean {
  if (process.getuid?.() !== 0) return false;
  const own = ownGroups();
  try {
    return CONTROLLERS.every((c) => own?.[c] !== undefined && existsSync(`${ROOT}/${c}/cgroup.procs`));
  } catch {
    // Node's permission model may refuse the look; then they are not for us.
    return false;
  }
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * `command` started inside new cgroups named `name` with `limits`: a `/bin/sh` that makes the
 * groups, sets the limits, moves itself in, then execs `command`. `dirs` are the groups, to
 * remove (`rmdir`) once every process in them has ended.
 */
export function cgroupCommand(
  name: string,
  limits: ResourceLimits,
  command: readonly string[],
): { command: string[]; report: LimitReport[]; dirs: string[] } {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`cgroupCommand: "${name}" is not a plain name`);
  const own = ownGroups() ?? {};
  const lines: string[] = ['set -e'];
  const dirs: string[] = [];
  const report: LimitReport[] = [];
  const group = (controller: Controller, settings: [string, string][]) => {
    const dir = `${ROOT}/${controller}${own[controller] === '/' ? '' : own[controller]}/spindle-${name}`;
    dirs.push(dir);
    lines.push(`mkdir -p ${quote(dir)}`);
    for (const [file, value] of settings) lines.push(`echo ${value} > ${quote(`${dir}/${file}`)}`);
    lines.push(`echo $$ > ${quote(`${dir}/cgroup.procs`)}`);
  };
  if (limits.memoryMb !== undefined && limits.memoryMb > 0) {
    group('memory', [['memory.limit_in_bytes', String(Math.floor(limits.memoryMb * 1024 * 1024))]]);
    report.push({
      limit: 'memoryMb',
      value: limits.memoryMb,
      enforced: true,
      how: "cgroup v1 memory.limit_in_bytes: resident memory and page cache; past it the kernel's OOM killer ends the job",
    });
  }
  if (limits.cpu !== undefined && limits.cpu > 0) {
    const period = 100_000;
    group('cpu', [
      ['cpu.cfs_period_us', String(period)],
      ['cpu.cfs_quota_us', String(Math.max(1_000, Math.round(limits.cpu * period)))],
    ]);
    report.push({ limit: 'cpu', value: limits.cpu, enforced: true, how: 'cgroup v1 cpu.cfs_quota_us' });
  }
  if (limits.processes !== undefined && limits.processes > 0) {
    group('pids', [['pids.max', String(Math.floor(limits.processes))]]);
    report.push({ limit: 'processes', value: limits.processes, enforced: true, how: 'cgroup v1 pids.max' });
  }
  if (dirs.length === 0) return { command: [...command], report, dirs };
  lines.push('exec "$@"');
  return { command: ['/bin/sh', '-c', lines.join('\n'), 'spindle-cgroup', ...command], report, dirs };
}
