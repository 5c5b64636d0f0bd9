// The market's event follower against a real Hardhat devnet: jobs posted and claimed with the
// node's unlocked accounts, the follower's checkpoint in a real SQLite journal, reorganisations
// made with evm_snapshot / evm_revert, and the node taken away behind a TCP proxy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FallbackProvider, JsonRpcProvider, MaxUint256, id } from 'ethers';
import type { Filter, FilterByBlockHash, Log, TransactionReceipt } from 'ethers';
import { TEST_DOLLAR } from '../../../contracts/devnet.ts';
import type { Devnet } from '../../../contracts/devnet.ts';
import { connectJobMarket, parseJobMarketLog } from '../../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../../contracts/bindings/roost-test-token.ts';
import { chainKeyOf } from '../../../agent/market/chain-key.ts';
import { openMarketDb } from '../../../agent/market/db.ts';
import { createFollower } from '../../../agent/market/follower.ts';
import type { Follower, FollowerOptions, MarketEvent } from '../../../agent/market/follower.ts';
import { startTestChain, type TestChain } from '../../support/devnet-chain.ts';
import { startTcpProxy } from '../../support/tcp-proxy.ts';
import { tempDir } from '../../support/temp-dir.ts';

const USD = TEST_DOLLAR;
const REQUESTER = 3;
const PROVIDER = 4;

let chain: TestChain;
let devnet: Devnet;
let rpc: JsonRpcProvider;
let chainKey: string;
let dir: { path: string; remove: () => Promise<void> };
const cleanups: (() => Promise<void> | void)[] = [];

/** A JSON-RPC provider that records the methods it is asked for. */
class CountingProvider extends JsonRpcProvider {
  methods: string[] = [];
  override send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    this.methods.push(method);
    return super.send(method, params);
  }
}

function providerFor(url: string): CountingProvider {
  const provider = new CountingProvider(url, devnet.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
  });
  cleanups.push(() => provider.destroy());
  return provider;
}

beforeAll(async () => {
  chain = await startTestChain();
  ({ devnet, rpc } = chain);
  chainKey = await chainKeyOf(rpc, devnet.chainId, devnet.marketAddress, devnet.deployBlock);
  dir = await tempDir('roost-follower-');

  for (const index of [REQUESTER, PROVIDER]) {
    const signer = await rpc.getSigner(devnet.accounts[index]);
    await (
      await connectRoostTestToken(devnet.tokenAddress, signer).approve(
        devnet.marketAddress,
        MaxUint256,
      )
    ).wait();
  }
  const provider = connectJobMarket(devnet.marketAddress, await rpc.getSigner(devnet.accounts[4]));
  await (await provider.registerProvider(id('report'), 1200n, 1n, 500n * USD)).wait();
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await chain?.stop();
  await dir?.remove();
});

// ---------------------------------------------------------------- chain helpers

interface Posted {
  specURI: string;
  jobId: bigint;
  receipt: TransactionReceipt;
}

async function postJob(specURI: string): Promise<Posted> {
  const requester = await rpc.getSigner(devnet.accounts[REQUESTER]);
  const latest = await rpc.getBlock('latest');
  const tx = await connectJobMarket(devnet.marketAddress, requester).postJob(
    id(specURI),
    specURI,
    5n * USD,
    1000n,
    3600n,
    BigInt((latest?.timestamp ?? 0) + 86_400),
    1n,
  );
  const receipt = await tx.wait();
  if (receipt === null) throw new Error('postJob has no receipt');
  const posted = receipt.logs.map((l) => parseJobMarketLog(l)).find((e) => e?.name === 'JobPosted');
  return { specURI, jobId: posted?.args.jobId as bigint, receipt };
}

async function claimJob(jobId: bigint): Promise<TransactionReceipt> {
  const provider = await rpc.getSigner(devnet.accounts[PROVIDER]);
  const receipt = await (
    await connectJobMarket(devnet.marketAddress, provider).claimJob(jobId)
  ).wait();
  if (receipt === null) throw new Error('claimJob has no receipt');
  return receipt;
}

async function head(): Promise<number> {
  return Number(await rpc.send('eth_blockNumber', []));
}

async function mine(blocks = 1): Promise<void> {
  for (let i = 0; i < blocks; i++) await rpc.send('evm_mine', []);
}

/** The market's events the receipts hold, as the follower should deliver them. */
function expectedEvents(receipts: TransactionReceipt[]) {
  return receipts.flatMap((r) =>
    r.logs
      .filter((l) => l.address.toLowerCase() === devnet.marketAddress.toLowerCase())
      .map((l) => ({
        name: parseJobMarketLog(l)?.name,
        blockNumber: l.blockNumber,
        blockHash: l.blockHash.toLowerCase(),
        transactionHash: l.transactionHash,
        logIndex: l.index,
      })),
  );
}

const brief = (e: MarketEvent) => ({
  name: e.name,
  blockNumber: e.blockNumber,
  blockHash: e.blockHash,
  transactionHash: e.transactionHash,
  logIndex: e.logIndex,
});

const specOf = (e: MarketEvent): string => String(e.args.specURI);

async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---------------------------------------------------------------- follower harness

/** What a caller derives from the events: kept by transaction and log, forgotten on a reorg. */
function recorder() {
  const r = {
    batches: [] as MarketEvent[][],
    delivered: [] as MarketEvent[],
    kept: new Map<string, MarketEvent>(),
    reorgs: [] as number[],
    problems: [] as (string | null)[],
    /** Makes the next onEvents calls throw while it returns a message. */
    failWith: (_events: MarketEvent[]): string | null => null,
    keptSpecs: (): string[] =>
      [...r.kept.values()]
        .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex)
        .filter((e) => e.name === 'JobPosted')
        .map(specOf),
    deliveredSpecs: (): string[] => r.delivered.filter((e) => e.name === 'JobPosted').map(specOf),
    handlers: {
      onEvents: async (events: MarketEvent[]): Promise<void> => {
        r.batches.push(events);
        const failure = r.failWith(events);
        if (failure !== null) throw new Error(failure);
        r.delivered.push(...events);
        for (const e of events) r.kept.set(`${e.transactionHash}:${e.logIndex}`, e);
      },
      onReorg: async (from: number): Promise<void> => {
        r.reorgs.push(from);
        for (const [key, e] of r.kept) if (e.blockNumber >= from) r.kept.delete(key);
      },
      onProblem: (problem: string | null): void => {
        r.problems.push(problem);
      },
    },
  };
  return r;
}

let dbCount = 0;

function follow(
  options: Partial<FollowerOptions> & Pick<FollowerOptions, 'fromBlock' | 'onEvents'>,
  dbPath = join(dir.path, `jobs-${++dbCount}.sqlite`),
): {
  follower: Follower;
  provider: CountingProvider;
  /** The lines the Activity list shows (warn). */
  warnings: string[];
  /** The lines for the log file only (debug): the block numbers support needs. */
  debug: string[];
} {
  const db = options.db ?? openMarketDb(dbPath);
  const provider = (options.provider as CountingProvider | undefined) ?? providerFor(devnet.rpcUrl);
  const warnings: string[] = [];
  const debug: string[] = [];
  const follower = createFollower({
    db,
    provider,
    marketAddress: devnet.marketAddress,
    chainKey,
    confirmations: 0,
    log: { debug: (m) => debug.push(m), info: () => {}, warn: (m) => warnings.push(m) },
    ...options,
  });
  cleanups.push(async () => {
    await follower.stop();
    if (options.db === undefined) db.close();
  });
  return { follower, provider, warnings, debug };
}

// ---------------------------------------------------------------- tests

describe('market follower', () => {
  it('delivers every market event once, in chain order, in batches of at most maxRange blocks', async () => {
    const fromBlock = (await head()) + 1;
    const receipts: TransactionReceipt[] = [];
    const jobs: Posted[] = [];
    for (const name of ['order-1', 'order-2', 'order-3']) {
      const posted = await postJob(name);
      jobs.push(posted);
      receipts.push(posted.receipt);
    }
    receipts.push(await claimJob(jobs[1]?.jobId ?? 0n));
    jobs.push(await postJob('order-4'));
    receipts.push(jobs[3]?.receipt as TransactionReceipt);

    const r = recorder();
    const { follower, provider } = follow({ fromBlock, maxRange: 2, ...r.handlers });
    await follower.poll();

    const expected = expectedEvents(receipts);
    // postJob pulls the escrow: the token's Transfer is in the receipt but is not the market's.
    expect(receipts[0]?.logs.length).toBeGreaterThan(1);
    expect(expected.map((e) => e.name)).toEqual([
      'JobPosted',
      'JobPosted',
      'JobPosted',
      'LeaseClaimed',
      'JobPosted',
    ]);
    expect(r.delivered.map(brief)).toEqual(expected);
    expect(r.deliveredSpecs()).toEqual(['order-1', 'order-2', 'order-3', 'order-4']);
    const claimed = r.delivered.find((e) => e.name === 'LeaseClaimed');
    expect(claimed?.args.jobId).toBe(jobs[1]?.jobId);
    expect(typeof claimed?.args.collateral).toBe('bigint');
    expect(r.delivered[0]?.args.reward).toBe(5n * USD);

    // Five blocks, two per getLogs: three batches, each inside a two-block range.
    expect(r.batches.length).toBe(3);
    for (const batch of r.batches) {
      const blocks = batch.map((e) => e.blockNumber);
      expect(Math.max(...blocks) - Math.min(...blocks)).toBeLessThan(2);
    }
    const latest = await head();
    expect(follower.status()).toMatchObject({
      checkpoint: latest,
      head: latest,
      lagBlocks: 0,
      lastError: null,
    });
    expect(follower.status().lastPollAt).not.toBeNull();

    // Nothing new: one eth_blockNumber, nothing delivered again.
    provider.methods.length = 0;
    await follower.poll();
    expect(provider.methods).toEqual(['eth_blockNumber']);
    expect(r.delivered.length).toBe(5);
    expect(r.problems).toEqual([]);
  });

  it('reads through any ethers Provider and skips a market log it cannot decode', async () => {
    const fromBlock = (await head()) + 1;
    const receipts = [(await postJob('any-1')).receipt, (await postJob('any-2')).receipt];
    const first = receipts[0] as TransactionReceipt;
    // A log of the market's address with an event the ABI doesn't know, as a node could send.
    const stranger = {
      address: devnet.marketAddress,
      topics: [id('SomethingElse(uint256)')],
      data: '0x',
      blockNumber: first.blockNumber,
      blockHash: first.blockHash,
      transactionHash: first.hash,
      index: 99,
      removed: false,
    } as unknown as Log;
    class WithStranger extends FallbackProvider {
      override async getLogs(filter: Filter | FilterByBlockHash): Promise<Log[]> {
        return [...(await super.getLogs(filter)), stranger];
      }
    }
    const inner = providerFor(devnet.rpcUrl);
    const provider = new WithStranger([inner], devnet.chainId, { cacheTimeout: -1, quorum: 1 });
    cleanups.push(() => provider.destroy());
    const r = recorder();
    const { follower, warnings, debug } = follow({ fromBlock, provider, ...r.handlers });
    await follower.poll();

    expect(r.delivered.map(brief)).toEqual(expectedEvents(receipts));
    expect(r.deliveredSpecs()).toEqual(['any-1', 'any-2']);
    // Activity says it in words with the hash support looks up; the log file says where it sits.
    expect(warnings).toEqual([
      `[market] skipped an event Roost cannot read from the market (transaction ${first.hash})`,
    ]);
    expect(debug).toEqual([
      `[market] a log the JobMarket ABI cannot decode: block ${first.blockNumber}, ` +
        `transaction ${first.hash}, log 99`,
    ]);
    expect(follower.status()).toMatchObject({ checkpoint: await head(), lastError: null });
  });

  it('continues from its checkpoint after a restart, delivering nothing twice', async () => {
    const fromBlock = (await head()) + 1;
    const dbPath = join(dir.path, 'restart.sqlite');
    const counts = new Map<string, number>();
    const count = async (events: MarketEvent[]): Promise<void> => {
      for (const e of events) counts.set(specOf(e), (counts.get(specOf(e)) ?? 0) + 1);
    };
    for (const name of ['restart-1', 'restart-2', 'restart-3']) await postJob(name);

    const first = openMarketDb(dbPath);
    const a = follow({ db: first, fromBlock, maxRange: 2, onEvents: count });
    await a.follower.poll();
    const checkpoint = a.follower.status().checkpoint;
    expect(checkpoint).toBe(await head());
    await a.follower.stop();
    first.close();

    for (const name of ['restart-4', 'restart-5', 'restart-6']) await postJob(name);
    const second = openMarketDb(dbPath);
    cleanups.push(() => second.close());
    const b = follow({ db: second, fromBlock, maxRange: 2, pollMs: 50, onEvents: count });
    expect(b.follower.status().checkpoint).toBe(checkpoint);
    b.follower.start();
    await waitFor('the second follower to catch up', () => counts.size === 6);
    await mine(1); // and it keeps polling on its own
    const latest = await head();
    await waitFor('the timer to reach the new head', () => b.follower.status().head === latest);
    await b.follower.stop();
    expect([...counts.entries()]).toEqual(
      ['restart-1', 'restart-2', 'restart-3', 'restart-4', 'restart-5', 'restart-6'].map((n) => [
        n,
        1,
      ]),
    );
    expect(b.follower.status().checkpoint).toBe(latest);

    // Another deployment's key in the same journal starts on its own.
    const other = follow({ db: second, fromBlock, chainKey: 'other-chain', onEvents: count });
    expect(other.follower.status().checkpoint).toBeNull();
  });

  it('delivers a batch again at the next poll when the handler throws, without moving past it', async () => {
    const fromBlock = (await head()) + 1;
    await postJob('throw-1');
    const second = await postJob('throw-2');
    const r = recorder();
    let failures = 1;
    r.failWith = (events) =>
      events.some((e) => specOf(e) === 'throw-2') && failures-- > 0 ? 'the journal is busy' : null;
    const { follower, debug } = follow({ fromBlock, maxRange: 1, ...r.handlers });

    await follower.poll();
    expect(r.batches.map((b) => b.map(specOf))).toEqual([['throw-1'], ['throw-2']]);
    expect(r.deliveredSpecs()).toEqual(['throw-1']);
    expect(follower.status().checkpoint).toBe(fromBlock);
    expect(follower.status().lastError).toBe(
      "handling the market's latest events failed: the journal is busy. They will be delivered again at the next poll.",
    );
    const block = second.receipt.blockNumber;
    expect(debug).toContain(`[market] handling the events of blocks ${block}–${block} failed`);
    expect(r.problems).toEqual([follower.status().lastError]);

    await follower.poll();
    expect(r.batches.map((b) => b.map(specOf))).toEqual([['throw-1'], ['throw-2'], ['throw-2']]);
    expect(r.deliveredSpecs()).toEqual(['throw-1', 'throw-2']);
    expect(follower.status()).toMatchObject({
      checkpoint: second.receipt.blockNumber,
      lastError: null,
    });
    expect(r.problems.at(-1)).toBeNull();
  });

  it('waits for confirmations before delivering an event', async () => {
    const fromBlock = (await head()) + 1;
    const posted = await postJob('confirm-1');
    const r = recorder();
    const { follower } = follow({ fromBlock, confirmations: 2, ...r.handlers });

    await follower.poll();
    expect(r.delivered).toEqual([]);
    expect(follower.status()).toMatchObject({ checkpoint: null, lagBlocks: 1 });
    await mine(1);
    await follower.poll();
    expect(r.delivered).toEqual([]);
    await mine(1);
    await follower.poll();
    expect(r.deliveredSpecs()).toEqual(['confirm-1']);
    expect(follower.status()).toMatchObject({
      checkpoint: posted.receipt.blockNumber,
      head: posted.receipt.blockNumber + 2,
      lagBlocks: 2,
    });
  });

  it('forgets replaced blocks on a reorganisation and delivers what replaced them', async () => {
    const fromBlock = (await head()) + 1;
    const kept = await postJob('reorg-kept');
    const r = recorder();
    const { follower, warnings, debug } = follow({ fromBlock, ...r.handlers });
    await follower.poll();

    const snapshot = String(await rpc.send('evm_snapshot', []));
    const gone1 = await postJob('reorg-gone-1');
    await postJob('reorg-gone-2');
    await follower.poll();
    expect(r.keptSpecs()).toEqual(['reorg-kept', 'reorg-gone-1', 'reorg-gone-2']);

    expect(await rpc.send('evm_revert', [snapshot])).toBe(true);
    for (const name of ['reorg-new-1', 'reorg-new-2', 'reorg-new-3']) await postJob(name);
    await follower.poll();

    expect(r.reorgs).toEqual([gone1.receipt.blockNumber]);
    expect(gone1.receipt.blockNumber).toBe(kept.receipt.blockNumber + 1);
    expect(r.keptSpecs()).toEqual(['reorg-kept', 'reorg-new-1', 'reorg-new-2', 'reorg-new-3']);
    // Each delivered once: the block before the reorganisation was not read again.
    expect(r.deliveredSpecs()).toEqual([
      'reorg-kept',
      'reorg-gone-1',
      'reorg-gone-2',
      'reorg-new-1',
      'reorg-new-2',
      'reorg-new-3',
    ]);
    expect(follower.status().checkpoint).toBe(await head());
    // In words for the Activity list; the first block replaced in the log file.
    expect(warnings).toEqual([
      '[market] the chain replaced its latest blocks; Roost reads them again',
    ]);
    expect(debug).toEqual([
      `[market] reorganisation: blocks from ${gone1.receipt.blockNumber} on were replaced; reading them again`,
    ]);
  });

  it('notices a reorganisation to the same height within ten poll intervals', async () => {
    const fromBlock = (await head()) + 1;
    await postJob('height-kept');
    const r = recorder();
    const { follower } = follow({ fromBlock, pollMs: 50, ...r.handlers });
    await follower.poll();
    const snapshot = String(await rpc.send('evm_snapshot', []));
    const gone = await postJob('height-gone');
    await follower.poll();
    expect(await rpc.send('evm_revert', [snapshot])).toBe(true);
    const replaced = await postJob('height-new');
    expect(replaced.receipt.blockNumber).toBe(gone.receipt.blockNumber);

    await new Promise((resolve) => setTimeout(resolve, 10 * 50 + 50));
    await follower.poll();
    expect(r.reorgs).toEqual([gone.receipt.blockNumber]);
    expect(r.keptSpecs()).toEqual(['height-kept', 'height-new']);
  });

  it('reads again from fromBlock when no block it handled is left on the chain', async () => {
    const snapshot = String(await rpc.send('evm_snapshot', []));
    const fromBlock = (await head()) + 1;
    await postJob('deep-gone-1');
    await postJob('deep-gone-2');
    const r = recorder();
    const { follower, warnings, debug } = follow({ fromBlock, ...r.handlers });
    await follower.poll();
    expect(r.keptSpecs()).toEqual(['deep-gone-1', 'deep-gone-2']);

    expect(await rpc.send('evm_revert', [snapshot])).toBe(true);
    for (const name of ['deep-new-1', 'deep-new-2', 'deep-new-3']) await postJob(name);
    await follower.poll();
    expect(r.reorgs).toEqual([fromBlock]);
    expect(r.keptSpecs()).toEqual(['deep-new-1', 'deep-new-2', 'deep-new-3']);
    expect(follower.status().checkpoint).toBe(await head());
    expect(warnings).toEqual([
      "[market] the chain replaced every block Roost had read; Roost reads the market's events again from the start",
    ]);
    expect(debug).toEqual([
      `[market] reorganisation: no block the follower handled is left; reading again from block ${fromBlock}`,
    ]);
  });

  it('says when the node is unreachable, keeps trying, and goes on when it is back', async () => {
    const proxy = await startTcpProxy(devnet.rpcUrl);
    cleanups.push(() => proxy.close());
    const fromBlock = (await head()) + 1;
    await postJob('down-1');
    const r = recorder();
    const { follower } = follow({
      fromBlock,
      pollMs: 50,
      provider: providerFor(proxy.url),
      ...r.handlers,
    });
    follower.start();
    await waitFor('the first event', () => r.deliveredSpecs().length === 1);

    await proxy.stop();
    await waitFor('a problem report', () => r.problems.length >= 2);
    // A refused connection or one cut mid-request: both say the node did not answer.
    for (const problem of r.problems) {
      expect(problem).toMatch(
        /^cannot read the market.s events: the chain node did not answer \(.+\)\. Retrying every 50 ms; check that the chain node is running and reachable\.$/,
      );
    }
    expect(follower.status().lastError).toBe(r.problems.at(-1));
    await postJob('down-2');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.deliveredSpecs()).toEqual(['down-1']);
    expect(r.problems).not.toContain(null);

    await proxy.start();
    await waitFor('the recovery', () => r.problems.at(-1) === null);
    await waitFor('the event posted while down', () => r.deliveredSpecs().length === 2);
    expect(r.deliveredSpecs()).toEqual(['down-1', 'down-2']);
    expect(r.problems.filter((p) => p === null).length).toBe(1);
    expect(follower.status().lastError).toBeNull();
    await follower.stop();
  });
});
