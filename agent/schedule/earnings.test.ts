import { describe, expect, it } from 'vitest';
import { chartSpans, earningsChart } from './earnings.ts';
import type { PayoutRecord, WorkPeriod } from './schema.ts';
import { earningsChartSchema } from './schema.ts';

const zone = 'Europe/Berlin';

function payout(over: Partial<PayoutRecord>): PayoutRecord {
  return {
    id: `0x${'ab'.repeat(32)}:0`,
    at: '2025-06-04T09:30:00Z',
    kind: 'earned',
    amount: '1',
    token: 'USDC',
    jobId: '7',
    gpuId: 'g1',
    txHash: null,
    blockNumber: null,
    ...over,
  };
}

describe('chart spans', () => {
  it('24 h: 24 hourly buckets ending with the current local hour', () => {
    const spans = chartSpans('24h', Date.parse('2025-06-04T10:20:30Z'), zone);
    expect(spans).toHaveLength(24);
    expect(spans.at(-1)).toMatchObject({
      start: Date.parse('2025-06-04T10:00:00Z'),
      end: Date.parse('2025-06-04T11:00:00Z'),
      label: '12:00',
    });
    // Half-hour zones align to their own hours.
    const india = chartSpans('24h', Date.parse('2025-06-04T10:20:00Z'), 'Asia/Kolkata');
    expect(india.at(-1)?.start).toBe(Date.parse('2025-06-04T09:30:00Z'));
  });

  it('7 d and 30 d: local calendar days, 23 or 25 hours on clock changes', () => {
    const spring = chartSpans('7d', Date.parse('2025-04-01T10:00:00Z'), zone);
    expect(spring.map((s) => s.label)).toEqual([
      '2025-03-26',
      '2025-03-27',
      '2025-03-28',
      '2025-03-29',
      '2025-03-30',
      '2025-03-31',
      '2025-04-01',
    ]);
    const hours = spring.map((s) => (s.end - s.start) / 3_600_000);
    expect(hours).toEqual([24, 24, 24, 24, 23, 24, 24]);
    const autumn = chartSpans('30d', Date.parse('2025-11-10T10:00:00Z'), zone);
    expect(autumn).toHaveLength(30);
    expect(autumn.find((s) => s.label === '2025-10-26')).toMatchObject({
      start: Date.parse('2025-10-25T22:00:00Z'),
      end: Date.parse('2025-10-26T23:00:00Z'),
    });
  });
});

describe('earnings chart', () => {
  const now = Date.parse('2025-06-04T10:20:00Z'); // 12:20 in Berlin
  const periods: WorkPeriod[] = [
    // 08:30–10:15 UTC: 1.75 h at 0.6/h, 300 W.
    {
      gpuId: 'g1',
      start: '2025-06-04T08:30:00Z',
      end: '2025-06-04T10:15:00Z',
      grossPerHour: '0.6',
      powerW: 300,
    },
    {
      gpuId: 'g2',
      start: '2025-06-04T09:00:00Z',
      end: '2025-06-04T10:00:00Z',
      grossPerHour: '1',
      powerW: null,
    },
  ];
  const payouts = [
    payout({ at: '2025-06-04T09:30:00Z', amount: '0.55' }),
    payout({ id: 'b', at: '2025-06-04T09:45:00Z', amount: '0.1', kind: 'slashed' }),
    payout({ id: 'c', at: '2025-06-04T09:50:00Z', amount: '5', kind: 'withdrawn' }),
    payout({ id: 'd', at: '2025-06-04T09:55:00Z', amount: '3', gpuId: 'g2' }),
    payout({ id: 'e', at: '2025-06-04T09:56:00Z', amount: '99', token: 'DAI' }),
  ];

  it('splits predicted earnings and electricity by the time worked in each hour', () => {
    const chart = earningsChart({
      range: '24h',
      now,
      timeZone: zone,
      payouts,
      periods,
      electricityPricePerKwh: '0.25',
      tokenValueInCurrency: '0.9',
      currency: 'EUR',
      gpuId: 'g1',
    });
    expect(earningsChartSchema.parse(chart)).toEqual(chart);
    const byLabel = Object.fromEntries(chart.buckets.map((b) => [b.label, b]));
    // 10:00–11:00 local (08:00–09:00 UTC): 0.5 h worked.
    expect(byLabel['10:00']).toMatchObject({
      predicted: '0.300000',
      actual: '0.000000',
      electricity: '0.037500',
      net: '-0.037500',
    });
    // 11:00–12:00 local: 1 h worked; earned 0.55, slashed 0.1 → 0.45 USDC = 0.405 EUR.
    expect(byLabel['11:00']).toMatchObject({
      predicted: '0.600000',
      actual: '0.450000',
      electricity: '0.075000',
      net: '0.330000',
    });
    // 12:00–13:00 local: 0.25 h so far.
    expect(byLabel['12:00']).toMatchObject({ predicted: '0.150000', electricity: '0.018750' });
    expect(chart.totals).toEqual({
      predicted: '1.050000',
      actual: '0.450000',
      electricity: '0.131250',
      net: '0.273750',
    });
    expect(chart.token).toBe('USDC');
  });

  it('sums every GPU without a filter, and leaves withdrawals and other tokens out', () => {
    const chart = earningsChart({
      range: '7d',
      now,
      timeZone: zone,
      payouts,
      periods,
      electricityPricePerKwh: 0.25,
      currency: 'EUR',
    });
    expect(chart.buckets).toHaveLength(7);
    expect(chart.buckets.at(-1)).toMatchObject({
      label: '2025-06-04',
      predicted: '2.050000',
      actual: '3.450000',
    });
    expect(chart.totals.net).toBe('3.318750');
  });
});
