import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PluginLogger } from 'spindle/plugin-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { LAST_SEEN_INTERVAL_MS, UserDirectory } from './user-directory.js';

const lines: { level: string; msg?: string }[] = [];
const logger: PluginLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: (_o, msg) => void lines.push({ level: 'info', msg }),
  warn: (_o, msg) => void lines.push({ level: 'warn', msg }),
  error: (_o, msg) => void lines.push({ level: 'error', msg }),
  child: () => logger,
};

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sso-users-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  lines.length = 0;
});

describe('UserDirectory', () => {
  it('creates on first sight and updates lastSeen at most once a minute', async () => {
    const dir = tempDir();
    let now = Date.parse('2025-01-01T00:00:00Z');
    const users = new UserDirectory(dir, logger, () => now);
    expect(await users.seen('ada', 'Ada', ['eng'])).toBe('created');
    now += 10_000;
    expect(await users.seen('ada', 'Ada', ['eng'])).toBe('unchanged');
    expect(JSON.parse(readFileSync(users.file, 'utf8')).ada.lastSeen).toBe('2025-01-01T00:00:00.000Z');
    now += LAST_SEEN_INTERVAL_MS;
    expect(await users.seen('ada', 'Ada', ['eng'])).toBe('updated');
    expect(JSON.parse(readFileSync(users.file, 'utf8')).ada).toEqual({
      name: 'Ada',
      groups: ['eng'],
      firstSeen: '2025-01-01T00:00:00.000Z',
      lastSeen: '2025-01-01T00:01:10.000Z',
    });
    now += 1_000;
    expect(await users.seen('ada', 'Ada L.', ['eng', 'ml'])).toBe('updated');
    expect(readdirSync(dir)).toEqual(['users.json']);
  });

  it('keeps users across instances and survives concurrent sightings', async () => {
    const dir = tempDir();
    const first = new UserDirectory(dir, logger);
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => first.seen(id, id, [])));
    const second = new UserDirectory(dir, logger);
    expect(Object.keys(JSON.parse(readFileSync(second.file, 'utf8'))).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(await second.seen('a', 'a', [])).toBe('unchanged');
  });

  it('moves a corrupt users.json aside and starts empty', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'users.json'), '{not json');
    const users = new UserDirectory(dir, logger);
    expect(await users.seen('ada', 'Ada', [])).toBe('created');
    expect(readdirSync(dir).some((f) => f.startsWith('users.json.corrupt-'))).toBe(true);
    expect(lines.some((l) => l.level === 'warn')).toBe(true);
  });
});
