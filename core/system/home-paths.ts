import path from 'node:path';

/** The layout of a kernel home (`SPINDLE_HOME`). */
export interface HomePaths {
  root: string;
  stateDb: string;
  /** `<root>/plugins/<name>/<version>/`: installed bundles. */
  plugins: string;
  /** Operators drop ZIPs here; the watcher installs them. */
  dropIn: string;
  /** Per-plugin persistent data, `<root>/data/<name>/`. */
  data: string;
  /** Removed bundles pass through here so a removal is one atomic rename. */
  trash: string;
  /** Volume uploads and downloads are staged here on their way to or from a storage backend. */
  transfer: string;
  /** `<root>/jobs/<job id>/{source,work,logs}`: each job's files. */
  jobs: string;
}

export function homePaths(root: string): HomePaths {
  const abs = path.resolve(root);
  return {
    root: abs,
    stateDb: path.join(abs, 'state.db'),
    plugins: path.join(abs, 'plugins'),
    dropIn: path.join(abs, 'drop-in'),
    data: path.join(abs, 'data'),
    trash: path.join(abs, 'trash'),
    transfer: path.join(abs, 'transfer'),
    jobs: path.join(abs, 'jobs'),
  };
}

export function pluginDir(paths: HomePaths, name: string, version: string): string {
  return path.join(paths.plugins, name, version);
}
