import { describe, expect, it } from 'vitest';
import { threadTimes, usedByName, usedNs } from './thread-cpu.ts';

describe('CPU time by thread', () => {
  it("finds this process's threads and charges work to the thread that did it", () => {
    const before = threadTimes(process.pid);
    expect(before.length).toBeGreaterThan(1);
    const t0 = performance.now();
    let x = 0;
    while (performance.now() - t0 < 60) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    const after = threadTimes(process.pid);
    const used = usedByName(before, after);
    // vitest runs this file on a thread of its own; whichever it is, it did the 60 ms of work.
    const busiest = used[0];
    expect(busiest?.ns).toBeGreaterThan(40e6);
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
