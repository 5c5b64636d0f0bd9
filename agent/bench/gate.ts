/**
 * The accuracy gate: a workload's number counts only when its outputs match the float64 CPU
 * reference within the suite's stated tolerance, on the first AND the last measured run (a
 * device that goes wrong as it heats up fails too). The error is the relative RMS error,
 * ‖out − ref‖₂ / ‖ref‖₂ over every output value; any NaN or infinity fails outright.
 */
import type { BenchOutput } from '../../worker/bench-protocol.ts';
import type { Accuracy } from './schema.ts';

export type ErrorMeasure =
  { ok: true; error: number } | { ok: false; reason: string; error: number | null };

/**
 * Relative RMS error of one run's outputs against the reference. `sizes` gives an output's whole
 * size where the reference covers only its leading values (a batch's first items): the output
 * must have that many, and its leading values are compared.
 */
export function relativeRmsError(
  outputs: readonly BenchOutput[],
  reference: ReadonlyMap<string, Float64Array>,
  sizes?: ReadonlyMap<string, number>,
): ErrorMeasure {
  let diff = 0;
  let norm = 0;
  for (const [name, expected] of reference) {
    const got = outputs.find((o) => o.name === name);
    if (!got) return { ok: false, reason: `the output "${name}" is missing`, error: null };
    const size = Math.max(sizes?.get(name) ?? 0, expected.length);
    if (got.values.length !== size) {
      return {
        ok: false,
        reason: `the output "${name}" has ${got.values.length} values, ${size} expected`,
        error: null,
      };
    }
    let bad = 0;
    for (let i = 0; i < expected.length; i++) {
      const v = got.values[i];
      if (v === null || v === undefined || !Number.isFinite(v)) {
        bad += 1;
        continue;
      }
      const e = expected[i] ?? 0;
      diff += (v - e) ** 2;
      norm += e * e;
    }
    if (bad > 0) {
      return {
        ok: false,
        reason: `${bad} of ${expected.length} values of "${name}" are NaN or infinite`,
        error: null,
      };
    }
  }
  const error = norm > 0 ? Math.sqrt(diff) / Math.sqrt(norm) : Math.sqrt(diff);
  return { ok: true, error };
}

/** Two significant digits, as the report's table shows them: `2.2e-1`, `5e-3`. */
function formatError(x: number): string {
  return x === 0 ? '0' : Number(x.toPrecision(2)).toExponential();
}

/** The gate's verdict on the first and last measured runs of a workload. */
export function accuracyGate(
  first: readonly BenchOutput[],
  last: readonly BenchOutput[],
  reference: ReadonlyMap<string, Float64Array>,
  tolerance: number,
  sizes?: ReadonlyMap<string, number>,
): Accuracy {
  const a = relativeRmsError(first, reference, sizes);
  const b = last.length > 0 ? relativeRmsError(last, reference, sizes) : a;
  const base = {
    error: a.error,
    lastRunError: b.error,
    tolerance,
  };
  if (!a.ok) return { ...base, passed: false, reason: `Wrong result: ${a.reason}.` };
  if (!b.ok)
    return { ...base, passed: false, reason: `Wrong result on the last run: ${b.reason}.` };
  if (a.error > tolerance) {
    return {
      ...base,
      passed: false,
      reason: `Wrong result: the outputs differ from the CPU reference by ${formatError(a.error)} (relative RMS), more than the tolerance ${formatError(tolerance)}.`,
    };
  }
  if (b.error > tolerance) {
    return {
      ...base,
      passed: false,
      reason: `The result went wrong during the run: the last run differs from the CPU reference by ${formatError(b.error)} (tolerance ${formatError(tolerance)}), the first by ${formatError(a.error)}.`,
    };
  }
  return { ...base, passed: true };
}
