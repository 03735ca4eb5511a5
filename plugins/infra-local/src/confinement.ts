import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DeployRequest, PluginContext } from 'spindle/plugin-sdk';
import { cgroupV1Available, isRoot, type SandboxBind, type SandboxProbe } from 'spindle/plugin-sdk/sandbox';
import type { LocalConfig } from './config.js';
import type { LaunchSpec, SandboxPlan } from './launcher.js';

/** Folders the sandbox shows anyway (read-only): a path below one needs no bind of its own. */
const SYSTEM = ['/usr/', '/etc/', '/opt/', '/bin/', '/sbin/', '/lib'];

/**
 * Whether and how this target confines jobs: decided once, at activation, by running a sandbox
 * (`probeSandbox`). Confined, a replica sees the system read-only, its job's files, its work
 * directory and its volumes, and nothing else; it runs as an unprivileged user of its own when
 * the kernel is root; its network is its own. Without a sandbox, `unconfined` decides.
 */
export class Confinement {
  /** Limits by cgroups v1 (root, mounted); else by prlimit. */
  readonly cgroups = cgroupV1Available();

  constructor(
    readonly probe: SandboxProbe,
    private readonly config: LocalConfig,
    private readonly ctx: Pick<PluginContext, 'dataDir' | 'assetsDir' | 'exec'>,
  ) {}

  get confined(): boolean {
    return this.probe.available;
  }

  /** One line for the log at activation. */
  describe(): string {
    if (this.probe.available)
      return `jobs run confined by bubblewrap (network: ${this.config.network}${isRoot() ? `, users from uid ${this.config.jobUidBase}` : ''}; limits by ${this.cgroups ? 'cgroups v1' : 'prlimit'})`;
    const then =
      this.config.unconfined === 'warn'
        ? 'every job runs unconfined, with a warning (unconfined: warn)'
        : 'jobs from anyone but admins are refused (unconfined: admins-only)';
    return `no sandbox can be made here: ${this.probe.reason}; ${then}`;
  }

  /** A refusal for a job `principal` deploys here, or undefined. */
  refusal(principal: { kind: string; name: string }): string | undefined {
    if (this.probe.available || this.config.unconfined === 'warn' || principal.kind === 'admin') return undefined;
    return `target local cannot confine jobs on this host (${this.probe.reason}), so it runs only admins' jobs; ask an admin to install bubblewrap, or to set infra-local's config unconfined: warn`;
  }

  /** The sandbox of a deploy's replicas (undefined: not confined). Makes its writable places the job user's. */
  async plan(
    request: DeployRequest,
    runAs: { uid: number; gid: number } | undefined,
  ): Promise<SandboxPlan | undefined> {
    if (!this.probe.available) return undefined;
    await mkdir(request.workDir, { recursive: true });
    const readOnly: SandboxBind[] = [request.sourceDir, ...(request.run.readPaths ?? []), ...this.config.readOnlyPaths]
      .filter((p) => !SYSTEM.some((s) => p.startsWith(s)))
      .map((host) => ({ host }));
    if (!SYSTEM.some((s) => process.execPath.startsWith(s))) readOnly.push({ host: process.execPath });
    const writable: SandboxBind[] = [{ host: request.workDir }];
    for (const mount of request.mounts) {
      if (mount.mountPath === '/' || /^\/(proc|dev|run)(\/|$)/.test(mount.mountPath))
        throw new Error(`volume ${mount.volume} cannot be mounted at ${mount.mountPath} in a confined job`);
      (mount.readOnly ? readOnly : writable).push({ host: mount.hostPath, at: mount.mountPath });
    }
    if (runAs) {
      // Root sets the sandbox up; the job's user must own what it writes.
      const places = writable.map((w) => w.host);
      const { exitCode, stderr } = await this.ctx.exec('chown', ['-R', `${runAs.uid}:${runAs.gid}`, ...places], {
        timeout: 120_000,
      }).result;
      if (exitCode !== 0) throw new Error(`could not give the job's user its writable folders: ${stderr.trim()}`);
    }
    return {
      readOnly,
      writable,
      // <home>/data/infra-local is ctx.dataDir: nothing of the kernel's home shows but what is bound.
      hide: [path.resolve(this.ctx.dataDir, '..', '..')],
      network: this.config.network,
      ...(runAs ? { runAs } : {}),
      initScript: path.join(this.ctx.assetsDir, 'sandbox-init.cjs'),
      socketDir: path.join(request.workDir, '.spindle-run'),
      bwrap: this.config.bwrap,
      limitsBy: this.cgroups ? 'cgroup' : 'prlimit',
    };
  }

  /** What the job's owner is told with the job: unconfined, or limits not enforced. */
  notice(spec: LaunchSpec): string | undefined {
    if (!spec.sandbox)
      return `not confined: ${this.probe.available ? '' : this.probe.reason}; it can read and write what the kernel's user can`;
    const loose = spec.limits.filter((l) => !l.enforced);
    if (loose.length === 0) return undefined;
    return `limits not enforced here: ${loose.map((l) => `${l.limit === 'memoryMb' ? 'memory' : l.limit} ${l.value} (${l.how.replace(/^not enforced: /, '')})`).join('; ')}`;
  }
}
