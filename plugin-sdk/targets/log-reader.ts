import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LogChunk } from '../index.js';

export const DEFAULT_LOG_LIMIT = 64 * 1024;

export function replicaLogFile(logDir: string, index: number): string {
  return path.join(logDir, `replica-${index}.log`);
}

async function sizeOf(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

async function readRange(file: string, from: number, length: number): Promise<Buffer> {
  if (length <= 0) return Buffer.alloc(0);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, from);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Bytes of `buf` that end on a whole UTF-8 character: a character cut by `limit` comes next time. */
function wholeCharLength(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const byte = buf[buf.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? buf.length - back : buf.length;
  }
  return buf.length;
}

interface Piece {
  replica: number;
  bytes: Buffer;
  atLineStart: boolean;
}

async function readPieces(files: string[], sizes: number[], start: number, end: number): Promise<Piece[]> {
  const pieces: Piece[] = [];
  let base = 0;
  for (const [replica, file] of files.entries()) {
    const size = sizes[replica]!;
    const from = Math.max(start, base) - base;
    const to = Math.min(end, base + size) - base;
    if (to > from) {
      const atLineStart = from === 0 || (await readRange(file, from - 1, 1)).toString() === '\n';
      pieces.push({ replica, bytes: await readRange(file, from, to - from), atLineStart });
    }
    base += size;
  }
  return pieces;
}

function prefixLines(text: string, prefix: string, atLineStart: boolean): string {
  const body = text.replace(/\n(?!$)/g, `\n${prefix}`);
  return atLineStart ? prefix + body : body;
}

/**
 * Read a job's log. One replica: `replica-0.log` byte for byte. Several: the replicas' files
 * one after another (replica 0 first), every line prefixed with `[replica i] `; offsets count the
 * files' bytes (not the prefixes). `offset < 0` reads the last `-offset` bytes, from a line start.
 */
export async function readJobLog(
  logDir: string,
  replicaCount: number,
  offset: number,
  limit = DEFAULT_LOG_LIMIT,
): Promise<LogChunk> {
  const files = Array.from({ length: Math.max(1, replicaCount) }, (_, i) => replicaLogFile(logDir, i));
  const sizes = await Promise.all(files.map(sizeOf));
  const total = sizes.reduce((a, b) => a + b, 0);
  const tail = offset < 0;
  const start = tail ? Math.max(0, total + offset) : Math.min(offset, total);
  const pieces = await readPieces(files, sizes, start, Math.min(total, start + Math.max(0, limit)));
  const last = pieces.at(-1);
  if (last) {
    const whole = wholeCharLength(last.bytes);
    if (whole > 0 || pieces.length > 1) last.bytes = last.bytes.subarray(0, whole);
  }
  let skipped = 0;
  const first = pieces[0];
  if (tail && start > 0 && first && !first.atLineStart) {
    const newline = first.bytes.indexOf(0x0a);
    if (newline >= 0 && newline < first.bytes.length - 1) {
      skipped = newline + 1;
      first.bytes = first.bytes.subarray(skipped);
      first.atLineStart = true;
    }
  }
  const read = pieces.reduce((n, p) => n + p.bytes.length, 0) + skipped;
  const several = files.length > 1;
  const text = pieces
    .map((p) =>
      several
        ? prefixLines(p.bytes.toString('utf8'), `[replica ${p.replica}] `, p.atLineStart)
        : p.bytes.toString('utf8'),
    )
    .join('');
  return { text, offset: start + read };
}

/** The last `lines` lines of a file (for error messages); empty when there is no file. */
export async function tailLines(file: string, lines = 20): Promise<string> {
  const size = await sizeOf(file);
  const from = Math.max(0, size - 16 * 1024);
  const text = (await readRange(file, from, size - from).catch(() => Buffer.alloc(0))).toString('utf8');
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all.slice(-lines).join('\n');
}
