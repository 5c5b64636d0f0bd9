// The totals line that contracts/run-tests.ts prints for the test orchestrator.
import { expect } from 'chai';
import { countTests } from '../run-tests.ts';

describe('contract test totals', function () {
  it('reads a green run', function () {
    const output =
      '  150 passing\n\n  15 passing (6s)\n\n\n165 passing (150 solidity, 15 mocha)\n\n';
    expect(countTests(output, 0)).to.deep.equal({ passed: 165, failed: 0 });
  });

  it('reads a run with failures, colours and all', function () {
    const output =
      '\u001b[32m163 passing\u001b[39m (149 solidity, 14 mocha)\n\u001b[31m2 failing\u001b[39m (1 solidity, 1 mocha)\nTest run failed\n';
    expect(countTests(output, 1)).to.deep.equal({ passed: 163, failed: 2 });
  });

  it('counts a run that died before its summary as failed', function () {
    expect(countTests('Error HHE1000: compilation failed\n', 1)).to.deep.equal({
      passed: 0,
      failed: 1,
    });
  });
});
