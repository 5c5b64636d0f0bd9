import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { createLogger } from '../../log.ts';
import { openMarketDb } from '../../market/db.ts';
import type { LeaseRecord } from '../../market/schema.ts';
import { leaseRecord } from '../../market/testing/lease-record.ts';
import { openWorkLog } from '../../schedule/work-log.ts';
import { SettingsStore } from '../../store/settings-store.ts';
import { createNetworkSource, networkInfo } from '../../wallet/network.ts';
import type { NetworkTokens } from '../../wallet/schema.ts';
import { PRIVATE_MARKET, privateChain } from '../../wallet/testing/private-chain.ts';
import { methods } from '../contract.ts';
import { hoursWorked, yieldHandlers, type YieldDeps } from './yield.ts';

// Wednesday 4 June 2025, 10:30 UTC.
const NOW = Date.parse('2025-06-04T10:30:00Z');
const HOUR = 3_600_000;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function lease(over: Partial<LeaseRecord>): LeaseRecord {
  return leaseRecord(NOW, {
    chainKey: 'k',
    slot: 0,
    state: 'paid',
    payout: '2970000',
    createdAt: new Date(NOW - 2 * HOUR).toISOString(),
    updatedAt: new Date(NOW - HOUR).toISOString(),
    ...over,
  });
}

/**
 * The handlers on a lab's own chain (424242, a custom network) whose tokens the user said are
 * `tokens` (default real money: worth 1 EUR each); the wallet reads the network through the real
 * network source and rule, and holds one payout of 2.97 rUSD.
 */
async function setup(
  leases: LeaseRecord[],
  over: Partial<YieldDeps> = {},
  tokens: NetworkTokens = 'real',
) {
  const dir = await tempDir();
  cleanups.push(dir.remove);
  const settings = new SettingsStore({
    dataDir: dir.path,
    log: createLogger({}),
    now: () => new Date(NOW),
  });
  await settings.load();
  await settings.update({
    network: {
      name: 'custom',
      rpcUrl: 'http://10.0.0.5:8545',
      marketAddress: PRIVATE_MARKET,
      tokens,
    },
  });
  const chain = privateChain(424242);
  const source = createNetworkSource({
    dataDir: dir.path,
    settings: () => settings.get().network,
    providerFor: () => chain.provider,
  });
  cleanups.push(() => source.close());
  const wallet = {
    network: async () => networkInfo(await source()),
    status: async () => ({ state: 'unlocked', address: `0x${'1'.repeat(40)}` }),
    history: async () => ({
      entries: [
        {
          kind: 'credited',
          reason: 'Payout',
          at: new Date(NOW - HOUR).toISOString(),
          amount: { amount: '2.97', symbol: 'rUSD' },
          txHash: `0x${'ab'.repeat(32)}`,
          logIndex: 0,
          jobId: '1',
          blockNumber: 4,
        },
      ],
    }),
  } as unknown as YieldDeps['wallet'];
  const db = openMarketDb(join(dir.path, 'jobs', 'jobs.sqlite'));
  cleanups.push(() => db.close());
  const clock = { now: NOW - 3 * HOUR };
  const log = openWorkLog({ db, now: () => clock.now });
  // Worked 07:30–09:30 at 2 tokens/h, then again from 10:00 (still working).
  log.observe([{ id: 'gpu', working: true, grossPerHour: '2', powerW: 250 }]);
  clock.now = NOW - HOUR;
  log.observe([{ id: 'gpu', working: false, grossPerHour: '2', powerW: null }]);
  clock.now = NOW - HOUR / 2;
  log.observe([{ id: 'gpu', working: true, grossPerHour: '2', powerW: 250 }]);
  clock.now = NOW;
  const handlers = yieldHandlers({
    bench: async () => {
      throw new Error('not used');
    },
    hardware: {} as YieldDeps['hardware'],
    wallet,
    settings,
    now: () => new Date(clock.now),
    timeZone: () => 'UTC',
    workLog: () => log,
    market: {
      leases: (filter) => leases.filter((l) => !filter?.states || filter.states.includes(l.state)),
      token: () => ({ symbol: 'rUSD', decimals: 6 }),
    },
    rate: async () => ({ score: 100, grossPerHour: '2' }),
    ...over,
  });
  return { handlers, settings };
}

describe('yield.earnings', () => {
  it('predicted from hours worked, actual from paid leases, for today, 7 and 30 days', async () => {
    const { handlers } = await setup([
      lease({ jobId: '1' }),
      lease({
        jobId: '2',
        state: 'expired',
        payout: null,
        updatedAt: new Date(NOW - 10 * 86_400_000).toISOString(),
      }),
      lease({ jobId: '3', state: 'skipped', slot: null, payout: null }),
    ]);
    const report = methods['yield.earnings'].result.parse(
      await handlers['yield.earnings']({ range: '24h' }),
    );
    expect(report.today).toEqual({
      predicted: '5.000000',
      actual: '2.970000',
      electricity: '0.156250',
      net: '2.813750',
      hoursWorked: 2.5,
    });
    // The collateral lost ten days ago counts in the 30 days, not in the 7.
    expect(report.last7d.actual).toBe('2.970000');
    expect(report.last30d.actual).toBe('2.670000');
    expect(report.chart.range).toBe('24h');
    expect(report.chart.buckets).toHaveLength(24);
    const at = (label: string) => report.chart.buckets.find((b) => b.label === label);
    expect(at('07:00')).toMatchObject({ predicted: '1.000000', actual: '0.000000' });
    expect(at('09:00')).toMatchObject({ predicted: '1.000000', actual: '2.970000' });
    expect(at('10:00')).toMatchObject({ predicted: '1.000000' });
    expect(report.grossPerHour).toBe('2');
    expect(report.notes).toEqual([]);
    const week = await handlers['yield.earnings']({ range: '7d' });
    expect(week.chart.buckets.map((b) => b.label).at(-1)).toBe('2025-06-04');
  });

  it("a lab's chain marked test money: net stays in the token, electricity not taken from it", async () => {
    const { handlers } = await setup([lease({ jobId: '1' })], {}, 'test');
    const report = methods['yield.earnings'].result.parse(
      await handlers['yield.earnings']({ range: '24h' }),
    );
    expect(report.today).toMatchObject({
      actual: '2.970000',
      electricity: '0.156250',
      net: '2.970000',
    });
    expect(report.chart).toMatchObject({ testNetwork: true, netUnit: 'rUSD', token: 'rUSD' });
    expect(report.notes).toEqual([]);
  });

  it('a chain nobody decided on: counted as money at the token value, and a note says so', async () => {
    const { handlers } = await setup([lease({ jobId: '1' })], {}, 'unknown');
    const report = await handlers['yield.earnings']({ range: '24h' });
    expect(report.today.net).toBe('2.813750');
    expect(report.chart).toMatchObject({ testNetwork: false, netUnit: 'EUR' });
    expect(report.notes).toEqual([
      'Chain 424242 is not a network Roost knows, so its tokens are counted as money at your token value (1 EUR each) and electricity is taken from them. If they have no value, say so in Settings → Network (Tokens on this network), or with roost settings set network.tokens test.',
    ]);
  });

  it('says what is missing: no benchmark, no work recorded', async () => {
    const { handlers } = await setup([], {
      rate: async () => ({ score: null, grossPerHour: null }),
      workLog: undefined,
    });
    const report = await handlers['yield.earnings']({});
    expect(report.notes).toEqual([
      'No benchmark yet: nothing is predicted until you run one (Benchmark page).',
      'No work recorded yet: Roost records the hours each GPU may work while the app or `roost serve` runs.',
    ]);
    expect(report.today.hoursWorked).toBe(0);
  });

  it('counts GPUs working side by side once in the hours worked', () => {
    const p = (start: number, end: number) => ({
      gpuId: 'x',
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      grossPerHour: '0',
      powerW: null,
    });
    expect(
      hoursWorked([p(0, 2 * HOUR), p(HOUR, 3 * HOUR), p(5 * HOUR, 6 * HOUR)], 0, 10 * HOUR),
    ).toBe(4);
    expect(hoursWorked([p(0, 2 * HOUR)], HOUR, 10 * HOUR)).toBe(1);
  });
});

describe('yield.suggestPrice', () => {
  it('the median of what recent jobs paid at this score, against the current price', async () => {
    const seen = ['2000000', '3000000', '4000000'].map((reward, i) =>
      lease({ jobId: String(i + 1), state: i === 0 ? 'paid' : 'skipped', reward }),
    );
    const { handlers, settings } = await setup(seen);
    await settings.update({ pricing: { pricePerUnitHour: 0.05 } });
    const s = methods['yield.suggestPrice'].result.parse(await handlers['yield.suggestPrice']({}));
    expect(s).toMatchObject({
      price: '0.03',
      count: 3,
      low: '0.025',
      high: '0.035',
      currentPrice: '0.05',
      token: 'rUSD',
      score: 100,
    });
    expect(s.reason).toMatch(/Your price 0.05 is 67% above it and above three quarters/);
  });

  it("leaves out the practice jobs Roost posts itself: their pay is practice's choice", async () => {
    const PRACTICE = `0x${'ab'.repeat(20)}`;
    const seen = [
      ...['2000000', '3000000', '4000000'].map((reward, i) =>
        lease({ jobId: String(i + 1), state: 'skipped', reward }),
      ),
      // Four practice jobs at a price far above the market's.
      ...[5, 6, 7, 8].map((id) =>
        lease({ jobId: String(id), state: 'paid', reward: '90000000', requester: PRACTICE }),
      ),
    ];
    // The agent knows it checksummed (mixed case); the journal keeps what the chain logged.
    const { handlers } = await setup(seen, {
      practiceRequester: () => `0x${'AB'.repeat(20)}`,
    });
    const s = await handlers['yield.suggestPrice']({});
    expect(s).toMatchObject({ price: '0.03', count: 3 });
    // Without knowing practice's account, they would have moved it.
    const all = await (await setup(seen)).handlers['yield.suggestPrice']({});
    expect(all.count).toBe(7);
  });

  it('not enough jobs seen yet, or no benchmark', async () => {
    const { handlers } = await setup([lease({})]);
    const few = await handlers['yield.suggestPrice']({});
    expect(few.price).toBeNull();
    expect(few.reason).toMatch(/^Not enough jobs seen yet: 1 job a GPU scoring 100 qualifies for/);
    const none = await (
      await setup([lease({})], { rate: async () => ({ score: null, grossPerHour: null }) })
    ).handlers['yield.suggestPrice']({});
    expect(none).toMatchObject({ price: null, count: 0, score: null });
    expect(none.reason).toMatch(/^No benchmark yet/);
  });

  it('with no market connection, names the wallet as the reason: none to create, or locked', async () => {
    const noMarket = (state: string) => ({
      market: undefined,
      wallet: {
        status: async () => ({ state, address: state === 'none' ? null : `0x${'1'.repeat(40)}` }),
        history: async () => ({ entries: [] }),
      } as unknown as YieldDeps['wallet'],
    });
    const reasonAt = async (state: string) => {
      const { handlers } = await setup([], noMarket(state));
      const s = await handlers['yield.suggestPrice']({});
      const e = await handlers['yield.earnings']({ range: '24h' });
      return { price: s.reason, notes: e.notes.join(' ') };
    };
    const none = await reasonAt('none');
    expect(none.price).toMatch(/^No wallet yet: create a wallet/);
    expect(none.notes).toContain('No wallet yet: create a wallet');
    expect(none.notes).not.toContain('unlock');
    const locked = await reasonAt('locked');
    expect(locked.price).toMatch(/^The wallet is locked: unlock the wallet to take jobs/);
    expect(locked.notes).toContain('unlock the wallet to take jobs');
    expect(locked.price).not.toContain('Not connected');
    const unlocked = await reasonAt('unlocked');
    expect(unlocked.price).toBe('Not connected to the market yet, so no jobs have been seen.');
    expect(unlocked.notes).toContain('Not connected to the market');
  });

  it('while a new wallet waits for its recovery phrase check: a calm word, not an error', async () => {
    const { handlers } = await setup([], {
      market: undefined,
      wallet: {
        status: async () => ({ state: 'pending', address: null }),
        // As the wallet service does before the check.
        history: async () => {
          throw new Error(
            'The new wallet is not active yet: give back the asked words of its recovery phrase first.',
          );
        },
      } as unknown as YieldDeps['wallet'],
    });
    const earnings = await handlers['yield.earnings']({ range: '24h' });
    expect(earnings.notes).toContain('Actual earnings show once your wallet is set up.');
    expect(earnings.notes.join(' ')).not.toMatch(
      /could not be read|not active yet|create a wallet/,
    );
    const suggestion = await handlers['yield.suggestPrice']({});
    expect(suggestion.reason).toBe(
      'Roost joins the market and sees what jobs pay once your wallet is set up.',
    );
  });
});

describe('yield.payoutsCsv', () => {
  /** The first payout row by column name (only `network` is ever quoted here: it has a comma). */
  const rowOf = async (tokens: NetworkTokens) => {
    const { handlers } = await setup([], {}, tokens);
    const { csv } = await handlers['yield.payoutsCsv']({});
    const [header, row] = csv
      .trim()
      .split(/\r?\n/)
      .map((line) =>
        line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((f) => f.replace(/^"|"$/g, '')),
      );
    return Object.fromEntries(header!.map((h, i) => [h, row![i]]));
  };

  it('gives test tokens on a private chain no value, and names an unknown chain as such', async () => {
    expect(await rowOf('test')).toMatchObject({
      amount: '2.97',
      network: 'custom (chain 424242) (test tokens without value)',
      value: '',
      currency: '',
    });
    expect(await rowOf('unknown')).toMatchObject({
      network: 'custom (chain 424242, not a known network: tokens valued at your token value)',
      value: '2.97',
      currency: 'EUR',
    });
    expect(await rowOf('real')).toMatchObject({ network: 'custom (chain 424242)', value: '2.97' });
  });
});

describe('yield.estimate', () => {
  const estimateOn = async (tokens: NetworkTokens) => {
    const { handlers } = await setup(
      [],
      {
        bench: async () =>
          ({
            history: async () => [{ complete: true, composite: 100, ep: 'cpu', file: '/none' }],
          }) as unknown as Awaited<ReturnType<YieldDeps['bench']>>,
      },
      tokens,
    );
    return methods['yield.estimate'].result.parse(await handlers['yield.estimate']({}));
  };

  it('gives each card of the benchmarked model its own estimate, at its own power draw', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const report = join(dir.path, 'report.json');
    await writeFile(
      report,
      JSON.stringify({ report: { target: { adapter: { gpuId: 'pci-b' } } } }),
    );
    const draw: Record<string, number> = { 'pci-a': 300, 'pci-b': 150 };
    const { handlers } = await setup(
      [],
      {
        bench: async () =>
          ({
            history: async () => [{ complete: true, composite: 100, ep: 'cuda', file: report }],
          }) as unknown as Awaited<ReturnType<YieldDeps['bench']>>,
        hardware: {
          telemetry: ({ gpuId }: { gpuId: string }) => [
            { gpuId, at: NOW - 600_000, powerW: draw[gpuId] ?? null },
            { gpuId, at: NOW - 1000, powerW: draw[gpuId] ?? null },
          ],
        } as unknown as YieldDeps['hardware'],
        marketGpus: () => new Set(['pci-a', 'pci-b']),
      },
      'real',
    );
    const result = methods['yield.estimate'].result.parse(await handlers['yield.estimate']({}));
    expect(result.estimates.map((e) => [e.gpuId, e.chargedPowerW])).toEqual([
      ['pci-a', 300],
      ['pci-b', 150],
    ]);
    // Without a rig (one lease at a time), the benchmarked card alone.
    const { handlers: one } = await setup([], {
      bench: async () =>
        ({
          history: async () => [{ complete: true, composite: 100, ep: 'cuda', file: report }],
        }) as unknown as Awaited<ReturnType<YieldDeps['bench']>>,
      hardware: { telemetry: () => [] } as unknown as YieldDeps['hardware'],
      marketGpus: () => null,
    });
    const single = methods['yield.estimate'].result.parse(await one['yield.estimate']({}));
    expect(single.estimates.map((e) => e.gpuId)).toEqual(['pci-b']);
  });

  it('stays in the token on a chain marked test money; says so when nobody decided', async () => {
    const test = await estimateOn('test');
    expect(test.estimates[0]).toMatchObject({
      testNetwork: true,
      netUnit: 'rUSD',
      earnedPerHourInCurrency: null,
    });
    expect(test.notes).toEqual([]);
    const unknown = await estimateOn('unknown');
    expect(unknown.estimates[0]).toMatchObject({ testNetwork: false, netUnit: 'EUR' });
    expect(unknown.notes).toEqual([
      expect.stringMatching(/^Chain 424242 is not a network Roost knows/),
    ]);
  });
});
