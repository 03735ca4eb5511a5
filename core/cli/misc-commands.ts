/** `spindle activity` and `spindle login`. */
import type { Command } from 'commander';
import type { CommandContext, GlobalOptions } from './context.js';
import { renderTable } from './format.js';
import { CliError } from './io.js';
import { normaliseUrl, writeConfigFile } from './remote-config.js';

interface ActivityFlags {
  plugin?: string;
  actor?: string;
  action?: string;
  limit?: string;
  json?: boolean;
}

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliError(`--limit must be a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function registerActivityCommand(program: Command, ctx: CommandContext): void {
  program
    .command('activity')
    .description('show the activity log, newest first')
    .option('--plugin <name>', 'only entries about this plugin')
    .option('--actor <name>', 'only entries by this actor')
    .option('--action <action>', 'only this action, e.g. plugin.installed')
    .option('--limit <n>', 'at most n entries')
    .option('--json', 'print raw JSON')
    .action(async (flags: ActivityFlags, cmd: Command) => {
      const limit = parseLimit(flags.limit);
      const entries = await ctx.client(cmd).listActivity({
        ...(flags.plugin ? { plugin: flags.plugin } : {}),
        ...(flags.actor ? { actor: flags.actor } : {}),
        ...(flags.action ? { action: flags.action } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      if (flags.json) return ctx.json({ entries });
      if (entries.length === 0) return ctx.out('No activity.');
      const rows = entries.map((e) => [e.at, e.actor, e.action, e.subject, e.outcome]);
      return ctx.out(renderTable(['AT', 'ACTOR', 'ACTION', 'SUBJECT', 'OUTCOME'], rows));
    });
}

export function registerLoginCommand(program: Command, ctx: CommandContext): void {
  program
    .command('login')
    .description('save --url and --token to ~/.spindle/config.json (mode 600) for later commands')
    .action((_opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<GlobalOptions>();
      const url = flags.url || ctx.io.env['SPINDLE_URL'];
      const token = flags.token || ctx.io.env['SPINDLE_TOKEN'];
      if (!url || !token) throw new CliError('login needs --url <url> and --token <token>');
      const file = writeConfigFile(ctx.io.env, { url: normaliseUrl(url), token });
      ctx.out(`saved ${normaliseUrl(url)} and its token to ${file}`);
    });
}
