import { describe, expect, it } from 'vitest';
import type { LeaseRecord } from '../market/schema.ts';
import { leaseRecord } from '../market/testing/lease-record.ts';
import {
  openJobsFromLeases,
  payPerUnitHour,
  payoutsFromLeases,
  quotesFromLeases,
} from './lease-money.ts';
import { suggestPrice } from './yield.ts';

const NOW = Date.parse('2025-06-04T10:00:00Z');
const rUSD = { symbol: 'rUSD', decimals: 6 };

function lease(over: Partial<LeaseRecord> = {}): LeaseRecord {
  return leaseRecord(NOW, { postedBlock: 10, ...over });
}

describe('the market read as money', () => {
  it('paid leases are earned, expired ones slashed, the rest nothing', () => {
    const records = payoutsFromLeases(
      [
        lease({
          jobId: '3',
          state: 'paid',
          slot: 0,
          payout: '2970000',
          updatedAt: '2025-06-04T09:30:00.000Z',
        }),
        lease({ jobId: '4', state: 'expired', slot: 0, updatedAt: '2025-06-04T09:00:00.000Z' }),
        lease({ jobId: '5', state: 'skipped' }),
        lease({ jobId: '6', state: 'submitted', slot: 0 }),
      ],
      rUSD,
    );
    expect(records).toEqual([
      {
        id: 'lease:31337:0xmarket:0xblock:4',
        at: '2025-06-04T09:00:00.000Z',
        kind: 'slashed',
        amount: '0.3',
        token: 'rUSD',
        jobId: '4',
        gpuId: null,
        txHash: null,
        blockNumber: null,
      },
      expect.objectContaining({ jobId: '3', kind: 'earned', amount: '2.97' }),
    ]);
  });

  it('what a job pays per unit-hour is the price rule turned around', () => {
    // 3 rUSD for 1 h at score 100: any price up to 0.03 per unit-hour takes it.
    expect(payPerUnitHour(lease(), 100, 6)).toBe('0.03');
    // 1 rUSD for 10 minutes at score 40: 6 rUSD/h ÷ 40 = 0.15.
    expect(payPerUnitHour(lease({ reward: '1000000', leaseSeconds: 600 }), 40, 6)).toBe('0.15');
    expect(payPerUnitHour(lease(), 0, 6)).toBe('0');
    // 3 rUSD for 600 s at score 114 is 0.1578947…: 0.157894, not 0.157895, or the ask
    // (157895 × 114 × 600 / 3600 = 3000005 base units) would pass the reward.
    expect(payPerUnitHour(lease({ leaseSeconds: 600 }), 114, 6)).toBe('0.157894');
  });

  it('suggests the median of what recent jobs paid at this score, or says too few were seen', () => {
    const rewards = ['2000000', '3000000', '3000000', '5000000', '9000000'];
    const leases = rewards.map((reward, i) =>
      lease({ jobId: String(i + 1), reward, state: i % 2 ? 'skipped' : 'lost' }),
    );
    const quotes = quotesFromLeases(leases, 100, 6);
    expect(quotes.map((q) => q.pricePerUnitHour)).toEqual(['0.02', '0.03', '0.03', '0.05', '0.09']);
    const s = suggestPrice({
      jobs: quotes,
      now: NOW,
      currentPrice: 0.1,
      compositeScore: 100,
      token: 'rUSD',
      basis: 'posted',
      minJobs: 3,
    });
    expect(s).toMatchObject({ price: '0.03', count: 5, low: '0.03', high: '0.05' });
    expect(s.reason).toMatch(/^The median price of 5 posted jobs a GPU scoring 100 qualifies for/);
    expect(s.reason).toMatch(/Your price 0.1 is 233% above it/);

    const few = suggestPrice({
      jobs: quotes.slice(0, 2),
      now: NOW,
      compositeScore: 100,
      basis: 'posted',
      minJobs: 3,
    });
    expect(few.price).toBeNull();
    expect(few.reason).toBe(
      'Not enough jobs seen yet: 2 jobs a GPU scoring 100 qualifies for posted in the last 7 days (at least 3 are needed for a suggestion).',
    );
    expect(quotesFromLeases(leases, 0, 6)).toEqual([]);
  });

  it('open jobs are the unclaimed ones whose deadline still leaves room for the lease', () => {
    const now = NOW / 1000;
    const open = openJobsFromLeases(
      [
        lease({ jobId: '1', state: 'seen', minScore: '50' }),
        lease({ jobId: '2', state: 'skipped', deadline: now + 1800 }),
        lease({ jobId: '3', state: 'lost' }),
        lease({ jobId: '4', state: 'claimed', slot: 0 }),
        lease({ jobId: '5', state: 'skipped', deadline: now + 3600 }),
      ],
      now,
      100,
      6,
    );
    expect(open).toEqual([
      { jobId: '1', pricePerUnitHour: '0.03', minScore: 50 },
      { jobId: '5', pricePerUnitHour: '0.03', minScore: 0 },
    ]);
  });
});
