import { describe, expect, it } from 'vitest';
import { sampleReport } from '../bench/testing/fixtures.ts';
import { benchText } from './bench.ts';

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
