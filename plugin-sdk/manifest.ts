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
  /** JSON Schema of the config. Fields with `"x-secret": true` are masked in every output. */
  configSchema?: Record<string, unknown>;
  /** Config used when the operator has set none (schema defaults apply on top). */
  defaultConfig?: Record<string, unknown>;
  /** Bundle path → sha256 hex; every listed file is verified after extraction. */
  files?: Record<string, string>;
  homepage?: string;
}
