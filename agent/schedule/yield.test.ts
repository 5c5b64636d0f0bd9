import { describe, expect, it } from 'vitest';
import type { MarketJobQuote } from './schema.ts';
import { yieldEstimateSchema, priceSuggestionSchema } from './schema.ts';
import { sample } from './testing/fixtures.ts';
import { averagePowerW, estimateYield, suggestPrice } from './yield.ts';

describe('net yield', () => {
  it('is price × score less power × electricity price, per hour and per day', () => {
    const y = estimateYield({
      gpuId: 'g',
      compositeScore: 123.45,
      pricePerUnitHour: 0.05,
      powerW: 250,
      electricityPricePerKwh: 0.25,
      currency: 'EUR',
      token: 'EUR',
    });
    // 123.45 × 0.05 = 6.1725; 0.25 kW × 0.25 = 0.0625; net 6.11 per hour; × 24 = 146.64.
    expect(y).toMatchObject({
      grossPerHour: '6.172500',
      feePerHour: '0.000000',
      earnedPerHourInCurrency: '6.172500',
      chargedPowerW: 250,
      electricityPerHour: '0.062500',
      netPerHour: '6.110000',
      netPerDay: '146.640000',
      netUnit: 'EUR',
      electricityCounted: true,
      testNetwork: false,
      profitable: true,
    });
    expect(yieldEstimateSchema.parse(y)).toEqual(y);
    expect(y.explanation).toBe(
      '123.45 units × 0.05 EUR per unit-hour = 6.1725 EUR/h; 250 W × 0.25 EUR/kWh = 0.0625 EUR/h; net 6.11 EUR/h; × 24 h/day = 146.64 EUR/day',
    );
  });

  it('applies the fee, the token rate, a baseline draw, hours and occupancy', () => {
    const y = estimateYield({
      gpuId: 'g',
      compositeScore: 10,
      pricePerUnitHour: '0.1',
      powerW: 320,
      baselinePowerW: 20,
      electricityPricePerKwh: '0.30',
      currency: 'EUR',
      token: 'USDC',
      tokenValueInCurrency: 0.9,
      protocolFeeBps: 250,
      hoursPerDay: 8,
      occupancy: 0.5,
    });
    // gross 1; fee 2.5% = 0.025; earned 0.975 USDC = 0.8775 EUR; 0.3 kW × 0.30 = 0.09 EUR.
    expect(y).toMatchObject({
      grossPerHour: '1.000000',
      feePerHour: '0.025000',
      earnedPerHour: '0.975000',
      earnedPerHourInCurrency: '0.877500',
      chargedPowerW: 300,
      electricityPerHour: '0.090000',
      netPerHour: '0.787500',
      netPerDay: '3.150000',
    });
    expect(y.explanation).toMatch(/less the 2.5% market fee/);
    expect(y.explanation).toMatch(/at 0.9 EUR per USDC/);
    expect(y.explanation).toMatch(/300 W \(320 W less 20 W at rest\)/);
    expect(y.explanation).toMatch(/× 8 h\/day × 50% of hours leased/);
  });

  it('goes negative when electricity costs more than the work pays', () => {
    const y = estimateYield({
      gpuId: 'g',
      compositeScore: 1,
      pricePerUnitHour: 0.01,
      powerW: 400,
      electricityPricePerKwh: 0.4,
      currency: 'EUR',
    });
    expect(y.netPerHour).toBe('-0.150000');
    expect(y.netPerDay).toBe('-3.600000');
    expect(y.profitable).toBe(false);
  });

  it('says so when power was not measured', () => {
    const y = estimateYield({
      gpuId: 'g',
      compositeScore: 2,
      pricePerUnitHour: 1,
      powerW: null,
      electricityPricePerKwh: 0.3,
      currency: 'EUR',
    });
    expect(y.electricityPerHour).toBe('0.000000');
    expect(y.chargedPowerW).toBeNull();
    expect(y.explanation).toMatch(/power draw not measured yet/);
    // Nothing was subtracted, so it is the gross, not the net.
    expect(y.electricityCounted).toBe(false);
    expect(y.explanation).toMatch(/gross 2 EUR\/h \(before electricity\)/);
    expect(y.explanation).not.toMatch(/net /);
  });

  it('rounds the words for reading, and keeps the exact amounts in the fields', () => {
    const y = estimateYield({
      gpuId: 'cpu',
      compositeScore: 111.35981300623072,
      pricePerUnitHour: '0.05',
      powerW: null,
      electricityPricePerKwh: 0.3,
      currency: 'EUR',
      token: 'rUSD',
    });
    expect(y.earnedPerHour).toBe('5.567991');
    expect(y.explanation).toMatch(/^111\.36 units × 0\.05 rUSD per unit-hour = 5\.56799 rUSD\/h; /);
    expect(y.explanation).toMatch(/at 1 EUR per rUSD = 5\.56799 EUR\/h/);
  });

  it('keeps test tokens in the token: no currency, and electricity not taken from them', () => {
    const y = estimateYield({
      gpuId: 'g',
      compositeScore: 111,
      pricePerUnitHour: '0.05',
      powerW: 200,
      electricityPricePerKwh: 0.3,
      currency: 'EUR',
      token: 'rUSD',
      tokenValueInCurrency: 1,
      testNetwork: true,
    });
    expect(y).toMatchObject({
      testNetwork: true,
      netUnit: 'rUSD',
      electricityCounted: false,
      earnedPerHour: '5.550000',
      earnedPerHourInCurrency: null,
      // The electricity is real money, shown beside the test tokens but not subtracted.
      electricityPerHour: '0.060000',
      netPerHour: '5.550000',
      netPerDay: '133.200000',
      profitable: true,
    });
    expect(yieldEstimateSchema.parse(y)).toEqual(y);
    expect(y.explanation).toMatch(/test tokens with no value, not counted in EUR/);
    expect(y.explanation).toMatch(/not subtracted from test tokens/);
    expect(y.explanation).toMatch(/gross 5\.55 rUSD\/h \(before electricity\)/);
    expect(y.explanation).toMatch(/= 133\.2 rUSD\/day/);
    expect(y.explanation).not.toMatch(/EUR\/day|EUR\/h;.*net/);
  });

  it('refuses impossible inputs', () => {
    const base = {
      gpuId: 'g',
      compositeScore: 1,
      pricePerUnitHour: 1,
      powerW: 1,
      electricityPricePerKwh: 1,
      currency: 'EUR',
    };
    expect(() => estimateYield({ ...base, protocolFeeBps: 20_000 })).toThrow(RangeError);
    expect(() => estimateYield({ ...base, occupancy: 2 })).toThrow(RangeError);
    expect(() => estimateYield({ ...base, compositeScore: Number.NaN })).toThrow(RangeError);
  });

  it('averages the measured draw over a time range', () => {
    const s = (at: number, w: number | null) => ({ ...sample('g', at, 60), powerW: w });
    const samples = [s(0, 100), s(1000, 200), s(2000, null), s(3000, 400)];
    expect(averagePowerW(samples)).toBeCloseTo(233.333, 2);
    expect(averagePowerW(samples, 1000, 3000)).toBe(200);
    expect(averagePowerW([])).toBeNull();
  });
});

describe('suggested price', () => {
  const now = Date.parse('2025-06-04T12:00:00Z');
  const job = (price: string, daysAgo: number, accepted = true, minScore: number | null = null) =>
    ({
      jobId: `j${price}-${daysAgo}`,
      at: new Date(now - daysAgo * 86_400_000).toISOString(),
      pricePerUnitHour: price,
      accepted,
      minScore,
    }) satisfies MarketJobQuote;

  it('is the median of accepted prices in the lookback, with quartiles and a reason', () => {
    const jobs = [
      job('0.04', 1),
      job('0.05', 2),
      job('0.06', 3),
      job('0.05', 4),
      job('0.07', 5),
      job('9.99', 6, false), // not taken: not a market price
      job('0.01', 30), // too old
    ];
    const s = suggestPrice({ jobs, now, currentPrice: 0.08, token: 'USDC' });
    expect(priceSuggestionSchema.parse(s)).toEqual(s);
    expect(s).toMatchObject({ price: '0.05', count: 5, low: '0.05', median: '0.05', high: '0.06' });
    expect(s.reason).toBe(
      'The median price of 5 accepted jobs in the last 7 days is 0.05 USDC per unit-hour (half of them paid between 0.05 and 0.06). Your price 0.08 is 60% above it and above three quarters of accepted jobs: expect fewer jobs. 1 other job was not taken.',
    );
  });

  it('averages the two middle prices of an even count', () => {
    const jobs = ['0.02', '0.03', '0.04', '0.05', '0.06', '0.07'].map((p) => job(p, 1));
    const s = suggestPrice({ jobs, now, currentPrice: '0.01' });
    expect(s.price).toBe('0.045');
    expect(s.low).toBe('0.0325');
    expect(s.reason).toMatch(/Your price 0.01 is below it: you could ask more/);
  });

  it('counts only jobs the GPU qualifies for', () => {
    const jobs = [
      ...['0.1', '0.1', '0.1', '0.1', '0.1'].map((p) => job(p, 1, true, 500)),
      ...['0.02', '0.02', '0.02', '0.02', '0.02'].map((p) => job(p, 1, true, 50)),
    ];
    expect(suggestPrice({ jobs, now, compositeScore: 100 }).price).toBe('0.02');
    expect(suggestPrice({ jobs, now }).price).toBe('0.06');
  });

  it('suggests nothing from too few jobs, and says why', () => {
    const s = suggestPrice({ jobs: [job('0.05', 1), job('0.06', 1, false)], now });
    expect(s.price).toBeNull();
    expect(s.reason).toBe(
      'Only 1 accepted job in the last 7 days (at least 5 are needed): keep your price for now.',
    );
  });
});
