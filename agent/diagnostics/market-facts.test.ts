import { describe, expect, it } from 'vitest';
import type { LeaseRecord } from '../market/schema.ts';
import { leaseRecord } from '../market/testing/lease-record.ts';
import { marketStatus } from '../market/testing/market-status.ts';
import { whyNoJobs } from './diagnose.ts';
import {
  CLAIM_AND_SUBMIT_GAS,
  gatherMarketFacts,
  minGasWei,
  type ChainReader,
  type MarketFactSources,
} from './market-facts.ts';

const NOW = Date.parse('2025-06-04T10:00:00Z');
const GWEI = 10n ** 9n;
const ADDRESS = '0x00000000000000000000000000000000000000aa';

function lease(over: Partial<LeaseRecord>): LeaseRecord {
  return leaseRecord(NOW, { chainKey: 'k', state: 'skipped', ...over });
}

/** The market's status as the agent reports it: ready on the devnet unless a test says. */
const status = (over: Parameters<typeof marketStatus>[0] = {}) => marketStatus(over);

function chain(over: Partial<ChainReader> = {}): ChainReader {
  return {
    getBlock: async () => ({ timestamp: NOW / 1000 - 4 }),
    getBalance: async () => 10n ** 18n,
    getFeeData: async () => ({ gasPrice: 2n * GWEI, maxFeePerGas: 3n * GWEI }),
    ...over,
  };
}

function sources(over: Partial<MarketFactSources> = {}, reader = chain()): MarketFactSources {
  return {
    now: () => NOW,
    wallet: async () => ({ state: 'unlocked', address: ADDRESS, workSigning: true }),
    network: async () => ({
      name: 'local',
      rpcUrl: 'http://127.0.0.1:8545',
      provider: reader,
      nativeSymbol: 'ETH',
    }),
    networkName: () => 'local',
    market: {
      status: async () => status(),
      leases: () => [],
      token: () => ({ symbol: 'rUSD', decimals: 6 }),
    },
    score: async () => 100,
    price: () => 0.05,
    timeoutMs: 200,
    ...over,
  };
}

describe('the market facts behind "why no jobs"', () => {
  it('a healthy provider: chain fresh, gas enough, registered, open jobs that pay', async () => {
    const facts = await gatherMarketFacts(
      sources({
        market: {
          status: async () => status(),
          leases: () => [
            lease({ jobId: '1', state: 'skipped' }),
            lease({ jobId: '2', state: 'running', slot: 0 }),
          ],
          token: () => ({ symbol: 'rUSD', decimals: 6 }),
        },
      }),
    );
    expect(facts.chain).toEqual({
      reachable: true,
      network: 'local',
      rpcUrl: 'http://127.0.0.1:8545',
      latestBlockAgeSeconds: 4,
    });
    expect(facts.wallet).toEqual({
      exists: true,
      locked: false,
      nativeBalanceWei: 10n ** 18n,
      minGasWei: CLAIM_AND_SUBMIT_GAS * 3n * GWEI,
      nativeSymbol: 'ETH',
    });
    expect(facts.provider).toEqual({
      pricePerUnitHour: 0.05,
      compositeScore: 100,
      token: 'rUSD',
      registered: true,
    });
    expect(facts.activeLeases).toBe(1);
    expect(facts.market?.openJobs).toEqual([{ jobId: '1', pricePerUnitHour: '0.03', minScore: 0 }]);
    expect(whyNoJobs({ now: NOW, ...facts }).answer).toBe('working');
  });

  it('gas too low: the balance is under a claim and a submit at today’s fees', async () => {
    expect(minGasWei({ gasPrice: 5n, maxFeePerGas: null })).toBe(CLAIM_AND_SUBMIT_GAS * 5n);
    // On a chain of the user's: the built-in devnet funds the wallet by itself.
    const facts = await gatherMarketFacts(
      sources({ networkName: () => 'custom' }, chain({ getBalance: async () => 1000n * GWEI })),
    );
    const why = whyNoJobs({ now: NOW, ...facts });
    expect(why.blockers.map((d) => d.code)).toEqual(['gas-too-low', 'market-empty']);
    expect(why.blockers[0]?.message).toBe(
      'The wallet holds 0.000001 ETH; claiming a job and submitting its result need about 0.00043 ETH in fees.',
    );
  });

  it('RPC unreachable: the node refuses or never answers, or there is no network at all', async () => {
    const refused = await gatherMarketFacts(
      sources(
        {},
        chain({
          getBlock: async () => {
            throw new Error('connect ECONNREFUSED 127.0.0.1:8545 (code=NETWORK_ERROR)');
          },
        }),
      ),
    );
    expect(refused.chain).toEqual({
      reachable: false,
      network: 'local',
      rpcUrl: 'http://127.0.0.1:8545',
      error: 'connect ECONNREFUSED 127.0.0.1:8545',
    });
    const silent = await gatherMarketFacts(
      sources({}, chain({ getFeeData: () => new Promise(() => undefined) })),
    );
    expect(silent.chain).toMatchObject({
      reachable: false,
      error: 'the RPC node did not answer within 0.2 s',
    });
    const none = await gatherMarketFacts(
      sources({
        network: async () => {
          throw new Error('no local network: start one with `roost devnet`');
        },
      }),
    );
    const why = whyNoJobs({ now: NOW, ...none });
    expect(why.blockers[0]?.code).toBe('rpc-unreachable');
    // The error stays in the facts; the built-in network's item says it in user words.
    expect(none.chain?.error).toMatch(/no local network: start one with `roost devnet`/);
    expect(why.blockers[0]?.message).toMatch(/built-in test network is not running/);
    expect(none.wallet?.nativeBalanceWei).toBeNull();
  });

  it('wallet locked, not registered, no benchmark, market off', async () => {
    const locked = await gatherMarketFacts(
      sources({
        wallet: async () => ({ state: 'locked', address: ADDRESS, workSigning: false }),
      }),
    );
    expect(locked.wallet).toMatchObject({ exists: true, locked: true });
    expect(whyNoJobs({ now: NOW, ...locked }).blockers[0]?.code).toBe('wallet-locked');

    const unregistered = await gatherMarketFacts(
      sources({
        market: {
          status: async () =>
            status({
              state: 'waiting',
              problem: 'could not register: insufficient funds for gas',
              provider: { ...status().provider!, registered: false },
            }),
          leases: () => [],
          token: () => ({ symbol: 'rUSD', decimals: 6 }),
        },
      }),
    );
    const why = whyNoJobs({ now: NOW, ...unregistered });
    expect(why.blockers[0]).toMatchObject({
      code: 'not-registered',
      message:
        'This machine is not registered as a provider yet: could not register: insufficient funds for gas.',
    });

    const noBench = await gatherMarketFacts(sources({ score: async () => null }));
    expect(whyNoJobs({ now: NOW, ...noBench }).blockers[0]?.code).toBe('no-benchmark');
    expect(noBench.market).toBeUndefined();

    const off = await gatherMarketFacts(
      sources({
        market: {
          status: async () => status({ state: 'off' }),
          leases: () => [],
          token: () => null,
        },
      }),
    );
    expect(whyNoJobs({ now: NOW, ...off }).blockers.map((d) => d.code)).toEqual(['market-off']);
  });

  it('price above what recent jobs paid, and score below what they asked', async () => {
    const seen = [1, 2, 3].map((i) =>
      lease({ jobId: String(i), state: 'lost', reward: String(i * 1_000_000) }),
    );
    const pricey = await gatherMarketFacts(
      sources({
        price: () => 0.5,
        market: {
          status: async () => status(),
          leases: () => seen,
          token: () => ({ symbol: 'rUSD', decimals: 6 }),
        },
      }),
    );
    const why = whyNoJobs({ now: NOW, ...pricey });
    expect(why.blockers[0]).toMatchObject({
      code: 'price-too-high',
      action: { suggested: 0.02 },
    });
    const weak = await gatherMarketFacts(
      sources({
        market: {
          status: async () => status(),
          leases: () => seen.map((l) => ({ ...l, minScore: '500' })),
          token: () => ({ symbol: 'rUSD', decimals: 6 }),
        },
      }),
    );
    expect(whyNoJobs({ now: NOW, ...weak }).blockers[0]?.code).toBe('score-too-low');
  });
});
