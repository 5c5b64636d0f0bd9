/**
 * What the wallet reads from the chain: balances at one block, the payment token's symbol and
 * decimals, the history of this address from the token's Transfer events and the market's
 * Credited/Withdrawn events; and how chain failures turn into words.
 */
import { zeroPadValue } from 'ethers';
import type { Log, Provider } from 'ethers';
import {
  connectJobMarket,
  creditNames,
  jobMarketInterface,
  parseJobMarketLog,
} from '../../contracts/bindings/job-market.ts';
import {
  connectRoostTestToken,
  parseRoostTestTokenLog,
  roostTestTokenInterface,
} from '../../contracts/bindings/roost-test-token.ts';
import { assetAmount } from './amount.ts';
import { WalletError } from './errors.ts';
import { describeRevert, revertData } from './revert-words.ts';
import { isUnreachable, networkInfo, unreachable } from './network.ts';
import type { WalletNetwork } from './network.ts';
import type { HistoryEntry, WalletBalance, WalletHistory } from './schema.ts';

export interface TokenMeta {
  symbol: string;
  decimals: number;
}

/** Remembers each token's symbol and decimals (they never change) per chain. */
export class TokenMetaCache {
  readonly #known = new Map<string, Promise<TokenMeta>>();

  get(network: WalletNetwork): Promise<TokenMeta> {
    const key = `${network.chainId}:${network.tokenAddress}`;
    const known = this.#known.get(key);
    if (known !== undefined) return known;
    const token = connectRoostTestToken(network.tokenAddress, network.provider);
    const reading = chainCall(network, async () => {
      const [symbol, decimals] = await Promise.all([token.symbol(), token.decimals()]);
      return { symbol, decimals: Number(decimals) };
    });
    this.#known.set(key, reading);
    reading.catch(() => this.#known.delete(key));
    return reading;
  }
}

/** Runs a chain read; a node that doesn't answer becomes `NETWORK_UNAVAILABLE`. */
export async function chainCall<T>(network: WalletNetwork, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw chainFailure(error, network);
  }
}

/** A chain error in words: unreachable node, refused transaction (decoded), lack of funds. */
export function chainFailure(
  error: unknown,
  network: WalletNetwork,
  meta?: TokenMeta,
): WalletError {
  if (error instanceof WalletError) return error;
  if (isUnreachable(error)) return unreachable(network.rpcUrl, error);
  const code = (error as { code?: unknown }).code;
  const text = `${String((error as { message?: unknown }).message ?? '')} ${JSON.stringify((error as { info?: unknown }).info ?? null)}`;
  // ethers knows geth's wording; Hardhat says "Sender doesn't have enough funds to send tx".
  if (
    code === 'INSUFFICIENT_FUNDS' ||
    (!/revert/i.test(text) && /insufficient funds|enough funds/i.test(text))
  ) {
    return new WalletError(
      'WALLET_INSUFFICIENT_BALANCE',
      `The wallet's ${network.nativeSymbol} balance can't pay for this transaction and its fee. Add ${network.nativeSymbol} to the wallet and try again.`,
      { cause: error },
    );
  }
  if (code === 'NONCE_EXPIRED' || code === 'REPLACEMENT_UNDERPRICED') {
    return new WalletError(
      'WALLET_TX_FAILED',
      'Another transaction from this wallet took the same place in line. Prepare it again.',
      { cause: error },
    );
  }
  const reason = describeRevert(revertData(error), meta)?.words;
  if (reason !== undefined || code === 'CALL_EXCEPTION') {
    return new WalletError(
      'WALLET_TX_FAILED',
      `The chain refused the transaction: ${reason ?? 'it reverted without saying why'}.`,
      { cause: error },
    );
  }
  const short = (error as { shortMessage?: unknown }).shortMessage;
  return new WalletError(
    'WALLET_TX_FAILED',
    `The chain answered with an error: ${typeof short === 'string' ? short : String((error as Error).message ?? error).slice(0, 200)}.`,
    { cause: error },
  );
}

/**
 * The newest block's number, asked afresh: a provider's getBlockNumber() may answer from a cache
 * (ethers polls it), and reading "at one block" must not mean "at a stale one".
 */
export async function latestBlockNumber(provider: Provider): Promise<number> {
  const block = await provider.getBlock('latest');
  if (block === null) throw new Error('the node returned no latest block');
  return block.number;
}

/** Coin, token and market-withdrawable balances of `address`, all read at the same block. */
export async function readBalances(
  network: WalletNetwork,
  address: string,
  tokens: TokenMetaCache,
): Promise<WalletBalance> {
  const meta = await tokens.get(network);
  return chainCall(network, async () => {
    const blockTag = await latestBlockNumber(network.provider);
    const token = connectRoostTestToken(network.tokenAddress, network.provider);
    const market = connectJobMarket(network.marketAddress, network.provider);
    const [native, held, withdrawable] = await Promise.all([
      network.provider.getBalance(address, blockTag),
      token.balanceOf(address, { blockTag }),
      market.withdrawable(address, { blockTag }),
    ]);
    return {
      address,
      network: networkInfo(network),
      blockNumber: blockTag,
      native: assetAmount(native, 18, network.nativeSymbol),
      token: { ...assetAmount(held, meta.decimals, meta.symbol), address: network.tokenAddress },
      withdrawable: assetAmount(withdrawable, meta.decimals, meta.symbol),
    };
  });
}

const TRANSFER = roostTestTokenInterface.getEvent('Transfer')?.topicHash ?? '';
const CREDITED = jobMarketInterface.getEvent('Credited')?.topicHash ?? '';
const WITHDRAWN = jobMarketInterface.getEvent('Withdrawn')?.topicHash ?? '';
const PROVIDER_REGISTERED = jobMarketInterface.getEvent('ProviderRegistered')?.topicHash ?? '';
const STAKE_ADDED = jobMarketInterface.getEvent('StakeAdded')?.topicHash ?? '';
const UNSTAKE_REQUESTED = jobMarketInterface.getEvent('UnstakeRequested')?.topicHash ?? '';
const UNSTAKE_CANCELLED = jobMarketInterface.getEvent('UnstakeCancelled')?.topicHash ?? '';

/**
 * Logs matching `filter` over [from, to], in ranges of at most `chunk` blocks; a range the node
 * refuses (too many results, too wide) is split in two until it answers.
 */
export async function getLogsChunked(
  provider: Provider,
  filter: { address: string; topics: (string | string[] | null)[] },
  from: number,
  to: number,
  chunk: number,
): Promise<Log[]> {
  const out: Log[] = [];
  const range = async (a: number, b: number): Promise<void> => {
    try {
      out.push(...(await provider.getLogs({ ...filter, fromBlock: a, toBlock: b })));
    } catch (error) {
      if (a === b || isUnreachable(error)) throw error;
      const mid = Math.floor((a + b) / 2);
      await range(a, mid);
      await range(mid + 1, b);
    }
  };
  for (let start = from; start <= to; start += chunk)
    await range(start, Math.min(to, start + chunk - 1));
  return out;
}

export interface HistoryOptions {
  limit: number;
  /** Blocks per eth_getLogs request (default 10,000). */
  chunkBlocks?: number;
}

/** The wallet's money movements rebuilt from events, newest first, and the market ledger check. */
export async function readHistory(
  network: WalletNetwork,
  address: string,
  tokens: TokenMetaCache,
  options: HistoryOptions,
): Promise<WalletHistory> {
  const meta = await tokens.get(network);
  const amount = (v: bigint) => assetAmount(v, meta.decimals, meta.symbol);
  return chainCall(network, async () => {
    const { provider } = network;
    const toBlock = await latestBlockNumber(provider);
    const fromBlock = Math.min(network.deployBlock, toBlock);
    const me = zeroPadValue(address, 32);
    const chunk = options.chunkBlocks ?? 10_000;
    const [sent, received, market] = await Promise.all([
      getLogsChunked(
        provider,
        { address: network.tokenAddress, topics: [TRANSFER, me] },
        fromBlock,
        toBlock,
        chunk,
      ),
      getLogsChunked(
        provider,
        { address: network.tokenAddress, topics: [TRANSFER, null, me] },
        fromBlock,
        toBlock,
        chunk,
      ),
      getLogsChunked(
        provider,
        {
          address: network.marketAddress,
          topics: [
            [
              CREDITED,
              WITHDRAWN,
              PROVIDER_REGISTERED,
              STAKE_ADDED,
              UNSTAKE_REQUESTED,
              UNSTAKE_CANCELLED,
            ],
            me,
          ],
        },
        fromBlock,
        toBlock,
        chunk,
      ),
    ]);

    const entries: HistoryEntry[] = [];
    const base = (log: Log) => ({
      blockNumber: log.blockNumber,
      txHash: log.transactionHash,
      logIndex: log.index,
      at: null,
    });
    const role = (who: string): HistoryEntry['counterpartyRole'] =>
      who === network.marketAddress ? 'market' : /^0x0{40}$/.test(who) ? 'mint' : null;
    // The market's events name what a token transfer to or from it was: a stake (registering or
    // adding stake), or a withdrawal, which is already an entry of its own.
    const stakeTxs = new Set<string>();
    const withdrawTxs = new Set<string>();
    for (const log of market) {
      const name = parseJobMarketLog(log)?.name;
      if (name === 'ProviderRegistered' || name === 'StakeAdded') stakeTxs.add(log.transactionHash);
      if (name === 'Withdrawn') withdrawTxs.add(log.transactionHash);
    }
    const seen = new Set<string>();
    for (const log of [...sent, ...received]) {
      // A transfer to oneself matches both queries: one entry per log.
      const key = `${log.transactionHash}:${log.index}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const event = parseRoostTestTokenLog(log);
      if (event?.name !== 'Transfer') continue;
      const outgoing = event.args.from === address;
      const counterparty = outgoing ? event.args.to : event.args.from;
      const fromMarket = counterparty === network.marketAddress;
      // A withdrawal shows once, as `withdrawn`, not again as the tokens it brought in.
      if (!outgoing && fromMarket && withdrawTxs.has(log.transactionHash)) continue;
      const staked = outgoing && fromMarket && stakeTxs.has(log.transactionHash);
      entries.push({
        kind: staked ? 'staked' : outgoing ? 'sent' : 'received',
        amount: amount(event.args.value),
        counterparty,
        counterpartyRole: role(counterparty),
        reason: null,
        jobId: null,
        slot: null,
        ...base(log),
      });
    }
    let credited = 0n;
    let withdrawn = 0n;
    /** An entry of the market's own, for this account. */
    const marketEntry = (
      log: Log,
      kind: HistoryEntry['kind'],
      value: bigint,
      more: Partial<HistoryEntry> = {},
    ): HistoryEntry => ({
      kind,
      amount: amount(value),
      counterparty: network.marketAddress,
      counterpartyRole: 'market',
      reason: null,
      jobId: null,
      slot: null,
      ...base(log),
      ...more,
    });
    for (const log of market) {
      const event = parseJobMarketLog(log);
      if (event?.name === 'Credited') {
        credited += event.args.amount;
        entries.push(
          marketEntry(log, 'credited', event.args.amount, {
            reason: creditNames[Number(event.args.reason)] ?? null,
            jobId: event.args.jobId.toString(),
            slot: Number(event.args.slot),
          }),
        );
      } else if (event?.name === 'UnstakeRequested') {
        entries.push(
          marketEntry(log, 'unstake-requested', event.args.amount, {
            availableAt: new Date(Number(event.args.availableAt) * 1000).toISOString(),
          }),
        );
      } else if (event?.name === 'UnstakeCancelled') {
        entries.push(marketEntry(log, 'unstake-cancelled', event.args.amount));
      } else if (event?.name === 'Withdrawn') {
        withdrawn += event.args.amount;
        entries.push(marketEntry(log, 'withdrawn', event.args.amount));
      }
    }
    entries.sort((a, b) => b.blockNumber - a.blockNumber || b.logIndex - a.logIndex);
    const shown = entries.slice(0, options.limit);
    await stampTimes(provider, shown);
    const withdrawable = await connectJobMarket(network.marketAddress, provider).withdrawable(
      address,
      {
        blockTag: toBlock,
      },
    );
    return {
      address,
      network: networkInfo(network),
      fromBlock,
      toBlock,
      entries: shown,
      total: entries.length,
      ledger: {
        credited: amount(credited),
        withdrawn: amount(withdrawn),
        withdrawable: amount(withdrawable),
        matches: credited - withdrawn === withdrawable,
      },
    };
  });
}

async function stampTimes(provider: Provider, entries: HistoryEntry[]): Promise<void> {
  const blocks = [...new Set(entries.map((e) => e.blockNumber))];
  const times = new Map<number, string>();
  for (let i = 0; i < blocks.length; i += 20) {
    await Promise.all(
      blocks.slice(i, i + 20).map(async (n) => {
        const block = await provider.getBlock(n);
        if (block !== null) times.set(n, new Date(block.timestamp * 1000).toISOString());
      }),
    );
  }
  for (const entry of entries) entry.at = times.get(entry.blockNumber) ?? null;
}
