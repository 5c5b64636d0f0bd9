/**
 * A `market.status` answer for tests: ready on the built-in devnet, a registered provider with
 * a score of 100 (100 rUSD staked, nothing on its way back; the market's unstake wait is one
 * hour), following at block 1. Each test says what differs; `network` is merged into
 * the devnet's (a custom chain: `{ name: 'custom', chainId, test, tokensDecidedBy }`).
 */
import type { MarketStatus } from '../schema.ts';

type Network = NonNullable<MarketStatus['network']>;

const ADDRESS = '0x00000000000000000000000000000000000000aa';

export function marketStatus(
  over: Partial<Omit<MarketStatus, 'network'>> = {},
  network: Partial<Network> | null = {},
): MarketStatus {
  return {
    state: 'ready',
    problem: null,
    network:
      network === null
        ? null
        : {
            name: 'local',
            chainId: 31337,
            marketAddress: ADDRESS,
            embedded: false,
            test: true,
            tokensDecidedBy: 'devnet',
            ...network,
          },
    provider: {
      address: ADDRESS,
      registered: true,
      score: 100,
      reportHash: null,
      pricePerUnitHour: { amount: '0.05', symbol: 'rUSD' },
      stake: { amount: '100', symbol: 'rUSD' },
      locked: { amount: '0', symbol: 'rUSD' },
      withdrawable: { amount: '0', symbol: 'rUSD' },
      unstaking: null,
      unstakeDelaySeconds: 3600,
    },
    follower: { checkpoint: 1, head: 1, lagBlocks: 0, lastError: null },
    practice: { on: false, posted: 0 },
    counts: {},
    ...over,
  };
}
