/**
 * The market's side of "why no jobs": reads the chain (is the RPC node answering, how old is its
 * latest block, the wallet's native balance against what a claim and a result submission cost at
 * today's fees), the wallet (there, locked), the market client (registered, enabled, the jobs it
 * has seen) and the benchmark, and turns them into `DiagnosticFacts`. Every source is injected;
 * each that fails or times out is left out (unknown) or reported as what it is.
 */
import { z } from 'zod';
import { ACTIVE_LEASE_STATES } from '../market/schema.ts';
import type { LeaseRecord, LeaseState, MarketStatus } from '../market/schema.ts';
import { openJobsFromLeases, quotesFromLeases } from '../schedule/lease-money.ts';
import type { DiagnosticFacts } from './diagnose.ts';

/**
 * Gas of one claim and one result submission (contracts/README.md: claimJob 62,611 and
 * submitResult 56,971 on the main path), with the 20% headroom the transaction manager adds to
 * its estimates: what the wallet must hold in native coin to take the next job.
 */
export const CLAIM_AND_SUBMIT_GAS = ((62_611n + 56_971n) * 120n) / 100n;

/** The part of an ethers provider the probe reads. */
export interface ChainReader {
  getBlock(tag: 'latest'): Promise<{ timestamp: number } | null>;
  getBalance(address: string): Promise<bigint>;
  getFeeData(): Promise<{ gasPrice: bigint | null; maxFeePerGas: bigint | null }>;
}

export interface ChainConnection {
  name: string;
  /** Absent where a test's stand-in does not say. */
  chainId?: number;
  rpcUrl: string | null;
  provider: ChainReader;
  nativeSymbol: string;
}

export interface MarketFactSources {
  /** Epoch ms. */
  now: () => number;
  wallet: () => Promise<{ state: string; address: string | null; workSigning: boolean }>;
  /** The network in Settings, connected; throws when there is none (no devnet, a bad URL). */
  network: () => Promise<ChainConnection>;
  networkName: () => 'local' | 'custom';
  market?: {
    status(): Promise<MarketStatus>;
    leases(filter?: { states?: LeaseState[]; limit?: number }): LeaseRecord[];
    token(): { symbol: string; decimals: number } | null;
  };
  /** The market score of the latest benchmark (rounded as registered); null: none. */
  score: () => Promise<number | null>;
  /** The suite of the latest benchmark when it is a retired version; null: current, or none. */
  retiredSuite?: () => Promise<string | null>;
  /** Settings → Pricing, tokens per unit-hour. */
  price: () => number;
  /** Per chain read; default 3 s, so a dead node never holds up the Dashboard. */
  timeoutMs?: number;
}

const feeDataSchema = z.object({
  gasPrice: z.bigint().nonnegative().nullable(),
  maxFeePerGas: z.bigint().nonnegative().nullable(),
});
const blockSchema = z.object({ timestamp: z.number().int().nonnegative() }).nullable();

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} did not answer within ${ms / 1000} s`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // ethers appends a JSON dump of the request; the first sentence says what happened.
  return text.split(/ \(|\n/)[0]?.slice(0, 300) ?? text;
}

/** What the wallet must hold for gas, at `fee` per gas unit. */
export function minGasWei(fee: { gasPrice: bigint | null; maxFeePerGas: bigint | null }): bigint {
  const perGas = fee.maxFeePerGas ?? fee.gasPrice ?? 0n;
  return CLAIM_AND_SUBMIT_GAS * perGas;
}

export async function gatherMarketFacts(
  sources: MarketFactSources,
): Promise<Partial<DiagnosticFacts>> {
  const timeout = sources.timeoutMs ?? 3000;
  const now = sources.now();
  const facts: Partial<DiagnosticFacts> = {};
  const [wallet, score, retiredSuite, status] = await Promise.all([
    sources.wallet(),
    sources.score().catch(() => null),
    sources.retiredSuite?.().catch(() => null) ?? Promise.resolve(null),
    sources.market
      ? withTimeout(sources.market.status(), timeout * 2, 'the market').catch(() => undefined)
      : Promise.resolve(undefined),
  ]);
  const exists = wallet.state === 'locked' || wallet.state === 'unlocked';
  const networkName = sources.networkName();

  // --- the chain: reachable, fresh, and what gas costs now
  let nativeBalanceWei: bigint | null = null;
  let gasWei = 0n;
  let nativeSymbol = 'ETH';
  try {
    const net = await withTimeout(sources.network(), timeout, 'the network');
    nativeSymbol = net.nativeSymbol;
    try {
      const [block, fees, balance] = await Promise.all([
        withTimeout(net.provider.getBlock('latest'), timeout, 'the RPC node').then((b) =>
          blockSchema.parse(b),
        ),
        withTimeout(net.provider.getFeeData(), timeout, 'the RPC node').then((f) =>
          feeDataSchema.parse({ gasPrice: f.gasPrice, maxFeePerGas: f.maxFeePerGas }),
        ),
        exists && wallet.address
          ? withTimeout(net.provider.getBalance(wallet.address), timeout, 'the RPC node')
          : Promise.resolve(null),
      ]);
      facts.chain = {
        reachable: true,
        network: networkName,
        ...(net.chainId !== undefined ? { chainId: net.chainId } : {}),
        rpcUrl: net.rpcUrl,
        latestBlockAgeSeconds: block ? Math.max(0, Math.round(now / 1000 - block.timestamp)) : null,
      };
      nativeBalanceWei = balance === null ? null : z.bigint().nonnegative().parse(balance);
      gasWei = minGasWei(fees);
    } catch (error) {
      facts.chain = {
        reachable: false,
        network: networkName,
        rpcUrl: net.rpcUrl,
        error: messageOf(error),
      };
    }
  } catch (error) {
    facts.chain = { reachable: false, network: networkName, rpcUrl: null, error: messageOf(error) };
  }

  facts.wallet = {
    exists,
    locked: exists && !wallet.workSigning,
    nativeBalanceWei,
    minGasWei: gasWei,
    nativeSymbol,
  };

  // --- the market: on, registered, the jobs it has seen
  const token = sources.market?.token() ?? null;
  facts.provider = {
    pricePerUnitHour: sources.price(),
    compositeScore: score,
    ...(retiredSuite ? { retiredSuite } : {}),
    ...(token ? { token: token.symbol } : {}),
    ...(status?.provider ? { registered: status.provider.registered } : {}),
  };
  if (status) facts.marketState = { state: status.state, problem: status.problem };
  if (sources.market && token) {
    const leases = sources.market.leases({ limit: 1000 });
    facts.activeLeases = leases.filter((l) => ACTIVE_LEASE_STATES.includes(l.state)).length;
    if (score !== null) {
      facts.market = {
        openJobs: openJobsFromLeases(leases, Math.floor(now / 1000), score, token.decimals),
        recentJobs: quotesFromLeases(leases, score, token.decimals),
      };
    }
  }
  return facts;
}
