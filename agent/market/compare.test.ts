import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import { compareNpyFiles, compareOutputs, halfToNumber } from './compare.ts';

let dir: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir('roost-compare-');
});
afterAll(async () => {
  await dir?.remove();
});

const DESCR = {
  float32: '<f4',
  float64: '<f8',
  float16: '<f2',
  int64: '<i8',
  int32: '<i4',
  bool: '|b1',
} as const;

/**
 * A .npy file as numpy writes it (header padded to 64 bytes). Written by hand here: agent/ may
 * not import the worker's writer, and a second writer checks the reader against the format.
 */
let counter = 0;
async function npy(
  dtype: keyof typeof DESCR,
  shape: number[],
  data: ArrayBufferView,
): Promise<string> {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = new Uint8Array(total);
  header.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, (total - 10) & 0xff, (total - 10) >> 8]);
  const text = dict.padEnd(total - 11, ' ') + '\n';
  for (let i = 0; i < text.length; i++) header[10 + i] = text.charCodeAt(i);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const path = join(dir.path, `${counter++}.npy`);
  await writeFile(path, Buffer.concat([header, body]));
  return path;
}

describe('comparing outputs within tolerance', () => {
  it('accepts float32 tensors within rtol 1e-3 / atol 1e-5 and reports the worst element', async () => {
    const a = Float32Array.from([117.56806, 0.5, -2, 0]);
    const b = Float32Array.from([117.56792, 0.5002, -2, 0.000009]);
    const result = await compareNpyFiles(
      await npy('float32', [2, 2], a),
      await npy('float32', [2, 2], b),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.elements).toBe(4);
    expect(result.dtype).toBe('float32');
    expect(result.shape).toEqual([2, 2]);
    // The worst relative to what is allowed: 0 against 0.000009, 90 % of atol (0.5 against
    // 0.5002 uses 39 % of its allowance).
    expect(result.worst?.index).toEqual([1, 1]);
  });

  it('refuses an element outside the tolerance, naming where and by how much', async () => {
    const a = new Float32Array(200_000).map((_, i) => Math.sin(i));
    const b = Float32Array.from(a);
    // In the second chunk of the reader, and a smaller miss earlier.
    b[150_001] = (b[150_001] as number) + 0.5;
    b[7] = (b[7] as number) * 1.01;
    const result = await compareNpyFiles(
      await npy('float32', [1000, 200], a),
      await npy('float32', [1000, 200], b),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.mismatches).toBe(2);
    expect(result.worst?.index).toEqual([750, 1]);
    expect(result.reason).toMatch(/2 of 200000 elements differ/);
    expect(result.reason).toMatch(/at \[750, 1\]/);
    expect(result.reason).toMatch(/rtol 0\.001, atol 0\.00001|rtol 0\.001, atol 1e-5/);
  });

  it('uses the tolerance given', async () => {
    const a = await npy('float64', [2], Float64Array.from([1, 2]));
    const b = await npy('float64', [2], Float64Array.from([1.05, 2]));
    expect((await compareNpyFiles(a, b)).ok).toBe(false);
    expect((await compareNpyFiles(a, b, { rtol: 0.1, atol: 0 })).ok).toBe(true);
  });

  it('matches NaN with NaN only, and an infinity with the same infinity', async () => {
    const a = await npy('float32', [3], Float32Array.from([NaN, Infinity, 1]));
    const same = await npy('float32', [3], Float32Array.from([NaN, Infinity, 1]));
    const other = await npy('float32', [3], Float32Array.from([NaN, -Infinity, 1]));
    const number = await npy('float32', [3], Float32Array.from([0, Infinity, 1]));
    expect((await compareNpyFiles(a, same)).ok).toBe(true);
    expect((await compareNpyFiles(a, other)).ok).toBe(false);
    expect((await compareNpyFiles(a, number)).ok).toBe(false);
  });

  it('compares integers and bools exactly, and float16 within tolerance', async () => {
    const big = 2n ** 60n;
    const i1 = await npy('int64', [2], BigInt64Array.from([big, 3n]));
    const i2 = await npy('int64', [2], BigInt64Array.from([big + 1n, 3n]));
    const i3 = await npy('int64', [2], BigInt64Array.from([big, 3n]));
    const exact = await compareNpyFiles(i1, i2);
    expect(exact.ok).toBe(false);
    if (!exact.ok) expect(exact.reason).toMatch(/int64 must match exactly/);
    expect((await compareNpyFiles(i1, i3)).ok).toBe(true);
    const b1 = await npy('bool', [3], Uint8Array.from([1, 0, 1]));
    const b2 = await npy('bool', [3], Uint8Array.from([1, 1, 1]));
    expect((await compareNpyFiles(b1, b2)).ok).toBe(false);

    expect(halfToNumber(0x3c00)).toBe(1);
    expect(halfToNumber(0xc000)).toBe(-2);
    expect(halfToNumber(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(halfToNumber(0x7e00))).toBe(true);
    // 1.0 and the next half up (1.000977): within rtol 1e-3.
    const h1 = await npy('float16', [1], Uint16Array.from([0x3c00]));
    const h2 = await npy('float16', [1], Uint16Array.from([0x3c01]));
    const h3 = await npy('float16', [1], Uint16Array.from([0x3c08]));
    expect((await compareNpyFiles(h1, h2)).ok).toBe(true);
    expect((await compareNpyFiles(h1, h3)).ok).toBe(false);
  });

  it('refuses different dtypes, shapes, and files that are not .npy', async () => {
    const f = await npy('float32', [2, 2], new Float32Array(4));
    const d = await npy('float64', [2, 2], new Float64Array(4));
    const s = await npy('float32', [4], new Float32Array(4));
    const dtypes = await compareNpyFiles(f, d);
    expect(dtypes.ok ? '' : dtypes.reason).toMatch(/dtypes differ: float32 against float64/);
    const shapes = await compareNpyFiles(f, s);
    expect(shapes.ok ? '' : shapes.reason).toMatch(/shapes differ: \(2, 2\) against \(4\)/);
    const junk = join(dir.path, 'junk.npy');
    await writeFile(junk, 'not a tensor');
    const notNpy = await compareNpyFiles(f, junk);
    expect(notNpy.ok ? '' : notNpy.reason).toMatch(/not a usable \.npy file/);
    const truncated = join(dir.path, 'short.npy');
    const whole = await npy('float32', [8], new Float32Array(8));
    const wholeBytes = await readFile(whole);
    await writeFile(truncated, wholeBytes.subarray(0, wholeBytes.length - 8));
    const short = await compareNpyFiles(truncated, truncated);
    expect(short.ok ? '' : short.reason).toMatch(
      /holds 24 bytes of data where its shape \(8\) needs 32/,
    );
  });

  it('compares whole results output by output', async () => {
    const x = await npy('float32', [2], Float32Array.from([1, 2]));
    const y = await npy('float32', [2], Float32Array.from([1, 2.0001]));
    const z = await npy('float32', [2], Float32Array.from([1, 3]));
    const ok = await compareOutputs(
      [
        { set: 0, name: 'c', path: x },
        { set: 1, name: 'c', path: x },
      ],
      [
        { set: 1, name: 'c', path: y },
        { set: 0, name: 'c', path: x },
      ],
    );
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      expect(ok.tensors).toBe(2);
      expect(ok.worst).toMatchObject({ set: 1, name: 'c', index: [1] });
    }
    const wrong = await compareOutputs(
      [{ set: 0, name: 'c', path: x }],
      [{ set: 0, name: 'c', path: z }],
    );
    expect(wrong.ok ? '' : wrong.reason).toMatch(/output "c" of input set 0: 1 of 2 elements/);
    const missing = await compareOutputs(
      [{ set: 0, name: 'c', path: x }],
      [
        { set: 0, name: 'c', path: x },
        { set: 0, name: 'd', path: x },
      ],
    );
    expect(missing.ok ? '' : missing.reason).toMatch(/only one has output "d"/);
  });
});
