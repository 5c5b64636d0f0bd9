import { describe, expect, it } from 'vitest';
import { threadTimes, usedByName, usedNs } from './thread-cpu.ts';

describe('CPU time by thread', () => {
  it("finds this process's threads and charges work to the thread that did it", () => {
    const before = threadTimes(process.pid);
    expect(before.length).toBeGreaterThan(1);
    // Busy until the samples show 60 ms of CPU, however the machine shares its cores (60 ms of
    // wall time was 28 ms of CPU under a full test run); at most 10 s, when they never do.
    const deadline = performance.now() + 10_000;
    let x = 0;
    let after = threadTimes(process.pid);
    while (performance.now() < deadline && (usedByName(before, after)[0]?.ns ?? 0) < 60e6) {
      const t0 = performance.now();
      while (performance.now() - t0 < 5) x += Math.sqrt(x + 1);
      after = threadTimes(process.pid);
    }
    expect(x).toBeGreaterThan(0);
    const used = usedByName(before, after);
    // vitest runs this file on a thread of its own; whichever it is, it did the work.
    const busiest = used[0];
    expect(busiest?.ns).toBeGreaterThanOrEqual(60e6);
    expect(usedNs(before, after)).toBeGreaterThanOrEqual(busiest?.ns ?? Infinity);
  });

  it('counts only what threads used between the samples, by name', () => {
    const before = [
      { key: '1/1', name: 'MainThread', ns: 100, slices: 1 },
      { key: '1/2', name: 'MainThread', ns: 50, slices: 1 },
      { key: '1/3', name: 'roost-io', ns: 10, slices: 1 },
    ];
    const after = [
      { key: '1/1', name: 'MainThread', ns: 400, slices: 4 },
      { key: '1/2', name: 'MainThread', ns: 150, slices: 2 },
      { key: '1/3', name: 'roost-io', ns: 10, slices: 1 },
      { key: '1/4', name: 'libuv-worker', ns: 30, slices: 3 },
    ];
    expect(usedByName(before, after)).toEqual([
      { name: 'MainThread', threads: 2, ns: 400, slices: 4 },
      { name: 'libuv-worker', threads: 1, ns: 30, slices: 3 },
    ]);
  });

  it('does not go negative when threads end between the samples', () => {
    // As on an H200: start-up threads with most of the CPU so far are gone by the second sample.
    const before = [
      { key: '1/1', name: 'MainThread', ns: 1_000, slices: 10 },
      { key: '1/9', name: 'MainThread', ns: 5_000_000, slices: 900 },
    ];
    const after = [{ key: '1/1', name: 'MainThread', ns: 3_000, slices: 30 }];
    expect(usedNs(before, after)).toBe(2_000);
  });
});
