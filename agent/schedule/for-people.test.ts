import { describe, expect, it } from 'vitest';
import { estimateForPeople, forPeople } from './schema.ts';

describe('amounts for people', () => {
  it('rounds amounts for people to 6 significant digits, never the whole part', () => {
    expect(forPeople('5.567991')).toBe('5.56799');
    expect(forPeople('133.631776')).toBe('133.632');
    expect(forPeople('99.999542751103898613')).toBe('99.9995');
    expect(forPeople('0.000053220182049678')).toBe('0.0000532202');
    expect(forPeople('111.35981300623072')).toBe('111.36');
    expect(forPeople('1234567.8')).toBe('1234568');
    expect(forPeople('2.970000')).toBe('2.97');
    expect(forPeople('100')).toBe('100');
    expect(forPeople('0')).toBe('0');
    expect(forPeople('-0.1652149')).toBe('-0.165215');
    expect(forPeople('0.9999999')).toBe('1');
    expect(forPeople('n/a')).toBe('n/a');
  });

  it('rounds estimates to 3 significant digits, never the whole part', () => {
    expect(estimateForPeople('0.287986')).toBe('0.288');
    expect(estimateForPeople('6.91166')).toBe('6.91');
    expect(estimateForPeople('172.791')).toBe('173');
    expect(estimateForPeople('8160.2')).toBe('8160');
    expect(estimateForPeople('0.0000532202')).toBe('0.0000532');
    expect(estimateForPeople(0)).toBe('0');
  });

  it('rounds half away from zero, and takes numbers', () => {
    expect(forPeople('0.1234565')).toBe('0.123457');
    expect(forPeople('-0.1234565')).toBe('-0.123457');
    expect(forPeople(111.35981300623072)).toBe('111.36');
    expect(forPeople('007.5')).toBe('7.5');
    expect(forPeople('0.0000000')).toBe('0');
    expect(forPeople('-0.0000001', 1)).toBe('-0.0000001');
    expect(forPeople(1e-7)).toBe('1e-7');
  });

  it('rounds down when asked: a price that must not exceed what a job pays', () => {
    expect(forPeople('0.156521739', 3, true)).toBe('0.156');
    expect(forPeople('0.156521739', 3)).toBe('0.157');
    expect(forPeople('0.0999', 2, true)).toBe('0.099');
    expect(forPeople('0.06', 3, true)).toBe('0.06');
  });
});
