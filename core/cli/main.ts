/**
 * The `spindle` command line. `runCli` runs it in-process and returns the exit code, so tests
 * inject stdout/stderr/env; `run.ts` is the process entry that bin/spindle.js imports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CommandContext } from './context.js';
import { registerDeployCommands } from './deploy-command.js';
import { formatError } from './format.js';
import { type CliIo, processIo } from './io.js';
import { registerJobCommands } from './job-commands.js';
import { registerActivityCommand, registerLoginCommand, registerMaintenanceCommand } from './misc-commands.js';
import { registerPluginCommands } from './plugin-commands.js';
import { registerStartCommand } from './start-command.js';
import { registerValidateCommand } from './validate-command.js';
import { registerVolumeCommands } from './volume-commands.js';

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
  registerMaintenanceCommand(program, ctx);
  registerValidateCommand(program, ctx);
  registerDeployCommands(program, ctx);
  registerJobCommands(program, ctx);
  registerVolumeCommands(program, ctx);
  return program;
}

/**
 * Commander reads the program's `--version` wherever it stands, so `spindle logs adder --version
 * 1.0.0` would print the package version. For a command with its own `--version <v>` (a job
 * version), the flag is handed on as `--version=<v>`, which the program leaves to the command.
 */
function commandVersionArgs(argv: string[], program: Command): string[] {
  let command = program;
  let at = -1;
  argv.forEach((arg, index) => {
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (sub && !argv.slice(0, index).includes('--')) [command, at] = [sub, index];
  });
  if (!command.options.some((option) => option.long === '--version' && option.required)) return argv;
  const out = argv.slice(0, at + 1);
  for (let i = at + 1; i < argv.length; i++) {
    if (argv[i] === '--') return [...out, ...argv.slice(i)];
    const value = argv[i + 1];
    if (argv[i] !== '--version') out.push(argv[i]!);
    else if (value === undefined || value.startsWith('-')) out.push('--version=');
    else {
      out.push(`--version=${value}`);
      i++;
    }
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
    io.stderr.write(formatError(error, io.env.SPINDLE_DEBUG === '1'));
    return 1;
  }
}
