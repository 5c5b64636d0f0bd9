import { describe, expect, it } from 'vitest';
import { addDays, describeInstant, instantsOf, offsetAt, wallTime } from './wall-clock.ts';

const utc = (iso: string) => Date.parse(iso);

describe('wall clock', () => {
  it('reads the local wall time and weekday in a zone', () => {
    const w = wallTime(utc('2025-06-01T10:00:00Z'), 'Europe/Berlin');
    expect(w).toMatchObject({ year: 2025, month: 6, day: 1, hour: 12, minute: 0, weekday: 0 });
    expect(offsetAt(utc('2025-01-15T12:00:00Z'), 'Asia/Kolkata')).toBe(5.5 * 3_600_000);
  });

  it('maps an ordinary local time to one instant', () => {
    expect(instantsOf({ year: 2025, month: 6, day: 1, minute: 12 * 60 }, 'Europe/Berlin')).toEqual([
      utc('2025-06-01T10:00:00Z'),
    ]);
    expect(instantsOf({ year: 2025, month: 1, day: 1, minute: 0 }, 'Asia/Kolkata')).toEqual([
      utc('2024-12-31T18:30:00Z'),
    ]);
  });

  it('maps a time the clock skips (spring forward) to the instant it jumps', () => {
    // Berlin, 30 March 2025: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
    expect(instantsOf({ year: 2025, month: 3, day: 30, minute: 150 }, 'Europe/Berlin')).toEqual([
      utc('2025-03-30T01:00:00Z'),
    ]);
    // New York, 9 March 2025: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
    expect(instantsOf({ year: 2025, month: 3, day: 9, minute: 150 }, 'America/New_York')).toEqual([
      utc('2025-03-09T07:00:00Z'),
    ]);
  });

  it('maps a time in the repeated hour (fall back) to both instants', () => {
    // Berlin, 26 October 2025: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:30 happens twice.
    expect(instantsOf({ year: 2025, month: 10, day: 26, minute: 150 }, 'Europe/Berlin')).toEqual([
      utc('2025-10-26T00:30:00Z'),
      utc('2025-10-26T01:30:00Z'),
    ]);
  });

  it('adds calendar days across month and year ends', () => {
    expect(addDays({ year: 2024, month: 12, day: 31 }, 1)).toEqual({
      year: 2025,
      month: 1,
      day: 1,
      weekday: 3,
    });
    expect(addDays({ year: 2024, month: 3, day: 1 }, -1)).toMatchObject({ month: 2, day: 29 });
  });

  it('describes instants in short words relative to now', () => {
    const now = utc('2025-06-02T10:00:00Z'); // Monday 12:00 in Berlin
    expect(describeInstant(utc('2025-06-02T20:00:00Z'), 'Europe/Berlin', now)).toBe('22:00');
    expect(describeInstant(utc('2025-06-03T05:00:00Z'), 'Europe/Berlin', now)).toBe(
      'tomorrow 07:00',
    );
    expect(describeInstant(utc('2025-06-06T20:00:00Z'), 'Europe/Berlin', now)).toBe('Fri 22:00');
  });
});
