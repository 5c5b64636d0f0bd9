/**
 * This machine's memory speed right now, outside Roost's code: copying a 64 MiB buffer (bigger
 * than any cache) for a fraction of a second. On a shared VM the memory bus is shared with other
 * tenants, so this moves from minute to minute; a benchmark script prints it beside each run so
 * that a run scored low because the machine was slower can be told from a run Roost measured
 * badly.
 */
const BYTES = 64 * 1024 * 1024;

/** GB/s moved (read + write) by Buffer#copy: the median and the best of its copies. */
export function memcpyGBs(ms = 400): { median: number; best: number } {
  const from = Buffer.alloc(BYTES, 1);
  const to = Buffer.alloc(BYTES);
  from.copy(to); // touch every page first
  const times: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end || times.length < 3) {
    const t0 = performance.now();
    from.copy(to);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const rate = (t: number) => (2 * BYTES) / (t / 1000) / 1e9;
  return {
    median: rate(times[Math.floor(times.length / 2)] as number),
    best: rate(times[0] as number),
  };
}
