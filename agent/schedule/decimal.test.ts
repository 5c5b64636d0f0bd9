import { describe, expect, it } from 'vitest';
import {
  add,
  cmp,
  dec,
  div,
  fromBaseUnits,
  mul,
  round,
  sub,
  sum,
  toBaseUnits,
  toFixed,
  toPlain,
} from './decimal.ts';

describe('decimal', () => {
  it('adds without float error', () => {
    expect(toPlain(add(dec(0.1), dec(0.2)))).toBe('0.3');
    expect(toPlain(sum(Array.from({ length: 10 }, () => dec('0.1'))))).toBe('1');
    expect(toPlain(sub(dec('1'), dec('0.9')))).toBe('0.1');
  });

  it('reads numbers through their shortest form, exponents included', () => {
    expect(toPlain(dec(1e-7))).toBe('0.0000001');
    expect(toPlain(dec(1.5e21))).toBe('1500000000000000000000');
    expect(toPlain(dec('-12.500'))).toBe('-12.5');
    expect(toPlain(dec(5n))).toBe('5');
    expect(() => dec('1,5')).toThrow(RangeError);
    expect(() => dec(Number.NaN)).toThrow(RangeError);
    expect(() => dec('')).toThrow(RangeError);
  });

  it('multiplies and divides exactly, rounding half away from zero', () => {
    expect(toPlain(mul(dec('0.05'), dec('123.45')))).toBe('6.1725');
    expect(toFixed(dec('1.005'), 2)).toBe('1.01');
    expect(toFixed(dec('-1.005'), 2)).toBe('-1.01');
    expect(toFixed(dec('2.5'), 0)).toBe('3');
    expect(toFixed(dec('0.0000004'), 6)).toBe('0.000000');
    expect(toPlain(round(dec('-0.0000004'), 6))).toBe('0');
    expect(toPlain(div(dec(1), dec(3), 6))).toBe('0.333333');
    expect(toPlain(div(dec(2), dec(3), 6))).toBe('0.666667');
    expect(toPlain(div(dec('-1'), dec('8'), 2))).toBe('-0.13');
    expect(() => div(dec(1), dec(0), 2)).toThrow(/division by zero/);
    expect(toFixed(dec(7), 3)).toBe('7.000');
  });

  it('compares', () => {
    expect(cmp(dec('0.10'), dec('0.1'))).toBe(0);
    expect(cmp(dec('-1'), dec('0.5'))).toBe(-1);
  });

  it('converts ERC-20 base units both ways, exactly', () => {
    expect(fromBaseUnits(1_500_000n, 6)).toBe('1.5');
    expect(fromBaseUnits('123456789012345678901234567890', 18)).toBe(
      '123456789012.34567890123456789',
    );
    expect(fromBaseUnits(0n, 18)).toBe('0');
    expect(toBaseUnits('1.5', 6)).toBe(1_500_000n);
    expect(() => toBaseUnits('1.0000001', 6)).toThrow(/more than 6 decimals/);
  });
});
