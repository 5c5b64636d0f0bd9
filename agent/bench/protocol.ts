/**
 * The measurement protocol, after MLPerf's: warm-up runs are not measured; each workload then
 * runs until BOTH a minimum duration and a minimum number of runs are reached. `maxMs` ends a
 * workload on a device too slow to reach the minimum count (the result is flagged
 * `protocol-not-met`); `maxIterations` bounds memory on a very fast one (it then has runs aplenty,
 * which counts as met).
 */
import type { PresetName, Protocol } from './schema.ts';

export const PRESETS: Readonly<Record<PresetName, Protocol>> = {
  /**
   * The whole suite in under a minute on a 2-core CPU machine (~35 s). 5 s a workload, not 2: on
   * a shared 2-core VM whose host slows it for seconds at a time, 2 s a workload left the
   * composite 2.5-3.6 % apart between runs, 5 s 0.75-1.4 % (standard, 10 s: 0.64 %).
   */
  quick: {
    name: 'quick',
    warmup: { minMs: 300, minIterations: 2 },
    measure: { minMs: 5_000, minIterations: 10, maxMs: 20_000, maxIterations: 100_000 },
  },
  standard: {
    name: 'standard',
    warmup: { minMs: 1_000, minIterations: 5 },
    measure: { minMs: 10_000, minIterations: 30, maxMs: 120_000, maxIterations: 500_000 },
  },
  precise: {
    name: 'precise',
    warmup: { minMs: 3_000, minIterations: 10 },
    measure: { minMs: 30_000, minIterations: 100, maxMs: 300_000, maxIterations: 1_000_000 },
  },
};

/** For Roost's own tests only: a few runs, no minimum duration. */
export const TEST_PROTOCOL: Protocol = {
  name: 'test',
  warmup: { minMs: 0, minIterations: 1 },
  measure: { minMs: 0, minIterations: 3, maxMs: 10_000, maxIterations: 1_000 },
};
