import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readNpyHeader } from '../../../agent/jobs/npy-header.ts';
import { decodeNpy, encodeNpy } from '../../../worker/npy.ts';

// The agent's strict header reader and the worker's full reader live on two sides of the
// import wall (agent/ may not import worker/npy.ts); this keeps them in agreement.
const FIXTURES = fileURLToPath(new URL('../../fixtures/jobs/npy/', import.meta.url));

describe('the two .npy readers', () => {
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
});
