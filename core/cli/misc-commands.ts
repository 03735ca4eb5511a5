/** `spindle activity` and `spindle login`. */

import type { Command } from 'commander';
import type { MaintenanceState } from '../system/maintenance.js';
import type { CommandContext, GlobalOptions } from './context.js';
import { renderTable } from './format.js';
import { CliError } from './io.js';
import { normaliseUrl, writeConfigFile } from './remote-config.js';

interface ActivityFlags {
  plugin?: string;
  actor?: string;
  action?: string;
  family?: string;
  job?: string;
  limit?: string;
  json?: boolean;
}

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new CliError(`--limit must be a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function registerActivityCommand(program: Command, ctx: CommandContext): void {
  program
    .command('activity')
    .description('show the activity log, newest first')
    .option('--plugin <name>', 'only entries about this plugin')
    .option('--actor <name>', 'only entries by this actor')
    .option('--action <action>', 'only this action, e.g. plugin.installed')
    .option('--family <name>', 'only entries about any version of this job')
    .option('--job <name@version>', 'only entries about this job version')
    .option('--limit <n>', 'at most n entries')
    .option('--json', 'print raw JSON')
    .action(async (flags: ActivityFlags, cmd: Command) => {
      const limit = parseLimit(flags.limit);
      const entries = await ctx.client(cmd).listActivity({
        ...(flags.plugin ? { plugin: flags.plugin } : {}),
        ...(flags.actor ? { actor: flags.actor } : {}),
        ...(flags.action ? { action: flags.action } : {}),
        ...(flags.family ? { family: flags.family } : {}),
        ...(flags.job ? { job: flags.job } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      if (flags.json) return ctx.json({ entries });
      if (entries.length === 0) return ctx.out('No activity.');
      const rows = entries.map((e) => [e.at, e.actor, e.action, e.subject, e.outcome]);
      return ctx.out(renderTable(['AT', 'ACTOR', 'ACTION', 'SUBJECT', 'OUTCOME'], rows));
    });
}

/** The first line of standard input (a password piped in, or typed). */
async function readLine(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += chunk.toString();
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

export function registerLoginCommand(program: Command, ctx: CommandContext): void {
  program
    .command('login')
    .description(
      'save the kernel URL and a token to ~/.spindle/config.json (mode 600): --token <t>, or --username <u> with the password on stdin (auth-token plugin)',
    )
    .option('--username <name>', 'log in as this user; the password is read from standard input')
    .action(async (opts: { username?: string }, cmd: Command) => {
      const flags = cmd.optsWithGlobals<GlobalOptions>();
      const url = flags.url || ctx.io.env.SPINDLE_URL;
      if (!url) throw new CliError('login needs --url <url> (or SPINDLE_URL)');
      let token = flags.token || ctx.io.env.SPINDLE_TOKEN;
      if (opts.username) {
        if (ctx.io.stdin === undefined) throw new CliError('--username needs the password on standard input');
        if ((ctx.io.stdin as { isTTY?: boolean }).isTTY) ctx.err('password: ');
        const password = await readLine(ctx.io.stdin);
        token = await ctx.client(cmd).login(opts.username, password);
      }
      if (!token)
        throw new CliError('login needs --token <token>, or --username <name> with the password on standard input');
      const file = writeConfigFile(ctx.io.env, { url: normaliseUrl(url), token });
      ctx.out(
        `saved ${normaliseUrl(url)} and ${opts.username ? `a token for ${opts.username}` : 'its token'} to ${file}`,
      );
    });
}

export function registerMaintenanceCommand(program: Command, ctx: CommandContext): void {
  const show = (state: MaintenanceState): void =>
    ctx.out(
      state.enabled
        ? `maintenance mode is ON since ${state.since} by ${state.by}${state.message ? `: ${state.message}` : ''}`
        : 'maintenance mode is off',
    );
  const maintenance = program
    .command('maintenance')
    .description('maintenance mode: while on, changes are refused (503); reads and job calls work');
  maintenance
    .command('on')
    .description('refuse deploys, deletes, plugin installs, uninstalls and config changes')
    .option('--message <text>', 'shown to whoever is refused')
    .action(async (flags: { message?: string }, cmd: Command) =>
      show(await ctx.client(cmd).setMaintenance(true, flags.message)),
    );
  maintenance
    .command('off')
    .description('accept changes again')
    .action(async (_flags: unknown, cmd: Command) => show(await ctx.client(cmd).setMaintenance(false)));
  maintenance
    .command('status')
    .description('show whether maintenance mode is on')
    .option('--json', 'print raw JSON')
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      const state = await ctx.client(cmd).getMaintenance();
      if (flags.json) return ctx.json(state);
      return show(state);
    });
}
