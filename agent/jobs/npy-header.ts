/**
 * The agent's look at .npy headers: enough to check input tensors against the model before a
 * worker starts, and to check the outputs a worker wrote before they are signed. It reads only
 * headers in the exact form numpy (and Roost's worker) writes; anything else is `unknown`, left
 * to the worker's full reader (worker/npy.ts), whose verdict is the one that counts. The agent
 * may not import worker/npy.ts (lint: only worker/protocol), so this is a deliberately small,
 * strict second reader; a test checks both agree on numpy's own files.
 */
import type { NpyDtype } from './schema.ts';

export interface NpyHeaderFacts {
  dtype: NpyDtype;
  shape: number[];
  dataOffset: number;
  dataBytes: number;
}

export type NpyHeaderRead =
  | { kind: 'ok'; value: NpyHeaderFacts }
  | { kind: 'invalid'; reason: string }
  /** A header this reader does not know; the worker decides. */
  | { kind: 'unknown' };

const DESCR: Record<string, [NpyDtype, number]> = {
  '<f4': ['float32', 4],
  '<f2': ['float16', 2],
  '<f8': ['float64', 8],
  '|i1': ['int8', 1],
  '<i2': ['int16', 2],
  '<i4': ['int32', 4],
  '<i8': ['int64', 8],
  '|u1': ['uint8', 1],
  '<u2': ['uint16', 2],
  '<u4': ['uint32', 4],
  '<u8': ['uint64', 8],
  '|b1': ['bool', 1],
};

const CANONICAL =
  /^\{'descr': '([<>|=][A-Za-z?][0-9]*)', 'fortran_order': (True|False), 'shape': \(((?:[0-9]{1,16}, )*(?:[0-9]{1,16},?)?)\), \} *\n$/;

/** Reads a header from the first bytes of a file (at least 10, up to the whole header). */
export function readNpyHeader(bytes: Uint8Array): NpyHeaderRead {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) {
    return { kind: 'invalid', reason: 'not a .npy file (the magic bytes are missing)' };
  }
  const major = bytes[6];
  if (major !== 1) return { kind: 'unknown' };
  const length = (bytes[8] as number) | ((bytes[9] as number) << 8);
  if (bytes.length < 10 + length) return { kind: 'unknown' };
  let text = '';
  for (let i = 10; i < 10 + length; i++) text += String.fromCharCode(bytes[i] as number);
  const m = CANONICAL.exec(text);
  if (!m) return { kind: 'unknown' };
  if (m[2] === 'True') {
    return { kind: 'invalid', reason: 'the array is in Fortran order; save it in C order' };
  }
  const info = DESCR[m[1] as string];
  if (!info) {
    // Another byte order of a type we take is the worker's to convert; anything else is refused.
    if (/^[<>|=](f[248]|i[1248]|u[1248]|b1|\?)$/.test(m[1] as string)) return { kind: 'unknown' };
    return { kind: 'invalid', reason: `the dtype '${m[1]}' is not one onnxruntime takes` };
  }
  const shape = (m[3] as string)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (!Number.isSafeInteger(count * info[1])) {
      return { kind: 'invalid', reason: `the shape (${shape.join(', ')}) is absurdly large` };
    }
  }
  return {
    kind: 'ok',
    value: { dtype: info[0], shape, dataOffset: 10 + length, dataBytes: count * info[1] },
  };
}

/** How many bytes to read to see a whole version-1 header. */
export const NPY_HEADER_PEEK_BYTES = 10 + 65_535;
