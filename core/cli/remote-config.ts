/**
 * Which kernel the CLI talks to, and with which token: flags, then `SPINDLE_URL` / `SPINDLE_TOKEN`,
 * then `~/.spindle/config.json` (written by `spindle login`, mode 600), then the local default.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, type Writer } from './io.js';

export const DEFAULT_URL = 'http://127.0.0.1:7070';

export interface RemoteConfig {
  url?: string;
  token?: string;
}

export interface Remote {
  url: string;
  token: string | undefined;
}

export function configFilePath(env: Record<string, string | undefined>): string {
  return join(env.HOME || homedir(), '.spindle', 'config.json');
}

/** Reads the config file if present; warns on stderr when group or others can read it. */
export function readConfigFile(env: Record<string, string | undefined>, stderr: Writer): RemoteConfig {
  const file = configFilePath(env);
  if (!existsSync(file)) return {};
  const mode = statSync(file).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    stderr.write(`warning: ${file} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${file}\n`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(
      `${file} is not valid JSON (${(error as Error).message}); fix it or run \`spindle login\` again`,
    );
  }
  if (!parsed || typeof parsed !== 'object') throw new CliError(`${file} must hold a JSON object {url, token}`);
  const { url, token } = parsed as Record<string, unknown>;
  return {
    ...(typeof url === 'string' ? { url } : {}),
    ...(typeof token === 'string' ? { token } : {}),
  };
}

/** Writes the config file with mode 600 (its directory 700), tightening an existing file too. */
export function writeConfigFile(env: Record<string, string | undefined>, config: RemoteConfig): string {
  const file = configFilePath(env);
  const dir = join(file, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // `mode` applies only when the file is created; an existing file keeps its old mode otherwise.
  chmodSync(file, 0o600);
  return file;
}

export function normaliseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`invalid kernel URL ${JSON.stringify(url)}; expected e.g. ${DEFAULT_URL}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(`invalid kernel URL ${JSON.stringify(url)}: only http and https are supported`);
  }
  return parsed.href.replace(/\/+$/, '');
}

/**
 * The token from the config file is only sent to the URL it was saved for, so pointing `--url`
 * at another kernel never leaks it there.
 */
export function resolveRemote(
  flags: { url?: string; token?: string },
  env: Record<string, string | undefined>,
  stderr: Writer,
): Remote {
  const needFile = !flags.url || !flags.token;
  const file = needFile && !(env.SPINDLE_URL && env.SPINDLE_TOKEN) ? readConfigFile(env, stderr) : {};
  const url = normaliseUrl(flags.url || env.SPINDLE_URL || file.url || DEFAULT_URL);
  const fileToken = file.url && normaliseUrl(file.url) === url ? file.token : undefined;
  const token = flags.token || env.SPINDLE_TOKEN || fileToken;
  return { url, token: token || undefined };
}
