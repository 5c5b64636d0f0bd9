import { describe, expect, it } from 'vitest';
import { generateWorkload } from './models.ts';
import { outputValueCount, referenceOutputs } from './reference.ts';
import type { GemmParams } from './schema.ts';
import { TINY_SUITE } from './suite.ts';

// The closed forms against the long way round. (That the networks' references compute what the
// ONNX graphs compute is checked against onnxruntime in test/integration/bench.)
describe('the CPU reference', () => {
  it('GEMM with W in the model: one input, W an initializer, the same reference', async () => {
    for (const dtype of ['float32', 'float16'] as const) {
      const params: GemmParams = { kind: 'gemm', dtype, n: 16, chain: 3 };
      const asInput = generateWorkload(1, 'g', params);
      const inModel = generateWorkload(1, 'g', { ...params, wInModel: true });
      expect(inModel.inputs.map((i) => i.name)).toEqual(['x']);
      expect(inModel.weights.get('w')).toEqual(asInput.inputs[1]!.values);
      expect(await referenceOutputs(inModel, { ...params, wInModel: true })).toEqual(
        await referenceOutputs(asInput, params),
      );
    }
  });

  it('GEMM: X·(W^L·1) equals the row sums of X·W·…·W computed in full', async () => {
    const params: GemmParams = { kind: 'gemm', dtype: 'float16', n: 16, chain: 3 };
    const g = generateWorkload(1, 'g', params);
    const x = g.inputs[0]!.values;
    const w = g.inputs[1]!.values;
    let m = Float64Array.from(x);
    for (let step = 0; step < params.chain; step++) {
      const next = new Float64Array(16 * 16);
      for (let i = 0; i < 16; i++)
        for (let j = 0; j < 16; j++) {
          let s = 0;
          for (let k = 0; k < 16; k++) s += m[i * 16 + k]! * w[k * 16 + j]!;
          next[i * 16 + j] = s;
        }
      m = next;
    }
    const rowSums = Array.from({ length: 16 }, (_, i) =>
      m.slice(i * 16, i * 16 + 16).reduce((a, b) => a + b, 0),
    );
    const ref = (await referenceOutputs(g, params)).get('y')!;
    rowSums.forEach((v, i) => expect(ref[i]).toBeCloseTo(v, 10));
  });

  it.each([true, false])(
    'bandwidth (scalars in one input: %s): the affine closed form equals applying every op to every element',
    async (packed) => {
      const w = TINY_SUITE.workloads.find((d) => d.params.kind === 'bandwidth')!;
      if (w.params.kind !== 'bandwidth') throw new Error('kind');
      const p = { ...w.params, packed };
      const g = generateWorkload(TINY_SUITE.seed, w.id, p);
      const value = (name: string) => g.inputs.find((i) => i.name === name)?.values;
      const seed = value('seed')!;
      const coefficients = value('coefficients');
      expect(coefficients === undefined).toBe(!packed);
      expect(g.inputs).toHaveLength(packed ? 2 : 1 + 2 * p.pairs);
      const a = (i: number) => (packed ? coefficients![i] : value(`a${i}`)![0])!;
      const b = (i: number) => (packed ? coefficients![p.pairs + i] : value(`b${i}`)![0])!;
      const ref = (await referenceOutputs(g, p)).get('y')!;
      for (let r = 0; r < p.rows; r += 37) {
        let sum = 0;
        for (let c = 0; c < p.cols; c++) {
          let v = seed[(r % p.seedRows) * p.cols + c]!;
          for (let i = 0; i < p.pairs; i++) v = v * a(i) + b(i);
          sum += v;
        }
        expect(ref[r]).toBeCloseTo(sum, 9);
      }
    },
  );

  it('computes only the checked items of a batch: the leading values of the whole answer', async () => {
    for (const w of TINY_SUITE.workloads) {
      const p = w.params;
      if (p.kind !== 'cnn' && p.kind !== 'transformer' && p.kind !== 'decode') continue;
      const whole = { ...p, batch: 3, checked: undefined };
      const g = generateWorkload(TINY_SUITE.seed, w.id, whole);
      const all = (await referenceOutputs(g, whole)).get(g.outputs[0]!)!;
      expect(all.length, w.id).toBe(outputValueCount(whole));
      const first = (await referenceOutputs(g, { ...whole, checked: 1 })).get(g.outputs[0]!)!;
      expect(first.length, w.id).toBe(outputValueCount(whole) / 3);
      expect(Array.from(first), w.id).toEqual(Array.from(all.subarray(0, first.length)));
    }
  });

  it('gives finite outputs of the right size for every workload', async () => {
    for (const w of TINY_SUITE.workloads) {
      const g = generateWorkload(TINY_SUITE.seed, w.id, w.params);
      const refs = await referenceOutputs(g, w.params);
      const values = refs.get(g.outputs[0]!)!;
      expect(values.every(Number.isFinite), w.id).toBe(true);
      expect(Math.max(...values.map(Math.abs)), w.id).toBeGreaterThan(0);
    }
  });
});
