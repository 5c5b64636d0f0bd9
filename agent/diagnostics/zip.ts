/**
 * A small zip writer (and reader, for checks) on node:zlib: deflate or store per entry, CRC-32,
 * UTF-8 names, Unix mode 0600 on every file. No zip64, so at most 65 535 entries and 4 GiB,
 * far beyond a support bundle. Readable by `unzip`, Windows Explorer, macOS Archive Utility and
 * Python's zipfile.
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

/** The zip file's bytes. */
export function createZip(entries: readonly ZipInput[], options: ZipOptions = {}): Buffer {
  if (entries.length > 0xffff) throw new RangeError('too many entries for a zip without zip64');
  const stamp = options.modifiedAt ?? new Date();
  const seen = new Set<string>();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    checkZipName(entry.name);
    if (seen.has(entry.name)) throw new RangeError(`duplicate name in zip: ${entry.name}`);
    seen.add(entry.name);
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : Buffer.from(entry.data);
    const deflated = deflateRawSync(data, { level: options.level ?? 6 });
    const method = deflated.length < data.length ? 8 : 0;
    const body = method === 8 ? deflated : data;
    if (data.length > MAX_U32 || body.length > MAX_U32 || offset > MAX_U32) {
      throw new RangeError('entry too large for a zip without zip64');
    }
    const name = Buffer.from(entry.name);
    const crc = crc32(data);
    const { time, date } = dosDateTime(entry.modifiedAt ?? stamp);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(UTF8_FLAG, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode below counts)
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(UTF8_FLAG, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE((0o100600 << 16) >>> 0, 38); // regular file, rw-------
    central.writeUInt32LE(offset, 42);

    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, directory, end]);
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
