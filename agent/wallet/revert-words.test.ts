import { describe, expect, it } from 'vitest';
import { Interface } from 'ethers';
import { jobMarketAbi, jobMarketInterface } from '../../contracts/bindings/job-market.ts';
import {
  roostTestTokenAbi,
  roostTestTokenInterface,
} from '../../contracts/bindings/roost-test-token.ts';
import { describeRevert, revertData } from './revert-words.ts';

const usd = { decimals: 6, symbol: 'rUSD' };

describe('a refused transaction in words', () => {
  it('says what each of the market’s refusals means, with the error’s name for support', () => {
    const at = Date.UTC(2026, 10, 27, 20, 32) / 1000;
    const cases: [string, unknown[], string][] = [
      ['LeaseOver', [at], 'the lease ran out at 2026-11-27 20:32 UTC (LeaseOver)'],
      [
        'InsufficientStake',
        [1_500_000n, 2_000_000n],
        'the stake free for collateral is 1.5 rUSD, less than the 2 rUSD needed (InsufficientStake)',
      ],
      ['WrongLeaseState', [7n, 0, 2], 'lease 0 of job 7 is submitted now (WrongLeaseState)'],
      ['UnknownJob', [12n], 'this market has no job 12 (UnknownJob)'],
      ['FeeTooHigh', [1500, 1000], 'a fee of 15 % is above the most allowed, 10 % (FeeTooHigh)'],
      ['EnforcedPause', [], 'the market is paused (EnforcedPause)'],
    ];
    for (const [name, args, words] of cases) {
      const data = jobMarketInterface.encodeErrorResult(name, args);
      expect(describeRevert(data, usd)).toEqual({ name, words });
    }
  });

  it('says the token’s refusals too, and amounts in base units when the token is not known', () => {
    const data = roostTestTokenInterface.encodeErrorResult('FaucetLimitExceeded', [
      5_000_000_000n,
      1_000_000_000n,
    ]);
    expect(describeRevert(data, usd)?.words).toBe(
      'the faucet gives at most 1000 rUSD at a time (FaucetLimitExceeded)',
    );
    expect(describeRevert(data)?.words).toBe(
      'the faucet gives at most 1000000000 base units at a time (FaucetLimitExceeded)',
    );
  });

  it('has words for every error the market and its token can give, but those no user can meet', () => {
    // Guards of the code itself, not of what a user asked.
    const internal = new Set([
      'ReentrancyGuardReentrantCall',
      'SafeERC20FailedOperation',
      'AccessControlBadConfirmation',
      'ERC20InvalidApprover',
      'ERC20InvalidReceiver',
      'ERC20InvalidSender',
      'ERC20InvalidSpender',
    ]);
    const unworded: string[] = [];
    for (const abi of [jobMarketAbi, roostTestTokenAbi]) {
      const iface = new Interface(abi);
      for (const fragment of abi) {
        if (fragment.type !== 'error' || internal.has(fragment.name)) continue;
        const error = iface.getError(fragment.name)!;
        const args = error.inputs.map((input) =>
          input.type === 'address'
            ? `0x${'11'.repeat(20)}`
            : input.type === 'bytes32'
              ? `0x${'22'.repeat(32)}`
              : 1n,
        );
        const said = describeRevert(iface.encodeErrorResult(error, args), usd);
        // Worded: a sentence, then the name in brackets; not the name with its raw arguments.
        if (
          !said ||
          !said.words.endsWith(` (${fragment.name})`) ||
          said.words.startsWith(fragment.name)
        )
          unworded.push(fragment.name);
      }
    }
    expect(unworded).toEqual([]);
  });

  it('finds the revert data in an ethers error, and leaves what is not the market’s alone', () => {
    const data = jobMarketInterface.encodeErrorResult('NoOpenLease', [3n]);
    expect(revertData({ error: { data } })).toBe(data);
    expect(revertData({ cause: { data: { data } } })).toBe(data);
    expect(revertData(new Error('no data'))).toBeUndefined();
    expect(describeRevert(undefined)).toBeUndefined();
    expect(describeRevert('0xdeadbeef')).toBeUndefined();
  });
});
