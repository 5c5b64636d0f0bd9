/** Words the market client writes into its log lines, lease history and problems. */
import { formatUnits } from 'ethers';
import type { TokenMeta } from '../wallet/chain.ts';

/** An amount of the payment token in words: 1.5 rUSD. */
export function tokens(value: bigint, meta: TokenMeta): string {
  return `${formatUnits(value, meta.decimals).replace(/\.0$/, '')} ${meta.symbol}`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
