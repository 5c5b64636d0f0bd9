import type { WalletTimers } from '../service.ts';

/** A clock and timers that move only when a test says so. */
export interface FakeClock {
  now: () => number;
  timers: WalletTimers;
  /** Move time forward, running every timer that falls due, in order. */
  advance(ms: number): void;
  pendingTimers(): number;
}

export function fakeClock(start = Date.UTC(2026, 0, 1)): FakeClock {
  let time = start;
  let nextId = 1;
  const due = new Map<number, { at: number; run: () => void }>();
  return {
    now: () => time,
    timers: {
      setTimeout(run, ms) {
        const id = nextId++;
        due.set(id, { at: time + Math.max(0, ms), run });
        return id;
      },
      clearTimeout(handle) {
        due.delete(handle as number);
      },
    },
    advance(ms) {
      const end = time + ms;
      for (;;) {
        let first: [number, { at: number; run: () => void }] | undefined;
        for (const entry of due)
          if (entry[1].at <= end && (first === undefined || entry[1].at < first[1].at))
            first = entry;
        if (first === undefined) break;
        due.delete(first[0]);
        time = Math.max(time, first[1].at);
        first[1].run();
      }
      time = end;
    },
    pendingTimers: () => due.size,
  };
}
