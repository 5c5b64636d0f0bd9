import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from '../../worker/npy.ts';
import { readNpyHeader } from './npy-header.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/jobs/npy/', import.meta.url));

describe("the agent's .npy header reader", () => {
  it("agrees with the worker's full reader on every file numpy wrote", () => {
    for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.npy'))) {
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, file)));
      const agent = readNpyHeader(bytes);
      const worker = decodeNpy(bytes);
      if (agent.kind === 'ok') {
        expect(worker.ok, file).toBe(true);
        if (worker.ok) {
          expect(agent.value.dtype, file).toBe(worker.value.dtype);
          expect(agent.value.shape, file).toEqual(worker.value.shape);
          expect(agent.value.dataOffset + agent.value.dataBytes, file).toBe(bytes.length);
        }
      } else if (agent.kind === 'invalid') {
        expect(worker.ok, file).toBe(false);
      }
    }
  });

  it('reads what the worker writes, for every dtype', () => {
    for (const dtype of [
      'float32',
      'float16',
      'float64',
      'int8',
      'int64',
      'uint64',
      'bool',
    ] as const) {
      const bytes = encodeNpy(
        dtype,
        [2, 3],
        new Uint8Array(
          6 * { float32: 4, float16: 2, float64: 8, int8: 1, int64: 8, uint64: 8, bool: 1 }[dtype],
        ),
      );
      expect(readNpyHeader(bytes)).toMatchObject({ kind: 'ok', value: { dtype, shape: [2, 3] } });
    }
    expect(readNpyHeader(encodeNpy('float32', [], new Float32Array(1)))).toMatchObject({
      kind: 'ok',
      value: { shape: [] },
    });
  });

  it('leaves big-endian and other formats to the worker, and refuses what no one can take', () => {
    const be = new Uint8Array(readFileSync(join(FIXTURES, 'bigendian_f4.npy')));
    expect(readNpyHeader(be).kind).toBe('unknown');
    const v2 = new Uint8Array(readFileSync(join(FIXTURES, 'v2_f32.npy')));
    expect(readNpyHeader(v2).kind).toBe('unknown');
    const text = new Uint8Array(readFileSync(join(FIXTURES, 'unicode.npy')));
    expect(readNpyHeader(text).kind).toBe('invalid');
    expect(readNpyHeader(new TextEncoder().encode('not a tensor')).kind).toBe('invalid');
  });
});
