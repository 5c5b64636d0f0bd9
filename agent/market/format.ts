/** Words the market client writes into its log lines, lease history and problems. */
import { formatUnits } from 'ethers';
import type { TokenMeta } from '../wallet/chain.ts';
import { timeWords } from './schema.ts';

/** An amount of the payment token as the API gives it: `{ amount: '1.5', symbol: 'rUSD' }`. */
export function tokenAmount(value: bigint, meta: TokenMeta): { amount: string; symbol: string } {
  return { amount: formatUnits(value, meta.decimals).replace(/\.0$/, ''), symbol: meta.symbol };
}

/** An amount of the payment token in words: 1.5 rUSD. */
export function tokens(value: bigint, meta: TokenMeta): string {
  const { amount, symbol } = tokenAmount(value, meta);
  return `${amount} ${symbol}`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A chain time (unix seconds) as ISO text. */
export function unixTimeIso(seconds: bigint | number): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

/** A chain time in the market's words (schema.ts timeWords): 2025-03-01 14:05 UTC. */
export function unixTimeWords(seconds: bigint | number): string {
  return timeWords(unixTimeIso(seconds));
}
