import { describe, expect, it } from 'vitest';
import { accuracyGate, relativeRmsError } from './gate.ts';

const reference = new Map([['y', Float64Array.from([1, -2, 3, -4])]]);
const out = (values: (number | null)[], name = 'y') => [{ name, dims: [values.length], values }];

describe('the accuracy gate', () => {
  it('passes outputs within the tolerance and states the error', () => {
    const verdict = accuracyGate(out([1, -2, 3, -4.0001]), out([1, -2, 3, -4]), reference, 1e-3);
    expect(verdict.passed).toBe(true);
    expect(verdict.error).toBeCloseTo(1e-4 / Math.sqrt(30), 12);
    expect(verdict.lastRunError).toBe(0);
    expect(verdict.reason).toBeUndefined();
  });

  it('catches a wrong result and says by how much', () => {
    const verdict = accuracyGate(out([1, -2, 3, 4]), out([1, -2, 3, 4]), reference, 5e-3);
    expect(verdict.passed).toBe(false);
    expect(verdict.error).toBeCloseTo(8 / Math.sqrt(30), 12);
    expect(verdict.reason).toMatch(
      /differ from the CPU reference by 1\.5e\+0 \(relative RMS\), more than the tolerance 5e-3/,
    );
  });

  it('catches a device that goes wrong during the run', () => {
    const verdict = accuracyGate(out([1, -2, 3, -4]), out([1, -2, 30, -4]), reference, 1e-3);
    expect(verdict.passed).toBe(false);
    expect(verdict.error).toBe(0);
    expect(verdict.reason).toMatch(/went wrong during the run: the last run differs/);
  });

  it('fails NaN, infinities, missing and mis-sized outputs outright', () => {
    expect(accuracyGate(out([1, null, 3, -4]), [], reference, 1).reason).toMatch(
      /1 of 4 values of "y" are NaN or infinite/,
    );
    expect(accuracyGate(out([1, 2, 3]), [], reference, 1).reason).toMatch(
      /has 3 values, 4 expected/,
    );
    expect(accuracyGate(out([1, 2, 3, 4], 'z'), [], reference, 1).reason).toMatch(
      /the output "y" is missing/,
    );
  });

  it('compares the leading values when the reference covers the first items of a batch', () => {
    const sizes = new Map([['y', 6]]);
    // The reference's 4 values against the first 4 of 6; the rest are the device's own.
    const ok = accuracyGate(out([1, -2, 3, -4, 99, 99]), [], reference, 1e-3, sizes);
    expect(ok).toMatchObject({ passed: true, error: 0 });
    const wrong = accuracyGate(out([1, -2, 3, 4, 5, 6]), [], reference, 1e-3, sizes);
    expect(wrong.passed).toBe(false);
    expect(wrong.error).toBeCloseTo(8 / Math.sqrt(30), 12);
    // The whole batch must still be there: a device that answers only the checked items fails.
    expect(accuracyGate(out([1, -2, 3, -4]), [], reference, 1, sizes).reason).toMatch(
      /has 4 values, 6 expected/,
    );
    expect(accuracyGate(out([1, -2, 3, -4, 5, 6, 7]), [], reference, 1, sizes).reason).toMatch(
      /has 7 values, 6 expected/,
    );
  });

  it('measures error relative to the size of the answer', () => {
    const big = new Map([['y', Float64Array.from([1000, 2000])]]);
    const r = relativeRmsError(out([1001, 2000]), big);
    expect(r).toEqual({ ok: true, error: 1 / Math.sqrt(5_000_000) });
    const zero = new Map([['y', Float64Array.from([0, 0])]]);
    expect(relativeRmsError(out([0, 0]), zero)).toEqual({ ok: true, error: 0 });
  });
});
