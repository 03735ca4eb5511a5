/**
 * A minimal ZIP writer for tests: local headers + central directory + end record, written by
 * hand so a test can craft what adm-zip refuses to write — `../evil`, `/abs`, `C:\x`, symlink and
 * device attributes, duplicate names, sizes that lie, entries that share data.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface RawEntry {
  /** Written byte for byte (a string is encoded as UTF-8). */
  name: string | Buffer;
  data?: Buffer | string;
  /** Unix mode (type and permission bits), stored in the high 16 bits of the external attributes. */
  mode?: number;
  /** Raw external attributes; overrides `mode`. */
  attr?: number;
  /** 0 stored, 8 deflate (the default, except for empty data, stored like ZIP tools do). */
  method?: number;
  /** Uncompressed size written in the headers, instead of the real one. */
  declaredSize?: number;
  /** General-purpose flags; bit 11 (UTF-8) is set by default. */
  flags?: number;
  /** Point this entry's central record at the local header of entry number `sameDataAs`. */
  sameDataAs?: number;
}

interface Written {
  name: Buffer;
  crc: number;
  compressedSize: number;
  size: number;
  method: number;
  flags: number;
  attr: number;
  offset: number;
}

export function rawZip(entries: readonly RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  const written: Written[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = typeof entry.name === 'string' ? Buffer.from(entry.name, 'utf8') : entry.name;
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : (entry.data ?? Buffer.alloc(0));
    const method = entry.method ?? (data.length > 0 ? 8 : 0);
    const body = method === 8 ? deflateRawSync(data) : data;
    const attr = entry.attr ?? (entry.mode ?? 0o100644) * 0x10000;
    const record: Written = {
      name,
      crc: crc32(data),
      compressedSize: body.length,
      size: entry.declaredSize ?? data.length,
      method,
      flags: entry.flags ?? 0x0800,
      attr: attr >>> 0,
      offset,
    };
    if (entry.sameDataAs !== undefined) {
      written.push({ ...written[entry.sameDataAs]!, name, attr: record.attr });
      continue;
    }
    const local = localHeader(record);
    parts.push(local, name, body);
    offset += local.length + name.length + body.length;
    written.push(record);
  }
  const central = written.map((record) => Buffer.concat([centralHeader(record), record.name]));
  const centralSize = central.reduce((sum, part) => sum + part.length, 0);
  return Buffer.concat([...parts, ...central, endRecord(written.length, centralSize, offset)]);
}

function localHeader(r: Written): Buffer {
  const b = Buffer.alloc(30);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(20, 4);
  b.writeUInt16LE(r.flags, 6);
  b.writeUInt16LE(r.method, 8);
  b.writeUInt16LE(0, 10);
  b.writeUInt16LE(0x21, 12); // 1980-01-01
  b.writeUInt32LE(r.crc, 14);
  b.writeUInt32LE(r.compressedSize, 18);
  b.writeUInt32LE(r.size, 22);
  b.writeUInt16LE(r.name.length, 26);
  b.writeUInt16LE(0, 28);
  return b;
}

function centralHeader(r: Written): Buffer {
  const b = Buffer.alloc(46);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE((3 << 8) | 20, 4); // made by unix
  b.writeUInt16LE(20, 6);
  b.writeUInt16LE(r.flags, 8);
  b.writeUInt16LE(r.method, 10);
  b.writeUInt16LE(0, 12);
  b.writeUInt16LE(0x21, 14);
  b.writeUInt32LE(r.crc, 16);
  b.writeUInt32LE(r.compressedSize, 20);
  b.writeUInt32LE(r.size, 24);
  b.writeUInt16LE(r.name.length, 28);
  // extra, comment, disk, internal attributes: 0
  b.writeUInt32LE(r.attr, 38);
  b.writeUInt32LE(r.offset, 42);
  return b;
}

function endRecord(count: number, centralSize: number, centralOffset: number): Buffer {
  const b = Buffer.alloc(22);
  b.writeUInt32LE(0x06054b50, 0);
  b.writeUInt16LE(count, 8);
  b.writeUInt16LE(count, 10);
  b.writeUInt32LE(centralSize, 12);
  b.writeUInt32LE(centralOffset, 16);
  return b;
}
