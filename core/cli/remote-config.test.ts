import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFilePath, readConfigFile, resolveRemote, writeConfigFile } from './remote-config.js';

const homes: string[] = [];
afterEach(() => {
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function home(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-home-'));
  homes.push(dir);
  return { HOME: dir };
}

function sink(): { write(text: string): void; text: string } {
  return {
    text: '',
    write(text) {
      this.text += text;
    },
  };
}

describe('config file', () => {
  it('is written with mode 600 in a 700 directory', () => {
    const env = home();
    const file = writeConfigFile(env, { url: 'http://k:1', token: 't' });
    expect(file).toBe(join(env.HOME, '.spindle', 'config.json'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(env.HOME, '.spindle')).mode & 0o777).toBe(0o700);
  });

  it('tightens an existing file that was too open', () => {
    const env = home();
    mkdirSync(join(env.HOME, '.spindle'));
    writeFileSync(configFilePath(env), '{}', { mode: 0o644 });
    writeConfigFile(env, { url: 'http://k:1', token: 't' });
    expect(statSync(configFilePath(env)).mode & 0o777).toBe(0o600);
  });

  it('reads quietly when private, warns once on stderr when group/others can read it', () => {
    const env = home();
    writeConfigFile(env, { url: 'http://k:1', token: 't' });
    const quiet = sink();
    expect(readConfigFile(env, quiet)).toEqual({ url: 'http://k:1', token: 't' });
    expect(quiet.text).toBe('');

    chmodSync(configFilePath(env), 0o644);
    const loud = sink();
    readConfigFile(env, loud);
    expect(loud.text).toMatch(/^warning: .*config\.json is readable by other users \(mode 644\); run: chmod 600 /);
    expect(loud.text.trim().split('\n')).toHaveLength(1);
  });

  it('returns nothing when absent, and a clear error when not JSON', () => {
    const env = home();
    expect(readConfigFile(env, sink())).toEqual({});
    mkdirSync(join(env.HOME, '.spindle'));
    writeFileSync(configFilePath(env), 'nope', { mode: 0o600 });
    expect(() => readConfigFile(env, sink())).toThrow(/config\.json is not valid JSON/);
  });
});

describe('resolveRemote', () => {
  it('prefers flags, then env, then the config file, then the default', () => {
    const env = home();
    writeConfigFile(env, { url: 'http://file:1', token: 'file-token' });
    expect(resolveRemote({}, env, sink())).toEqual({ url: 'http://file:1', token: 'file-token' });
    const withEnv = { ...env, SPINDLE_URL: 'http://env:2', SPINDLE_TOKEN: 'env-token' };
    expect(resolveRemote({}, withEnv, sink())).toEqual({ url: 'http://env:2', token: 'env-token' });
    expect(resolveRemote({ url: 'http://flag:3/', token: 'flag-token' }, withEnv, sink())).toEqual({
      url: 'http://flag:3',
      token: 'flag-token',
    });
    expect(resolveRemote({}, home(), sink())).toEqual({ url: 'http://127.0.0.1:7070', token: undefined });
  });

  it('sends the saved token only to the URL it was saved for', () => {
    const env = home();
    writeConfigFile(env, { url: 'http://file:1', token: 'file-token' });
    expect(resolveRemote({ url: 'http://other:9' }, env, sink()).token).toBeUndefined();
    expect(resolveRemote({ url: 'http://file:1/' }, env, sink()).token).toBe('file-token');
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => resolveRemote({ url: 'ftp://x' }, home(), sink())).toThrow(/only http and https/);
    expect(() => resolveRemote({ url: 'not a url' }, home(), sink())).toThrow(/invalid kernel URL/);
  });
});
