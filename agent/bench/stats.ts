/**
 * Statistics of a workload's run times. Percentiles interpolate linearly between the closest
 * ranks (numpy's default, "linear"): p of n sorted values is at rank (n − 1)·p. The coefficient
 * of variation is the sample standard deviation (n − 1) over the mean.
 */
import type { TimingStats } from './schema.ts';

/** The p-quantile (0..1) of values sorted ascending; NaN for none. */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (sorted.length - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  return a + (b - a) * (rank - lo);
}

/** Summary of run times in milliseconds; undefined for no runs. */
export function timingStats(timingsMs: readonly number[]): TimingStats | undefined {
  const n = timingsMs.length;
  if (n === 0) return undefined;
  const sorted = [...timingsMs].sort((a, b) => a - b);
  let sum = 0;
  for (const t of timingsMs) sum += t;
  const mean = sum / n;
  let squares = 0;
  for (const t of timingsMs) squares += (t - mean) ** 2;
  const stddev = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
  return {
    iterations: n,
    medianMs: quantileSorted(sorted, 0.5),
    p10Ms: quantileSorted(sorted, 0.1),
    p90Ms: quantileSorted(sorted, 0.9),
    minMs: sorted[0] ?? 0,
    maxMs: sorted[n - 1] ?? 0,
    meanMs: mean,
    stddevMs: stddev,
    cv: mean > 0 ? stddev / mean : 0,
    totalMs: sum,
  };
}

/**
 * Run times in order, in at most `points` buckets of consecutive runs (the median of each), for
 * a chart that shows drift: a device that heats up and throttles slopes upwards.
 */
export function bucketSeries(timingsMs: readonly number[], points = 120): number[] {
  const n = timingsMs.length;
  if (n <= points) return [...timingsMs];
  const out: number[] = [];
  for (let b = 0; b < points; b++) {
    const from = Math.floor((b * n) / points);
    const to = Math.floor(((b + 1) * n) / points);
    const bucket = timingsMs.slice(from, to).sort((x, y) => x - y);
    out.push(quantileSorted(bucket, 0.5));
  }
  return out;
}

/** Coefficient of variation (sample) of any values: for the composite over repeated runs. */
export function coefficientOfVariation(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return mean > 0 ? Math.sqrt(variance) / mean : 0;
}
