import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpuSnapshot, otherProgramsCores } from './cpu-share.ts';

describe("other programs' CPU during a run", () => {
  it('is the machine busy time less our own and the child’s, per wall second', () => {
    const before = { machineBusyMs: 10_000, ownMs: 500, at: 0 };
    const after = { machineBusyMs: 10_000 + 3_000, ownMs: 700, at: 2_000 };
    // 3000 ms busy over 2 s: 200 ms ours, 1800 ms the child's, 1000 ms others' = 0.5 cores.
    expect(otherProgramsCores(before, after, 1_800)).toBe(0.5);
    // Tick rounding can make a quiet machine come out below zero: never negative.
    expect(otherProgramsCores(before, after, 2_900)).toBe(0);
  });

  it('says nothing when it cannot: the child’s CPU unknown, or too short a run to tell', () => {
    const before = { machineBusyMs: 0, ownMs: 0, at: 0 };
    expect(otherProgramsCores(before, { ...before, at: 5_000 }, undefined)).toBeNull();
    expect(otherProgramsCores(before, { machineBusyMs: 10, ownMs: 0, at: 100 }, 0)).toBeNull();
  });

  it('sees a real busy process beside this one (not Roost’s: a child it does not account for)', async () => {
    const busy = spawn(process.execPath, [
      '-e',
      'const end = Date.now() + 1500; while (Date.now() < end);',
    ]);
    try {
      const before = cpuSnapshot();
      await new Promise((r) => setTimeout(r, 1_200));
      const cores = otherProgramsCores(before, cpuSnapshot(), 0);
      // One core spinning; the rest of the machine may add some, a shared machine more.
      expect(cores).not.toBeNull();
      expect(cores as number).toBeGreaterThan(0.5);
    } finally {
      busy.kill();
    }
  });
});
