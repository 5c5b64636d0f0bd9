import { describe, expect, it } from 'vitest';
import { bucketSeries, coefficientOfVariation, quantileSorted, timingStats } from './stats.ts';

describe('timing statistics', () => {
  it('computes median, p90, min, max, mean and CV of known timings', () => {
    const s = timingStats([10, 12, 11, 13, 14, 10, 11, 12, 30, 11]);
    expect(s).toBeDefined();
    if (!s) return;
    expect(s.iterations).toBe(10);
    expect(s.medianMs).toBe(11.5); // sorted: 10 10 11 11 11 12 12 13 14 30
    expect(s.p90Ms).toBeCloseTo(14 + (30 - 14) * 0.1, 10); // rank 8.1
    expect(s.minMs).toBe(10);
    expect(s.maxMs).toBe(30);
    expect(s.meanMs).toBe(13.4);
    const variance =
      [10, 12, 11, 13, 14, 10, 11, 12, 30, 11].reduce((a, v) => a + (v - 13.4) ** 2, 0) / 9;
    expect(s.stddevMs).toBeCloseTo(Math.sqrt(variance), 12);
    expect(s.cv).toBeCloseTo(Math.sqrt(variance) / 13.4, 12);
    expect(s.totalMs).toBe(134);
  });

  it('is robust: one outlier moves the mean, not the median', () => {
    const steady = Array.from({ length: 99 }, () => 5);
    const withSpike = timingStats([...steady, 500]);
    expect(withSpike?.medianMs).toBe(5);
    expect(withSpike?.meanMs).toBeCloseTo(9.95, 10);
    expect(timingStats(steady)?.cv).toBe(0);
  });

  it('handles one run and no runs', () => {
    expect(timingStats([])).toBeUndefined();
    expect(timingStats([7])).toMatchObject({ medianMs: 7, p90Ms: 7, stddevMs: 0, cv: 0 });
    expect(quantileSorted([], 0.5)).toBeNaN();
    expect(quantileSorted([1, 2], 0.5)).toBe(1.5);
  });

  it('buckets long series into medians of consecutive runs, keeping the trend', () => {
    const rising = Array.from({ length: 1200 }, (_, i) => 10 + i / 100);
    const series = bucketSeries(rising, 120);
    expect(series).toHaveLength(120);
    expect(series[0]).toBeCloseTo(10.045, 6);
    expect(series[119]).toBeGreaterThan(21.8);
    expect(bucketSeries([3, 1, 2], 120)).toEqual([3, 1, 2]);
  });

  it('gives the coefficient of variation of repeated composites', () => {
    expect(coefficientOfVariation([100, 100, 100])).toBe(0);
    expect(coefficientOfVariation([99, 101])).toBeCloseTo(Math.SQRT2 / 100, 12);
    expect(coefficientOfVariation([5])).toBe(0);
  });
});
