/**
 * An output at a glance (`job.outputPreview`): how many values, the smallest, the largest and the
 * mean of the finite ones, how many are NaN or infinite, and the first few. A lab sees whether a
 * run produced something sane (an all-NaN output, a softmax that does not sum to one) without
 * copying the file to a machine with numpy.
 */
import { decodeNpy, type NpyArray } from '../../worker/npy.ts';
import type { OutputPreview } from './schema.ts';

/** How many values `first` writes out. */
export const PREVIEW_FIRST = 8;

/** IEEE 754 half precision bits to a number. */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function written(value: number | bigint, dtype: NpyArray['dtype']): string {
  if (typeof value === 'bigint') return value.toString();
  if (dtype === 'bool') return value ? 'true' : 'false';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Number.isInteger(value) && !dtype.startsWith('float')) return String(value);
  // Six significant digits, as numpy prints a float32, without trailing zeros.
  return String(Number(value.toPrecision(6)));
}

/** The preview of an array already decoded. */
export function previewOf(file: string, array: NpyArray): OutputPreview {
  const { dtype, shape, data } = array;
  const count = data.length;
  const value = (i: number): number | bigint =>
    dtype === 'float16' ? halfToNumber(data[i] as number) : (data[i] as number | bigint);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let finite = 0;
  let nan = 0;
  let infinite = 0;
  for (let i = 0; i < count; i++) {
    const raw = value(i);
    const v = typeof raw === 'bigint' ? Number(raw) : raw;
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) infinite++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      finite++;
    }
  }
  const first: string[] = [];
  for (let i = 0; i < Math.min(PREVIEW_FIRST, count); i++) first.push(written(value(i), dtype));
  return {
    file,
    dtype,
    shape,
    count,
    min: finite > 0 ? min : null,
    max: finite > 0 ? max : null,
    mean: finite > 0 ? sum / finite : null,
    nan,
    infinite,
    first,
  };
}

/** The preview of a .npy file's bytes; the error in words when they are not one Roost reads. */
export function previewNpy(
  file: string,
  bytes: Uint8Array,
): { ok: true; value: OutputPreview } | { ok: false; error: string } {
  const decoded = decodeNpy(bytes);
  if (!decoded.ok) return decoded;
  return { ok: true, value: previewOf(file, decoded.value) };
}
