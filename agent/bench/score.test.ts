import { describe, expect, it } from 'vitest';
import { achievedTflops, composite, throughput } from './score.ts';
import { STD_SUITE } from './suite.ts';

const byId = (id: string) => {
  const w = STD_SUITE.workloads.find((d) => d.id === id);
  if (!w) throw new Error(id);
  return w;
};

describe('units', () => {
  it('turns the median run time into TFLOP/s, GB/s and inferences/s', () => {
    // 2·1024³·32 FLOP in 100 ms = 0.687 TFLOP/s
    expect(throughput(byId('gemm-fp32'), 100)).toBeCloseTo((2 * 1024 ** 3 * 32) / 0.1 / 1e12, 12);
    // 4·4096²·(2 + 4·16) bytes in 50 ms = 88.6 GB/s
    expect(throughput(byId('memory-bandwidth'), 50)).toBeCloseTo(
      (4 * 4096 ** 2 * 66) / 0.05 / 1e9,
      9,
    );
    // a batch of 64 images in 32 ms = 2000 images/s
    expect(throughput(byId('cnn'), 32)).toBe(2000);
    // 16 tokens in 10 ms
    expect(throughput(byId('decode'), 10)).toBe(1600);
    expect(achievedTflops(byId('transformer-encoder'), 1)).toBeCloseTo(
      byId('transformer-encoder').flopsPerRun / 1e-3 / 1e12,
      12,
    );
  });
});

describe('the composite', () => {
  const atReference = new Map(STD_SUITE.workloads.map((w) => [w.id, w.reference]));

  it('is the scale for a machine exactly at the reference', () => {
    const c = composite(STD_SUITE, atReference);
    expect(c.value).toBeCloseTo(1000, 9);
    expect(c.partial).toBeCloseTo(1000, 9);
    expect(c.missing).toEqual([]);
    expect(c.unit).toBe('RCS');
    expect(c.weights).toEqual({
      'gemm-fp32': 0.15,
      'gemm-fp16': 0.15,
      'memory-bandwidth': 0.15,
      cnn: 0.15,
      'transformer-encoder': 0.25,
      decode: 0.15,
    });
  });

  it('is a weighted geometric mean: doubling one workload multiplies it by 2^weight', () => {
    const faster = new Map(atReference);
    faster.set('transformer-encoder', 2 * byId('transformer-encoder').reference);
    expect(composite(STD_SUITE, faster).value).toBeCloseTo(1000 * 2 ** 0.25, 9);
    const everything = new Map([...atReference].map(([id, v]) => [id, v * 3]));
    expect(composite(STD_SUITE, everything).value).toBeCloseTo(3000, 9);
  });

  it('matches the formula written in the suite, term by term', () => {
    const values = new Map([
      ['gemm-fp32', 0.19],
      ['gemm-fp16', 0.2],
      ['memory-bandwidth', 17],
      ['cnn', 1900],
      ['transformer-encoder', 810],
      ['decode', 370],
    ]);
    const expected =
      1000 *
      Math.exp(
        STD_SUITE.workloads.reduce(
          (s, w) => s + w.weight * Math.log(values.get(w.id)! / w.reference),
          0,
        ),
      );
    expect(composite(STD_SUITE, values).value).toBeCloseTo(expected, 9);
  });

  it('is null when a workload does not score; partial renormalises, for information', () => {
    const failed = new Map<string, number | null>(atReference);
    failed.set('gemm-fp16', null);
    const c = composite(STD_SUITE, failed);
    expect(c.value).toBeNull();
    expect(c.partial).toBeCloseTo(1000, 9);
    expect(c.missing).toEqual(['gemm-fp16']);
    expect(composite(STD_SUITE, new Map()).partial).toBeNull();
  });
});
