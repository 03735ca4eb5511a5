#!/usr/bin/env node
// The `spindle` command. The CLI is TypeScript compiled into build/ by `npm install` / `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../build/core/cli/run.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(`spindle: build/ is missing; run \`npm install\` (which builds) in ${root}\n`);
  process.exit(1);
}
await import(entry.href);
