/**
 * Local wall-clock time in an IANA time zone without a date library: what the clock on the wall
 * shows at an instant, and the instants at which it shows a given time. Daylight-saving changes
 * are handled by asking Intl, never by adding fixed offsets: a wall time in the skipped hour maps
 * to the instant the clock jumps, one in the repeated hour maps to both instants.
 */

export interface WallTime {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

/** A calendar date and a minute of that day (0–1439; 1440 means the next day's midnight). */
export interface LocalDateMinute {
  year: number;
  month: number;
  day: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The machine's time zone, e.g. `Europe/Berlin`. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** True when Intl knows the zone. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** What a wall clock in `timeZone` shows at the instant `ms` (epoch milliseconds). */
export function wallTime(ms: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const year = parts.year ?? 1970;
  const month = parts.month ?? 1;
  const day = parts.day ?? 1;
  return {
    year,
    month,
    day,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  };
}

/** The wall time as if it were UTC: a number that orders wall times, for comparisons. */
function naive(w: Pick<WallTime, 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'>) {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

/** The zone's offset from UTC at an instant, in milliseconds (east positive). */
export function offsetAt(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return naive(wallTime(whole, timeZone)) - whole;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * Every instant at which the wall clock in `timeZone` shows this date and minute, earliest first:
 * one normally, two in the repeated hour of a fall-back change, and for a time the clock skips
 * (spring forward) the one instant at which it jumps past it.
 */
export function instantsOf(local: LocalDateMinute, timeZone: string): number[] {
  const target = Date.UTC(local.year, local.month - 1, local.day, 0, local.minute);
  // Offsets in force within ±15 hours of the target cover every zone (UTC−12 to UTC+14).
  const offsets = new Set<number>();
  for (let k = -5; k <= 5; k++) offsets.add(offsetAt(target + k * 3 * HOUR, timeZone));
  const exact = [...offsets]
    .map((o) => target - o)
    .filter((t) => naive(wallTime(t, timeZone)) === target);
  if (exact.length > 0) return [...new Set(exact)].sort((a, b) => a - b);
  // The clock skips this time: find the first minute at which it shows a later time.
  let lo = Math.floor((target - Math.max(...offsets)) / MINUTE);
  let hi = Math.ceil((target - Math.min(...offsets)) / MINUTE);
  if (naive(wallTime(hi * MINUTE, timeZone)) <= target) return [hi * MINUTE];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (naive(wallTime(mid * MINUTE, timeZone)) > target) hi = mid;
    else lo = mid;
  }
  return [hi * MINUTE];
}

/** The first instant the wall clock shows this date and minute (or jumps past it). */
export function firstInstantOf(local: LocalDateMinute, timeZone: string): number {
  return instantsOf(local, timeZone)[0] as number;
}

/** Calendar arithmetic on a date, independent of any time zone. */
export function addDays(
  date: { year: number; month: number; day: number },
  days: number,
): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
  };
}

/** `2025-03-30` */
export function formatDate(date: { year: number; month: number; day: number }): string {
  return `${String(date.year).padStart(4, '0')}-${pad2(date.month)}-${pad2(date.day)}`;
}

/** `07:05` */
export function formatClock(hour: number, minute: number): string {
  return `${pad2(hour)}:${pad2(minute)}`;
}

const weekdayNames = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** `Mon 22:00` in the given zone: short words for reasons shown to the user. */
export function describeInstant(ms: number, timeZone: string, nowMs?: number): string {
  const w = wallTime(ms, timeZone);
  const clock = formatClock(w.hour, w.minute);
  if (nowMs !== undefined) {
    const n = wallTime(nowMs, timeZone);
    if (n.year === w.year && n.month === w.month && n.day === w.day) return clock;
    const tomorrow = addDays(n, 1);
    if (tomorrow.year === w.year && tomorrow.month === w.month && tomorrow.day === w.day) {
      return `tomorrow ${clock}`;
    }
    if (Math.abs(ms - nowMs) > 6 * 24 * HOUR) return `${formatDate(w)} ${clock}`;
  }
  return `${weekdayNames[w.weekday] ?? '?'} ${clock}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
