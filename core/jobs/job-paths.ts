import path from 'node:path';
import type { HomePaths } from '../system/home-paths.js';

/** Where a job's files live: `<home>/jobs/<job id>/{source,work,logs}`. */
export function jobPaths(home: HomePaths, jobId: string): { root: string; source: string; work: string; logs: string } {
  const root = path.join(home.jobs, jobId);
  return { root, source: path.join(root, 'source'), work: path.join(root, 'work'), logs: path.join(root, 'logs') };
}
