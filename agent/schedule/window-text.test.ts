import { describe, expect, it } from 'vitest';
import { formatTimeWindows, parseTimeWindows } from './schema.ts';

describe('time windows as text', () => {
  it('reads ranges, lists and daily, and writes them back the same way', () => {
    const r = parseTimeWindows('mon-fri 22:00-07:00; sat,sun 0:00-24:00\ndaily 12:00-13:00');
    expect(r).toEqual({
      ok: true,
      value: [
        { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '22:00', end: '07:00' },
        { days: ['sat', 'sun'], start: '00:00', end: '24:00' },
        { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '12:00', end: '13:00' },
      ],
    });
    if (r.ok)
      expect(formatTimeWindows(r.value)).toBe(
        'mon-fri 22:00-07:00; sat,sun 00:00-24:00; daily 12:00-13:00',
      );
    expect(parseTimeWindows('')).toEqual({ ok: true, value: [] });
  });

  it('says what is wrong', () => {
    expect(parseTimeWindows('weekdays 9-17')).toMatchObject({
      ok: false,
      error: expect.stringContaining('write it like mon-fri 22:00-07:00'),
    });
    expect(parseTimeWindows('mon-xyz 09:00-17:00')).toMatchObject({
      ok: false,
      error: expect.stringContaining('"mon-xyz" is not a day'),
    });
    expect(parseTimeWindows('fri-mon 09:00-17:00')).toMatchObject({ ok: false });
    expect(parseTimeWindows('mon 25:00-26:00')).toMatchObject({
      ok: false,
      error: expect.stringContaining('24-hour clock'),
    });
  });
});
