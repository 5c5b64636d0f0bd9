import { describe, expect, it } from 'vitest';
import { countFromOutput, failuresOf } from './test-all.ts';

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

describe('failuresOf', () => {
  const counts = { numPassedTests: 1, numFailedTests: 1, numPendingTests: 0, numTodoTests: 0 };

  it('names each failed test by file, describe and title, with its message and no stack', () => {
    const lines = failuresOf(
      {
        ...counts,
        testResults: [
          {
            name: '/repo/test/integration/a.test.ts',
            status: 'failed',
            assertionResults: [
              { ancestorTitles: ['the market'], title: 'pays', status: 'passed' },
              {
                ancestorTitles: ['the market', 'leases'],
                title: 'expires a lease',
                status: 'failed',
                failureMessages: [
                  '\u001b[31mAssertionError: expected 1 to be 2\u001b[39m\n\n    at foo (a.test.ts:3:4)\n    at bar',
                ],
              },
            ],
          },
        ],
      },
      '/repo/',
    );
    expect(lines).toEqual([
      '  ✗ test/integration/a.test.ts › the market › leases › expires a lease',
      '      AssertionError: expected 1 to be 2',
    ]);
  });

  it('names a file that failed without a test (a hook or an import threw)', () => {
    const lines = failuresOf({
      ...counts,
      testResults: [
        {
          name: 'b.test.ts',
          status: 'failed',
          message: 'Hook timed out in 10000ms',
          assertionResults: [],
        },
        { name: 'c.test.ts', status: 'passed', assertionResults: [] },
      ],
    });
    expect(lines).toEqual(['  ✗ b.test.ts', '      Hook timed out in 10000ms']);
  });

  it('says nothing for a green report', () => {
    expect(failuresOf({ ...counts, numFailedTests: 0, testResults: [] })).toEqual([]);
  });
});
