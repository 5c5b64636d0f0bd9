import { describe, expect, it } from 'vitest';
import { claimedLine, leaseLine } from './session.ts';

describe("a lease's move in the log", () => {
  it('says the state once when the reason starts with it', () => {
    expect(leaseLine('paid', 'paid 2.97 rUSD')).toBe('paid 2.97 rUSD');
    expect(leaseLine('claiming', 'claiming: pays 3 rUSD')).toBe('claiming: pays 3 rUSD');
    expect(leaseLine('running', 'running as local job j-1')).toBe('running as local job j-1');
  });

  it('puts the state before any other reason, and stands alone without one', () => {
    expect(leaseLine('uploading', 'ran on cpu')).toBe('uploading — ran on cpu');
    // A word that only begins like the state is not the state.
    expect(leaseLine('paid', 'paidout')).toBe('paid — paidout');
    expect(leaseLine('expired', '')).toBe('expired');
  });

  it('says a claim by its lease, without a block number', () => {
    expect(leaseLine('claimed', claimedLine(0))).toBe('claimed (lease 0)');
  });
});
