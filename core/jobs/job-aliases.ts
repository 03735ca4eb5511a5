import semver from 'semver';
import { KernelError } from '../errors/kernel-error.js';
import type { JobRecord } from '../state/job-record.js';

/**
 * The job `name` at `alias`: an exact version, `latest` (the highest stable version deployed),
 * or a wildcard `1.x` / `1.2.x` / `1.2.*` (the highest stable version in range). With
 * `preferRunning` (the proxy), an alias picks among RUNNING versions first, so a failed newer
 * version does not hide a running older one.
 */
export function pickJobVersion(name: string, jobs: JobRecord[], alias: string, preferRunning = false): JobRecord {
  if (preferRunning && !semver.valid(alias)) {
    const running = jobs.filter((job) => job.state === 'RUNNING');
    if (running.length > 0) {
      try {
        return pickJobVersion(name, running, alias);
      } catch {
        // no running version matches: fall back to every deployed one
      }
    }
  }
  const versions = jobs.map((job) => job.version);
  let version: string | null | undefined;
  if (alias === 'latest') version = semver.maxSatisfying(versions, '*');
  else if (semver.valid(alias)) version = versions.find((v) => v === alias);
  else if (semver.validRange(alias) && /[x*]/.test(alias)) version = semver.maxSatisfying(versions, alias);
  const job = jobs.find((j) => j.version === version);
  if (!job) {
    throw new KernelError(
      'KRN_ERR_JOB_NOT_FOUND',
      `no deployed version of ${name} matches "${alias}" (deployed: ${versions.join(', ') || 'none'})`,
      {
        job: name,
        details: { alias, deployed: versions },
      },
    );
  }
  return job;
}
