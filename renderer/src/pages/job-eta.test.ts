import { describe, expect, it } from 'vitest';
import { leftWords, remainingMs } from './job-eta.ts';

describe('how long a running job has left', () => {
  it('goes by the pace the page watched, once it watched long enough', () => {
    const start = { at: 0, setsDone: 100 };
    // 50 sets in 10 s, 850 to go: 170 s.
    expect(remainingMs(start, 10_000, { setsDone: 150, setsTotal: 1000 })).toBe(170_000);
    expect(remainingMs(start, 4_000, { setsDone: 150, setsTotal: 1000 })).toBeUndefined();
    expect(remainingMs(start, 10_000, { setsDone: 100, setsTotal: 1000 })).toBeUndefined();
    expect(remainingMs(start, 10_000, { setsDone: 1000, setsTotal: 1000 })).toBeUndefined();
  });

  it('says it no more precisely than it is known', () => {
    expect(leftWords(3_000)).toBe('about 10 s left');
    expect(leftWords(44_000)).toBe('about 40 s left');
    expect(leftWords(170_000)).toBe('about 3 min left');
    expect(leftWords(59 * 60_000)).toBe('about 59 min left');
    expect(leftWords(130 * 60_000)).toBe('about 2 h 10 min left');
    expect(leftWords(120 * 60_000)).toBe('about 2 h left');
    expect(leftWords(178 * 60_000)).toBe('about 3 h left');
  });
});
