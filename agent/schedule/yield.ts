/**
 * Net yield per GPU: the provider's price per composite-unit-hour × the GPU's composite score,
 * less the protocol fee, in the user's currency, less measured power draw × the electricity
 * price; and a suggested price from the market's recent jobs. All amounts are exact decimal
 * strings (see decimal.ts). On a test network the tokens are test money with no value: amounts
 * stay in the token, and electricity (real money) is shown but not subtracted from them.
 */
import type { TelemetrySample } from '../hardware/schema.ts';
import type { Decimal } from './decimal.ts';
import { add, cmp, dec, div, isNegative, mul, sub, toFixed, toPlain } from './decimal.ts';
import type { MarketJobQuote, PriceSuggestion, YieldEstimate } from './schema.ts';
import { forPeople } from './schema.ts';

export interface YieldInputs {
  gpuId: string;
  /** The benchmark's composite score of this GPU, in composite units. */
  compositeScore: number;
  /** The provider's price in tokens per composite-unit-hour. */
  pricePerUnitHour: number | string;
  /** Average measured draw while working, in watts; null when not measured. */
  powerW: number | null;
  /** Draw when not working; when given, only the extra draw of working is charged. */
  baselinePowerW?: number | null;
  /** Per kWh, in `currency`. */
  electricityPricePerKwh: number | string;
  currency: string;
  /** The market token's symbol. */
  token?: string;
  /** One token in `currency`; default 1. */
  tokenValueInCurrency?: number | string;
  /** A test network (its tokens have no value): no currency conversion; default false. */
  testNetwork?: boolean;
  /** The market's protocol fee in basis points; default 0. */
  protocolFeeBps?: number;
  /** Hours a day the GPU may work (the schedule: `weeklyWindowHours / 7`); default 24. */
  hoursPerDay?: number;
  /** Share of working hours with a lease, 0–1; default 1. */
  occupancy?: number;
  /** Decimal places of the amounts; default 6. */
  decimals?: number;
}

const WH_PER_KWH = dec(1000);

/**
 * What one GPU earns per hour and per day, net of electricity once its draw is measured (before
 * electricity until then), with the arithmetic in words.
 */
export function estimateYield(inputs: YieldInputs): YieldEstimate {
  const places = inputs.decimals ?? 6;
  const token = inputs.token ?? 'tokens';
  const currency = inputs.currency;
  const feeBps = inputs.protocolFeeBps ?? 0;
  const hoursPerDay = inputs.hoursPerDay ?? 24;
  const occupancy = inputs.occupancy ?? 1;
  const test = inputs.testNetwork ?? false;
  if (!(inputs.compositeScore >= 0)) throw new RangeError('the composite score must be ≥ 0');
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > 10_000) {
    throw new RangeError('the protocol fee must be 0–10000 basis points');
  }
  if (!(hoursPerDay >= 0 && hoursPerDay <= 24)) throw new RangeError('hoursPerDay must be 0–24');
  if (!(occupancy >= 0 && occupancy <= 1)) throw new RangeError('occupancy must be 0–1');

  const price = dec(inputs.pricePerUnitHour);
  const score = dec(inputs.compositeScore);
  const gross = mul(price, score);
  const fee = div(mul(gross, dec(feeBps)), dec(10_000), 18);
  const earned = sub(gross, fee);
  const tokenValue = dec(inputs.tokenValueInCurrency ?? 1);
  const earnedInCurrency = mul(earned, tokenValue);

  let chargedW: number | null = null;
  if (inputs.powerW !== null) {
    chargedW = Math.max(0, inputs.powerW - (inputs.baselinePowerW ?? 0));
  }
  const kwhPerHour = chargedW === null ? dec(0) : div(dec(chargedW), WH_PER_KWH, 12);
  const electricity = mul(kwhPerHour, dec(inputs.electricityPricePerKwh));
  // Test tokens are worth nothing, so the electricity (real money) can't be taken from them: what
  // is left is the gross in the token.
  const net = test ? earned : sub(earnedInCurrency, electricity);
  const unit = test ? token : currency;
  const counted = chargedW !== null && !test;
  const perDayFactor = mul(dec(hoursPerDay), dec(occupancy));
  const netPerDay = mul(net, perDayFactor);

  const f = (d: Decimal) => toFixed(d, places);
  // The words are read by people: rounded (the fields keep the exact amounts).
  const w = (d: Decimal) => forPeople(f(d));
  const words: string[] = [
    `${forPeople(toPlain(score))} units × ${toPlain(price)} ${token} per unit-hour = ${w(gross)} ${token}/h`,
  ];
  if (feeBps > 0) words.push(`less the ${feeBps / 100}% market fee = ${w(earned)} ${token}/h`);
  if (test) {
    words.push(
      `${token} on this test network are test tokens with no value, not counted in ${currency}`,
    );
  } else if (cmp(tokenValue, dec(1)) !== 0 || token !== currency) {
    words.push(
      `at ${toPlain(tokenValue)} ${currency} per ${token} = ${w(earnedInCurrency)} ${currency}/h`,
    );
  }
  if (chargedW === null) {
    words.push('power draw not measured yet, so electricity is not counted');
  } else {
    const baseline = inputs.baselinePowerW
      ? ` (${inputs.powerW} W less ${inputs.baselinePowerW} W at rest)`
      : '';
    words.push(
      `${round1(chargedW)} W${baseline} × ${toPlain(dec(inputs.electricityPricePerKwh))} ${currency}/kWh = ${w(electricity)} ${currency}/h${test ? ', not subtracted from test tokens' : ''}`,
    );
  }
  words.push(
    counted ? `net ${w(net)} ${unit}/h` : `gross ${w(net)} ${unit}/h (before electricity)`,
  );
  words.push(
    `× ${hoursPerDay} h/day${occupancy < 1 ? ` × ${Math.round(occupancy * 100)}% of hours leased` : ''} = ${w(netPerDay)} ${unit}/day`,
  );

  return {
    gpuId: inputs.gpuId,
    token,
    currency,
    compositeScore: inputs.compositeScore,
    pricePerUnitHour: toPlain(price),
    grossPerHour: f(gross),
    feePerHour: f(fee),
    earnedPerHour: f(earned),
    earnedPerHourInCurrency: test ? null : f(earnedInCurrency),
    chargedPowerW: chargedW,
    electricityPerHour: f(electricity),
    netPerHour: f(net),
    hoursPerDay,
    occupancy,
    netPerDay: f(netPerDay),
    testNetwork: test,
    netUnit: unit,
    electricityCounted: counted,
    profitable: !isNegative(net) && net.units !== 0n,
    explanation: words.join('; '),
  };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * The average of the measured power draw of one GPU's samples taken in [sinceMs, untilMs);
 * null when none measured it.
 */
export function averagePowerW(
  samples: readonly TelemetrySample[],
  sinceMs = -Infinity,
  untilMs = Infinity,
): number | null {
  let total = 0;
  let count = 0;
  for (const s of samples) {
    if (s.at < sinceMs || s.at >= untilMs || s.powerW === null) continue;
    total += s.powerW;
    count += 1;
  }
  return count === 0 ? null : total / count;
}

export interface SuggestPriceOptions {
  jobs: readonly MarketJobQuote[];
  /** Epoch ms. */
  now: number;
  /** The provider's current price, for the comparison in the reason. */
  currentPrice?: number | string;
  /** Only jobs this GPU qualifies for (minScore ≤ score); null or absent: all jobs. */
  compositeScore?: number | null;
  /** Default 7. */
  lookbackDays?: number;
  /** Fewer accepted jobs than this and no price is suggested; default 5. */
  minJobs?: number;
  token?: string;
  /**
   * `accepted` (default): only jobs a provider took count. `posted`: every job counts, for a
   * provider that sees the offers but not who took them (the market's lease rows).
   */
  basis?: 'accepted' | 'posted';
}

/**
 * A price from the market's recent jobs: the median price of the jobs a provider accepted in the
 * last `lookbackDays` (the median, because a few outliers must not move it), with the quartiles
 * and a reason in words. Null when fewer than `minJobs` were accepted.
 */
export function suggestPrice(options: SuggestPriceOptions): PriceSuggestion {
  const days = options.lookbackDays ?? 7;
  const minJobs = options.minJobs ?? 5;
  const token = options.token ?? 'tokens';
  const sinceMs = options.now - days * 86_400_000;
  const since = new Date(sinceMs).toISOString();
  const score = options.compositeScore ?? null;
  const eligible = options.jobs.filter((j) => {
    const at = Date.parse(j.at);
    return at >= sinceMs && at <= options.now && (score === null || (j.minScore ?? 0) <= score);
  });
  const posted = options.basis === 'posted';
  const accepted = eligible
    .filter((j) => posted || j.accepted)
    .map((j) => dec(j.pricePerUnitHour))
    .sort(cmp);
  const scope = (n: number) =>
    `${n === 1 ? 'job' : 'jobs'}${score === null ? '' : ` a GPU scoring ${score} qualifies for`}`;
  const kind = posted ? 'posted' : 'accepted';
  if (accepted.length < minJobs) {
    if (posted)
      return {
        price: null,
        count: accepted.length,
        since,
        low: null,
        median: null,
        high: null,
        reason: `Not enough jobs seen yet: ${accepted.length} ${scope(accepted.length)} posted in the last ${days} days (at least ${minJobs} are needed for a suggestion).`,
      };
    return {
      price: null,
      count: accepted.length,
      since,
      low: null,
      median: null,
      high: null,
      reason: `Only ${accepted.length} accepted ${scope(accepted.length)} in the last ${days} days (at least ${minJobs} are needed): keep your price for now.`,
    };
  }
  const median = quantile(accepted, 0.5);
  const low = quantile(accepted, 0.25);
  const high = quantile(accepted, 0.75);
  const price = toPlain(median);
  let reason = `The median price of ${accepted.length} ${kind} ${scope(accepted.length)} in the last ${days} days is ${price} ${token} per unit-hour (half of them paid between ${toPlain(low)} and ${toPlain(high)}).`;
  if (options.currentPrice !== undefined) {
    const current = dec(options.currentPrice);
    const c = cmp(current, median);
    if (c > 0) {
      const pct = percentOver(current, median);
      reason +=
        cmp(current, high) > 0
          ? ` Your price ${toPlain(current)} is ${pct}% above it and above three quarters of ${kind} jobs: expect fewer jobs.`
          : ` Your price ${toPlain(current)} is ${pct}% above it: some jobs will go to cheaper providers.`;
    } else if (c < 0) {
      reason += ` Your price ${toPlain(current)} is below it: you could ask more.`;
    } else {
      reason += ' Your price matches it.';
    }
  }
  const rejected = eligible.length - accepted.length;
  if (rejected > 0)
    reason += ` ${rejected} other job${rejected === 1 ? ' was' : 's were'} not taken.`;
  return {
    price,
    count: accepted.length,
    since,
    low: toPlain(low),
    median: price,
    high: toPlain(high),
    reason,
  };
}

/** Linear interpolation between the closest ranks (the same as a spreadsheet's QUARTILE.INC). */
function quantile(sorted: readonly Decimal[], q: number): Decimal {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const frac = pos - lo;
  const a = sorted[lo] as Decimal;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as Decimal;
  if (frac === 0) return a;
  // frac is a multiple of 1/4 for quartiles, so exact in decimal.
  return add(a, mul(sub(b, a), dec(frac)));
}

function percentOver(value: Decimal, base: Decimal): string {
  if (base.units === 0n) return '∞';
  return toPlain(div(mul(sub(value, base), dec(100)), base, 0));
}
