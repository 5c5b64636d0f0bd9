/**
 * The benchmark's fixed-seed numbers. Every input and weight of the suite comes from here, so
 * the same suite gives the same bytes on every machine, in every version of Node:
 *
 * - a stream per tensor: `xoshiro128**` seeded through `splitmix32` from the suite seed and the
 *   FNV-1a hash of `<workload>/<tensor>` (order-independent: adding a tensor changes no other);
 * - floats are `(u >>> 8) / 2^24`, exact in float32, mapped to `[lo, hi)`.
 *
 * Only 32-bit integer arithmetic (`Math.imul`, shifts) is used: no platform-dependent math.
 */

/** FNV-1a, 32 bits, of the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A xoshiro128** generator of uint32 values. */
export class Xoshiro128 {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: number) {
    const next = splitmix32(seed);
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** A float in [0, 1) with 24 random bits: exact in float32. */
  nextUnit(): number {
    return (this.nextUint32() >>> 8) / 16_777_216;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The stream for one tensor of one workload. */
export function tensorStream(suiteSeed: number, workloadId: string, tensor: string): Xoshiro128 {
  return new Xoshiro128((suiteSeed ^ fnv1a32(`${workloadId}/${tensor}`)) >>> 0);
}

/** `count` uniform float32 values in [lo, hi). */
export function uniformFloat32(
  suiteSeed: number,
  workloadId: string,
  tensor: string,
  count: number,
  lo: number,
  hi: number,
): Float32Array {
  const stream = tensorStream(suiteSeed, workloadId, tensor);
  const out = new Float32Array(count);
  const span = hi - lo;
  for (let i = 0; i < count; i++) out[i] = lo + span * stream.nextUnit();
  return out;
}

// ---------------------------------------------------------------------------------------------
// IEEE 754 binary16, round to nearest even (the same as Math.f16round, which Node 20 lacks)

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float16 bit pattern nearest to `value` (ties to even; overflow to infinity). */
export function float16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0] ?? 0;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  // Re-bias from 127 to 15.
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    // Subnormal half (or zero): shift the mantissa with its implicit 1 into place.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const rounded = rest > halfway || (rest === halfway && (half & 1) === 1) ? half + 1 : half;
    return sign | rounded;
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  const rounded = rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? half + 1 : half;
  return sign | rounded; // a carry into the exponent is the correct rounding up
}

/** The value of a float16 bit pattern. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 values rounded to float16: the bit patterns, and the values they stand for. */
export function toFloat16(values: Float32Array): { bits: Uint16Array; values: Float32Array } {
  const bits = new Uint16Array(values.length);
  const rounded = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const b = float16Bits(values[i] ?? 0);
    bits[i] = b;
    rounded[i] = float16Value(b);
  }
  return { bits, values: rounded };
}
