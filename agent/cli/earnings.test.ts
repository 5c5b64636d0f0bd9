import { describe, expect, it } from 'vitest';
import { methods } from '../api/contract.ts';
import { estimateYield } from '../schedule/yield.ts';
import { estimateText } from './earnings.ts';
import { historyLine } from './wallet.ts';

const base = {
  gpuId: 'cpu',
  compositeScore: 111.35981300623072,
  pricePerUnitHour: '0.05',
  electricityPricePerKwh: 0.3,
  currency: 'EUR',
  token: 'rUSD',
  tokenValueInCurrency: 1,
};

describe('roost earnings text', () => {
  it('keeps test tokens in the token, says gross, and rounds', () => {
    const text = estimateText(estimateYield({ ...base, powerW: null, testNetwork: true }));
    expect(text.split('\n')[0]).toBe(
      'cpu: earns 5.57 rUSD/h (test tokens, no value); electricity not measured, so not counted; gross (before electricity) 5.57 rUSD/h, 134 rUSD/day',
    );
    expect(text).not.toMatch(/EUR\/(h|day)|per tokens/);
    expect(text).toContain('111.36 units × 0.05 rUSD per unit-hour');
  });

  it('says net, in the currency, once electricity is taken off', () => {
    const text = estimateText(estimateYield({ ...base, gpuId: 'gpu0', powerW: 250 }));
    expect(text.split('\n')[0]).toBe(
      'gpu0: earns 5.57 rUSD/h (5.57 EUR); electricity 0.075 EUR/h; net 5.49 EUR/h, 132 EUR/day',
    );
  });
});

describe('roost wallet history lines', () => {
  const entry = (kind: string, reason: string | null = null) =>
    methods['wallet.history'].result.shape.entries.element.parse({
      kind,
      amount: { amount: '2.97', baseUnits: '2970000', symbol: 'rUSD', decimals: 6 },
      counterparty: null,
      counterpartyRole: 'market',
      reason,
      jobId: null,
      slot: null,
      blockNumber: 1,
      txHash: `0x${'ab'.repeat(32)}`,
      logIndex: 0,
      at: null,
    });

  it('names the stake and the withdrawal, with the sign as the wallet sees it', () => {
    expect(historyLine(entry('staked'))).toEqual({ sign: '-', what: 'staked' });
    expect(historyLine(entry('withdrawn'))).toEqual({ sign: ' ', what: 'withdrawn to the wallet' });
    expect(historyLine(entry('credited', 'Payout'))).toEqual({
      sign: '+',
      what: 'credited (payout)',
    });
    expect(historyLine(entry('received'))).toEqual({ sign: '+', what: 'received' });
    expect(historyLine(entry('sent'))).toEqual({ sign: '-', what: 'sent' });
  });
});
