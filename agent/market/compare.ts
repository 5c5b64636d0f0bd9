/**
 * Are two outputs the same answer? Floating point differs across GPUs and execution providers
 * (DESIGN.md measured 117.56806 on CPU against 117.56792 on WebGPU), so float tensors agree when
 * every element is within `atol + rtol · max(|a|, |b|)` (numpy's allclose, made symmetric: neither
 * side is the reference). Integers and bools must match exactly; NaN matches only NaN, an
 * infinity only the same infinity. Dtype and shape must be the same.
 *
 * Files are read in chunks, so gigabyte outputs compare in little memory. Only the .npy headers
 * Roost's worker writes (and numpy's canonical ones) are read, through agent/jobs/npy-header.ts:
 * the agent may not import the worker's reader, and an honest provider runs Roost's worker.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { NPY_HEADER_PEEK_BYTES, readNpyHeader } from '../jobs/npy-header.ts';
import type { NpyHeaderFacts } from '../jobs/npy-header.ts';
import type { NpyDtype } from '../jobs/schema.ts';

export interface Tolerance {
  rtol: number;
  atol: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-5 };

/** The element that uses most of its allowed difference (over all of it, when outside). */
export interface WorstElement {
  /** Position in the tensor, one index per dimension. */
  index: number[];
  a: number | string;
  b: number | string;
  difference: number;
  allowed: number;
}

export type TensorComparison =
  | { ok: true; dtype: NpyDtype; shape: number[]; elements: number; worst?: WorstElement }
  | { ok: false; reason: string; mismatches?: number; worst?: WorstElement };

/** One output tensor of one input set, as a file. */
export interface OutputTensor {
  set: number;
  name: string;
  path: string;
}

export type OutputsComparison =
  | { ok: true; tensors: number; worst?: WorstElement & { set: number; name: string } }
  | { ok: false; reason: string };

const ITEM_BYTES: Record<NpyDtype, number> = {
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

const FLOATS = new Set<NpyDtype>(['float16', 'float32', 'float64']);
/** Elements per read: 64 Ki, so at most 512 KiB per file in memory. */
const CHUNK_ELEMENTS = 65_536;

/**
 * How much of the allowed difference an element uses: 1 is the limit, over 1 is outside.
 * Exact types (allowed 0) use 0 when equal, more than 1 (growing with the difference) when not.
 */
export function usage(difference: number, allowed: number): number {
  if (difference === 0) return 0;
  if (Number.isNaN(difference)) return Infinity;
  return allowed > 0 ? difference / allowed : 1 + difference;
}

/** IEEE 754 half precision bits to a number. */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

type Reader = (view: DataView, offset: number) => number | bigint;

function readerFor(dtype: NpyDtype): Reader {
  switch (dtype) {
    case 'float32':
      return (v, o) => v.getFloat32(o, true);
    case 'float64':
      return (v, o) => v.getFloat64(o, true);
    case 'float16':
      return (v, o) => halfToNumber(v.getUint16(o, true));
    case 'int8':
      return (v, o) => v.getInt8(o);
    case 'int16':
      return (v, o) => v.getInt16(o, true);
    case 'int32':
      return (v, o) => v.getInt32(o, true);
    case 'int64':
      return (v, o) => v.getBigInt64(o, true);
    case 'uint8':
    case 'bool':
      return (v, o) => v.getUint8(o);
    case 'uint16':
      return (v, o) => v.getUint16(o, true);
    case 'uint32':
      return (v, o) => v.getUint32(o, true);
    case 'uint64':
      return (v, o) => v.getBigUint64(o, true);
  }
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d] as number;
    index[d] = size === 0 ? 0 : flat % size;
    flat = size === 0 ? 0 : Math.floor(flat / size);
  }
  return index;
}

function show(value: number | bigint): number | string {
  return typeof value === 'bigint' ? value.toString() : value;
}

function formatNumber(value: number | string): string {
  if (typeof value === 'string') return value;
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  return Number(value.toPrecision(7)).toString();
}

/** "at [1, 4]: 0.5132 against 0.6011 (difference 0.0879, allowed 0.000611)" */
export function describeWorst(worst: WorstElement): string {
  return `at [${worst.index.join(', ')}]: ${formatNumber(worst.a)} against ${formatNumber(worst.b)} (difference ${formatNumber(worst.difference)}, allowed ${formatNumber(worst.allowed)})`;
}

interface OpenedNpy {
  handle: FileHandle;
  header: NpyHeaderFacts;
}

async function openNpy(path: string): Promise<OpenedNpy | string> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    return `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  try {
    const { size } = await handle.stat();
    const head = new Uint8Array(Math.min(size, NPY_HEADER_PEEK_BYTES));
    await handle.read(head, 0, head.length, 0);
    const read = readNpyHeader(head);
    if (read.kind === 'invalid') throw new Error(read.reason);
    if (read.kind === 'unknown')
      throw new Error('its .npy header is not in the form numpy and Roost write');
    const { dataOffset, dataBytes } = read.value;
    if (size !== dataOffset + dataBytes) {
      throw new Error(
        `it holds ${size - dataOffset} bytes of data where its shape (${read.value.shape.join(', ')}) needs ${dataBytes}`,
      );
    }
    return { handle, header: read.value };
  } catch (error) {
    await handle.close();
    return `${path} is not a usable .npy file: ${(error as Error).message}`;
  }
}

/** Compares two .npy files element by element within `tolerance` (floats) or exactly. */
export async function compareNpyFiles(
  pathA: string,
  pathB: string,
  tolerance: Tolerance = DEFAULT_TOLERANCE,
): Promise<TensorComparison> {
  const a = await openNpy(pathA);
  if (typeof a === 'string') return { ok: false, reason: a };
  const b = await openNpy(pathB);
  if (typeof b === 'string') {
    await a.handle.close();
    return { ok: false, reason: b };
  }
  try {
    const ha = a.header;
    const hb = b.header;
    if (ha.dtype !== hb.dtype) {
      return { ok: false, reason: `the dtypes differ: ${ha.dtype} against ${hb.dtype}` };
    }
    if (ha.shape.length !== hb.shape.length || ha.shape.some((d, i) => d !== hb.shape[i])) {
      return {
        ok: false,
        reason: `the shapes differ: (${ha.shape.join(', ')}) against (${hb.shape.join(', ')})`,
      };
    }
    const size = ITEM_BYTES[ha.dtype];
    const elements = ha.dataBytes / size;
    const read = readerFor(ha.dtype);
    const exact = !FLOATS.has(ha.dtype);
    const bufA = new Uint8Array(CHUNK_ELEMENTS * size);
    const bufB = new Uint8Array(CHUNK_ELEMENTS * size);
    const viewA = new DataView(bufA.buffer);
    const viewB = new DataView(bufB.buffer);
    let mismatches = 0;
    let worst: { flat: number; score: number; a: number | bigint; b: number | bigint } | undefined;
    let worstDifference = 0;
    let worstAllowed = 0;
    for (let start = 0; start < elements; start += CHUNK_ELEMENTS) {
      const count = Math.min(CHUNK_ELEMENTS, elements - start);
      const bytes = count * size;
      await a.handle.read(bufA, 0, bytes, ha.dataOffset + start * size);
      await b.handle.read(bufB, 0, bytes, hb.dataOffset + start * size);
      for (let i = 0; i < count; i++) {
        const x = read(viewA, i * size);
        const y = read(viewB, i * size);
        let difference: number;
        let allowed: number;
        if (exact) {
          difference =
            typeof x === 'bigint' ? Math.abs(Number(x - (y as bigint))) : Math.abs(x - Number(y));
          allowed = 0;
        } else {
          const fx = x as number;
          const fy = y as number;
          if (Number.isNaN(fx) || Number.isNaN(fy)) {
            difference = Number.isNaN(fx) && Number.isNaN(fy) ? 0 : NaN;
            allowed = 0;
          } else if (!Number.isFinite(fx) || !Number.isFinite(fy)) {
            difference = fx === fy ? 0 : Infinity;
            allowed = 0;
          } else {
            difference = Math.abs(fx - fy);
            allowed = tolerance.atol + tolerance.rtol * Math.max(Math.abs(fx), Math.abs(fy));
          }
        }
        const score = usage(difference, allowed);
        if (score > 1) mismatches++;
        if (worst === undefined || score > worst.score) {
          worst = { flat: start + i, score, a: x, b: y };
          worstDifference = difference;
          worstAllowed = allowed;
        }
      }
    }
    const worstElement: WorstElement | undefined = worst && {
      index: unravel(worst.flat, ha.shape),
      a: show(worst.a),
      b: show(worst.b),
      difference: worstDifference,
      allowed: worstAllowed,
    };
    if (mismatches > 0 && worstElement) {
      const rule = exact
        ? `${ha.dtype} must match exactly`
        : `tolerance rtol ${tolerance.rtol}, atol ${tolerance.atol}`;
      return {
        ok: false,
        reason: `${mismatches} of ${elements} elements differ (${rule}); the worst is ${describeWorst(worstElement)}`,
        mismatches,
        worst: worstElement,
      };
    }
    return {
      ok: true,
      dtype: ha.dtype,
      shape: ha.shape,
      elements,
      ...(worstElement ? { worst: worstElement } : {}),
    };
  } finally {
    await a.handle.close();
    await b.handle.close();
  }
}

const key = (o: { set: number; name: string }) => `${o.set}\u0000${o.name}`;
const label = (o: { set: number; name: string }) => `output "${o.name}" of input set ${o.set}`;

/**
 * Compares two results output by output: both must have the same (set, name) pairs, and every
 * pair must agree. The first disagreement is the reason; on success, the worst element overall.
 */
export async function compareOutputs(
  a: readonly OutputTensor[],
  b: readonly OutputTensor[],
  tolerance: Tolerance = DEFAULT_TOLERANCE,
): Promise<OutputsComparison> {
  const byKey = new Map(b.map((o) => [key(o), o]));
  for (const o of b) {
    if (!a.some((x) => key(x) === key(o))) return { ok: false, reason: `only one has ${label(o)}` };
  }
  let worst: (WorstElement & { set: number; name: string }) | undefined;
  for (const o of a) {
    const other = byKey.get(key(o));
    if (!other) return { ok: false, reason: `only one has ${label(o)}` };
    const compared = await compareNpyFiles(o.path, other.path, tolerance);
    if (!compared.ok) return { ok: false, reason: `${label(o)}: ${compared.reason}` };
    if (
      compared.worst &&
      (!worst ||
        usage(compared.worst.difference, compared.worst.allowed) >
          usage(worst.difference, worst.allowed))
    ) {
      worst = { ...compared.worst, set: o.set, name: o.name };
    }
  }
  return { ok: true, tensors: a.length, ...(worst ? { worst } : {}) };
}
