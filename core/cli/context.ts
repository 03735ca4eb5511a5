/** What every command action needs: the io and a client for the kernel named by flags/env/config. */
import type { Command } from 'commander';
import { ApiClient } from './api-client.js';
import { toJson } from './format.js';
import type { CliIo } from './io.js';
import { resolveRemote } from './remote-config.js';

export interface GlobalOptions {
  url?: string;
  token?: string;
}

export class CommandContext {
  constructor(readonly io: CliIo) {}

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  err(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  json(value: unknown): void {
    this.io.stdout.write(toJson(value));
  }

  client(command: Command): ApiClient {
    const remote = resolveRemote(command.optsWithGlobals<GlobalOptions>(), this.io.env, this.io.stderr);
    return new ApiClient({ ...remote, ...(this.io.fetch ? { fetch: this.io.fetch } : {}) });
  }
}
