/** `spindle plugin …`: bundle, install, uninstall, list, get, pin, enable, disable, docs, action. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { renderTable, toJson } from './format.js';
import { CliError } from './io.js';
import { registerPluginConfigCommands } from './plugin-config-commands.js';
import { installFailure, renderInstall, renderPlugin, renderPluginList } from './plugin-views.js';

interface JsonFlag {
  json?: boolean;
}

/** `name@version` → parts; plugin names are kebab-case, so the last `@` separates. */
export function splitNameVersion(spec: string): { name: string; version: string | undefined } {
  const at = spec.lastIndexOf('@');
  if (at <= 0) return { name: spec, version: undefined };
  const version = spec.slice(at + 1);
  if (version === '') throw new CliError(`expected name@version, got ${JSON.stringify(spec)}`);
  return { name: spec.slice(0, at), version };
}

export function registerPluginCommands(program: Command, ctx: CommandContext): void {
  const plugin = program.command('plugin').description('build, install and manage plugins');
  registerBundle(plugin, ctx);
  registerInstall(plugin, ctx);
  registerLifecycle(plugin, ctx);
  registerPluginConfigCommands(plugin, ctx);
  registerDocsAndActions(plugin, ctx);
}

function registerBundle(plugin: Command, ctx: CommandContext): void {
  plugin
    .command('bundle [dir]')
    .description('bundle the plugin in dir (default .) into an installable ZIP')
    .option('--out <dir>', 'directory for the ZIP (default <dir>/dist)')
    .option('--out-filename <name>', 'ZIP file name (default <name>-<version>.zip)')
    .action(async (dir: string | undefined, opts: { out?: string; outFilename?: string }) => {
      // Imported lazily: esbuild is only needed here.
      const { bundlePlugin } = await import('../../plugin-sdk/bundler/bundle-plugin.js');
      const result = await bundlePlugin(dir ?? '.', {
        ...(opts.out ? { outDir: opts.out } : {}),
        ...(opts.outFilename ? { outFilename: opts.outFilename } : {}),
      });
      const { name, version } = result.manifest;
      ctx.out(`bundled ${name}@${version} → ${result.zipPath} (${result.files} files, ${result.bytes} bytes)`);
    });
}

function registerInstall(plugin: Command, ctx: CommandContext): void {
  plugin
    .command('install <source>')
    .description('install a plugin from a local ZIP file or an http(s) URL the kernel downloads')
    .option('--replace', 'remove the other installed versions once this one is active')
    .option('--json', 'print the raw JSON result')
    .action(async (source: string, opts: { replace?: boolean } & JsonFlag, cmd: Command) => {
      const client = ctx.client(cmd);
      let result;
      if (/^https?:\/\//i.test(source)) {
        result = await client.installUrl(source, { replace: !!opts.replace });
      } else {
        const data = await readFile(source).catch((error: NodeJS.ErrnoException) => {
          throw new CliError(`cannot read ${source}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
        });
        result = await client.installZip(data, { replace: !!opts.replace });
      }
      if (opts.json) ctx.json(result);
      else ctx.out(renderInstall(result));
      const failure = installFailure(result);
      if (failure) throw new CliError(failure);
    });
}

function registerLifecycle(plugin: Command, ctx: CommandContext): void {
  plugin
    .command('uninstall <spec>')
    .description('remove a plugin (name) or one version of it (name@version)')
    .option('--force', 'remove even when in use or depended on')
    .action(async (spec: string, opts: { force?: boolean }, cmd: Command) => {
      const { name, version } = splitNameVersion(spec);
      const { removed } = await ctx.client(cmd).uninstall(name, version, { force: !!opts.force });
      ctx.out(removed.length > 0 ? `removed ${name} ${removed.join(', ')}` : `nothing removed for ${spec}`);
    });

  plugin
    .command('list')
    .description('list installed plugins')
    .option('--json', 'print raw JSON')
    .action(async (opts: JsonFlag, cmd: Command) => {
      const plugins = await ctx.client(cmd).listPlugins();
      if (opts.json) ctx.json({ plugins });
      else ctx.out(renderPluginList(plugins));
    });

  plugin
    .command('get <name>')
    .description('show one plugin: versions, actions, routes, docs')
    .option('--json', 'print raw JSON')
    .action(async (name: string, opts: JsonFlag, cmd: Command) => {
      const view = await ctx.client(cmd).getPlugin(name);
      if (opts.json) ctx.json(view);
      else ctx.out(renderPlugin(view));
    });

  plugin
    .command('pin <name> <version>')
    .description('make a version active and keep it (`none` unpins: the highest version serves)')
    .action(async (name: string, version: string, _opts: unknown, cmd: Command) => {
      const view = await ctx.client(cmd).pin(name, version === 'none' ? null : version);
      ctx.out(`${name}: pinned ${view.pinnedVersion ?? 'none'}, active ${view.activeVersion ?? 'none'}`);
    });

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    plugin
      .command(`${verb} <name>`)
      .description(enabled ? 'activate a disabled plugin' : 'deactivate a plugin, keeping it installed')
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        const view = await ctx.client(cmd).setEnabled(name, enabled);
        ctx.out(`${name}: ${enabled ? 'enabled' : 'disabled'}, active ${view.activeVersion ?? 'none'}`);
      });
  }
}

function registerDocsAndActions(plugin: Command, ctx: CommandContext): void {
  plugin
    .command('docs <name> [page]')
    .description("list a plugin's doc pages, or print one")
    .option('--json', 'print raw JSON (page list only)')
    .action(async (name: string, page: string | undefined, opts: JsonFlag, cmd: Command) => {
      const client = ctx.client(cmd);
      if (page) return ctx.out(await client.getDoc(name, page));
      const pages = await client.listDocs(name);
      if (opts.json) return ctx.json({ pages });
      return ctx.out(pages.length > 0 ? pages.join('\n') : `${name} has no doc pages`);
    });

  plugin
    .command('action <name> [action] [input]')
    .description("run a plugin's action with JSON input (without an action: list them)")
    .option('--json', 'print raw JSON (action list)')
    .action(
      async (name: string, action: string | undefined, input: string | undefined, opts: JsonFlag, cmd: Command) => {
        const client = ctx.client(cmd);
        if (!action) {
          const actions = await client.listActions(name);
          if (opts.json) return ctx.json({ actions });
          return ctx.out(
            renderTable(
              ['NAME', 'DESCRIPTION'],
              actions.map((a) => [a.name, a.description]),
            ),
          );
        }
        const result = await client.runAction(name, action, parseJsonInput(input));
        return ctx.out(typeof result === 'string' ? result : toJson(result));
      },
    );
}

export function parseJsonInput(input: string | undefined): unknown {
  if (input === undefined) return {};
  try {
    return JSON.parse(input);
  } catch (error) {
    throw new CliError(`action input must be JSON (e.g. '{"key": 1}'): ${(error as Error).message}`);
  }
}
