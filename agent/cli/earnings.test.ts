import { describe, expect, it } from 'vitest';
import { historyWords, methods, sentWords } from '../api/contract.ts';
import { estimateYield } from '../schedule/yield.ts';
import { estimateText, totalsText } from './earnings.ts';
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
      'CPU: earns 5.57 rUSD/h (test tokens, no value); electricity not measured, so not counted; gross (before electricity) 5.57 rUSD/h, 134 rUSD/day',
    );
    expect(text).not.toMatch(/EUR\/(h|day)|per tokens/);
    expect(text).toContain('111.36 units × 0.05 rUSD per unit-hour');
  });

  it('says net, in the currency, once electricity is taken off', () => {
    const text = estimateText(estimateYield({ ...base, gpuId: 'gpu0', powerW: 250 }));
    expect(text.split('\n')[0]).toBe(
      'gpu0: earns 5.57 rUSD/h (5.57 EUR); electricity 0.075 EUR/h; net 5.49 EUR/h, 132 EUR/day',
    );
    // By its name where the GPU list has it.
    const named = estimateText(
      estimateYield({ ...base, gpuId: 'pci-0000:01:00.0', powerW: 250 }),
      new Map([['pci-0000:01:00.0', 'NVIDIA GeForce RTX 3060']]),
    );
    expect(named).toMatch(/^NVIDIA GeForce RTX 3060 \(pci-0000:01:00\.0\): earns 5\.57 rUSD\/h/);
  });
});

describe('roost wallet history lines', () => {
  const entry = (kind: string, reason: string | null = null, more: object = {}) =>
    methods['wallet.history'].result.shape.entries.element.parse({
      ...more,
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

  it('names the stake and the withdrawal, with the sign as the wallet sees it, each a cell of its own (a capital)', () => {
    expect(historyLine(entry('staked'))).toEqual({ sign: '-', what: 'Staked', after: '' });
    expect(historyLine(entry('withdrawn'))).toEqual({
      sign: ' ',
      what: 'Withdrawn to the wallet',
      after: '',
    });
    expect(historyLine(entry('credited', 'Payout'))).toEqual({
      sign: '+',
      what: 'Credited (payout)',
      after: '',
    });
    expect(historyLine(entry('received'))).toEqual({ sign: '+', what: 'Received', after: '' });
    expect(historyLine(entry('sent'))).toEqual({ sign: '-', what: 'Sent', after: '' });
  });

  it('follows a stake taken back: asked (and when it is free), cancelled, back to withdraw', () => {
    expect(
      historyLine(entry('unstake-requested', null, { availableAt: '2026-11-26T12:05:00.000Z' })),
    ).toEqual({ sign: ' ', what: 'Stake asked back', after: 'free from 2026-11-26 12:05 UTC' });
    // The Wallet page says it in one cell.
    expect(
      historyWords({
        kind: 'unstake-requested',
        reason: null,
        availableAt: '2026-11-26T12:05:00.000Z',
      }).what,
    ).toBe('Stake asked back (free from 2026-11-26 12:05 UTC)');
    expect(historyLine(entry('unstake-cancelled'))).toEqual({
      sign: ' ',
      what: 'Stake kept (asking back cancelled)',
      after: '',
    });
    expect(historyLine(entry('credited', 'Unstake'))).toEqual({
      sign: '+',
      what: 'Stake back (withdrawable)',
      after: '',
    });
  });
});

describe('what came of a send or a withdrawal', () => {
  const tx = (kind: 'send' | 'withdraw', status: 'mined' | 'failed' | 'submitted' | 'unknown') => ({
    kind,
    hash: `0x${'ab'.repeat(32)}`,
    to: '0x1111111111111111111111111111111111111111',
    amount: { amount: '2.97', baseUnits: '2970000', symbol: 'rUSD', decimals: 6 },
    status,
    blockNumber: status === 'mined' ? 49 : null,
  });
  const hash = `0x${'ab'.repeat(32)}`;

  it('says what moved, and whether the chain confirmed it (the hash, not the block)', () => {
    expect(sentWords(tx('withdraw', 'mined'))).toBe(
      `Withdrew 2.97 rUSD to the wallet: confirmed. Transaction ${hash}.`,
    );
    expect(sentWords(tx('send', 'mined'))).toBe(
      `Sent 2.97 rUSD to 0x1111111111111111111111111111111111111111: confirmed. Transaction ${hash}.`,
    );
    expect(sentWords(tx('send', 'unknown'))).toBe(
      `Sent 2.97 rUSD to 0x1111111111111111111111111111111111111111: handed to the network, not confirmed yet; the History shows it once it is. Transaction ${hash}.`,
    );
    expect(sentWords(tx('withdraw', 'failed'))).toBe(
      `The withdrawal failed on the chain: nothing moved but the fee. Transaction ${hash}.`,
    );
  });
});

describe('roost earnings: what was earned so far', () => {
  it('says hours worked, predicted and paid for today, 7 and 30 days, as the Dashboard does', () => {
    const totals = (predicted: string, actual: string) => ({
      predicted,
      actual,
      electricity: '0.000000',
      net: actual,
    });
    const report = methods['yield.earnings'].result.parse({
      chart: {
        range: '24h',
        token: 'rUSD',
        currency: 'EUR',
        gpuId: null,
        buckets: [],
        totals: totals('0', '0'),
      },
      today: { ...totals('0.287986', '1.191666'), hoursWorked: 0.25 },
      last7d: { ...totals('6.91166', '5.89875'), hoursWorked: 1.5 },
      last30d: { ...totals('0', '0'), hoursWorked: 0 },
      grossPerHour: '1.15',
      notes: [],
    });
    expect(totalsText(report).split('\n')).toEqual([
      'Earned so far (hours worked; predicted at your price; paid):',
      '  today    15 min          0.288 rUSD       1.19167 rUSD paid',
      '  7 days   1.5 h           6.91 rUSD        5.89875 rUSD paid',
      '  30 days  0 h             0 rUSD           0 rUSD paid',
    ]);
  });
});
