import { existsSync, readFileSync } from 'node:fs';

const HAS_PROC = existsSync('/proc/self/stat');

/** Fields of /proc/<pid>/stat after the `(comm)` field, which may itself hold spaces and parens. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * The process start time (clock ticks since boot, /proc field 22), or undefined without /proc.
 * Stored next to the pid so a pid the OS reused for another process is not taken for the job.
 */
export function processStartTime(pid: number | undefined): string | undefined {
  if (!pid || !HAS_PROC) return undefined;
  return statFields(pid)?.[19];
}

/** True if `pid` runs: a zombie counts as dead, and so does a pid now held by another process. */
export function isProcessAlive(pid: number | undefined, startTime?: string): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!HAS_PROC) return true;
  const fields = statFields(pid);
  if (!fields) return false;
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  return startTime === undefined || fields[19] === startTime;
}

/**
 * Signal the process group `pid` leads (every replica leads its own). Only the group: a group id
 * is not reused while any member lives, whereas a bare pid may belong to someone else by now.
 */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid || pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}
