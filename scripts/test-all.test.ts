import { describe, expect, it } from 'vitest';
import { countFromOutput } from './test-all.ts';

describe('countFromOutput', () => {
  it('reads our plain summary line', () => {
    expect(countFromOutput('lots\n12 passed, 1 failed\n')).toEqual({
      passed: 12,
      failed: 1,
      skipped: 0,
    });
    expect(countFromOutput('contracts: 40 passed, 0 failed, 2 skipped')).toEqual({
      passed: 40,
      failed: 0,
      skipped: 2,
    });
  });

  it("adds up mocha's passing/failing blocks (Solidity and TypeScript runners)", () => {
    const out =
      '\u001b[32m  10 passing\u001b[0m (2s)\n  1 failing\n\n  5 passing (1s)\n  3 pending\n';
    expect(countFromOutput(out)).toEqual({ passed: 15, failed: 1, skipped: 3 });
  });

  it('finds nothing in output without counts', () => {
    expect(countFromOutput('Compiled 3 Solidity files')).toBeUndefined();
  });
});
