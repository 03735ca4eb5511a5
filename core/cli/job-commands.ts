/** `spindle jobs [get]`, `logs`, `call`, `delete` and `queue`: looking at and talking to deployed jobs. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { FINAL_STATES } from '../state/job-record.js';
import type { JobCallResult } from './api-client.js';
import type { CommandContext } from './context.js';
import { oneLine, toJson } from './format.js';
import { CliError } from './io.js';
import { renderJob, renderJobList, renderQueue } from './job-views.js';

interface JsonFlag {
  json?: boolean;
}

interface VersionFlag {
  version: string;
}

const LATEST = 'latest';
const DEFAULT_TAIL_BYTES = 64 * 1024;
/** The most the logs endpoint hands back per request. */
const LOG_READ_LIMIT = 1024 * 1024;
const FOLLOW_INTERVAL_MS = 500;

export function checkVersion(version: string): string {
  if (version.trim() === '')
    throw new CliError('--version needs a value: a version such as 1.0.0, or an alias such as latest or 1.x');
  return version;
}

function parseTail(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TAIL_BYTES;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new CliError(`--tail must be a positive number of bytes, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function registerJobCommands(program: Command, ctx: CommandContext): void {
  registerJobs(program, ctx);
  registerLogs(program, ctx);
  registerCall(program, ctx);
  registerDelete(program, ctx);
  program
    .command('queue')
    .description('list pending jobs, oldest first, with why each waits')
    .option('--queue <q>', 'only this queue')
    .option('--json', 'print raw JSON')
    .action(async (flags: { queue?: string } & JsonFlag, cmd: Command) => {
      const jobs = await ctx.client(cmd).listPending(flags.queue);
      if (flags.json) ctx.json({ jobs });
      else ctx.out(renderQueue(jobs));
    });
}

function registerJobs(program: Command, ctx: CommandContext): void {
  const jobs = program
    .command('jobs')
    .description('list deployed jobs (`jobs get <name>` shows one)')
    .option('--json', 'print raw JSON')
    .action(async (flags: JsonFlag, cmd: Command) => {
      const list = await ctx.client(cmd).listJobs();
      if (flags.json) ctx.json({ jobs: list });
      else ctx.out(renderJobList(list));
    });
  jobs
    .command('get <name>')
    .description('show one job version: fields, replicas, notice and state history')
    .option('--version <v>', 'version or alias', LATEST)
    .action(async (name: string, _flags: unknown, cmd: Command) => {
      // `--json` is the option of `jobs`: commander lets a parent take its options first.
      const flags = cmd.optsWithGlobals<VersionFlag & JsonFlag>();
      const job = await ctx.client(cmd).getJob(name, checkVersion(flags.version));
      if (flags.json) ctx.json(job);
      else ctx.out(renderJob(job));
    });
}

function registerLogs(program: Command, ctx: CommandContext): void {
  program
    .command('logs <name>')
    .description("print a job's log (the last 64 KiB unless --tail says otherwise)")
    .option('--version <v>', 'version or alias', LATEST)
    .option('-f, --follow', 'keep printing new output until Ctrl-C, or until the job has ended')
    .option('--tail <bytes>', 'start this many bytes before the end', String(DEFAULT_TAIL_BYTES))
    .action(async (name: string, flags: VersionFlag & { follow?: boolean; tail?: string }, cmd: Command) => {
      const tail = parseTail(flags.tail);
      const client = ctx.client(cmd);
      let version = checkVersion(flags.version);
      // Followed by its exact version, so an alias moving to a newer deploy does not switch logs midway.
      if (flags.follow) version = (await client.getJob(name, version)).version;
      const stop = new AbortController();
      const onInterrupt = () => stop.abort();
      if (flags.follow) ctx.io.signals?.once('SIGINT', onInterrupt);
      try {
        let offset = -tail;
        let ended = false;
        while (!stop.signal.aborted) {
          const chunk = await client.jobLogs(name, version, offset, LOG_READ_LIMIT);
          if (chunk.text !== '') ctx.io.stdout.write(chunk.text);
          // A full read means more is there already (a cut multi-byte character may shorten it by 3).
          const full = offset < 0 ? tail > LOG_READ_LIMIT : chunk.offset - offset >= LOG_READ_LIMIT - 3;
          offset = chunk.offset;
          if (full) continue;
          // `ended` was read before this chunk, so nothing written before the job ended is missed.
          if (!flags.follow || ended) break;
          await sleep(FOLLOW_INTERVAL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
          if (!stop.signal.aborted) ended = FINAL_STATES.includes((await client.getJob(name, version)).state);
        }
      } finally {
        ctx.io.signals?.off('SIGINT', onInterrupt);
      }
    });
}

/** The job's body: pretty JSON when it is JSON, else as it came. */
function showBody(result: JobCallResult): string {
  if (result.text === '') return '';
  try {
    return toJson(JSON.parse(result.text));
  } catch {
    return result.text.endsWith('\n') ? result.text : `${result.text}\n`;
  }
}

function callFailure(result: JobCallResult): string {
  let detail = oneLine(result.text).slice(0, 500);
  try {
    const body = JSON.parse(result.text) as { code?: unknown; message?: unknown };
    if (typeof body.message === 'string')
      detail = typeof body.code === 'string' ? `${body.code}: ${oneLine(body.message)}` : oneLine(body.message);
  } catch {
    // Not JSON: the text itself says what went wrong.
  }
  return `HTTP ${result.status}: ${detail || 'no body'}`;
}

function registerCall(program: Command, ctx: CommandContext): void {
  program
    .command('call <name> <path> [json]')
    .description('call a job through the kernel: POST json (or GET without it) to /pub/job/<name>/<version>/<path>')
    .option('--version <v>', 'version or alias', LATEST)
    .option('--method <M>', 'HTTP method (default POST with json, GET without)')
    .action(
      async (
        name: string,
        path: string,
        json: string | undefined,
        flags: VersionFlag & { method?: string },
        cmd: Command,
      ) => {
        if (json !== undefined) {
          try {
            JSON.parse(json);
          } catch (error) {
            throw new CliError(
              `the request body must be JSON (e.g. '{"numbers": [40, 2]}'): ${(error as Error).message}`,
            );
          }
        }
        const method = (flags.method ?? (json !== undefined ? 'POST' : 'GET')).toUpperCase();
        const result = await ctx
          .client(cmd)
          .callJob(name, checkVersion(flags.version), path, { method, ...(json !== undefined ? { json } : {}) });
        if (result.status < 200 || result.status > 299) throw new CliError(callFailure(result));
        ctx.io.stdout.write(showBody(result));
      },
    );
}

function registerDelete(program: Command, ctx: CommandContext): void {
  program
    .command('delete <name>')
    .description('stop and delete one version of a job (--version) or all of them (--all)')
    .option('--version <v>', 'the version to delete (or an alias: latest, 1.x)')
    .option('--all', 'delete every version of the job')
    .action(async (name: string, flags: { version?: string; all?: boolean }, cmd: Command) => {
      if (flags.all && flags.version !== undefined) throw new CliError('give either --version <v> or --all, not both');
      if (!flags.all && flags.version === undefined) {
        throw new CliError(
          `delete needs --version <v> (\`spindle jobs get ${name}\` shows the versions), or --all to delete every version of ${name}`,
        );
      }
      const client = ctx.client(cmd);
      const versions = flags.all
        ? (await client.listJobVersions(name)).map((job) => job.version)
        : [checkVersion(flags.version!)];
      for (const version of versions) {
        const deleted = await client.deleteJob(name, version);
        ctx.out(`deleted ${deleted.name}@${deleted.version} (was ${deleted.state})`);
      }
    });
}
