/**
 * `roost earnings`: what the GPUs earn (net of electricity once it is measured), and the payouts
 * as CSV.
 */
import { resolve as resolvePath } from 'node:path';
import { estimateForPeople, forPeople, type ResultOf } from '../api/contract.ts';
import { noArguments, withClient, print, type Command } from './common.ts';

/** An estimate's figures: 3 significant digits. */
const rounded = estimateForPeople;

type Estimate = ResultOf<'yield.estimate'>['estimates'][number];

/**
 * One GPU's estimate in words, rounded to 3 significant digits (`--json` keeps the exact amounts): test tokens
 * stay in the token, and it says net only once electricity is taken off.
 */
export function estimateText(e: Estimate, names: ReadonlyMap<string, string> = new Map()): string {
  const unit = e.netUnit ?? (e.testNetwork ? e.token : e.currency);
  const counted = e.electricityCounted ?? e.chargedPowerW !== null;
  const value = e.testNetwork
    ? ' (test tokens, no value)'
    : e.earnedPerHourInCurrency !== null && e.currency !== e.token
      ? ` (${rounded(e.earnedPerHourInCurrency)} ${e.currency})`
      : '';
  const electricity =
    e.chargedPowerW === null
      ? 'not measured, so not counted'
      : `${rounded(e.electricityPerHour)} ${e.currency}/h${e.testNetwork ? ', not taken from test tokens' : ''}`;
  const total = `${counted ? 'net' : 'gross (before electricity)'} ${rounded(e.netPerHour)} ${unit}/h, ${rounded(e.netPerDay)} ${unit}/day`;
  // The card by its name, as the Dashboard shows it; the CPU as CPU.
  const who =
    e.gpuId === 'cpu' ? 'CPU' : names.has(e.gpuId) ? `${names.get(e.gpuId)} (${e.gpuId})` : e.gpuId;
  return `${who}: earns ${rounded(e.earnedPerHour)} ${e.token}/h${value}; electricity ${electricity}; ${total}${e.profitable ? '' : ' — not profitable at this price'}\n  ${e.explanation}`;
}

type Report = ResultOf<'yield.earnings'>;

/** Hours in words, as the Dashboard says them: 15 min, 1.5 h. */
function hoursWords(h: number): string {
  if (h === 0) return '0 h';
  if (h < 1 / 60) return 'under a minute';
  if (h < 1) return `${Math.round(h * 60)} min`;
  return `${Number(h.toFixed(1))} h`;
}

/**
 * Today, 7 and 30 days: hours worked, what they predicted (an estimate: 3 digits) and what was
 * paid (6 significant digits), as the Dashboard's Earnings card.
 */
export function totalsText(report: Report): string {
  const token = report.chart.token;
  const rows: [string, Report['today']][] = [
    ['today', report.today],
    ['7 days', report.last7d],
    ['30 days', report.last30d],
  ];
  return [
    'Earned so far (hours worked; predicted at your price; paid):',
    ...rows.map(
      ([label, t]) =>
        `  ${label.padEnd(8)} ${hoursWords(t.hoursWorked).padEnd(15)} ${`${estimateForPeople(t.predicted)} ${token}`.padEnd(16)} ${forPeople(t.actual)} ${token} paid`,
    ),
  ].join('\n');
}

export const earningsCommand: Command = {
  usage: 'roost earnings [--csv <file.csv>] [--json]',
  summary:
    'What your GPU earns per hour and per day (net of electricity once measured); your payouts as CSV',
  help: '--csv <file.csv>  write every payout (date, amount, job, transaction) to a CSV file, e.g. for taxes',
  options: { csv: { type: 'string' } },
  async run(ctx) {
    noArguments(ctx, earningsCommand.usage);
    return withClient(ctx, async (client) => {
      if (typeof ctx.values.csv === 'string') {
        const r = await client.call('yield.payoutsCsv');
        if (!r.ok) return print(ctx, r, () => '');
        const { writeFileAtomic } = await import('../store/atomic-file.ts');
        const out = resolvePath(ctx.values.csv);
        await writeFileAtomic(out, r.value.csv, 0o600);
        return print(
          ctx,
          { ok: true, value: { file: out, rows: r.value.rows } },
          (v) => `Wrote ${v.rows} payouts to ${v.file}.`,
        );
      }
      const r = await client.call('yield.estimate');
      // What was earned so far, as the Dashboard's Earnings card shows it (text only: --json
      // keeps the estimate's shape; `roost api yield.earnings` has the totals).
      const report = ctx.json ? undefined : await client.call('yield.earnings', { range: '24h' });
      const gpus = ctx.json ? undefined : await client.call('hardware.list', {});
      const names = new Map(gpus?.ok ? gpus.value.gpus.map((g) => [g.id, g.name]) : []);
      // Notes (a chain Roost does not know, so its tokens' value is a guess) follow the figures.
      return print(ctx, r, (v) =>
        [
          v.missing ?? v.estimates.map((e) => estimateText(e, names)).join('\n'),
          ...(report?.ok ? [totalsText(report.value)] : []),
          ...(v.notes ?? []),
        ].join('\n'),
      );
    });
  },
};
