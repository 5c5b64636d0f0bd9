/**
 * Predicted versus actual earnings over 24 h (hourly), 7 d and 30 d (daily, local days), for the
 * charts: predicted from the periods each GPU worked × its rate, actual from payout records
 * (chain events), electricity from the periods' measured draw, net = actual in the user's
 * currency less electricity (on a test network net = actual, in the token: test money is never
 * converted, and real electricity is not taken from it). Days are local calendar days, so one has
 * 23 or 25 hours when the clocks change.
 */
import type { Decimal } from './decimal.ts';
import { add, dec, div, mul, sub, toFixed } from './decimal.ts';
import type {
  ChartRange,
  EarningsBucket,
  EarningsChart,
  PayoutRecord,
  WorkPeriod,
} from './schema.ts';
import { addDays, firstInstantOf, formatClock, formatDate, wallTime } from './wall-clock.ts';

export interface EarningsChartOptions {
  range: ChartRange;
  /** Epoch ms. */
  now: number;
  timeZone: string;
  payouts: readonly PayoutRecord[];
  periods: readonly WorkPeriod[];
  electricityPricePerKwh: number | string;
  currency: string;
  /** Default 1. */
  tokenValueInCurrency?: number | string;
  /** A test network (its tokens have no value): net stays in the token; default false. */
  testNetwork?: boolean;
  /** Only payouts in this token; default the token of the first payout. */
  token?: string;
  /** One GPU, or null/absent for all. */
  gpuId?: string | null;
  /** Decimal places of the amounts; default 6. */
  decimals?: number;
}

const HOUR_MS = 3_600_000;

interface Span {
  start: number;
  end: number;
  label: string;
}

/** The bucket boundaries of a range ending with the current hour or day. */
export function chartSpans(range: ChartRange, now: number, timeZone: string): Span[] {
  const w = wallTime(now, timeZone);
  const spans: Span[] = [];
  if (range === '24h') {
    const hourStart = now - (now % 1000) - (w.minute * 60 + w.second) * 1000;
    for (let k = 23; k >= 0; k--) {
      const start = hourStart - k * HOUR_MS;
      const sw = wallTime(start, timeZone);
      spans.push({ start, end: start + HOUR_MS, label: formatClock(sw.hour, sw.minute) });
    }
    return spans;
  }
  const days = range === '7d' ? 7 : 30;
  for (let k = days - 1; k >= 0; k--) {
    const date = addDays(w, -k);
    const next = addDays(w, -k + 1);
    spans.push({
      start: firstInstantOf({ ...date, minute: 0 }, timeZone),
      end: firstInstantOf({ ...next, minute: 0 }, timeZone),
      label: formatDate(date),
    });
  }
  return spans;
}

/** Buckets of predicted, actual, electricity and net earnings for a chart, with totals. */
export function earningsChart(options: EarningsChartOptions): EarningsChart {
  const places = options.decimals ?? 6;
  const gpuId = options.gpuId ?? null;
  const token = options.token ?? options.payouts[0]?.token ?? 'tokens';
  const tokenValue = dec(options.tokenValueInCurrency ?? 1);
  const test = options.testNetwork ?? false;
  const net = (actual: Decimal, electricity: Decimal): Decimal =>
    test ? actual : sub(mul(actual, tokenValue), electricity);
  const kwhPrice = dec(options.electricityPricePerKwh);
  const payouts = options.payouts.filter(
    (p) => p.token === token && p.kind !== 'withdrawn' && (gpuId === null || p.gpuId === gpuId),
  );
  const periods = options.periods
    .filter((p) => gpuId === null || p.gpuId === gpuId)
    .map((p) => ({ ...p, startMs: Date.parse(p.start), endMs: Date.parse(p.end) }))
    .filter((p) => p.endMs > p.startMs);

  const totals = { predicted: dec(0), actual: dec(0), electricity: dec(0) };
  const f = (d: Decimal) => toFixed(d, places);
  const buckets: EarningsBucket[] = chartSpans(options.range, options.now, options.timeZone).map(
    (span) => {
      let predicted = dec(0);
      let electricity = dec(0);
      for (const p of periods) {
        const overlap = Math.min(p.endMs, span.end) - Math.max(p.startMs, span.start);
        if (overlap <= 0) continue;
        const hours = div(dec(overlap), dec(HOUR_MS), 12);
        predicted = add(predicted, mul(hours, dec(p.grossPerHour)));
        if (p.powerW !== null) {
          const kwh = mul(hours, div(dec(p.powerW), dec(1000), 12));
          electricity = add(electricity, mul(kwh, kwhPrice));
        }
      }
      let actual = dec(0);
      for (const p of payouts) {
        const at = Date.parse(p.at);
        if (at < span.start || at >= span.end) continue;
        actual = p.kind === 'earned' ? add(actual, dec(p.amount)) : sub(actual, dec(p.amount));
      }
      totals.predicted = add(totals.predicted, predicted);
      totals.actual = add(totals.actual, actual);
      totals.electricity = add(totals.electricity, electricity);
      return {
        start: new Date(span.start).toISOString(),
        end: new Date(span.end).toISOString(),
        label: span.label,
        predicted: f(predicted),
        actual: f(actual),
        electricity: f(electricity),
        net: f(net(actual, electricity)),
      };
    },
  );
  return {
    range: options.range,
    token,
    currency: options.currency,
    gpuId,
    testNetwork: test,
    netUnit: test ? token : options.currency,
    buckets,
    totals: {
      predicted: f(totals.predicted),
      actual: f(totals.actual),
      electricity: f(totals.electricity),
      net: f(net(totals.actual, totals.electricity)),
    },
  };
}
