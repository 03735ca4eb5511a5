import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { PluginManifest } from '../../plugin-sdk/manifest.js';
import { ProcessLaunch } from './process-launch.js';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('ProcessLaunch', () => {
  it('starts a process when one folder is granted twice (read and write, or two placeholders)', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'spindle-launch-'));
    const launch = new ProcessLaunch({
      packageRoot: root,
      places: { jobs: path.join(home, 'jobs'), transfer: path.join(home, 'transfer') },
      memoryMb: 64,
      nice: 0,
      env: {},
      logger: pino({ level: 'silent' }),
    });
    const manifest = {
      name: 'twice',
      version: '1.0.0',
      permissions: { fsRead: ['/proc', home, '$JOBS'], fsWrite: ['$JOBS', home] },
    } as unknown as PluginManifest;
    const { execArgv } = launch.forPlugin(manifest, {}, home, path.join(home, 'data'));
    expect(execArgv.filter((a) => a === `--allow-fs-read=${home}/*`)).toHaveLength(1);
    const run = spawnSync(process.execPath, [...execArgv, '-e', 'console.log("started")'], { encoding: 'utf8' });
    expect(run.stderr).not.toContain('Assertion failed');
    expect(run.stdout.trim()).toBe('started');
  });
});
