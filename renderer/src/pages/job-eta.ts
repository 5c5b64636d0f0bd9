/**
 * How long a running job has left, from the pace its input sets went at while the page watched
 * (not since it started: a job resumed after a restart, or one that waited for its GPU, would
 * read as faster or slower than it runs).
 */

/** Where a job's progress stood when the page first saw it run. */
export interface PaceStart {
  at: number;
  setsDone: number;
}

/** Not said before this much was watched: the first sets include the session's warm-up. */
const WATCHED_MS = 5000;

/** Milliseconds left at the pace since `start`, or undefined while that says too little. */
export function remainingMs(
  start: PaceStart,
  now: number,
  progress: { setsDone: number; setsTotal: number },
): number | undefined {
  const sets = progress.setsDone - start.setsDone;
  const ms = now - start.at;
  if (sets <= 0 || ms < WATCHED_MS || progress.setsDone >= progress.setsTotal) return undefined;
  return ((progress.setsTotal - progress.setsDone) * ms) / sets;
}

/** `about 40 s left`, `about 4 min left`, `about 2 h 10 min left`: no more precise than it is. */
export function leftWords(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `about ${Math.max(10, Math.round(s / 10) * 10)} s left`;
  const min = Math.round(s / 60);
  if (min < 60) return `about ${min} min left`;
  const h = Math.floor(min / 60);
  const rest = Math.round((min % 60) / 10) * 10;
  return rest === 0 || rest === 60
    ? `about ${h + (rest === 60 ? 1 : 0)} h left`
    : `about ${h} h ${rest} min left`;
}
