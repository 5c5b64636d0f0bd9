/**
 * The market's lease rows (every job this provider saw, with its reward, state and payout) read
 * as money and prices: actual earnings (paid leases, slashed collateral), what recent jobs paid
 * per composite-unit-hour at this provider's score (for the suggested price), and which jobs are
 * still open to claim (for "why no jobs"). Pure: the rows and the clock are given.
 */
import type { LeaseRecord } from '../market/schema.ts';
import type { OpenJob } from '../diagnostics/diagnose.ts';
import { dec, div, fromBaseUnits, mul, toPlain } from './decimal.ts';
import type { MarketJobQuote, PayoutRecord } from './schema.ts';

export interface TokenUnits {
  symbol: string;
  decimals: number;
}

/**
 * Money moved by each finished lease: `earned` its payout once paid, `slashed` its collateral once
 * it expired (the market gives it to the requester). `at` is when the agent saw it happen.
 */
export function payoutsFromLeases(
  leases: readonly LeaseRecord[],
  token: TokenUnits,
): PayoutRecord[] {
  const out: PayoutRecord[] = [];
  for (const lease of leases) {
    const base = {
      id: `lease:${lease.chainKey}:${lease.jobId}`.slice(0, 200),
      at: lease.updatedAt,
      token: token.symbol,
      jobId: lease.jobId,
      gpuId: null,
      txHash: null,
      blockNumber: null,
    };
    if (lease.state === 'paid' && lease.payout !== null) {
      out.push({ ...base, kind: 'earned', amount: fromBaseUnits(lease.payout, token.decimals) });
    } else if (lease.state === 'expired' && lease.slot !== null && lease.collateral !== '0') {
      out.push({
        ...base,
        kind: 'slashed',
        amount: fromBaseUnits(lease.collateral, token.decimals),
      });
    }
  }
  return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/**
 * What a job pays per composite-unit-hour at `score`: the market's price rule turned around
 * (a provider asks price × score × hours, so the job meets any price up to reward ÷ (score × hours)),
 * cut down to the token's decimals, since the market keeps prices in base units: a price set to
 * this amount really takes the job.
 */
export function payPerUnitHour(
  lease: Pick<LeaseRecord, 'reward' | 'leaseSeconds'>,
  score: number,
  decimals: number,
): string {
  if (score <= 0 || lease.leaseSeconds <= 0) return '0';
  const reward = dec(fromBaseUnits(lease.reward, decimals));
  const perHour = div(mul(reward, dec(3600)), dec(lease.leaseSeconds), decimals + 12);
  const exact = div(perHour, dec(score), decimals + 6);
  // Rounded toward zero, never up past what the job pays.
  return toPlain({ units: exact.units / 10n ** 6n, scale: decimals });
}

/**
 * Every job this provider saw, as what it paid at this provider's score, dated when it was seen
 * (within a few seconds of being posted). Each counts as an offer the market made (`accepted`),
 * whether or not this provider took it: a provider priced too high takes none, and those are the
 * jobs its suggestion must come from.
 */
export function quotesFromLeases(
  leases: readonly LeaseRecord[],
  score: number,
  decimals: number,
): MarketJobQuote[] {
  if (score <= 0) return [];
  return leases.map((lease) => ({
    jobId: lease.jobId,
    at: lease.createdAt,
    pricePerUnitHour: payPerUnitHour(lease, score, decimals),
    accepted: true,
    minScore: Number(lease.minScore),
  }));
}

/** Jobs nobody has claimed yet whose deadline still leaves room for their lease. */
export function openJobsFromLeases(
  leases: readonly LeaseRecord[],
  nowSeconds: number,
  score: number,
  decimals: number,
): OpenJob[] {
  return leases
    .filter(
      (l) =>
        (l.state === 'seen' || l.state === 'skipped') && nowSeconds + l.leaseSeconds <= l.deadline,
    )
    .map((l) => ({
      jobId: l.jobId,
      pricePerUnitHour: payPerUnitHour(l, score, decimals),
      minScore: Number(l.minScore),
    }));
}
