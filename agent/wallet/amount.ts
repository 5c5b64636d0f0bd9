/**
 * Amounts and addresses as people type them, checked into exact base units and checksummed
 * addresses, with errors that say what to write instead.
 */
import { ZeroAddress, getAddress } from 'ethers';
import { WalletError } from './errors.ts';
import type { AssetAmount } from './schema.ts';

const MAX_UINT256 = (1n << 256n) - 1n;

/** Exact display form: no exponent, no trailing zeros ("12.5", "0.000001", "3"). */
export function formatUnitsExact(baseUnits: bigint, decimals: number): string {
  const negative = baseUnits < 0n;
  const abs = negative ? -baseUnits : baseUnits;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const frac =
    decimals === 0 ? '' : (abs % scale).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac === '' ? '' : `.${frac}`}`;
}

export function assetAmount(baseUnits: bigint, decimals: number, symbol: string): AssetAmount {
  return {
    amount: formatUnitsExact(baseUnits, decimals),
    baseUnits: baseUnits.toString(),
    symbol,
    decimals,
  };
}

/**
 * A positive decimal amount in display units ("12.5") to base units. Refuses signs, exponents,
 * thousands separators, decimal commas, zero and more decimals than the asset has.
 */
export function parseAmount(text: string, decimals: number, symbol: string): bigint {
  const trimmed = text.trim();
  const example = `write it like 12.5 (digits, and a dot before the decimals)`;
  if (trimmed === '')
    throw new WalletError('WALLET_BAD_AMOUNT', `Enter an amount of ${symbol}: ${example}.`);
  if (trimmed.startsWith('-'))
    throw new WalletError('WALLET_BAD_AMOUNT', `The amount must be more than 0 (got ${trimmed}).`);
  if (/^\d+,\d+$/.test(trimmed))
    throw new WalletError('WALLET_BAD_AMOUNT', `"${trimmed}" uses a comma: ${example}.`);
  const match = /^(\d*)(?:\.(\d*))?$/.exec(trimmed);
  if (match === null || (match[1] === '' && (match[2] ?? '') === ''))
    throw new WalletError('WALLET_BAD_AMOUNT', `"${trimmed}" is not an amount: ${example}.`);
  const whole = match[1] ?? '';
  const frac = (match[2] ?? '').replace(/0+$/, '');
  if (frac.length > decimals) {
    throw new WalletError(
      'WALLET_BAD_AMOUNT',
      `${symbol} has ${decimals} decimal places; "${trimmed}" has ${frac.length}. Round it to at most ${decimals}.`,
    );
  }
  const value =
    BigInt(whole === '' ? '0' : whole) * 10n ** BigInt(decimals) +
    BigInt(frac.padEnd(decimals, '0') || '0');
  if (value === 0n)
    throw new WalletError('WALLET_BAD_AMOUNT', `The amount must be more than 0 (got ${trimmed}).`);
  if (value > MAX_UINT256)
    throw new WalletError(
      'WALLET_BAD_AMOUNT',
      `"${trimmed}" is too large to be an amount of ${symbol}.`,
    );
  return value;
}

/** A recipient as typed, to a checksummed address; the zero address and names are refused. */
export function parseRecipient(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '')
    throw new WalletError(
      'WALLET_BAD_ADDRESS',
      "Enter the recipient's address: 0x followed by 40 hexadecimal characters.",
    );
  if (!trimmed.startsWith('0x') && trimmed.includes('.'))
    throw new WalletError(
      'WALLET_BAD_ADDRESS',
      `Names such as "${trimmed}" are not supported: paste the recipient's 0x address.`,
    );
  if (!/^0x[0-9a-fA-F]{40}$/.test(trimmed)) {
    const body = trimmed.startsWith('0x') ? trimmed.slice(2) : trimmed;
    const why = !trimmed.startsWith('0x')
      ? 'it does not start with 0x'
      : !/^[0-9a-fA-F]*$/.test(body)
        ? 'it has characters other than 0-9 and a-f'
        : `it has ${body.length} characters after 0x instead of 40`;
    throw new WalletError(
      'WALLET_BAD_ADDRESS',
      `"${trimmed}" is not an address (${why}). An address is 0x followed by 40 hexadecimal characters.`,
    );
  }
  let checksummed: string;
  try {
    checksummed = getAddress(trimmed);
  } catch {
    throw new WalletError(
      'WALLET_BAD_ADDRESS',
      `"${trimmed}" mixes upper and lower case in a way its checksum doesn't allow: a character was probably mistyped. Copy the address again from its source.`,
    );
  }
  if (checksummed === ZeroAddress)
    throw new WalletError(
      'WALLET_BAD_ADDRESS',
      'That is the zero address: whatever is sent there is gone for good.',
    );
  return checksummed;
}
