/** `spindle volume …`: volumes on the storage backends and the files in them. */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { VolumeFile } from '../../plugin-sdk/providers.js';
import type { VolumeDetailView, VolumeView } from '../volumes/volume-service.js';
import type { CommandContext } from './context.js';
import { formatBytes, renderFields, renderTable } from './format.js';
import { CliError } from './io.js';

interface JsonFlag {
  json?: boolean;
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** `10G`, `512MiB`, `1.5g`, `2048` (bytes), or `none` for no limit. Units are binary (1K = 1024). */
export function parseSize(text: string): number | null {
  if (text.trim().toLowerCase() === 'none') return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[match?.[2]?.toLowerCase() ?? 'x'];
  if (!match || unit === undefined)
    throw new CliError(
      `"${text}" is not a size: use a number with an optional unit (K, M, G, T; 1K = 1024 bytes), or "none"`,
    );
  return Math.round(Number(match[1]) * unit);
}

const quota = (bytes: number | null): string => (bytes === null ? 'none' : formatBytes(bytes));
const access = (view: VolumeView): string => ({ owner: 'owner', rw: 'read-write', ro: 'read-only' })[view.access];

function renderVolume(view: VolumeDetailView): string {
  return renderFields([
    ['volume', view.volume],
    ['owner', view.owner],
    ['used', formatBytes(view.usedBytes)],
    ['quota', quota(view.quotaBytes)],
    ['created', view.createdAt],
    ['your access', access(view)],
    ['shared with', view.shares.map((s) => `${s.grantee} (${s.mode})`).join(', ') || 'nobody'],
    ['used by', view.usedBy.join(', ') || 'no job'],
  ]);
}

const renderFiles = (files: VolumeFile[]): string =>
  files.length === 0
    ? 'empty directory\n'
    : renderTable(
        ['PATH', 'TYPE', 'SIZE', 'MODIFIED'],
        files.map((f) => [
          f.type === 'directory' ? `${f.path}/` : f.path,
          f.type,
          f.type === 'file' ? formatBytes(f.size) : '-',
          f.modifiedAt,
        ]),
      );

export function registerVolumeCommands(program: Command, ctx: CommandContext): void {
  const volume = program
    .command('volume')
    .description('volumes on storage backends (addressed backend:name, or name when one backend is active)');

  volume
    .command('ls')
    .description('list the volumes you may see')
    .option('--json', 'print raw JSON')
    .action(async (flags: JsonFlag, cmd: Command) => {
      const list = await ctx.client(cmd).listVolumes();
      if (flags.json) return ctx.json({ volumes: list });
      ctx.out(
        list.length === 0
          ? 'no volumes (create one with `spindle volume create <name>`)'
          : renderTable(
              ['VOLUME', 'OWNER', 'USED', 'QUOTA', 'ACCESS'],
              list.map((v) => [v.volume, v.owner, formatBytes(v.usedBytes), quota(v.quotaBytes), access(v)]),
            ),
      );
    });

  volume
    .command('create <name>')
    .description('create a volume you own')
    .option('--quota <size>', "most it may hold, e.g. 10G (default: the backend's)")
    .option('--json', 'print raw JSON')
    .action(async (name: string, flags: { quota?: string } & JsonFlag, cmd: Command) => {
      const created = await ctx
        .client(cmd)
        .createVolume(name, flags.quota === undefined ? undefined : parseSize(flags.quota));
      if (flags.json) ctx.json(created);
      else ctx.out(`created volume ${created.volume} (quota ${quota(created.quotaBytes)})`);
    });

  volume
    .command('info <volume>')
    .description('usage, quota, owner, shares and the jobs that mount it')
    .option('--json', 'print raw JSON')
    .action(async (name: string, flags: JsonFlag, cmd: Command) => {
      const view = await ctx.client(cmd).getVolume(name);
      if (flags.json) ctx.json(view);
      else ctx.out(renderVolume(view));
    });

  volume
    .command('rm <volume>')
    .description('delete a volume and every file in it (refused while a job mounts it)')
    .action(async (name: string, _flags: unknown, cmd: Command) => {
      await ctx.client(cmd).deleteVolume(name);
      ctx.out(`deleted volume ${name}`);
    });

  volume
    .command('clone <volume> <name>')
    .description('copy a volume into a new one you own, on the same backend')
    .option('--quota <size>', 'quota of the copy')
    .action(async (source: string, name: string, flags: { quota?: string }, cmd: Command) => {
      const created = await ctx
        .client(cmd)
        .cloneVolume(source, name, flags.quota === undefined ? undefined : parseSize(flags.quota));
      ctx.out(`cloned ${source} to ${created.volume} (${formatBytes(created.usedBytes)})`);
    });

  volume
    .command('quota <volume> <size>')
    .description('set the quota, e.g. 20G or none (administrators)')
    .action(async (name: string, size: string, _flags: unknown, cmd: Command) => {
      const view = await ctx.client(cmd).setVolumeQuota(name, parseSize(size));
      ctx.out(`quota of ${view.volume}: ${quota(view.quotaBytes)} (${formatBytes(view.usedBytes)} used)`);
    });

  volume
    .command('share <volume> <grantee>')
    .description('share with a user, or group:<name>; read-only unless --rw')
    .option('--rw', 'let them write too')
    .action(async (name: string, grantee: string, flags: { rw?: boolean }, cmd: Command) => {
      await ctx.client(cmd).shareVolume(name, grantee, flags.rw ? 'rw' : 'ro');
      ctx.out(`shared ${name} with ${grantee} (${flags.rw ? 'read-write' : 'read-only'})`);
    });

  volume
    .command('unshare <volume> <grantee>')
    .description('stop sharing with a user or group')
    .action(async (name: string, grantee: string, _flags: unknown, cmd: Command) => {
      await ctx.client(cmd).shareVolume(name, grantee, null);
      ctx.out(`${name} is no longer shared with ${grantee}`);
    });

  volume
    .command('files <volume> [dir]')
    .description('list a directory of the volume (its root by default)')
    .option('--json', 'print raw JSON')
    .action(async (name: string, dir: string | undefined, flags: JsonFlag, cmd: Command) => {
      const files = await ctx.client(cmd).listVolumeFiles(name, dir ?? '');
      if (flags.json) ctx.json({ files });
      else ctx.out(renderFiles(files));
    });

  volume
    .command('upload <volume> <file> [path]')
    .description('upload a local file to path in the volume (default: the file name at the root)')
    .option('--overwrite', 'replace a file that exists')
    .action(
      async (name: string, file: string, remote: string | undefined, flags: { overwrite?: boolean }, cmd: Command) => {
        const info = await stat(file).catch(() => undefined);
        if (!info?.isFile())
          throw new CliError(`${file} is not a file${info ? '' : ' (it does not exist)'}; upload one file at a time`);
        const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
        const stored = await ctx
          .client(cmd)
          .uploadFile(name, remote ?? path.basename(file), body, { overwrite: flags.overwrite });
        ctx.out(`uploaded ${file} to ${name}:${stored.path} (${formatBytes(stored.size)})`);
      },
    );

  volume
    .command('download <volume> <path> [file]')
    .description('download a file from the volume (default: its name, in the current directory)')
    .option('--force', 'replace a local file that exists')
    .action(
      async (name: string, remote: string, local: string | undefined, flags: { force?: boolean }, cmd: Command) => {
        const target = local ?? path.basename(remote);
        if (!flags.force && (await stat(target).catch(() => undefined)))
          throw new CliError(`${target} exists; pass --force to replace it, or name another file`);
        const body = await ctx.client(cmd).downloadFile(name, remote);
        // Written beside the target and renamed into place, so a failed download leaves no half file.
        const partial = `${target}.spindle-partial`;
        try {
          await pipeline(Readable.fromWeb(body as never), createWriteStream(partial));
          await rename(partial, target);
        } catch (error) {
          await rm(partial, { force: true });
          throw error;
        }
        ctx.out(`downloaded ${name}:${remote} to ${target} (${formatBytes((await stat(target)).size)})`);
      },
    );

  volume
    .command('mkdir <volume> <dir>')
    .description('create a directory (and its parents)')
    .action(async (name: string, dir: string, _flags: unknown, cmd: Command) => {
      await ctx.client(cmd).volumeMkdir(name, dir);
      ctx.out(`created ${name}:${dir}`);
    });

  volume
    .command('mv <volume> <from> <to>')
    .description('rename or move a file or directory inside the volume')
    .action(async (name: string, from: string, to: string, _flags: unknown, cmd: Command) => {
      await ctx.client(cmd).volumeRename(name, from, to);
      ctx.out(`moved ${name}:${from} to ${to}`);
    });

  volume
    .command('rm-file <volume> <path>')
    .description('delete a file, or a directory with --recursive')
    .option('--recursive', 'delete a directory with everything in it')
    .action(async (name: string, file: string, flags: { recursive?: boolean }, cmd: Command) => {
      await ctx.client(cmd).deleteVolumeFile(name, file, { recursive: flags.recursive });
      ctx.out(`deleted ${name}:${file}`);
    });
}
