import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJobLog, tailLines } from './log-reader.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function logs(files: string[]): string {
  dir = mkdtempSync(path.join(os.tmpdir(), 'infra-local-logs-'));
  for (const [i, text] of files.entries()) writeFileSync(path.join(dir, `replica-${i}.log`), text);
  return dir;
}

describe('readJobLog', () => {
  it('reads one replica byte for byte, from an offset, with a limit, and as a tail from a line start', async () => {
    const d = logs(['line1\nline2\nline3\n']);
    expect(await readJobLog(d, 1, 0)).toEqual({ text: 'line1\nline2\nline3\n', offset: 18 });
    expect(await readJobLog(d, 1, 6, 6)).toEqual({ text: 'line2\n', offset: 12 });
    expect(await readJobLog(d, 1, -8)).toEqual({ text: 'line3\n', offset: 18 });
    expect(await readJobLog(d, 1, -100)).toEqual({ text: 'line1\nline2\nline3\n', offset: 18 });
    expect(await readJobLog(d, 1, 99)).toEqual({ text: '', offset: 18 });
  });

  it('prefixes lines when there are several replicas, and not in the middle of a line', async () => {
    const d = logs(['a1\na2\n', 'b1\n']);
    expect(await readJobLog(d, 2, 0)).toEqual({ text: '[replica 0] a1\n[replica 0] a2\n[replica 1] b1\n', offset: 9 });
    expect(await readJobLog(d, 2, 1, 4)).toEqual({ text: '1\n[replica 0] a2', offset: 5 });
    expect(await readJobLog(d, 2, 5)).toEqual({ text: '\n[replica 1] b1\n', offset: 9 });
  });

  it('never cuts a UTF-8 character in two, and treats a missing file as empty', async () => {
    const d = logs(['aé\n']);
    expect(await readJobLog(d, 1, 0, 2)).toEqual({ text: 'a', offset: 1 });
    expect(await readJobLog(d, 1, 1, 3)).toEqual({ text: 'é\n', offset: 4 });
    expect(await readJobLog(path.join(d, 'none'), 1, 0)).toEqual({ text: '', offset: 0 });
  });
});

describe('tailLines', () => {
  it('returns the last lines of a file, or nothing', async () => {
    const d = logs([`${Array.from({ length: 30 }, (_, i) => `l${i}`).join('\n')}\n`]);
    expect(await tailLines(path.join(d, 'replica-0.log'), 3)).toBe('l27\nl28\nl29');
    expect(await tailLines(path.join(d, 'missing.log'))).toBe('');
  });
});
