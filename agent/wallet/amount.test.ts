import { describe, expect, it } from 'vitest';
import { assetAmount, formatUnitsExact, parseAmount, parseRecipient } from './amount.ts';
import { WalletError } from './errors.ts';

function refusal(run: () => unknown): WalletError {
  try {
    run();
  } catch (error) {
    if (error instanceof WalletError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('amounts', () => {
  it('parses display units exactly', () => {
    expect(parseAmount('12.5', 6, 'rUSD')).toBe(12_500_000n);
    expect(parseAmount(' 0.000001 ', 6, 'rUSD')).toBe(1n);
    expect(parseAmount('.5', 6, 'rUSD')).toBe(500_000n);
    expect(parseAmount('7.', 6, 'rUSD')).toBe(7_000_000n);
    expect(parseAmount('1.2500000', 6, 'rUSD')).toBe(1_250_000n);
    expect(parseAmount('1', 18, 'ETH')).toBe(10n ** 18n);
  });

  it('refuses what is not a positive amount, saying what to write', () => {
    const cases: [string, RegExp][] = [
      ['', /Enter an amount of rUSD/],
      ['-1', /more than 0/],
      ['0', /more than 0/],
      ['0.000', /more than 0/],
      ['1,5', /uses a comma/],
      ['1e6', /is not an amount/],
      ['1,000.00', /is not an amount/],
      ['ten', /is not an amount/],
      ['.', /is not an amount/],
      ['0.0000001', /rUSD has 6 decimal places; "0.0000001" has 7/],
      ['9'.repeat(90), /too large/],
    ];
    for (const [text, message] of cases) {
      const e = refusal(() => parseAmount(text, 6, 'rUSD'));
      expect(e.code, text).toBe('WALLET_BAD_AMOUNT');
      expect(e.message, text).toMatch(message);
    }
  });

  it('formats without exponents or trailing zeros', () => {
    expect(formatUnitsExact(12_500_000n, 6)).toBe('12.5');
    expect(formatUnitsExact(1n, 18)).toBe('0.000000000000000001');
    expect(formatUnitsExact(3_000_000n, 6)).toBe('3');
    expect(formatUnitsExact(0n, 6)).toBe('0');
    expect(formatUnitsExact(42n, 0)).toBe('42');
    expect(assetAmount(1_500_000n, 6, 'rUSD')).toEqual({
      amount: '1.5',
      baseUnits: '1500000',
      symbol: 'rUSD',
      decimals: 6,
    });
  });
});

describe('recipients', () => {
  const lower = '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed';
  const checksummed = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';

  it('accepts lower case and a correct checksum, and returns the checksummed form', () => {
    expect(parseRecipient(lower)).toBe(checksummed);
    expect(parseRecipient(` ${checksummed} `)).toBe(checksummed);
  });

  it('refuses a mistyped checksum, a wrong length, missing 0x, names and the zero address', () => {
    const cases: [string, RegExp][] = [
      ['', /Enter the recipient's address/],
      [checksummed.replace('aAeb', 'aAEb'), /checksum/],
      [lower.slice(0, -1), /39 characters after 0x instead of 40/],
      [lower.slice(2), /does not start with 0x/],
      ['0x' + 'g'.repeat(40), /characters other than 0-9 and a-f/],
      ['alice.eth', /Names such as "alice.eth" are not supported/],
      ['0x' + '0'.repeat(40), /zero address/],
    ];
    for (const [text, message] of cases) {
      const e = refusal(() => parseRecipient(text));
      expect(e.code, text).toBe('WALLET_BAD_ADDRESS');
      expect(e.message, text).toMatch(message);
    }
  });
});
