/**
 * Units and the composite.
 *
 * A workload's sub-score is its throughput in physical units at the scored run time (the
 * suite's `measurement.scoreQuantile`: the 10th percentile run since roost-std/2, the median in
 * roost-std/1):
 *   value = workPerRun / scored seconds / unit scale   (TFLOP/s: 1e12 FLOP/s, GB/s: 1e9 B/s,
 *                                                      inferences/s: 1)
 * The composite is the weighted geometric mean of the sub-scores relative to the suite's
 * reference machine, times the suite's scale:
 *   composite = scale × exp( Σ w_i · ln(value_i / reference_i) ),   Σ w_i = 1
 * A geometric mean makes the composite independent of units and of the reference values up to
 * one constant factor: halving any one workload's time multiplies the composite by 2^w_i on
 * every machine alike. A workload that does not score makes the composite null (never a
 * silently renormalised number a market could be misled by); `partial` gives the same mean over
 * the workloads that did score, for information.
 */
import type { Composite, SuiteDefinition, WorkloadDefinition } from './schema.ts';
import { unitScale } from './suite.ts';

export function throughput(definition: WorkloadDefinition, runMs: number): number {
  return definition.workPerRun / (runMs / 1000) / unitScale(definition.unit);
}

export function achievedTflops(definition: WorkloadDefinition, runMs: number): number {
  return definition.flopsPerRun / (runMs / 1000) / 1e12;
}

function weightedGeometricMean(
  parts: { value: number; reference: number; weight: number }[],
): number | null {
  const total = parts.reduce((a, p) => a + p.weight, 0);
  if (parts.length === 0 || total <= 0) return null;
  if (parts.some((p) => p.value <= 0)) return 0;
  const log = parts.reduce((a, p) => a + (p.weight / total) * Math.log(p.value / p.reference), 0);
  return Math.exp(log);
}

/** The composite of sub-scores by workload id (null: did not score). */
export function composite(
  suite: SuiteDefinition,
  values: ReadonlyMap<string, number | null>,
): Composite {
  const scale = suite.composite.scale;
  const scored = suite.workloads.flatMap((w) => {
    const value = values.get(w.id);
    return value === null || value === undefined
      ? []
      : [{ value, reference: w.reference, weight: w.weight }];
  });
  const missingIds = suite.workloads
    .filter((w) => values.get(w.id) === null || values.get(w.id) === undefined)
    .map((w) => w.id);
  const partialMean = weightedGeometricMean(scored);
  return {
    value: missingIds.length === 0 && partialMean !== null ? scale * partialMean : null,
    partial: partialMean === null ? null : scale * partialMean,
    unit: suite.composite.unit,
    formula: suite.composite.formula,
    weights: Object.fromEntries(suite.workloads.map((w) => [w.id, w.weight])),
    missing: missingIds,
  };
}
