import { describe, expect, it } from 'vitest';
import { duration, listWords, sentence } from './words.ts';

describe('words for people', () => {
  it('write durations in the unit that suits them', () => {
    expect(duration(0.35)).toBe('0.3 ms');
    expect(duration(12.4)).toBe('12 ms');
    expect(duration(540)).toBe('540 ms');
    expect(duration(1250)).toBe('1.25 s');
    expect(duration(12_540)).toBe('12.5 s');
    expect(duration(185_000)).toBe('3 min 05 s');
    expect(duration(7_620_000)).toBe('2 h 07 min');
    expect(duration(-1)).toBe('—');
  });

  it('make sentences and lists', () => {
    expect(sentence('no wallet yet')).toBe('No wallet yet.');
    expect(sentence('Done!')).toBe('Done!');
    expect(listWords(['a', 'b', 'c'])).toBe('a, b and c');
  });
});
