/**
 * CSV for taxes and spreadsheets, per RFC 4180: a header row, CRLF line ends, fields holding a
 * comma, a quote, CR or LF quoted with quotes doubled. Dates are ISO 8601 in UTC, amounts exact
 * decimal strings. Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets
 * a leading `'`; amounts, which may start with `-`, are written as they are.
 */
import type { EarningsChart, PayoutRecord } from './schema.ts';
import { dec, mul, toFixed } from './decimal.ts';

export type CsvCell = string | number | null | undefined;

/** A cell written as it is (numbers, decimal amounts, ISO dates): quoted if needed, never guarded. */
export interface RawCell {
  raw: string;
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One field: `null`/`undefined` are empty; text that looks like a formula is defused. */
export function csvField(value: CsvCell | RawCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return quote(value.raw);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    return String(value);
  }
  return quote(/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
}

/** A whole CSV document: the header, then the rows, each line ending in CRLF. */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (CsvCell | RawCell)[])[],
): string {
  const lines = [header.map((h) => csvField(h)), ...rows.map((r) => r.map(csvField))];
  for (const [i, line] of lines.entries()) {
    if (line.length !== header.length) {
      throw new RangeError(`row ${i} has ${line.length} fields, the header ${header.length}`);
    }
  }
  return lines.map((l) => l.join(',') + '\r\n').join('');
}

const amount = (value: string): RawCell => ({ raw: value });

export const PAYOUTS_CSV_HEADER = [
  'date',
  'kind',
  'amount',
  'token',
  'network',
  'value',
  'currency',
  'job_id',
  'gpu_id',
  'tx_hash',
  'block_number',
  'record_id',
] as const;

export interface PayoutsCsvOptions {
  /** The user's currency and what one token is worth in it; without them `value` stays empty. */
  currency?: string;
  tokenValueInCurrency?: number | string;
  /** The network the payouts were made on (`local`, `custom (chain 8453)`), for the `network` column. */
  network?: string;
  /**
   * A test network: its tokens are test money with no value, so `value` and `currency` stay
   * empty and `network` says "(test tokens without value)".
   */
  testNetwork?: boolean;
  /** Decimal places of `value`; default 2. */
  valueDecimals?: number;
}

/**
 * Payout records (`earned`, `slashed`, `withdrawn`) oldest first. `amount` is unsigned, as on
 * chain; `kind` says which way it went. `value` is the amount in the user's currency at the
 * given rate (the rate of export time, not of the payout's day: noted for tax use); empty on a
 * test network, whose tokens have no value.
 */
export function payoutsCsv(records: readonly PayoutRecord[], options: PayoutsCsvOptions = {}) {
  const places = options.valueDecimals ?? 2;
  const rate = options.testNetwork ? undefined : options.tokenValueInCurrency;
  const network =
    options.network === undefined
      ? null
      : options.testNetwork
        ? `${options.network} (test tokens without value)`
        : options.network;
  const sorted = [...records].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || cmpId(a, b));
  return toCsv(
    PAYOUTS_CSV_HEADER,
    sorted.map((r) => [
      amount(new Date(r.at).toISOString()),
      r.kind,
      amount(checkedAmount(r.amount)),
      r.token,
      network,
      rate === undefined ? null : amount(toFixed(mul(dec(r.amount), dec(rate)), places)),
      rate === undefined ? null : (options.currency ?? null),
      r.jobId,
      r.gpuId,
      r.txHash,
      r.blockNumber,
      r.id,
    ]),
  );
}

function checkedAmount(value: string): string {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new RangeError(`not a decimal amount: ${value}`);
  return value;
}

function cmpId(a: PayoutRecord, b: PayoutRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export const EARNINGS_CSV_HEADER = [
  'start',
  'end',
  'label',
  'predicted',
  'actual',
  'token',
  'electricity',
  'net',
  'currency',
] as const;

/** The buckets of an earnings chart, one row each. */
export function earningsCsv(chart: EarningsChart): string {
  return toCsv(
    EARNINGS_CSV_HEADER,
    chart.buckets.map((b) => [
      amount(b.start),
      amount(b.end),
      amount(b.label),
      amount(b.predicted),
      amount(b.actual),
      chart.token,
      amount(b.electricity),
      amount(b.net),
      chart.currency,
    ]),
  );
}
