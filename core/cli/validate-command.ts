/** `spindle validate [dir]`: load a job manifest locally and print the final result, secrets masked. */
import path from 'node:path';
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import type { CommandContext } from './context.js';

interface ValidateFlags {
  set: string[];
  file?: string;
  json?: boolean;
}

export const SECRET_MASK = '********';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Relative to the working directory when inside it, else absolute. */
function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative) ? file : relative;
}

export function registerValidateCommand(program: Command, ctx: CommandContext): void {
  program
    .command('validate [dir]')
    .description('check the job manifest in dir (default .): extends, overrides and defaults applied, secrets masked')
    .option(
      '-e, --set <path=value>',
      'override a field, e.g. -e replicas=3 -e env.DEBUG=1 -e volumes.0.readOnly=true (repeatable)',
      collect,
      [],
    )
    .option('-f, --file <file>', 'manifest file, relative to dir (default job.yaml, else job.yml)')
    .option('--json', 'print JSON instead of YAML')
    .action(async (dir: string | undefined, flags: ValidateFlags) => {
      // Imported lazily: ajv compiles the job manifest schema on load.
      const { loadJobManifest } = await import('../jobs/load-job-manifest.js');
      const { manifest, secretEnv, sources } = await loadJobManifest(dir ?? '.', {
        overrides: flags.set,
        ...(flags.file ? { file: flags.file } : {}),
      });
      const names = Object.keys(secretEnv);
      const shown =
        names.length > 0
          ? { ...manifest, secretEnv: Object.fromEntries(names.map((name) => [name, SECRET_MASK])) }
          : manifest;
      const from = sources.map(shortPath).join(', ');
      ctx.err(`${manifest.name}@${manifest.version} is valid; read from ${from}`);
      if (flags.json) ctx.json(shown);
      else ctx.out(toYaml(shown));
    });
}
