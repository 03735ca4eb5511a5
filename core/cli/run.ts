/** Process entry of the `spindle` binary (imported by bin/spindle.js after the build). */
import { runCli } from './main.js';

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

const code = await runCli(process.argv.slice(2));
// Exit explicitly so a stopped kernel's stray handles cannot keep the process alive, but only
// after stdout/stderr have drained (pipes are asynchronous on some platforms).
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(code);
