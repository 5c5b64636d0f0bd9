import { describe, expect, it } from 'vitest';
import {
  float16Bits,
  float16Value,
  fnv1a32,
  toFloat16,
  uniformFloat32,
  Xoshiro128,
} from './prng.ts';

describe('the fixed-seed generator', () => {
  it('gives the same numbers for the same seed, and others for another', () => {
    const a = new Xoshiro128(42);
    const b = new Xoshiro128(42);
    const c = new Xoshiro128(43);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(first);
    // Pinned: a change of algorithm must be a new suite version, never a silent change.
    expect(first).toMatchInlineSnapshot(`
      [
        2837322924,
        544945897,
        479756282,
        3500138142,
        339756180,
      ]
    `);
  });

  it('gives one independent stream per tensor, in range, exact in float32', () => {
    const x = uniformFloat32(7, 'gemm', 'x', 1000, -1, 1);
    const w = uniformFloat32(7, 'gemm', 'w', 1000, -1, 1);
    expect(x).not.toEqual(w);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...x)).toBeLessThan(1);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Array.from(uniformFloat32(7, 'gemm', 'x', 3, -1, 1))).toEqual(Array.from(x.slice(0, 3)));
  });

  it('hashes names with FNV-1a', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
  });
});

describe('float16', () => {
  it('rounds to nearest even like IEEE 754 binary16', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00); // rounds up to infinity
    expect(float16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float16Bits(2 ** -26)).toBe(0x0000); // below half of it
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie to even (down)
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie to even (up)
    expect(Number.isNaN(float16Value(float16Bits(NaN)))).toBe(true);
  });

  it('agrees with Math.f16round where the runtime has it', () => {
    const f16round = (Math as { f16round?: (x: number) => number }).f16round;
    const values = uniformFloat32(1, 'f16', 'v', 20_000, -70_000, 70_000);
    const small = uniformFloat32(2, 'f16', 's', 20_000, -1e-4, 1e-4);
    for (const v of [...values, ...small]) {
      const ours = float16Value(float16Bits(v));
      if (f16round) expect(ours).toBe(f16round(v));
      else expect(Math.abs(ours - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25);
    }
    const { bits, values: rounded } = toFloat16(Float32Array.from([0.1, -3.5]));
    expect(Array.from(bits)).toEqual([0x2e66, 0xc300]);
    expect(Array.from(rounded)).toEqual([float16Value(0x2e66), -3.5]);
  });
});
