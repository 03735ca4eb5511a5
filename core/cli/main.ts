/**
 * The `spindle` command line. `runCli` runs it in-process and returns the exit code, so tests
 * inject stdout/stderr/env; `run.ts` is the process entry that bin/spindle.js imports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CommandContext } from './context.js';
import { formatError } from './format.js';
import { processIo, type CliIo } from './io.js';
import { registerDeployCommands } from './deploy-command.js';
import { registerJobCommands } from './job-commands.js';
import { registerActivityCommand, registerLoginCommand } from './misc-commands.js';
import { registerPluginCommands } from './plugin-commands.js';
import { registerStartCommand } from './start-command.js';
import { registerValidateCommand } from './validate-command.js';

/** The package version, found by walking up from this file (works from source and from build/). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'spindle' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

export function buildProgram(io: CliIo = processIo()): Command {
  const ctx = new CommandContext(io);
  const program = new Command('spindle');
  // Set before adding subcommands: commander copies these settings into each one it creates.
  program
    .description('Spindle plugin kernel: run a kernel and manage its plugins')
    .version(packageVersion(), '-V, --version')
    .option('--url <url>', 'kernel URL (env SPINDLE_URL, ~/.spindle/config.json, default http://127.0.0.1:7070)')
    .option('--token <token>', 'API token (env SPINDLE_TOKEN, ~/.spindle/config.json)')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  registerStartCommand(program, ctx);
  registerPluginCommands(program, ctx);
  registerActivityCommand(program, ctx);
  registerLoginCommand(program, ctx);
  registerValidateCommand(program, ctx);
  registerDeployCommands(program, ctx);
  registerJobCommands(program, ctx);
  return program;
}

/**
 * Commander reads the program's `--version` wherever it stands, so `spindle logs adder --version
 * 1.0.0` would print the package version. After a command name `--version <v>` names a job
 * version: written as `--version=<v>` it passes through to the command.
 */
function commandVersionArgs(argv: string[], program: Command): string[] {
  const names = new Set(program.commands.flatMap((command) => [command.name(), ...command.aliases()]));
  const at = argv.findIndex((arg) => names.has(arg));
  const end = argv.indexOf('--');
  if (at === -1) return argv;
  const out = argv.slice(0, at + 1);
  for (let i = at + 1; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === '--version' && value !== undefined && (end === -1 || i < end)) {
      out.push(`--version=${value}`);
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

/** Runs `spindle <argv…>` (argv without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(commandVersionArgs(argv, program), { from: 'user' });
    return 0;
  } catch (error) {
    // Commander has already written its own usage error or help text.
    if (error instanceof CommanderError) return error.exitCode;
    io.stderr.write(formatError(error, io.env['SPINDLE_DEBUG'] === '1'));
    return 1;
  }
}
