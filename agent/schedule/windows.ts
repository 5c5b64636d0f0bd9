/**
 * Weekly time windows ("work Mon–Fri 22:00–07:00") evaluated on the local wall clock, and the
 * next instant the answer changes, so a decision can say "until 07:00".
 */
import type { TimeWindow, Weekday } from './schema.ts';
import { weekdays } from './schema.ts';
import { addDays, instantsOf, wallTime } from './wall-clock.ts';

function minutes(clock: string): number {
  const [h, m] = clock.split(':');
  return Number(h) * 60 + Number(m);
}

function dayIndex(day: Weekday): number {
  return weekdays.indexOf(day);
}

/** True when the window is open at this weekday (0 = Sunday) and minute of the day. */
export function windowOpenAt(window: TimeWindow, weekday: number, minuteOfDay: number): boolean {
  const days = new Set(window.days.map(dayIndex));
  const start = minutes(window.start);
  const end = minutes(window.end);
  if (start < end) return days.has(weekday) && minuteOfDay >= start && minuteOfDay < end;
  // Crosses midnight (or, when end equals start, lasts 24 hours): the part before midnight
  // belongs to today's window, the part after to yesterday's.
  const yesterday = (weekday + 6) % 7;
  return (days.has(weekday) && minuteOfDay >= start) || (days.has(yesterday) && minuteOfDay < end);
}

/** True when work is allowed at `ms`: no windows at all, or one of them is open. */
export function windowsAllow(
  windows: readonly TimeWindow[],
  ms: number,
  timeZone: string,
): boolean {
  if (windows.length === 0) return true;
  const w = wallTime(ms, timeZone);
  const minuteOfDay = w.hour * 60 + w.minute;
  return windows.some((window) => windowOpenAt(window, w.weekday, minuteOfDay));
}

/**
 * The first instant after `ms` at which `windowsAllow` changes, or null when it never does (no
 * windows, or windows covering the whole week). Looks eight days ahead.
 */
export function nextWindowChange(
  windows: readonly TimeWindow[],
  ms: number,
  timeZone: string,
): number | null {
  if (windows.length === 0) return null;
  const current = windowsAllow(windows, ms, timeZone);
  const today = wallTime(ms, timeZone);
  const candidates = new Set<number>();
  for (let k = -1; k <= 8; k++) {
    const date = addDays(today, k);
    for (const window of windows) {
      for (const minute of [minutes(window.start), minutes(window.end)]) {
        for (const t of instantsOf({ ...date, minute }, timeZone)) if (t > ms) candidates.add(t);
      }
    }
  }
  for (const t of [...candidates].sort((a, b) => a - b)) {
    if (windowsAllow(windows, t, timeZone) !== current) return t;
  }
  return null;
}

/**
 * Hours per week the windows allow (overlaps counted once), ignoring daylight-saving changes;
 * divided by 7 it is the `hoursPerDay` of a yield estimate.
 */
export function weeklyWindowHours(windows: readonly TimeWindow[]): number {
  if (windows.length === 0) return 7 * 24;
  let open = 0;
  for (let weekday = 0; weekday < 7; weekday++) {
    for (let minute = 0; minute < 1440; minute++) {
      if (windows.some((w) => windowOpenAt(w, weekday, minute))) open += 1;
    }
  }
  return open / 60;
}
