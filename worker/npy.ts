/**
 * NumPy `.npy` files, read and written without copies where the layout allows: the dtypes
 * onnxruntime takes (float16/32/64, int8/16/32/64, uint8/16/32/64, bool), C order, format
 * versions 1.0, 2.0 and 3.0. No maintained npm library both reads and writes .npy with these
 * dtypes (npyjs and numpy-parser only read, and npyjs pulls in a fetch library), so this is ours.
 * Pure code: no Node APIs, so it runs in the worker and in tests alike.
 *
 * Everything here treats the bytes as hostile: the header is parsed by a small tokenizer (never
 * evaluated), its size, the rank and every dimension are capped, and the data must be exactly
 * as long as the shape says.
 */

export type NpyDtype =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool';

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the data from the start of the file. */
  dataOffset: number;
  /** Bytes of data the shape calls for. */
  dataBytes: number;
  littleEndian: boolean;
}

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** float16 as raw Uint16Array bits, bool as Uint8Array of 0/1 (what onnxruntime takes). */
  data: NpyData;
}

export type NpyResult<T> = { ok: true; value: T } | { ok: false; error: string };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy itself refuses headers over 10 000 bytes unless told otherwise. */
export const MAX_HEADER_BYTES = 65_536;
export const MAX_RANK = 32;

interface DtypeInfo {
  dtype: NpyDtype;
  size: number;
}

const DESCR: Record<string, DtypeInfo> = {
  f4: { dtype: 'float32', size: 4 },
  f2: { dtype: 'float16', size: 2 },
  f8: { dtype: 'float64', size: 8 },
  i1: { dtype: 'int8', size: 1 },
  i2: { dtype: 'int16', size: 2 },
  i4: { dtype: 'int32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  u1: { dtype: 'uint8', size: 1 },
  u2: { dtype: 'uint16', size: 2 },
  u4: { dtype: 'uint32', size: 4 },
  u8: { dtype: 'uint64', size: 8 },
  b1: { dtype: 'bool', size: 1 },
  '?': { dtype: 'bool', size: 1 },
};

const DESCR_OF: Record<NpyDtype, string> = {
  float32: '<f4',
  float16: '<f2',
  float64: '<f8',
  int8: '|i1',
  int16: '<i2',
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
  uint16: '<u2',
  uint32: '<u4',
  uint64: '<u8',
  bool: '|b1',
};

export const NPY_ITEM_BYTES: Record<NpyDtype, number> = {
  float32: 4,
  float16: 2,
  float64: 8,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  bool: 1,
};

// ---------------------------------------------------------------------------------------------
// Header

type Token =
  | { kind: 'str'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'punct'; value: string };

function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      i++;
    } else if ('{}():,[]'.includes(c)) {
      tokens.push({ kind: 'punct', value: c });
      i++;
    } else if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return 'an unterminated string';
      const value = text.slice(i + 1, end);
      if (value.includes('\\')) return 'an escaped string';
      tokens.push({ kind: 'str', value });
      i = end + 1;
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < text.length && /[0-9]/.test(text[j] as string)) j++;
      // A Python 2 long ("3L") is still a dimension.
      const digits = text.slice(i, j);
      if (text[j] === 'L') j++;
      if (digits.length > 16) return `the dimension ${digits.slice(0, 20)}… is absurd`;
      tokens.push({ kind: 'int', value: Number(digits) });
      i = j;
    } else if (text.startsWith('True', i)) {
      tokens.push({ kind: 'bool', value: true });
      i += 4;
    } else if (text.startsWith('False', i)) {
      tokens.push({ kind: 'bool', value: false });
      i += 5;
    } else if (c === '-') {
      return 'a negative dimension';
    } else {
      return `an unexpected character ${JSON.stringify(c)}`;
    }
  }
  return tokens;
}

interface HeaderDict {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

function parseDict(text: string): NpyResult<HeaderDict> {
  const tokens = tokenize(text);
  if (typeof tokens === 'string') return { ok: false, error: `the header has ${tokens}` };
  let pos = 0;
  const next = () => tokens[pos++];
  const expect = (value: string) => {
    const t = next();
    return t !== undefined && t.kind === 'punct' && t.value === value;
  };
  const bad = (why: string): NpyResult<HeaderDict> => ({ ok: false, error: `the header ${why}` });
  if (!expect('{')) return bad('is not a dictionary');
  let descr: string | undefined;
  let fortranOrder: boolean | undefined;
  let shape: number[] | undefined;
  for (;;) {
    const key = next();
    if (key === undefined) return bad('ends early');
    if (key.kind === 'punct' && key.value === '}') break;
    if (key.kind !== 'str') return bad('has a key that is not a string');
    if (!expect(':')) return bad(`has no ':' after '${key.value}'`);
    if (key.value === 'descr') {
      const v = next();
      if (v?.kind !== 'str') {
        return bad('describes a structured dtype, which onnxruntime cannot take');
      }
      descr = v.value;
    } else if (key.value === 'fortran_order') {
      const v = next();
      if (v?.kind !== 'bool') return bad('has a fortran_order that is not True or False');
      fortranOrder = v.value;
    } else if (key.value === 'shape') {
      if (!expect('(')) return bad('has a shape that is not a tuple');
      shape = [];
      for (;;) {
        const t = next();
        if (t === undefined) return bad('ends inside the shape');
        if (t.kind === 'punct' && t.value === ')') break;
        if (t.kind !== 'int') return bad('has a shape entry that is not a whole number');
        shape.push(t.value);
        if (shape.length > MAX_RANK) return bad(`has more than ${MAX_RANK} dimensions`);
        const sep = next();
        if (sep?.kind === 'punct' && sep.value === ')') break;
        if (!(sep?.kind === 'punct' && sep.value === ',')) return bad('has a malformed shape');
      }
    } else {
      return bad(`has an unknown key '${key.value}'`);
    }
    const sep = next();
    if (sep?.kind === 'punct' && sep.value === '}') break;
    if (!(sep?.kind === 'punct' && sep.value === ',')) return bad('has a malformed dictionary');
  }
  if (pos !== tokens.length) return bad('has text after the dictionary');
  if (descr === undefined || fortranOrder === undefined || shape === undefined) {
    return bad('lacks descr, fortran_order or shape');
  }
  return { ok: true, value: { descr, fortranOrder, shape } };
}

/** Reads and checks the header of a .npy file; `bytes` needs only the header's bytes. */
export function parseNpyHeader(bytes: Uint8Array): NpyResult<NpyHeader> {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    return { ok: false, error: 'not a .npy file (the magic bytes are missing)' };
  }
  const major = bytes[6] as number;
  let headerLength: number;
  let start: number;
  if (major === 1) {
    headerLength = (bytes[8] as number) | ((bytes[9] as number) << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) return { ok: false, error: 'the .npy header is truncated' };
    headerLength =
      ((bytes[8] as number) |
        ((bytes[9] as number) << 8) |
        ((bytes[10] as number) << 16) |
        ((bytes[11] as number) << 24)) >>>
      0;
    start = 12;
  } else {
    return { ok: false, error: `.npy format version ${major} is not supported (1 to 3 are)` };
  }
  if (headerLength > MAX_HEADER_BYTES) {
    return { ok: false, error: `the .npy header claims ${headerLength} bytes, which is absurd` };
  }
  if (bytes.length < start + headerLength) {
    return { ok: false, error: 'the .npy header is truncated' };
  }
  const raw = bytes.subarray(start, start + headerLength);
  let text = '';
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      return { ok: false, error: 'the .npy header is not UTF-8' };
    }
  } else {
    for (const b of raw) {
      if (b > 0x7e) return { ok: false, error: 'the .npy header is not ASCII' };
      text += String.fromCharCode(b);
    }
  }
  const dict = parseDict(text);
  if (!dict.ok) return { ok: false, error: `invalid .npy: ${dict.error}` };
  const { descr, fortranOrder, shape } = dict.value;
  if (fortranOrder) {
    return {
      ok: false,
      error:
        'the array is in Fortran order; save it in C order (numpy.ascontiguousarray) and try again',
    };
  }
  const m = /^([<>|=]?)(.+)$/.exec(descr);
  const info = m ? DESCR[m[2] as string] : undefined;
  if (!m || !info) {
    return {
      ok: false,
      error: `the dtype '${descr.slice(0, 40)}' is not one onnxruntime takes (float16/32/64, int8-64, uint8-64, bool)`,
    };
  }
  const order = m[1];
  if (order === '|' && info.size !== 1) {
    return { ok: false, error: `the dtype '${descr}' has no byte order` };
  }
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d)) return { ok: false, error: `the dimension ${d} is absurd` };
    count *= d;
    if (!Number.isSafeInteger(count * info.size)) {
      return { ok: false, error: `the shape (${shape.join(', ')}) is absurdly large` };
    }
  }
  return {
    ok: true,
    value: {
      dtype: info.dtype,
      shape,
      dataOffset: start + headerLength,
      dataBytes: count * info.size,
      littleEndian: order !== '>',
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Data

function view(dtype: NpyDtype, buffer: ArrayBufferLike, offset: number, length: number): NpyData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, offset, length);
    case 'float16':
    case 'uint16':
      return new Uint16Array(buffer, offset, length);
    case 'float64':
      return new Float64Array(buffer, offset, length);
    case 'int8':
      return new Int8Array(buffer, offset, length);
    case 'int16':
      return new Int16Array(buffer, offset, length);
    case 'int32':
      return new Int32Array(buffer, offset, length);
    case 'int64':
      return new BigInt64Array(buffer, offset, length);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, offset, length);
    case 'uint32':
      return new Uint32Array(buffer, offset, length);
    case 'uint64':
      return new BigUint64Array(buffer, offset, length);
  }
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The last header `decodeNpy` parsed for one stream of files: a batch's inputs of one name share
 * their header byte for byte, and comparing ~128 bytes costs far less than tokenizing them again
 * (measured: ~15 µs a file, on a 2-core machine). Equal bytes parse to the same header, so
 * nothing a file says goes unchecked.
 */
export interface NpyHeaderMemo {
  raw?: Uint8Array;
  header?: NpyHeader;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/**
 * Decodes a whole .npy file. The data is a view of `bytes` when it is aligned and in the host's
 * byte order (the usual case: numpy pads headers to 64 bytes), a copy otherwise.
 */
export function decodeNpy(bytes: Uint8Array, seen?: NpyHeaderMemo): NpyResult<NpyArray> {
  let header: NpyResult<NpyHeader>;
  if (seen?.raw && startsWith(bytes, seen.raw)) {
    header = { ok: true, value: seen.header as NpyHeader };
  } else {
    header = parseNpyHeader(bytes);
    if (!header.ok) return header;
    if (seen) {
      seen.raw = bytes.slice(0, header.value.dataOffset);
      seen.header = header.value;
    }
  }
  const { dtype, shape, dataOffset, dataBytes, littleEndian } = header.value;
  const available = bytes.length - dataOffset;
  if (available < dataBytes) {
    return {
      ok: false,
      error: `the .npy data is truncated: the shape (${shape.join(', ')}) needs ${dataBytes} bytes, the file has ${available}`,
    };
  }
  if (available > dataBytes) {
    return {
      ok: false,
      error: `the .npy file has ${available - dataBytes} bytes after the data the shape (${shape.join(', ')}) calls for`,
    };
  }
  const size = NPY_ITEM_BYTES[dtype];
  const length = dataBytes / size;
  const absolute = bytes.byteOffset + dataOffset;
  const swap = size > 1 && littleEndian !== HOST_LITTLE_ENDIAN;
  let data: NpyData;
  if (!swap && absolute % size === 0) {
    data = view(dtype, bytes.buffer, absolute, length);
  } else {
    const copy = new Uint8Array(dataBytes);
    copy.set(bytes.subarray(dataOffset, dataOffset + dataBytes));
    if (swap) {
      for (let i = 0; i < dataBytes; i += size) copy.subarray(i, i + size).reverse();
    }
    data = view(dtype, copy.buffer, 0, length);
  }
  if (dtype === 'bool') {
    // numpy writes 0/1; anything else is a hostile file, and onnxruntime expects 0/1.
    const flags = data as Uint8Array;
    for (let i = 0; i < flags.length; i++) {
      if ((flags[i] as number) > 1)
        return { ok: false, error: 'a bool array holds a value not 0 or 1' };
    }
  }
  return { ok: true, value: { dtype, shape, data } };
}

/** The header bytes (magic through padding) of a C-order little-endian array. */
export function encodeNpyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`bad dimension ${d}`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR_OF[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let major = 1;
  let prefix = 10;
  // Pad so the data starts on a 64-byte boundary, as numpy does; end with a newline.
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    major = 2;
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  }
  const headerLength = total - prefix;
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  if (major === 1) {
    out[8] = headerLength & 0xff;
    out[9] = headerLength >> 8;
  } else {
    new DataView(out.buffer).setUint32(8, headerLength, true);
  }
  const text = dict.padEnd(headerLength - 1, ' ') + '\n';
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  return out;
}

/** The data of a typed array as bytes, without copying. */
export function dataBytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A whole .npy file in one buffer (tests and small tensors; the worker writes header and data apart). */
export function encodeNpy(
  dtype: NpyDtype,
  shape: readonly number[],
  data: ArrayBufferView,
): Uint8Array {
  const header = encodeNpyHeader(dtype, shape);
  const expected = shape.reduce((a, b) => a * b, 1) * NPY_ITEM_BYTES[dtype];
  if (data.byteLength !== expected) {
    throw new RangeError(
      `shape (${shape.join(', ')}) needs ${expected} bytes, got ${data.byteLength}`,
    );
  }
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(dataBytesOf(data), header.length);
  return out;
}
