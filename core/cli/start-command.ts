/** `spindle start`: run a kernel in the foreground until SIGINT / SIGTERM. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { StartOptions } from '../start.js';
import type { CommandContext } from './context.js';
import { CliError, type SignalSource } from './io.js';

export const DEFAULT_PORT = 7070;
export const DEFAULT_HOST = '127.0.0.1';

export function parsePort(value: string, from: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65535) {
    throw new CliError(`${from} must be a port number 0-65535, got ${JSON.stringify(value)}`);
  }
  return port;
}

export function startOptions(
  flags: { port?: string; host?: string; home?: string },
  env: Record<string, string | undefined>,
): StartOptions {
  const port = flags.port
    ? parsePort(flags.port, '--port')
    : env.SPINDLE_PORT
      ? parsePort(env.SPINDLE_PORT, 'SPINDLE_PORT')
      : DEFAULT_PORT;
  return {
    home: resolve(flags.home || env.SPINDLE_HOME || './.spindle'),
    port,
    host: flags.host || env.SPINDLE_HOST || DEFAULT_HOST,
  };
}

function waitForSignal(signals: SignalSource): Promise<string> {
  return new Promise((resolveSignal) => {
    const onInt = (): void => done('SIGINT');
    const onTerm = (): void => done('SIGTERM');
    const done = (signal: string): void => {
      signals.off('SIGINT', onInt);
      signals.off('SIGTERM', onTerm);
      resolveSignal(signal);
    };
    signals.once('SIGINT', onInt);
    signals.once('SIGTERM', onTerm);
  });
}

export function registerStartCommand(program: Command, ctx: CommandContext): void {
  program
    .command('start')
    .description('run a kernel in the foreground (Ctrl-C stops it gracefully)')
    .option('--port <n>', `port (env SPINDLE_PORT, default ${DEFAULT_PORT})`)
    .option('--host <h>', `interface to listen on (env SPINDLE_HOST, default ${DEFAULT_HOST})`)
    .option('--home <dir>', 'state directory (env SPINDLE_HOME, default ./.spindle)')
    .option(
      '--with-defaults',
      'build and install the default plugins: scheduler-fifo, jobtype-python, infra-local, storage-local',
    )
    .option(
      '--safe-mode',
      'activate only the plugins shipped with the kernel; the others stay installed, to fix or remove',
    )
    .action(
      async (flags: { port?: string; host?: string; home?: string; withDefaults?: boolean; safeMode?: boolean }) => {
        const options = {
          ...startOptions(flags, ctx.io.env),
          ...(flags.withDefaults ? { withDefaults: true } : {}),
          ...(flags.safeMode ? { safeMode: true } : {}),
        };
        const startKernel = ctx.io.startKernel ?? (await import('../start.js')).startKernel;
        const signals = ctx.io.signals ?? process;
        const kernel = await startKernel(options);
        ctx.out(
          `Spindle kernel listening on ${kernel.url} (home ${options.home})${flags.safeMode ? ' in safe mode' : ''}`,
        );
        if (kernel.generatedAdminToken !== null) {
          ctx.out(`Admin token: ${kernel.generatedAdminToken}`);
          ctx.out('This token is shown once: store it now, e.g. `spindle login --url <url> --token <token>`.');
        }
        const signal = await waitForSignal(signals);
        ctx.err(`${signal} received, stopping the kernel…`);
        await kernel.close();
        ctx.err('kernel stopped');
      },
    );
}
