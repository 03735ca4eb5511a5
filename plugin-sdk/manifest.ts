/**
 * The plugin manifest (`plugin.json`), as TypeScript.
 *
 * `plugin-manifest.schema.json` at the repository root is the single source of truth; this type
 * mirrors it and a test (`manifest.test.ts`) fails when the two drift apart.
 */

/** What a plugin is for. The kernel uses it for listings and docs only; it grants nothing. */
export type PluginCategory = 'scheduler' | 'job-type' | 'infrastructure' | 'storage' | 'auth' | 'notification' | 'core';

/** `in-process` (default): loaded with `require` into the kernel. `process`: runs in a child process. */
export type PluginIsolation = 'in-process' | 'process';

/**
 * What a plugin declares it needs (`permissions` in plugin.json). The operator sees it at install
 * and in `spindle plugin get`. When the plugin runs isolated (`isolation: "process"`, or the
 * operator's policy), its process gets exactly this from Node's permission model: read access to
 * its bundle, read-write to its data directory, and the paths and child processes below; the
 * network is not covered on Node 20. `request` applies to every plugin, isolated or not: an auth
 * tap sees the credential headers and cookies named here, and no others.
 *
 * Path strings may use `$JOBS` (the job directories: sources, work dirs, logs), `$TRANSFER` (volume
 * uploads and downloads on their way), `$HOME` (the kernel user's home) and `${config.<key>}` (a
 * config value; relative paths are taken from the data directory). Header and cookie names may
 * use `${config.<key>}` too.
 */
export interface PluginPermissions {
  /** Run programs: `ctx.exec` and `child_process`. */
  childProcess?: boolean;
  /** Start worker threads. */
  workers?: boolean;
  /** Paths the plugin may read, with everything below them. */
  fsRead?: string[];
  /** Paths the plugin may write (and read), with everything below them. */
  fsWrite?: string[];
  /** Says the plugin connects to the network (shown; not enforceable on Node 20). */
  network?: boolean;
  /** Heap ceiling in MiB of the plugin's process when isolated. */
  memoryMb?: number;
  /** Credential headers and cookies auth taps may see. */
  request?: { headers?: string[]; cookies?: string[] };
}

export interface PluginManifest {
  /** Optional pointer to the schema, for editors. */
  $schema?: string;
  /** Kebab-case, unique in a kernel, e.g. `scheduler-fifo`. */
  name: string;
  /** Semver 2.0, e.g. `1.2.0`. Several versions of one plugin may be installed side by side. */
  version: string;
  description?: string;
  category: PluginCategory;
  /** Relative path of the CommonJS bundle, usually `dist/index.cjs`. */
  main: string;
  /** `spindle`: semver range of the kernel plugin API (see `PLUGIN_API_VERSION`), checked at install. */
  engines: { spindle: string };
  /** Plugin name → semver range of versions this plugin needs active first. */
  dependsOn?: Record<string, string>;
  isolation?: PluginIsolation;
  /** What the plugin needs beyond its bundle and data directory; see `PluginPermissions`. */
  permissions?: PluginPermissions;
  /** JSON Schema of the config. Fields with `"x-secret": true` are masked in every output. */
  configSchema?: Record<string, unknown>;
  /** Config used when the operator has set none (schema defaults apply on top). */
  defaultConfig?: Record<string, unknown>;
  /** Bundle path → sha256 hex; every listed file is verified after extraction. */
  files?: Record<string, string>;
  homepage?: string;
}
