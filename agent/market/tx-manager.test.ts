// The transaction manager's fee arithmetic, which the devnet (always EIP-1559, low fees) can't
// drive to its edges: legacy chains, the cap, the 10 % that nodes require of a replacement.
// The manager itself is tested against a real devnet in test/integration/market/tx-manager.test.ts.
import { describe, expect, it } from 'vitest';
import { bumpedFees, doneLine, initialFees } from './tx-manager.ts';

const GWEI = 1_000_000_000n;
const eip1559 = (maxFeePerGas: bigint, maxPriorityFeePerGas: bigint) => ({
  gasPrice: null,
  maxFeePerGas,
  maxPriorityFeePerGas,
});
const legacy = (gasPrice: bigint) => ({ gasPrice, maxFeePerGas: null, maxPriorityFeePerGas: null });

describe('initialFees', () => {
  it("takes the node's EIP-1559 suggestion", () => {
    expect(initialFees(eip1559(30n * GWEI, 2n * GWEI), 500n * GWEI)).toEqual({
      type: 2,
      maxFeePerGas: 30n * GWEI,
      maxPriorityFeePerGas: 2n * GWEI,
    });
  });

  it('holds both fields under the cap', () => {
    expect(initialFees(eip1559(900n * GWEI, 700n * GWEI), 500n * GWEI)).toEqual({
      type: 2,
      maxFeePerGas: 500n * GWEI,
      maxPriorityFeePerGas: 500n * GWEI,
    });
  });

  it('falls back to the gas price on a chain without EIP-1559', () => {
    expect(initialFees(legacy(7n * GWEI), 500n * GWEI)).toEqual({ type: 0, gasPrice: 7n * GWEI });
    expect(initialFees(legacy(800n * GWEI), 500n * GWEI)).toEqual({
      type: 0,
      gasPrice: 500n * GWEI,
    });
  });

  it('refuses a node that suggests no price at all', () => {
    expect(() =>
      initialFees({ gasPrice: null, maxFeePerGas: null, maxPriorityFeePerGas: null }, GWEI),
    ).toThrow(/no gas price/);
  });
});

describe('bumpedFees', () => {
  const last = { type: 2 as const, maxFeePerGas: 100n, maxPriorityFeePerGas: 10n };

  it('raises both fields by the percentage, rounding up', () => {
    expect(bumpedFees(last, eip1559(1n, 1n), 20, 10_000n)).toEqual({
      type: 2,
      maxFeePerGas: 120n,
      maxPriorityFeePerGas: 12n,
    });
    expect(
      bumpedFees(
        { ...last, maxFeePerGas: 101n, maxPriorityFeePerGas: 11n },
        eip1559(1n, 1n),
        20,
        10_000n,
      ),
    ).toEqual({ type: 2, maxFeePerGas: 122n, maxPriorityFeePerGas: 14n });
  });

  it("follows the node's suggestion when the market moved further than the bump", () => {
    expect(bumpedFees(last, eip1559(300n, 40n), 20, 10_000n)).toEqual({
      type: 2,
      maxFeePerGas: 300n,
      maxPriorityFeePerGas: 40n,
    });
  });

  it('never bumps by less than the 10 % nodes require', () => {
    expect(bumpedFees(last, eip1559(1n, 1n), 3, 10_000n)).toEqual({
      type: 2,
      maxFeePerGas: 110n,
      maxPriorityFeePerGas: 11n,
    });
  });

  it('stops at the cap, and waits (null) when even 10 % more would pass it', () => {
    expect(bumpedFees(last, eip1559(1n, 1n), 50, 115n)).toEqual({
      type: 2,
      maxFeePerGas: 115n,
      maxPriorityFeePerGas: 15n,
    });
    expect(bumpedFees(last, eip1559(1n, 1n), 20, 109n)).toBeNull();
    expect(bumpedFees(last, eip1559(1n, 1n), 20, 100n)).toBeNull();
  });

  it('waits when the cap would squeeze the tip below a valid replacement', () => {
    const tipHeavy = { type: 2 as const, maxFeePerGas: 100n, maxPriorityFeePerGas: 100n };
    expect(bumpedFees(tipHeavy, eip1559(1n, 1n), 20, 105n)).toBeNull();
    expect(bumpedFees(tipHeavy, eip1559(1n, 1n), 20, 110n)).toEqual({
      type: 2,
      maxFeePerGas: 110n,
      maxPriorityFeePerGas: 110n,
    });
  });

  it('bumps the gas price of a legacy transaction the same way', () => {
    const old = { type: 0 as const, gasPrice: 50n * GWEI };
    expect(bumpedFees(old, legacy(GWEI), 20, 500n * GWEI)).toEqual({
      type: 0,
      gasPrice: 60n * GWEI,
    });
    expect(bumpedFees(old, legacy(80n * GWEI), 20, 500n * GWEI)).toEqual({
      type: 0,
      gasPrice: 80n * GWEI,
    });
    expect(bumpedFees(old, legacy(GWEI), 20, 54n * GWEI)).toBeNull();
    expect(bumpedFees(old, legacy(GWEI), 20, 56n * GWEI)).toEqual({
      type: 0,
      gasPrice: 56n * GWEI,
    });
  });
});

describe('the log line of a transaction that went in', () => {
  it('says what it did, then the hash, and no block number', () => {
    const hash = `0x${'ab'.repeat(32)}`;
    expect(doneLine('claim job 1', hash)).toBe(`claim job 1: done (transaction ${hash})`);
  });
});
