import { describe, expect, it } from 'vitest';
import { encodeNpy } from '../../worker/npy.ts';
import { halfToNumber, previewNpy, previewOf } from './output-preview.ts';

describe('output preview', () => {
  it('counts, bounds and averages the finite values, and counts NaN and infinity apart', () => {
    const data = Float32Array.from([0.5, -2, NaN, Infinity, 4, -Infinity, 1.25, 0.1, 3, 7]);
    const p = previewNpy('set-0/y.npy', encodeNpy('float32', [2, 5], data));
    if (!p.ok) throw new Error(p.error);
    expect(p.value).toMatchObject({
      file: 'set-0/y.npy',
      dtype: 'float32',
      shape: [2, 5],
      count: 10,
      min: -2,
      max: 7,
      nan: 1,
      infinite: 2,
    });
    expect(p.value.mean).toBeCloseTo((0.5 - 2 + 4 + 1.25 + Math.fround(0.1) + 3 + 7) / 7, 6);
    // The first eight, as numpy would print them (0.1 in float32 is 0.100000001…).
    expect(p.value.first).toEqual(['0.5', '-2', 'NaN', 'inf', '4', '-inf', '1.25', '0.1']);
  });

  it('reads half floats, 64-bit integers and booleans', () => {
    // 1.0, -2.0, 65504 (the largest half), a NaN.
    const half = previewOf('h.npy', {
      dtype: 'float16',
      shape: [4],
      data: Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x7e00]),
    });
    expect(half).toMatchObject({ min: -2, max: 65504, nan: 1, first: ['1', '-2', '65504', 'NaN'] });
    const big = previewOf('i.npy', {
      dtype: 'int64',
      shape: [2],
      data: BigInt64Array.from([9007199254740993n, -3n]),
    });
    expect(big.first).toEqual(['9007199254740993', '-3']);
    expect(big.min).toBe(-3);
    const flags = previewOf('b.npy', {
      dtype: 'bool',
      shape: [3],
      data: Uint8Array.from([1, 0, 1]),
    });
    expect(flags).toMatchObject({ first: ['true', 'false', 'true'], mean: 2 / 3, nan: 0 });
  });

  it('says nothing of bounds for an empty or all-NaN output, and refuses what is not .npy', () => {
    const empty = previewOf('e.npy', { dtype: 'float32', shape: [0], data: new Float32Array(0) });
    expect(empty).toMatchObject({ count: 0, min: null, max: null, mean: null, first: [] });
    const nans = previewOf('n.npy', {
      dtype: 'float32',
      shape: [2],
      data: Float32Array.from([NaN, NaN]),
    });
    expect(nans).toMatchObject({ count: 2, nan: 2, min: null, mean: null });
    const bad = previewNpy('x.npy', new TextEncoder().encode('not an array'));
    expect(bad.ok).toBe(false);
  });

  it('decodes half precision, subnormals and infinities included', () => {
    expect(halfToNumber(0x0001)).toBe(2 ** -24);
    expect(halfToNumber(0x7c00)).toBe(Infinity);
    expect(halfToNumber(0xfc00)).toBe(-Infinity);
    expect(halfToNumber(0x3555)).toBeCloseTo(1 / 3, 3);
  });
});
