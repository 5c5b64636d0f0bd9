/**
 * `market.disputes` answers for tests: one open dispute of job 7, lease 0 (a 5 rUSD reward, 2.5
 * rUSD of collateral, a reason of two lines) that this wallet may rule on, and the list around
 * it on a lab's chain (31337) where this wallet is the arbiter. Each test says what differs.
 */
import type { Dispute, DisputesResult } from '../schema.ts';

export const DISPUTE_REQUESTER = '0x' + '1'.repeat(40);
export const DISPUTE_PROVIDER = '0x' + '2'.repeat(40);

export function dispute(over: Partial<Dispute> = {}): Dispute {
  return {
    jobId: '7',
    slot: 0,
    requester: DISPUTE_REQUESTER,
    provider: DISPUTE_PROVIDER,
    reward: { amount: '5', symbol: 'rUSD' },
    collateral: { amount: '2.5', symbol: 'rUSD' },
    resultHash: '0x' + 'ab'.repeat(32),
    resultUri: 'http://10.0.0.5:8801/uploads/0/result.json',
    reasonUri: 'http://10.0.0.5:8801/dispute-0-x.txt',
    reason: 'Disputed: output y differs\nfrom the canary',
    reasonProblem: null,
    disputedAt: '2026-11-27T10:00:00.000Z',
    disputeTx: '0x' + 'cd'.repeat(32),
    voidableAt: '2026-11-28T10:10:00.000Z',
    cannotRule: null,
    ...over,
  };
}

export function disputesResult(disputes: Dispute[], arbiter = true): DisputesResult {
  return {
    network: { name: 'custom', chainId: 31337, marketAddress: '0x' + 'a'.repeat(40) },
    wallet: '0x' + '3'.repeat(40),
    arbiter,
    disputes,
  };
}
