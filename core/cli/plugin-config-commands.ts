/** `spindle plugin config get|set`: read and change a plugin's config (secrets come back masked). */
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import type { ConfigView } from '../http/kernel-api.js';
import { parseAssignments, readConfigValues } from './config-values.js';
import type { CommandContext } from './context.js';
import { CliError } from './io.js';

function printConfig(ctx: CommandContext, view: ConfigView, json: boolean | undefined): void {
  if (json) {
    ctx.json(view);
    return;
  }
  const keys = Object.keys(view.config);
  ctx.out(keys.length === 0 ? '(empty config)' : toYaml(view.config));
}

export function registerPluginConfigCommands(plugin: Command, ctx: CommandContext): void {
  const config = plugin.command('config').description("read or change a plugin's config");

  config
    .command('get <name>')
    .description('print the config (defaults applied, secrets masked) as YAML')
    .option('--json', 'print raw JSON, with the schema')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      printConfig(ctx, await ctx.client(cmd).getConfig(name), opts.json);
    });

  config
    .command('set <name> [assignments...]')
    .description('set config keys: key=value (YAML scalars, a.b=x nests); merged into the stored config')
    .option('--file <path>', 'read values from a JSON or YAML file (key=value pairs apply on top)')
    .option('--replace', 'replace the whole config instead of merging')
    .option('--json', 'print raw JSON')
    .action(
      async (
        name: string,
        assignments: string[],
        opts: { file?: string; replace?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        if (assignments.length === 0 && !opts.file) {
          throw new CliError('nothing to set: give key=value pairs or --file <path>');
        }
        const base = opts.file ? readConfigValues(opts.file) : {};
        const values = parseAssignments(assignments, base);
        const view = await ctx.client(cmd).setConfig(name, values, { replace: !!opts.replace });
        printConfig(ctx, view, opts.json);
      },
    );
}
