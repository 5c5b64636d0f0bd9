import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, encodeNpyHeader, parseNpyHeader } from './npy.ts';
import type { NpyDtype, NpyHeaderMemo } from './npy.ts';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/jobs/npy/', import.meta.url));
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as Record<
  string,
  { note: string; dtype?: string; shape?: number[]; values?: (number | string)[]; bits?: number[] }
>;

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, `${name}.npy`)));
}

function header(dict: string, major = 1): Uint8Array {
  const text = dict.padEnd(Math.ceil((dict.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const out = new Uint8Array(10 + text.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0, text.length & 0xff, text.length >> 8]);
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  return out;
}

function withData(head: Uint8Array, bytes: number): Uint8Array {
  const out = new Uint8Array(head.length + bytes);
  out.set(head);
  return out;
}

describe('.npy files written by numpy', () => {
  const readable = Object.entries(manifest).filter(([, m]) => !m.note.startsWith('refuse'));
  it.each(readable)('reads %s', (name, expected) => {
    const result = decodeNpy(fixture(name));
    expect(result.ok, result.ok ? '' : result.error).toBe(true);
    if (!result.ok) return;
    expect(result.value.dtype).toBe(expected.dtype);
    expect(result.value.shape).toEqual(expected.shape);
    const integer = /int/.test(expected.dtype ?? '');
    const values = Array.from(result.value.data as ArrayLike<number | bigint>, (v) =>
      integer ? String(v) : Number(v),
    );
    if (expected.bits) expect(values).toEqual(expected.bits);
    else if (expected.dtype === 'float32') {
      values.forEach((v, i) => expect(v).toBeCloseTo(Number(expected.values?.[i]), 6));
    } else expect(values).toEqual(expected.values);
  });

  it.each(Object.entries(manifest).filter(([, m]) => m.note.startsWith('refuse')))(
    'refuses %s with a reason',
    (name) => {
      const result = decodeNpy(fixture(name));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.length).toBeGreaterThan(10);
    },
  );

  it('writes byte for byte what numpy writes', () => {
    for (const name of [
      'float32_2x3',
      'int64_3',
      'bool_2x2',
      'scalar_f32',
      'uint8_4',
      'float16_4',
    ]) {
      const bytes = fixture(name);
      const read = decodeNpy(bytes);
      if (!read.ok) throw new Error(read.error);
      expect(encodeNpy(read.value.dtype, read.value.shape, read.value.data)).toEqual(bytes);
    }
    expect(readdirSync(FIXTURES).length).toBeGreaterThan(20);
  });

  it('returns a view, not a copy, for aligned little-endian data', () => {
    const bytes = fixture('float64_3x1x2');
    const result = decodeNpy(bytes);
    if (!result.ok) throw new Error(result.error);
    expect(result.value.data.buffer).toBe(bytes.buffer);
  });

  it('copies unaligned data', () => {
    const file = fixture('float32_2x3');
    const shifted = new Uint8Array(file.length + 1).subarray(1);
    shifted.set(file);
    const result = decodeNpy(shifted);
    if (!result.ok) throw new Error(result.error);
    expect(result.value.data.buffer).not.toBe(shifted.buffer);
    expect(Array.from(result.value.data as Float32Array)).toEqual(
      Array.from((decodeNpy(file) as { value: { data: Float32Array } }).value.data),
    );
  });
});

describe('round trips', () => {
  const samples: [NpyDtype, ArrayBufferView][] = [
    ['float32', new Float32Array([1.5, -2, 3e30])],
    ['float16', new Uint16Array([0x3c00, 0xc000, 0x7bff])],
    ['float64', new Float64Array([Math.PI, -0, 1e-300])],
    ['int8', new Int8Array([-128, 0, 127])],
    ['int16', new Int16Array([-1, 2, 3])],
    ['int32', new Int32Array([-1, 2, 2 ** 31 - 1])],
    ['int64', new BigInt64Array([-(2n ** 63n), 0n, 2n ** 63n - 1n])],
    ['uint8', new Uint8Array([0, 128, 255])],
    ['uint16', new Uint16Array([0, 1, 65535])],
    ['uint32', new Uint32Array([0, 1, 2 ** 32 - 1])],
    ['uint64', new BigUint64Array([0n, 1n, 2n ** 64n - 1n])],
    ['bool', new Uint8Array([1, 0, 1])],
  ];
  it.each(samples)('%s', (dtype, data) => {
    const bytes = encodeNpy(dtype, [3], data);
    expect(bytes.length % 64).toBe((data.byteLength % 64) % 64);
    const back = decodeNpy(bytes);
    if (!back.ok) throw new Error(back.error);
    expect(back.value.dtype).toBe(dtype);
    expect(back.value.shape).toEqual([3]);
    expect(
      new Uint8Array(
        back.value.data.buffer,
        back.value.data.byteOffset,
        back.value.data.byteLength,
      ),
    ).toEqual(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });

  it('handles scalars, empty arrays and high ranks', () => {
    for (const shape of [[], [0], [2, 0, 3], [1, 1, 1, 1, 1, 1, 1, 1, 2]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const back = decodeNpy(encodeNpy('float32', shape, new Float32Array(n)));
      expect(back.ok && back.value.shape).toEqual(shape);
    }
  });

  it('switches to format 2.0 when the header does not fit in 64 KiB', () => {
    const head = encodeNpyHeader(
      'uint8',
      Array.from({ length: 30 }, () => 1),
    );
    expect(head[6]).toBe(1);
    const parsed = parseNpyHeader(head);
    expect(parsed.ok && parsed.value.dataOffset).toBe(head.length);
  });
});

describe('hostile .npy bytes', () => {
  const good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /magic/],
    ['not npy', new TextEncoder().encode('hello world, this is text'), /magic/],
    ['truncated header', header(good).subarray(0, 30), /truncated/],
    ['version 9', header(good, 9), /version 9/],
    [
      'absurd header length',
      (() => {
        const h = withData(header(good), 8);
        h[6] = 2;
        h.set([0xff, 0xff, 0xff, 0x7f], 8);
        return h;
      })(),
      /absurd/,
    ],
    ['truncated data', withData(header(good), 7), /truncated/],
    ['trailing data', withData(header(good), 9), /after the data/],
    [
      'negative dimension',
      withData(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }"), 8),
      /negative/,
    ],
    [
      'absurd dimensions',
      withData(
        header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
        8,
      ),
      /absurd/,
    ],
    [
      'a 20-digit dimension',
      withData(
        header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
        8,
      ),
      /absurd/,
    ],
    [
      'too many dimensions',
      withData(
        header(`{'descr': '<f4', 'fortran_order': False, 'shape': (${'1, '.repeat(40)}), }`),
        4,
      ),
      /dimensions/,
    ],
    [
      'code in the header',
      withData(
        header("{'descr': __import__('os').system('id'), 'fortran_order': False, 'shape': (2,), }"),
        8,
      ),
      /unexpected character|structured/,
    ],
    [
      'an unknown key',
      withData(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}"), 8),
      /unknown key/,
    ],
    ['a missing key', withData(header("{'descr': '<f4', 'shape': (2,), }"), 8), /lacks/],
    [
      'a float shape',
      withData(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }"), 8),
      /unexpected character|whole number/,
    ],
    [
      'a string dtype',
      withData(header("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }"), 24),
      /dtype/,
    ],
    [
      'a bool holding 7',
      (() => {
        const b = withData(header("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }"), 2);
        b[b.length - 1] = 7;
        return b;
      })(),
      /0 or 1/,
    ],
    [
      'no byte order on a wide type',
      withData(header("{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }"), 8),
      /byte order/,
    ],
    [
      'non-ASCII header',
      (() => {
        const h = withData(header(good), 8);
        h[20] = 0xff;
        return h;
      })(),
      /ASCII/,
    ],
    [
      'an unterminated string',
      withData(header("{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }"), 8),
      /./,
    ],
  ];
  it.each(cases)('%s', (_name, bytes, reason) => {
    const result = decodeNpy(bytes);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(reason);
  });
});

describe('a stream of files sharing a header', () => {
  it('parses a header once, and still checks what each file says', () => {
    const memo: NpyHeaderMemo = {};
    const a = encodeNpy('float32', [2, 2], new Float32Array([1, 2, 3, 4]));
    const b = encodeNpy('float32', [2, 2], new Float32Array([5, 6, 7, 8]));
    const first = decodeNpy(a, memo);
    expect(first.ok && [...(first.value.data as Float32Array)]).toEqual([1, 2, 3, 4]);
    const parsed = memo.header;
    expect(parsed).toMatchObject({ dtype: 'float32', shape: [2, 2] });
    const second = decodeNpy(b, memo);
    expect(second.ok && [...(second.value.data as Float32Array)]).toEqual([5, 6, 7, 8]);
    // The same header, not parsed again.
    expect(memo.header).toBe(parsed);
    // The same header over too little or too much data is still refused.
    expect(decodeNpy(b.subarray(0, b.length - 4), memo)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/truncated/),
    });
    const long = new Uint8Array(b.length + 4);
    long.set(b);
    expect(decodeNpy(long, memo)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/after/),
    });
    // A header that differs by one byte is parsed anew: another shape, another dtype.
    const c = encodeNpy('float32', [1, 4], new Float32Array([9, 10, 11, 12]));
    expect(decodeNpy(c, memo)).toMatchObject({ ok: true, value: { shape: [1, 4] } });
    const d = encodeNpy('int32', [1, 4], new Int32Array([1, 2, 3, 4]));
    expect(decodeNpy(d, memo)).toMatchObject({ ok: true, value: { dtype: 'int32' } });
    // A hostile header after a good one is refused, and the good one stays remembered.
    const bad = d.slice();
    bad[20] = 0xff;
    expect(decodeNpy(bad, memo).ok).toBe(false);
    expect(memo.header).toMatchObject({ dtype: 'int32' });
    // A bool array's values are checked on every file, remembered header or not.
    const flags = encodeNpy('bool', [3], new Uint8Array([0, 1, 1]));
    expect(decodeNpy(flags, memo).ok).toBe(true);
    const hostile = encodeNpy('bool', [3], new Uint8Array([0, 1, 2]));
    expect(decodeNpy(hostile, memo)).toMatchObject({ ok: false });
  });
});
