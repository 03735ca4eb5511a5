/** `spindle deploy [dir]` and `spindle redeploy <name>`: submit, then follow the job until it runs. */
import type { Command } from 'commander';
import type { JobView } from '../jobs/jobs-api.js';
import type { ApiClient } from './api-client.js';
import type { CommandContext } from './context.js';
import { CliError } from './io.js';
import { checkVersion } from './job-commands.js';
import { followJob } from './job-follow.js';
import { packDirectory } from './pack-directory.js';

interface WaitFlags {
  wait: boolean;
  timeout: string;
  json?: boolean;
}

interface DeployFlags extends WaitFlags {
  set: string[];
  file?: string;
  force?: boolean;
}

const DEFAULT_TIMEOUT_S = '300';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseTimeout(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(seconds > 0))
    throw new CliError(`--timeout must be a positive number of seconds, got ${JSON.stringify(value)}`);
  return seconds * 1000;
}

function withWaitOptions(command: Command): Command {
  return command
    .option('--no-wait', 'return once the kernel has queued the job')
    .option('--timeout <s>', 'how long to wait for the job to run (or, for a batch job, to finish)', DEFAULT_TIMEOUT_S)
    .option('--json', 'print the final job as JSON (progress goes to stderr)');
}

/** Follows `start` unless --no-wait, then prints the result and fails the command if the job did. */
async function settle(ctx: CommandContext, client: ApiClient, start: JobView, flags: WaitFlags): Promise<void> {
  const say = (line: string) => (flags.json ? ctx.err(line) : ctx.out(line));
  if (!flags.wait) {
    say('queued');
    if (flags.json) ctx.json(start);
    return;
  }
  const { job, failure } = await followJob(client, start, { timeoutMs: parseTimeout(flags.timeout), say });
  if (flags.json) ctx.json(job);
  if (failure) throw new CliError(failure);
}

export function registerDeployCommands(program: Command, ctx: CommandContext): void {
  withWaitOptions(
    program
      .command('deploy [dir]')
      .description('deploy the job in dir (default .) and follow it until it runs')
      .option(
        '-e, --set <path=value>',
        'override a manifest field, e.g. -e replicas=3 -e env.DEBUG=1 (repeatable)',
        collect,
        [],
      )
      .option('-f, --file <file>', 'manifest file, relative to dir (default job.yaml, else job.yml)')
      .option('--force', 'replace a deployed job of the same name and version'),
  ).action(async (dir: string | undefined, flags: DeployFlags, cmd: Command) => {
    if (flags.wait) parseTimeout(flags.timeout);
    const jobDir = dir ?? '.';
    const say = (line: string) => (flags.json ? ctx.err(line) : ctx.out(line));
    say('validating');
    // Imported lazily: ajv compiles the job manifest schema on load.
    const { loadJobManifest } = await import('../jobs/load-job-manifest.js');
    const { manifest, secretEnv, sources } = await loadJobManifest(jobDir, {
      overrides: flags.set,
      ...(flags.file ? { file: flags.file } : {}),
    });
    // The manifest files (which may hold inline secrets) stay out: the final manifest and the
    // secrets travel in their own fields.
    const { zip } = await packDirectory(jobDir, { exclude: sources });
    const client = ctx.client(cmd);
    const start = await client.deployJob({ manifest, secretEnv, source: zip }, { force: !!flags.force });
    await settle(ctx, client, start, flags);
  });

  withWaitOptions(
    program
      .command('redeploy <name>')
      .description('stop a job and queue it again (same source, same secrets), then follow it')
      .option('--version <v>', 'version or alias (default latest)', 'latest'),
  ).action(async (name: string, flags: WaitFlags & { version: string }, cmd: Command) => {
    if (flags.wait) parseTimeout(flags.timeout);
    const client = ctx.client(cmd);
    await settle(ctx, client, await client.redeployJob(name, checkVersion(flags.version)), flags);
  });
}
