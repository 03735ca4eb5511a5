import { randomUUID } from 'node:crypto';
import type { Principal } from '../../plugin-sdk/hook-types.js';
import { describeError, KernelError } from '../errors/kernel-error.js';
import type { KernelHooks } from '../hooks/hooks.js';
import type { KernelRegistries } from '../registries/registries.js';
import type { JobRecord, QueueConfig } from '../state/job-record.js';
import type { JobStore } from '../state/job-store.js';
import type { VolumeService } from '../volumes/volume-service.js';
import { admitJob } from './admission.js';
import { validateJobManifest } from './job-manifest.js';
import { resolveJobType, resolveTarget } from './job-resolution.js';
import { jobSubject } from './job-transitions.js';

export interface DeployInput {
  /** The final manifest (extends and overrides applied by the client); validated here. */
  manifest: unknown;
  secretEnv: Record<string, string>;
  /** The job directory as a ZIP. */
  source: Buffer;
  actor: string;
  /** Who deploys: checked against the volumes the job mounts. */
  principal: Principal;
  force?: boolean;
}

export interface DeployCheckDeps {
  store: JobStore;
  hooks: KernelHooks;
  registries: KernelRegistries;
  volumes: Pick<VolumeService, 'checkMounts'>;
  queueConfig(queue: string): Promise<QueueConfig>;
}

export interface CheckedDeploy {
  job: Omit<JobRecord, 'seq'>;
  secretEnv: Record<string, string>;
  /** The version this deploy replaces (`force`), to be removed before the new one is stored. */
  replaces: JobRecord | undefined;
}

/**
 * Every check a deploy passes before anything is written: the manifest (schema, then the job
 * types' `jobs.validateManifest` taps), the volumes it mounts, its job type, target and queue,
 * an existing version, and admission (queue limits, `scheduling.admit`).
 */
export async function checkDeploy(deps: DeployCheckDeps, input: DeployInput): Promise<CheckedDeploy> {
  const {
    secretEnv: inlineSecrets,
    secretEnvFile,
    extends: base,
    ...plain
  } = (input.manifest ?? {}) as Record<string, unknown>;
  if (secretEnvFile !== undefined || base !== undefined) {
    throw new KernelError(
      'KRN_ERR_JOB_MANIFEST_INVALID',
      `${secretEnvFile !== undefined ? 'secretEnvFile' : 'extends'} must be resolved before upload (spindle deploy does it); send the final manifest and the secrets apart`,
    );
  }
  // Secrets never stay in the stored manifest: inline ones join the others and reach the job as env only.
  const secretEnv = { ...(inlineSecrets as Record<string, string> | undefined), ...input.secretEnv };
  const notText = Object.entries(secretEnv).find(([, value]) => typeof value !== 'string');
  if (notText)
    throw new KernelError(
      'KRN_ERR_JOB_MANIFEST_INVALID',
      `secretEnv.${notText[0]} must be a string (quote it in YAML)`,
    );
  const parsed = validateJobManifest(plain);
  let manifest;
  try {
    manifest = validateJobManifest(
      await deps.hooks['jobs.validateManifest'].promise({ ...parsed, owner: parsed.owner ?? input.actor }),
    );
  } catch (error) {
    if (error instanceof KernelError && error.code !== 'KRN_ERR_PLUGIN_REJECTED') throw error;
    throw new KernelError(
      'KRN_ERR_JOB_MANIFEST_INVALID',
      `${parsed.name}@${parsed.version}: ${(error as KernelError).what ?? describeError(error)}`,
      {
        job: `${parsed.name}@${parsed.version}`,
        details: (error as KernelError).details,
      },
    );
  }
  const subject = jobSubject(manifest);
  // Stored as `backend:name`, so a backend added later cannot change which volume a job mounts.
  if (manifest.volumes) manifest.volumes = await deps.volumes.checkMounts(input.principal, manifest.volumes, subject);
  const jobtypeResolved = resolveJobType(deps.registries, manifest.jobtype, subject);
  const target = resolveTarget(deps.registries, manifest.infrastructure, subject);
  const queue = await deps.queueConfig(manifest.queue);
  if (!deps.registries.schedulers.has(queue.scheduler)) {
    throw new KernelError(
      'KRN_ERR_SCHEDULER_NOT_FOUND',
      `queue ${queue.name} uses scheduler "${queue.scheduler}", which no active plugin provides`,
      { job: subject },
    );
  }
  const existing = await deps.store.findJob(manifest.name, manifest.version);
  if (existing && !input.force) {
    throw new KernelError('KRN_ERR_JOB_EXISTS', `${subject} is already deployed (state ${existing.state})`, {
      job: subject,
    });
  }
  const now = new Date().toISOString();
  const job: Omit<JobRecord, 'seq'> = {
    id: randomUUID(),
    name: manifest.name,
    version: manifest.version,
    owner: manifest.owner ?? input.actor,
    queue: manifest.queue,
    target,
    jobtype: manifest.jobtype,
    jobtypeResolved,
    kind: manifest.kind,
    replicas: manifest.replicas,
    resources: { ...manifest.resources },
    manifest,
    state: 'PENDING',
    reason: 'queued',
    attempts: 0,
    agentId: null,
    runtime: { replicas: [] },
    notice: null,
    submittedAt: now,
    updatedAt: now,
  };
  await admitJob(deps, queue, job, input.principal);
  return { job, secretEnv, replaces: existing };
}
