/**
 * A small zip writer (and reader, for checks) on node:zlib: deflate or store per entry, CRC-32,
 * UTF-8 names, Unix mode 0600 on every file. No zip64, so at most 65 535 entries and 4 GiB,
 * far beyond a support bundle. Readable by `unzip`, Windows Explorer, macOS Archive Utility and
 * Python's zipfile. `createZip` builds one in memory; `storedZip` lays out the headers of a zip of
 * stored entries known by size and CRC, so that their bytes can be streamed from disk between them.
 */
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

export interface ZipInput {
  /** Path inside the zip, with `/` separators: `logs/roost.log`. */
  name: string;
  data: Uint8Array | string;
  /** Default: the zip's `modifiedAt`. */
  modifiedAt?: Date;
}

export interface ZipOptions {
  /** Time stamp of entries without their own; default now. */
  modifiedAt?: Date;
  /** zlib level 0–9; default 6. */
  level?: number;
}

const UTF8_FLAG = 0x0800;
const MAX_U32 = 0xffff_ffff;
const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const END_RECORD = 22;

/** Zip times are local wall-clock times with 2-second resolution, from 1980. */
function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, Math.min(2107, d.getFullYear()));
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** Refuses names that would escape the folder they are extracted into, or that repeat. */
export function checkZipName(name: string): void {
  if (
    name === '' ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.includes('\0') ||
    /^[A-Za-z]:/.test(name) ||
    name.split('/').some((part) => part === '..' || part === '.' || part === '')
  ) {
    throw new RangeError(`not a safe name inside a zip: ${JSON.stringify(name)}`);
  }
}

/** One entry as its headers describe it. */
interface EntryFacts {
  name: Buffer;
  /** 0 stored, 8 deflated. */
  method: number;
  crc: number;
  /** Its bytes in the zip, and unpacked. */
  packed: number;
  size: number;
  modifiedAt: Date;
}

function localHeader(e: EntryFacts): Buffer {
  const { time, date } = dosDateTime(e.modifiedAt);
  const local = Buffer.alloc(LOCAL_HEADER);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
  local.writeUInt16LE(UTF8_FLAG, 6);
  local.writeUInt16LE(e.method, 8);
  local.writeUInt16LE(time, 10);
  local.writeUInt16LE(date, 12);
  local.writeUInt32LE(e.crc, 14);
  local.writeUInt32LE(e.packed, 18);
  local.writeUInt32LE(e.size, 22);
  local.writeUInt16LE(e.name.length, 26);
  local.writeUInt16LE(0, 28);
  return Buffer.concat([local, e.name]);
}

function centralHeader(e: EntryFacts, offset: number): Buffer {
  const { time, date } = dosDateTime(e.modifiedAt);
  const central = Buffer.alloc(CENTRAL_HEADER);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode below counts)
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(UTF8_FLAG, 8);
  central.writeUInt16LE(e.method, 10);
  central.writeUInt16LE(time, 12);
  central.writeUInt16LE(date, 14);
  central.writeUInt32LE(e.crc, 16);
  central.writeUInt32LE(e.packed, 20);
  central.writeUInt32LE(e.size, 24);
  central.writeUInt16LE(e.name.length, 28);
  central.writeUInt16LE(0, 30); // extra
  central.writeUInt16LE(0, 32); // comment
  central.writeUInt16LE(0, 34); // disk
  central.writeUInt16LE(0, 36); // internal attributes
  central.writeUInt32LE((0o100600 << 16) >>> 0, 38); // regular file, rw-------
  central.writeUInt32LE(offset, 42);
  return Buffer.concat([central, e.name]);
}

function endRecord(count: number, directoryLength: number, directoryOffset: number): Buffer {
  const end = Buffer.alloc(END_RECORD);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directoryLength, 12);
  end.writeUInt32LE(directoryOffset, 16);
  end.writeUInt16LE(0, 20);
  return end;
}

/**
 * The headers around each entry's bytes and the trailer (central directory and end record) of
 * a zip whose entries come in the order given, with their offsets; refuses what a zip without
 * zip64 can't hold (RangeError).
 */
function layout(entries: readonly EntryFacts[]): {
  headers: Buffer[];
  trailer: Buffer;
  length: number;
} {
  if (entries.length > 0xffff) throw new RangeError('too many entries for a zip without zip64');
  const seen = new Set<string>();
  const headers: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = e.name.toString('utf8');
    checkZipName(name);
    if (seen.has(name)) throw new RangeError(`duplicate name in zip: ${name}`);
    seen.add(name);
    if (e.size > MAX_U32 || e.packed > MAX_U32 || offset > MAX_U32)
      throw new RangeError('entry too large for a zip without zip64');
    const header = localHeader(e);
    headers.push(header);
    centrals.push(centralHeader(e, offset));
    offset += header.length + e.packed;
  }
  const directory = Buffer.concat(centrals);
  if (offset > MAX_U32 || offset + directory.length > MAX_U32)
    throw new RangeError('too large for a zip without zip64');
  const trailer = Buffer.concat([directory, endRecord(entries.length, directory.length, offset)]);
  return { headers, trailer, length: offset + trailer.length };
}

/** The zip file's bytes. */
export function createZip(entries: readonly ZipInput[], options: ZipOptions = {}): Buffer {
  const stamp = options.modifiedAt ?? new Date();
  const bodies: Buffer[] = [];
  const facts: EntryFacts[] = [];
  for (const entry of entries) {
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : Buffer.from(entry.data);
    const deflated = deflateRawSync(data, { level: options.level ?? 6 });
    const method = deflated.length < data.length ? 8 : 0;
    const body = method === 8 ? deflated : data;
    bodies.push(body);
    facts.push({
      name: Buffer.from(entry.name),
      method,
      crc: crc32(data),
      packed: body.length,
      size: data.length,
      modifiedAt: entry.modifiedAt ?? stamp,
    });
  }
  const { headers, trailer } = layout(facts);
  return Buffer.concat([...headers.flatMap((h, i) => [h, bodies[i] as Buffer]), trailer]);
}

/** An entry of a stored zip, known before its bytes are read: its size and CRC-32. */
export interface StoredEntry {
  name: string;
  size: number;
  crc: number;
  modifiedAt: Date;
}

/**
 * A zip of stored (uncompressed) entries: the header to send before each entry's bytes, the
 * trailer after the last, and the zip's exact length. RangeError for what a zip without zip64
 * can't hold (more than 65 535 entries or 4 GiB).
 */
export function storedZip(entries: readonly StoredEntry[]): {
  headers: Buffer[];
  trailer: Buffer;
  length: number;
} {
  return layout(
    entries.map((e) => ({
      name: Buffer.from(e.name),
      method: 0,
      crc: e.crc,
      packed: e.size,
      size: e.size,
      modifiedAt: e.modifiedAt,
    })),
  );
}

export interface ZipEntry {
  name: string;
  data: Buffer;
  method: number;
  /** Unix mode from the external attributes, when made on Unix. */
  mode: number | null;
  modifiedAt: Date;
}

/** Reads a zip written by `createZip` (or any zip without zip64 or encryption); checks CRCs. */
export function readZip(zip: Uint8Array): ZipEntry[] {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory entry');
    const madeBy = buf.readUInt16LE(p + 4) >> 8;
    const method = buf.readUInt16LE(p + 10);
    const time = buf.readUInt16LE(p + 12);
    const date = buf.readUInt16LE(p + 14);
    const crc = buf.readUInt32LE(p + 16);
    const size = buf.readUInt32LE(p + 20);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    const external = buf.readUInt32LE(p + 38);
    const localOffset = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    p += 46 + nameLength + extraLength + commentLength;
    if (buf.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`bad local header: ${name}`);
    const start =
      localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
    const body = buf.subarray(start, start + size);
    const data = method === 8 ? inflateRawSync(body) : method === 0 ? Buffer.from(body) : null;
    if (!data) throw new Error(`unsupported compression method ${method}: ${name}`);
    if (crc32(data) !== crc) throw new Error(`CRC mismatch: ${name}`);
    out.push({
      name,
      data,
      method,
      mode: madeBy === 3 ? (external >>> 16) & 0o7777 : null,
      modifiedAt: new Date(
        (date >> 9) + 1980,
        ((date >> 5) & 0xf) - 1,
        date & 0x1f,
        time >> 11,
        (time >> 5) & 0x3f,
        (time & 0x1f) * 2,
      ),
    });
  }
  return out;
}
