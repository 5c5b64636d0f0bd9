/**
 * The market's event follower: reads every log of the JobMarket contract in chain order and hands
 * them, decoded, to the provider agent — at least once each, across restarts and reorganisations.
 *
 * Progress lives in the journal (`market_checkpoints`: the last block whose events were handled,
 * per chainKey) and so do the hashes of the blocks handled (`market_blocks`, the newest 128 kept).
 * Each poll compares the checkpoint block's hash with the chain; on a mismatch it walks back to the
 * newest stored block the chain still has, tells the caller (`onReorg`) and reads again from there.
 *
 * A poll with nothing new costs one eth_blockNumber: the agent's JobPosted→claim path depends on it.
 */
import { JsonRpcApiProvider } from 'ethers';
import type { Provider } from 'ethers';
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import { parseJobMarketLog } from '../../contracts/bindings/job-market.ts';
import { inTransaction } from './db.ts';

export interface MarketEvent {
  /** The event's name in JobMarket: 'JobPosted', 'LeaseClaimed', ... */
  name: string;
  /** Decoded by parseJobMarketLog; integers stay bigint. */
  args: Record<string, unknown>;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

export interface FollowerOptions {
  /** From openMarketDb; the follower owns the tables market_checkpoints and market_blocks. */
  db: DatabaseSync;
  provider: Provider;
  marketAddress: string;
  /** `${chainId}:${market address lower}:${deploy block hash}`: keys every row stored. */
  chainKey: string;
  /** First block to read when there is no checkpoint (the market's deploy block). */
  fromBlock: number;
  /** Blocks that must follow an event's block before it is delivered (default 2). */
  confirmations?: number;
  /** Milliseconds between polls after start() (default 1000). */
  pollMs?: number;
  /** Blocks per eth_getLogs (default 2000). */
  maxRange?: number;
  /**
   * Called with each batch in order; the checkpoint moves past the batch only after it resolves.
   * A throw: the batch is delivered again at the next poll (so handlers must be idempotent).
   */
  onEvents(events: MarketEvent[]): Promise<void>;
  /**
   * Blocks from `fromBlock` on were replaced: forget what was derived from them. Their events, as
   * the chain now has them, are delivered again afterwards. A throw: called again at the next poll.
   */
  onReorg?(fromBlock: number): Promise<void>;
  /** Every failed poll, in plain words; null once a poll succeeds again. */
  onProblem?(problem: string | null): void;
  /**
   * info and warn lines reach the Activity list, so they say what happened in plain words; the
   * block numbers support needs go to debug (the log file only).
   */
  log?: { debug?(m: string): void; info(m: string): void; warn(m: string): void };
}

export interface FollowerStatus {
  /** Last block whose events were all handled; null before the first. */
  checkpoint: number | null;
  /** Chain head at the last poll that reached the node. */
  head: number | null;
  /** Blocks between the checkpoint and the head. */
  lagBlocks: number | null;
  lastError: string | null;
  /** ISO time of the last poll that finished without an error. */
  lastPollAt: string | null;
}

export interface Follower {
  /** Polls now and then every pollMs. */
  start(): void;
  /** Stops polling; resolves once a running poll has finished. */
  stop(): Promise<void>;
  /** One poll now (a poll already running is followed by one more). Never rejects. */
  poll(): Promise<void>;
  status(): FollowerStatus;
}

/** Stored block hashes kept per chainKey: the depth of a reorganisation that needs no full re-read. */
const KEEP_BLOCKS = 128;
/** A node that accepts a request and never answers must not stall the follower for good. */
const RPC_TIMEOUT_MS = 20_000;
/**
 * The quick poll only sees the head's number; a reorganisation to the same height shows no new
 * number, so the checkpoint's hash is compared at least this many poll intervals apart.
 */
const FULL_CHECK_POLLS = 10;
/** Reorganisations handled within one poll before leaving the rest to the next. */
const MAX_REORGS_PER_POLL = 8;

const quiet = { info: (): void => {}, warn: (): void => {} };

export function createFollower(options: FollowerOptions): Follower {
  const confirmations = options.confirmations ?? 2;
  const pollMs = options.pollMs ?? 1000;
  const maxRange = options.maxRange ?? 2000;
  const log: NonNullable<FollowerOptions['log']> = options.log ?? quiet;
  if (!Number.isInteger(confirmations) || confirmations < 0)
    throw new Error(`[market] confirmations must be a whole number ≥ 0, not ${confirmations}`);
  if (!Number.isInteger(maxRange) || maxRange < 1)
    throw new Error(`[market] maxRange must be a whole number ≥ 1, not ${maxRange}`);
  if (!Number.isInteger(options.fromBlock) || options.fromBlock < 0)
    throw new Error(`[market] fromBlock must be a block number, not ${options.fromBlock}`);

  const store = openStore(options.db, options.chainKey);
  const chain = chainReader(options.provider, options.marketAddress);

  let head: number | null = null;
  let lastError: string | null = null;
  let lastPollAt: string | null = null;
  let problem = false;
  // The head at which the last poll delivered everything there was, and when: the quick path.
  let settled: { head: number; at: number } | null = null;
  // Shrinks when the node refuses a range (too many logs), grows back on success.
  let span = maxRange;

  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let started = false;
  // A start() after stop() begins a new round of timers; a round left over from before ends.
  let round = 0;
  // Set by stop(): a running poll finishes the batch in hand and goes no further.
  let halting = false;

  const checkpoint = (): number | null => store.checkpoint();

  /** Blocks from `ancestor + 1` on are gone: tell the caller, then forget them here. */
  const rewind = async (ancestor: number | null): Promise<void> => {
    const from = ancestor === null ? options.fromBlock : ancestor + 1;
    log.debug?.(
      ancestor === null
        ? `[market] reorganisation: no block the follower handled is left; reading again from block ${from}`
        : `[market] reorganisation: blocks from ${from} on were replaced; reading them again`,
    );
    log.warn(
      ancestor === null
        ? "[market] the chain replaced every block Roost had read; Roost reads the market's events again from the start"
        : '[market] the chain replaced its latest blocks; Roost reads them again',
    );
    try {
      await options.onReorg?.(from);
    } catch (error) {
      log.debug?.(`[market] forgetting what was derived from blocks ${from} on failed`);
      throw new Problem(
        'the chain replaced its latest blocks, and forgetting the jobs seen in them failed: ' +
          `${messageOf(error)}. It is tried again at the next poll.`,
        { cause: error },
      );
    }
    store.rewind(ancestor);
  };

  /** The newest stored block the chain still has, or null when none is left. */
  const commonAncestor = async (): Promise<number | null> => {
    for (const block of store.blocksNewestFirst()) {
      if ((await chain.blockHash(block.number)) === block.hash) return block.number;
    }
    return null;
  };

  /** Reads and delivers up to `safe`; false when it stopped early and the next poll must go on. */
  const catchUp = async (safe: number): Promise<boolean> => {
    let reorgs = 0;
    for (;;) {
      if (halting) return false;
      const cp = checkpoint();
      const from = cp === null ? options.fromBlock : Math.max(cp + 1, options.fromBlock);
      const to = Math.min(safe, from + span - 1);
      const expected = cp === null ? null : store.hashOf(cp);
      if (to < from) {
        if (cp !== null && (await chain.blockHash(cp)) !== expected) {
          if (++reorgs > MAX_REORGS_PER_POLL) return false;
          await rewind(await commonAncestor());
          continue;
        }
        return true;
      }
      // The checkpoint's hash and the range end's hash, read before and after the logs: equal
      // means the logs come from the chain that holds our checkpoint, unchanged while read.
      const [cpHash, toHash] = await Promise.all([
        cp === null ? Promise.resolve(null) : chain.blockHash(cp),
        chain.blockHash(to),
      ]);
      if (cp !== null && cpHash !== expected) {
        if (++reorgs > MAX_REORGS_PER_POLL) return false;
        await rewind(await commonAncestor());
        continue;
      }
      if (toHash === null) return false; // the chain got shorter while we looked: next poll
      let logs: ChainLog[];
      try {
        logs = await chain.logs(from, to);
      } catch (error) {
        if (to > from) span = Math.max(1, Math.floor((to - from + 1) / 2));
        throw error;
      }
      if ((await chain.blockHash(to)) !== toHash) return false;
      if (logs.some((l) => l.blockNumber === to && l.blockHash !== toHash)) return false;
      if (logs.some((l) => l.blockNumber < from || l.blockNumber > to)) {
        log.debug?.(`[market] the node answered logs outside blocks ${from}–${to}`);
        throw new Error('the chain node answered with events of other blocks than those asked for');
      }

      const events = decode(logs, log);
      if (events.length > 0) {
        try {
          await options.onEvents(events);
        } catch (error) {
          log.debug?.(`[market] handling the events of blocks ${from}–${to} failed`);
          throw new Problem(
            `handling the market's latest events failed: ${messageOf(error)}. ` +
              'They will be delivered again at the next poll.',
            { cause: error },
          );
        }
      }
      const hashes = new Map<number, string>(logs.map((l) => [l.blockNumber, l.blockHash]));
      hashes.set(to, toHash);
      store.advance(to, hashes);
      span = Math.min(maxRange, span * 2);
    }
  };

  // The caller's listener must not break the polling loop.
  const tell = (message: string | null): void => {
    try {
      options.onProblem?.(message);
    } catch (error) {
      log.warn(`[market] onProblem threw: ${messageOf(error)}`);
    }
  };

  const pollOnce = async (): Promise<void> => {
    try {
      const now = Date.now();
      const latest = await chain.blockNumber();
      head = latest;
      const fresh =
        settled !== null && settled.head === latest && now - settled.at < FULL_CHECK_POLLS * pollMs;
      if (!fresh) {
        settled = null;
        const safe = latest - confirmations;
        if (await catchUp(safe)) settled = { head: latest, at: now };
      }
      lastError = null;
      lastPollAt = new Date().toISOString();
      if (problem) {
        problem = false;
        log.info('[market] the market events are read again');
        tell(null);
      }
    } catch (error) {
      settled = null;
      const words = describe(error, pollMs);
      // One line per outage (and per change of reason), not one per failed poll.
      if (words !== lastError) log.warn(`[market] ${words}`);
      lastError = words;
      problem = true;
      tell(lastError);
    }
  };

  const poll = (): Promise<void> => {
    if (running === null) {
      running = pollOnce().finally(() => {
        running = null;
      });
      return running;
    }
    queued ??= running.then(() => {
      queued = null;
      return poll();
    });
    return queued;
  };

  const schedule = (mine: number): void => {
    if (!started || mine !== round) return;
    timer = setTimeout(() => {
      timer = null;
      void poll().then(() => schedule(mine));
    }, pollMs);
    timer.unref();
  };

  return {
    start() {
      if (started) return;
      started = true;
      const mine = ++round;
      void poll().then(() => schedule(mine));
    },
    async stop() {
      started = false;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      halting = true;
      try {
        await queued;
        await running;
      } finally {
        halting = false;
      }
    },
    poll,
    status() {
      const cp = checkpoint();
      const lag = head === null ? null : Math.max(0, head - (cp ?? options.fromBlock - 1));
      return { checkpoint: cp, head, lagBlocks: lag, lastError, lastPollAt };
    },
  };
}

// ---------------------------------------------------------------- decoding

function decode(
  logs: ChainLog[],
  log: { debug?(m: string): void; warn(m: string): void },
): MarketEvent[] {
  const events: MarketEvent[] = [];
  for (const l of logs) {
    const parsed = parseJobMarketLog(l);
    if (parsed === null) {
      // The transaction's hash is what support looks up; where it sits goes to the log file.
      log.debug?.(
        `[market] a log the JobMarket ABI cannot decode: block ${l.blockNumber}, ` +
          `transaction ${l.transactionHash}, log ${l.logIndex}`,
      );
      log.warn(
        `[market] skipped an event Roost cannot read from the market (transaction ${l.transactionHash})`,
      );
      continue;
    }
    events.push({
      name: parsed.name,
      args: parsed.args as Record<string, unknown>,
      blockNumber: l.blockNumber,
      blockHash: l.blockHash,
      transactionHash: l.transactionHash,
      logIndex: l.logIndex,
    });
  }
  return events;
}

// ---------------------------------------------------------------- the chain

interface ChainLog {
  topics: string[];
  data: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

interface ChainReader {
  blockNumber(): Promise<number>;
  /** The hash of block `n` on the chain now; null when the chain has no such block. */
  blockHash(n: number): Promise<string | null>;
  /** The market's logs of blocks [from, to], in chain order. */
  logs(from: number, to: number): Promise<ChainLog[]>;
}

const hash32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const hexData = z.string().regex(/^0x(?:[0-9a-fA-F]{2})*$/);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const quantity = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,13}$/)
  .transform((s) => Number.parseInt(s, 16));

const rawBlockNumber = quantity;
const rawBlock = z.object({ number: quantity, hash: hash32 }).nullable();
const rawLogs = z.array(
  z.object({
    address,
    topics: z.array(hash32),
    data: hexData,
    blockNumber: quantity,
    blockHash: hash32,
    transactionHash: hash32,
    logIndex: quantity,
    removed: z.boolean().optional(),
  }),
);

const blockNumber = z.number().int().nonnegative();
const ethersBlock = z.object({ number: blockNumber, hash: hash32 }).nullable();
const ethersLogs = z.array(
  z.object({
    address,
    topics: z.array(hash32).readonly(),
    data: hexData,
    blockNumber,
    blockHash: hash32,
    transactionHash: hash32,
    index: blockNumber,
    removed: z.boolean().optional(),
  }),
);

/**
 * A JSON-RPC provider is asked directly (its answers parsed here, and without the 250 ms cache
 * that ethers puts in front of eth_blockNumber); any other Provider through its methods.
 */
function chainReader(provider: Provider, marketAddress: string): ChainReader {
  const market = marketAddress.toLowerCase();
  const ordered = (logs: (ChainLog & { address: string; removed?: boolean })[]): ChainLog[] =>
    logs
      .filter((l) => l.address.toLowerCase() === market && l.removed !== true)
      .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex)
      .map(({ topics, data, blockNumber: n, blockHash, transactionHash, logIndex }) => ({
        topics,
        data,
        blockNumber: n,
        blockHash,
        transactionHash,
        logIndex,
      }));

  if (provider instanceof JsonRpcApiProvider) {
    const call = async <T>(schema: z.ZodType<T>, method: string, params: unknown[]): Promise<T> => {
      const answer = await withTimeout(provider.send(method, params), method);
      const parsed = schema.safeParse(answer);
      if (!parsed.success)
        throw new Error(
          `the node's answer to ${method} is not what it should be: ${z.prettifyError(parsed.error)}`,
        );
      return parsed.data;
    };
    const hex = (n: number): string => '0x' + n.toString(16);
    return {
      blockNumber: () => call(rawBlockNumber, 'eth_blockNumber', []),
      async blockHash(n) {
        const block = await call(rawBlock, 'eth_getBlockByNumber', [hex(n), false]);
        return block?.hash.toLowerCase() ?? null;
      },
      async logs(from, to) {
        const logs = await call(rawLogs, 'eth_getLogs', [
          { address: marketAddress, fromBlock: hex(from), toBlock: hex(to) },
        ]);
        return ordered(logs.map((l) => ({ ...l, blockHash: l.blockHash.toLowerCase() })));
      },
    };
  }

  const check = <T>(schema: z.ZodType<T>, what: string, answer: unknown): T => {
    const parsed = schema.safeParse(answer);
    if (!parsed.success)
      throw new Error(
        `the node's answer to ${what} is not what it should be: ${z.prettifyError(parsed.error)}`,
      );
    return parsed.data;
  };
  return {
    async blockNumber() {
      return check(
        blockNumber,
        'getBlockNumber',
        await withTimeout(provider.getBlockNumber(), 'getBlockNumber'),
      );
    },
    async blockHash(n) {
      const block = check(
        ethersBlock,
        'getBlock',
        await withTimeout(provider.getBlock(n), 'getBlock'),
      );
      return block?.hash.toLowerCase() ?? null;
    },
    async logs(from, to) {
      const answer = await withTimeout(
        provider.getLogs({ address: marketAddress, fromBlock: from, toBlock: to }),
        'getLogs',
      );
      const logs = check(ethersLogs, 'getLogs', answer);
      return ordered(
        logs.map((l) => ({
          ...l,
          topics: [...l.topics],
          blockHash: l.blockHash.toLowerCase(),
          logIndex: l.index,
        })),
      );
    },
  };
}

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the node did not answer ${what} within ${RPC_TIMEOUT_MS / 1000} s`)),
      RPC_TIMEOUT_MS,
    );
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- the journal

interface Store {
  checkpoint(): number | null;
  hashOf(block: number): string | null;
  blocksNewestFirst(): { number: number; hash: string }[];
  /** Blocks up to `to` are handled: store their hashes and move the checkpoint, in one step. */
  advance(to: number, hashes: Map<number, string>): void;
  /** Forget blocks after `ancestor` (all of them when null) and put the checkpoint there. */
  rewind(ancestor: number | null): void;
}

const checkpointRow = z.object({ block: z.number().int().nonnegative() });
const blockRow = z.object({ number: z.number().int().nonnegative(), hash: hash32 });

function openStore(db: DatabaseSync, chainKey: string): Store {
  db.exec(`
    CREATE TABLE IF NOT EXISTS market_checkpoints (
      chain_key TEXT PRIMARY KEY,
      block INTEGER NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS market_blocks (
      chain_key TEXT NOT NULL,
      number INTEGER NOT NULL,
      hash TEXT NOT NULL,
      PRIMARY KEY (chain_key, number)
    ) WITHOUT ROWID;
  `);
  const readCheckpoint = db.prepare('SELECT block FROM market_checkpoints WHERE chain_key = ?');
  const writeCheckpoint = db.prepare(
    `INSERT INTO market_checkpoints (chain_key, block, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (chain_key) DO UPDATE SET block = excluded.block, updated_at = excluded.updated_at`,
  );
  const deleteCheckpoint = db.prepare('DELETE FROM market_checkpoints WHERE chain_key = ?');
  const readHash = db.prepare(
    'SELECT number, hash FROM market_blocks WHERE chain_key = ? AND number = ?',
  );
  const readBlocks = db.prepare(
    'SELECT number, hash FROM market_blocks WHERE chain_key = ? ORDER BY number DESC',
  );
  const writeBlock = db.prepare(
    `INSERT INTO market_blocks (chain_key, number, hash) VALUES (?, ?, ?)
     ON CONFLICT (chain_key, number) DO UPDATE SET hash = excluded.hash`,
  );
  const deleteAfter = db.prepare('DELETE FROM market_blocks WHERE chain_key = ? AND number > ?');
  const deleteAll = db.prepare('DELETE FROM market_blocks WHERE chain_key = ?');
  const prune = db.prepare(
    `DELETE FROM market_blocks WHERE chain_key = ? AND number < (
       SELECT number FROM market_blocks WHERE chain_key = ? ORDER BY number DESC LIMIT 1 OFFSET ?)`,
  );

  const parseRow = <T>(schema: z.ZodType<T>, row: unknown): T => {
    const parsed = schema.safeParse(row);
    if (!parsed.success)
      throw new Error(
        `the journal's market tables hold a row that is not valid (${z.prettifyError(parsed.error)}); ` +
          'delete the market_checkpoints and market_blocks tables to read the market again',
      );
    return parsed.data;
  };

  return {
    checkpoint() {
      const row = readCheckpoint.get(chainKey);
      return row === undefined ? null : parseRow(checkpointRow, row).block;
    },
    hashOf(block) {
      const row = readHash.get(chainKey, block);
      return row === undefined ? null : parseRow(blockRow, row).hash;
    },
    blocksNewestFirst() {
      return readBlocks.all(chainKey).map((row) => parseRow(blockRow, row));
    },
    advance(to, hashes) {
      inTransaction(db, () => {
        for (const [number, hash] of hashes) writeBlock.run(chainKey, number, hash);
        writeCheckpoint.run(chainKey, to, new Date().toISOString());
        prune.run(chainKey, chainKey, KEEP_BLOCKS - 1);
      });
    },
    rewind(ancestor) {
      inTransaction(db, () => {
        if (ancestor === null) {
          deleteAll.run(chainKey);
          deleteCheckpoint.run(chainKey);
        } else {
          deleteAfter.run(chainKey, ancestor);
          writeCheckpoint.run(chainKey, ancestor, new Date().toISOString());
        }
      });
    },
  };
}

// ---------------------------------------------------------------- words

/** A failure whose message already says, in full, what went wrong and what happens next. */
class Problem extends Error {}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    return typeof short === 'string' ? short : error.message;
  }
  return String(error);
}

/** A failed poll in plain words: what failed, why, and what happens next. */
function describe(error: unknown, pollMs: number): string {
  if (error instanceof Problem) return error.message;
  const every = pollMs >= 1000 ? `${Math.round(pollMs / 100) / 10} s` : `${pollMs} ms`;
  const { detail, codes } = unwrap(error);
  const what = isUnreachable(`${detail} ${codes.join(' ')}`)
    ? `the chain node did not answer (${detail})`
    : detail;
  return (
    `cannot read the market's events: ${what}. ` +
    `Retrying every ${every}; check that the chain node is running and reachable.`
  );
}

/** The messages along an error's causes, and every error code met on the way. */
function unwrap(error: unknown): { detail: string; codes: string[] } {
  const messages: string[] = [];
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    const message = depth === 0 ? messageOf(e) : e instanceof Error ? e.message : String(e);
    if (!messages.includes(message)) messages.push(message);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return { detail: messages.join(': '), codes };
}

function isUnreachable(text: string): boolean {
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|EPIPE|socket hang up|fetch failed/i.test(
    text,
  );
}
