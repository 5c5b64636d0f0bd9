import { describe, expect, it } from 'vitest';
import { sampleReport } from '../bench/testing/fixtures.ts';
import { benchText, logProgressLine } from './bench.ts';

describe('roost bench text', () => {
  it('names the accelerator as people do (CPU, not cpu)', () => {
    const first = benchText(sampleReport()).split('\n')[0]!;
    expect(first).toMatch(/^roost-std\/4 on CPU\b/);
    expect(first).not.toMatch(/ on cpu\b/);
  });

  it('lines up the spread of every workload in one column', () => {
    const rows = benchText(sampleReport())
      .split('\n')
      .filter((line) => line.includes('(runs ±'));
    expect(rows.length).toBeGreaterThan(1);
    const columns = new Set(rows.map((line) => line.indexOf('(runs ±')));
    expect([...columns]).toHaveLength(1);
  });
});

describe('roost bench progress in a log', () => {
  it('writes a line when the phase changes and at each tenth of the run, not every event', () => {
    const last = { phase: '', tenth: -1 };
    const lines = [
      { phase: 'prepare', fraction: 0, message: 'Generating models' },
      { phase: 'measure', fraction: 0.1, message: 'GEMM: 10 runs' },
      { phase: 'measure', fraction: 0.12, message: 'GEMM: 12 runs' },
      { phase: 'measure', fraction: 0.19, message: 'GEMM: 19 runs' },
      { phase: 'measure', fraction: 0.2, message: 'GEMM: 20 runs' },
      { phase: 'checking', fraction: 0.95, message: 'Checking results' },
      { phase: 'done', fraction: 1, message: 'Done: 150 RCS' },
    ].map((p) => logProgressLine(p, last));
    expect(lines.filter((l) => l !== undefined)).toEqual([
      '[prepare]   0 % Generating models',
      '[measure]  10 % GEMM: 10 runs',
      '[measure]  20 % GEMM: 20 runs',
      '[checking]  95 % Checking results',
      '[done] 100 % Done: 150 RCS',
    ]);
  });
});
