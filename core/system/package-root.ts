import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the directory holding `plugin-manifest.schema.json` (works from source and from build/). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'plugin-manifest.schema.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the Spindle package root (plugin-manifest.schema.json)');
    dir = parent;
  }
  return dir;
}
