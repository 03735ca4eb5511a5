import { KernelError } from '../errors/kernel-error.js';
import type { KernelRegistries } from '../registries/registries.js';
import { parseJobtype, resolveJobtypeVersion } from './job-manifest.js';

/** The exact `name:version` of an active job type that `jobtype` (`python3:1.x`, …) selects. */
export function resolveJobType(registries: KernelRegistries, jobtype: string, subject: string): string {
  const { name } = parseJobtype(jobtype);
  const versions = registries.jobTypes
    .keys()
    .filter((key) => key.startsWith(`${name}:`))
    .map((key) => key.slice(name.length + 1));
  const version = resolveJobtypeVersion(jobtype, versions);
  if (!version) {
    const active = registries.jobTypes.keys().join(', ') || 'none';
    throw new KernelError('KRN_ERR_JOBTYPE_NOT_FOUND', `no active job type matches ${jobtype} (active: ${active})`, {
      job: subject,
      details: { jobtype, active: registries.jobTypes.keys() },
    });
  }
  return `${name}:${version}`;
}

/** The target a job runs on: the one it names, or the only active one. */
export function resolveTarget(registries: KernelRegistries, wanted: string | undefined, subject: string): string {
  const active = registries.targets.keys();
  if (wanted) {
    if (!active.includes(wanted)) {
      throw new KernelError(
        'KRN_ERR_TARGET_NOT_FOUND',
        `infrastructure target "${wanted}" is not active (active: ${active.join(', ') || 'none'})`,
        { job: subject },
      );
    }
    return wanted;
  }
  if (active.length === 1) return active[0]!;
  throw new KernelError(
    'KRN_ERR_TARGET_NOT_FOUND',
    active.length === 0
      ? 'no infrastructure target is active'
      : `several targets are active (${active.join(', ')}); name one in job.yaml \`infrastructure\``,
    { job: subject },
  );
}
