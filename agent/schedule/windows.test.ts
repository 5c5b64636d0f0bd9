import { describe, expect, it } from 'vitest';
import type { TimeWindow } from './schema.ts';
import { nextWindowChange, weeklyWindowHours, windowsAllow } from './windows.ts';

const utc = (iso: string) => Date.parse(iso);
const zone = 'Europe/Berlin';
// Summer time in Berlin is UTC+2: local = UTC + 2 h.
const weeknights: TimeWindow = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '22:00',
  end: '07:00',
};

describe('time windows', () => {
  it('opens at the start minute and closes at the end minute', () => {
    expect(windowsAllow([weeknights], utc('2025-06-06T19:59:00Z'), zone)).toBe(false); // Fri 21:59
    expect(windowsAllow([weeknights], utc('2025-06-06T20:00:00Z'), zone)).toBe(true); // Fri 22:00
  });

  it('carries a window across midnight into the next day', () => {
    expect(windowsAllow([weeknights], utc('2025-06-06T22:30:00Z'), zone)).toBe(true); // Sat 00:30
    expect(windowsAllow([weeknights], utc('2025-06-07T04:59:00Z'), zone)).toBe(true); // Sat 06:59
    expect(windowsAllow([weeknights], utc('2025-06-07T05:00:00Z'), zone)).toBe(false); // Sat 07:00
    // Sunday night is not listed, so Monday 06:00 is outside.
    expect(windowsAllow([weeknights], utc('2025-06-09T04:00:00Z'), zone)).toBe(false);
    // Monday night is, so Tuesday 06:00 is inside.
    expect(windowsAllow([weeknights], utc('2025-06-10T04:00:00Z'), zone)).toBe(true);
  });

  it('treats no windows as always and end = start as 24 hours', () => {
    expect(windowsAllow([], utc('2025-06-06T12:00:00Z'), zone)).toBe(true);
    const day: TimeWindow = { days: ['sat'], start: '08:00', end: '08:00' };
    expect(windowsAllow([day], utc('2025-06-08T05:59:00Z'), zone)).toBe(true); // Sun 07:59
    expect(windowsAllow([day], utc('2025-06-08T06:00:00Z'), zone)).toBe(false); // Sun 08:00
    expect(weeklyWindowHours([day])).toBe(24);
  });

  it('finds when the window next opens and closes', () => {
    expect(nextWindowChange([weeknights], utc('2025-06-06T19:00:00Z'), zone)).toBe(
      utc('2025-06-06T20:00:00Z'),
    );
    expect(nextWindowChange([weeknights], utc('2025-06-06T21:00:00Z'), zone)).toBe(
      utc('2025-06-07T05:00:00Z'),
    );
    // Saturday morning: next opening is Monday 22:00.
    expect(nextWindowChange([weeknights], utc('2025-06-07T06:00:00Z'), zone)).toBe(
      utc('2025-06-09T20:00:00Z'),
    );
    expect(nextWindowChange([], utc('2025-06-07T06:00:00Z'), zone)).toBeNull();
  });

  it('merges adjacent windows', () => {
    const evening: TimeWindow = { days: ['fri'], start: '18:00', end: '24:00' };
    const night: TimeWindow = { days: ['sat'], start: '00:00', end: '06:00' };
    expect(nextWindowChange([evening, night], utc('2025-06-06T17:00:00Z'), zone)).toBe(
      utc('2025-06-07T04:00:00Z'),
    );
  });

  it('follows the wall clock when the clocks spring forward', () => {
    const nightly: TimeWindow = {
      days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      start: '01:00',
      end: '04:00',
    };
    // 30 March 2025: 01:00 CET is 00:00 UTC; 04:00 CEST is 02:00 UTC (two real hours).
    expect(nextWindowChange([nightly], utc('2025-03-29T23:30:00Z'), zone)).toBe(
      utc('2025-03-30T00:00:00Z'),
    );
    expect(nextWindowChange([nightly], utc('2025-03-30T00:30:00Z'), zone)).toBe(
      utc('2025-03-30T02:00:00Z'),
    );
    // A window that ends inside the skipped hour ends when the clock jumps.
    const short: TimeWindow = { days: ['sun'], start: '01:30', end: '02:30' };
    expect(windowsAllow([short], utc('2025-03-30T00:45:00Z'), zone)).toBe(true);
    expect(nextWindowChange([short], utc('2025-03-30T00:45:00Z'), zone)).toBe(
      utc('2025-03-30T01:00:00Z'),
    );
    // A window wholly inside the skipped hour doesn't happen that night.
    const skipped: TimeWindow = { days: ['sun'], start: '02:00', end: '02:30' };
    expect(windowsAllow([skipped], utc('2025-03-30T01:00:00Z'), zone)).toBe(false);
  });

  it('follows the wall clock when the clocks fall back', () => {
    // 26 October 2025: 02:00–03:00 local happens twice (00:00–01:00 and 01:00–02:00 UTC).
    const repeated: TimeWindow = { days: ['sun'], start: '02:00', end: '02:30' };
    expect(windowsAllow([repeated], utc('2025-10-26T00:15:00Z'), zone)).toBe(true);
    expect(windowsAllow([repeated], utc('2025-10-26T00:45:00Z'), zone)).toBe(false);
    expect(nextWindowChange([repeated], utc('2025-10-26T00:45:00Z'), zone)).toBe(
      utc('2025-10-26T01:00:00Z'),
    );
    expect(windowsAllow([repeated], utc('2025-10-26T01:15:00Z'), zone)).toBe(true);
    // A night window spanning the change lasts one hour longer in real time.
    const night: TimeWindow = { days: ['sat'], start: '22:00', end: '06:00' };
    expect(nextWindowChange([night], utc('2025-10-25T21:00:00Z'), zone)).toBe(
      utc('2025-10-26T05:00:00Z'),
    );
  });

  it('counts the hours a week the windows allow', () => {
    expect(weeklyWindowHours([weeknights])).toBe(45);
    expect(weeklyWindowHours([])).toBe(168);
  });
});
