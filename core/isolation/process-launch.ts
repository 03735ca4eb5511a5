/**
 * How an isolated plugin's process is started: the runner, Node's permission model with exactly
 * what the plugin's manifest declares (and what the runner itself needs to load), a heap ceiling,
 * and an environment without the kernel's own variables (so no secret of the kernel's, such as
 * SPINDLE_ADMIN_TOKEN, reaches it).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { KernelError } from '../errors/kernel-error.js';
import { type PermissionPlaces, resolvePermissions } from '../manifest/plugin-permissions.js';

/** Variables an isolated plugin's process inherits from the kernel's environment (nothing else). */
export const INHERITED_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'DOCKER_HOST',
  'DOCKER_CONFIG',
  'DOCKER_CERT_PATH',
  'DOCKER_TLS_VERIFY',
  'DOCKER_BUILDKIT',
  'KUBECONFIG',
  'KUBERNETES_SERVICE_HOST',
  'KUBERNETES_SERVICE_PORT',
] as const;

// Node 20 calls the permission model experimental; from 22 on the flag is --permission.
const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has('--permission')
  ? '--permission'
  : '--experimental-permission';

/**
 * A path as Node 20's permission model takes it: a file as it is; a directory as `dir/*`, which
 * also covers a directory made after the process started (a bare directory path that does not
 * exist yet would grant nothing below it).
 */
function grant(target: string): string {
  try {
    if (statSync(target).isFile()) return target;
  } catch {
    // not there yet: a directory to come
  }
  return `${target.replace(/\/+$/, '')}/*`;
}

export class ProcessLaunch {
  /** The file the plugin's process runs. */
  readonly runner: string;
  private readonly runtimeReads: string[];

  constructor(
    private readonly options: {
      /** The package root: the runner is its build/core/isolation/child-runner.js. */
      packageRoot: string;
      places: Omit<PermissionPlaces, 'dataDir'>;
      /** Heap ceiling when the manifest sets none (`SPINDLE_PLUGIN_MEMORY_MB`). */
      memoryMb: number;
      /** CPU priority of the processes (`SPINDLE_PLUGIN_NICE`): a spinning plugin yields the CPU to the kernel. */
      nice: number;
      env: Record<string, string | undefined>;
      readonly logger: Logger;
    },
  ) {
    const build = path.join(options.packageRoot, 'build');
    this.runner = path.join(build, 'core', 'isolation', 'child-runner.js');
    // The runner loads kernel code (build/) and its libraries (node_modules/); package.json says it is ESM.
    this.runtimeReads = [
      build,
      path.join(options.packageRoot, 'node_modules'),
      path.join(options.packageRoot, 'package.json'),
    ];
  }

  get logger(): Logger {
    return this.options.logger;
  }

  forPlugin(
    manifest: PluginManifest,
    config: Record<string, unknown>,
    bundleDir: string,
    dataDir: string,
  ): { execArgv: string[]; env: Record<string, string>; cwd: string; nice: number } {
    if (!existsSync(this.runner)) {
      throw new KernelError(
        'KRN_ERR_INTERNAL',
        `the isolated plugin runner ${this.runner} is missing; build the kernel (npm run build)`,
        { plugin: manifest.name },
      );
    }
    const granted = resolvePermissions(manifest, config, { ...this.options.places, dataDir });
    // The warnings say what the docs say (the model is experimental; a child process escapes it).
    const execArgv = [PERMISSION_FLAG, '--disable-warning=ExperimentalWarning', '--disable-warning=SecurityWarning'];
    // Each grant once: Node 20 aborts at start when one wildcard path is given twice.
    const writes = new Set([dataDir, ...granted.fsWrite].map(grant));
    const reads = new Set([...this.runtimeReads, bundleDir, ...granted.fsRead].map(grant));
    for (const read of new Set([...reads, ...writes])) execArgv.push(`--allow-fs-read=${read}`);
    for (const write of writes) execArgv.push(`--allow-fs-write=${write}`);
    if (granted.childProcess) execArgv.push('--allow-child-process');
    if (granted.workers) execArgv.push('--allow-worker');
    execArgv.push(`--max-old-space-size=${granted.memoryMb ?? this.options.memoryMb}`);
    const env: Record<string, string> = {};
    for (const name of INHERITED_ENV) {
      const value = this.options.env[name];
      if (value !== undefined) env[name] = value;
    }
    return { execArgv, env, cwd: dataDir, nice: this.options.nice };
  }
}
