/**
 * The market's transaction manager. Every transaction the provider agent sends (claims, results,
 * finalizations, withdrawals) goes through it under a key naming the action (`claim:12`), so an
 * action is sent at most once, across restarts too.
 *
 * The order of work is what makes that hold: estimate (a call that would revert is refused before
 * any nonce is taken), sign, store the signed bytes and the nonce in `market_txs` in one SQLite
 * transaction, and only then broadcast. A crash or an unreachable node after the row is written
 * leaves a pending row whose exact bytes are broadcast again later; a crash before it leaves
 * nothing, and nothing reached the chain.
 *
 * wait() follows a pending transaction until one of its signatures is mined: it re-signs the same
 * nonce with higher fees when the node sits on it (every hash is kept, since any may be mined),
 * rebroadcasts while the node is down or after its block was reorganised away, and gives the
 * record up as 'failed' only when the nonce went to a transaction that is not one of ours.
 */
import { getAddress, keccak256 } from 'ethers';
import type { Signer, TransactionRequest } from 'ethers';
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import { isUnreachable } from '../wallet/network.ts';
import { describeRevert, revertData } from '../wallet/revert-words.ts';
import { noLane, type Lane } from '../wallet/send-lanes.ts';
import { inTransaction } from './db.ts';

export interface TxIntent {
  /** Unique per action, e.g. `claim:12`, `submit:12:0`, `finalize:12:0`, `withdraw:<n>`. */
  key: string;
  to: string;
  /** The encoded call (jobMarketInterface.encodeFunctionData(...)). */
  data: string;
  value?: bigint;
  /** For logs and the UI: "claim job 12". */
  label: string;
}

export type TxState = 'pending' | 'mined' | 'reverted' | 'failed';

export interface TxRecord {
  key: string;
  label: string;
  chainKey: string;
  from: string;
  to: string;
  nonce: number;
  /** The latest signature broadcast; once mined, the one that was mined. */
  hash: string;
  /** Every hash signed for this nonce (fee bumps), oldest first. */
  hashes: string[];
  state: TxState;
  /** How many times the transaction was handed to the node (first send and rebroadcasts). */
  attempts: number;
  /** On a legacy (gasPrice) chain both fee fields hold the gas price. */
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  gasLimit: string;
  blockNumber?: number;
  /** The block it was mined in: still the chain's block at blockNumber unless replaced. */
  blockHash?: string;
  gasUsed?: string;
  effectiveGasPrice?: string;
  /** Why it reverted or failed, or, while pending, what currently holds it up. */
  error?: string;
  createdAt: string;
  updatedAt: string;
}

export interface TxLog {
  /** Steps on the way, for the log file only (the Activity list leaves them out). */
  debug?(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface TxManagerOptions {
  /** From openMarketDb; the manager owns table market_txs. */
  db: DatabaseSync;
  /** An ethers v6 Signer connected to a Provider (signTransaction must work). */
  signer: Signer;
  chainKey: string;
  log?: TxLog;
  /** Clock of the stored timestamps (createdAt, updatedAt); waiting uses the real one. */
  now?: () => Date;
  /** Re-sign with higher fees when not mined this long after the node took it (default 15 s). */
  bumpAfterMs?: number;
  /** Fee increase per bump in percent (default 20; at least the 10 % nodes require). */
  bumpPercent?: number;
  /** Never bid more than this per gas (default 500 gwei): a bump past it waits instead. */
  maxFeePerGasCap?: bigint;
  /** How often wait() asks the node (default 500 ms). */
  pollMs?: number;
  /** Blocks on top of (and including) the one holding the transaction (default 1). */
  confirmations?: number;
  /** The signer's send lane, shared with the agent's other senders on its address (default none). */
  lane?: Lane;
  /**
   * A mined transaction found gone from the chain (its block replaced), about to be sent again
   * (`dropped`), and later mined again (`back`): once each, whichever wait() found it.
   */
  onReorganised?(record: TxRecord, change: 'dropped' | 'back'): void;
}

export interface TxManager {
  /**
   * Sends the intent once. If a record with this key exists (any state but 'failed'), returns it
   * and sends nothing. A call that would revert throws TxRevertError and takes no nonce and writes
   * no row; a node that can't be reached while preparing throws TxUnavailableError (nothing was
   * signed). Once signed and stored, an unreachable node leaves the record pending for wait().
   * A node that refuses the signed transaction outright gives a 'failed' record with the reason.
   */
  send(intent: TxIntent): Promise<TxRecord>;
  /**
   * Resolves when the transaction is mined (or reverted) with `confirmations`, or failed because
   * another transaction took its nonce. Rejects only on abort.
   */
  wait(key: string, signal?: AbortSignal): Promise<TxRecord>;
  /** send() then wait(). */
  execute(intent: TxIntent, signal?: AbortSignal): Promise<TxRecord>;
  /** The pending records of this chainKey, oldest first: at start-up, wait() on each. */
  pending(): TxRecord[];
  get(key: string): TxRecord | undefined;
  /** Newest first. */
  list(limit?: number): TxRecord[];
}

/** The chain would revert the call: nothing was signed, no nonce was taken, no row written. */
export class TxRevertError extends Error {
  /** The decoded custom error in words, e.g. `this market has no job 12 (UnknownJob)`. */
  readonly reason: string;
  /** The custom error's name (`UnknownJob`), or null when the revert could not be decoded. */
  readonly errorName: string | null;

  constructor(label: string, reason: string, errorName: string | null, options?: ErrorOptions) {
    super(`The chain would refuse "${label}": ${reason}. Nothing was sent.`, options);
    this.name = 'TxRevertError';
    this.reason = reason;
    this.errorName = errorName;
  }
}

/** A row of market_txs is missing or damaged: following it can't go on without a person. */
export class TxStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TxStoreError';
  }
}

/** The node did not answer while the transaction was being prepared: nothing was signed. */
export class TxUnavailableError extends Error {
  constructor(label: string, cause: unknown) {
    super(
      `The chain did not answer${codeSuffix(cause)} while preparing "${label}"; nothing was signed or sent. Check that the node is reachable, then try again.`,
      { cause },
    );
    this.name = 'TxUnavailableError';
  }
}

const GWEI = 1_000_000_000n;
const MIN_BUMP_PERCENT = 10;
/** Gas headroom over the estimate: state can move a little between estimate and inclusion. */
const GAS_HEADROOM_PERCENT = 20n;
/** Tries with a fresh nonce when the node says the nonce was just taken by someone else. */
const NONCE_TRIES = 3;
/** How a pending record's error starts while the node does not answer. */
const OUTAGE = 'waiting for the chain to answer';

const TABLE = `
  CREATE TABLE IF NOT EXISTS market_txs (
    chain_key TEXT NOT NULL,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    from_address TEXT NOT NULL,
    to_address TEXT NOT NULL,
    data TEXT NOT NULL,
    value TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    tx_type INTEGER NOT NULL,
    hash TEXT NOT NULL,
    hashes TEXT NOT NULL,
    raw TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    max_fee_per_gas TEXT NOT NULL,
    max_priority_fee_per_gas TEXT NOT NULL,
    gas_limit TEXT NOT NULL,
    block_number INTEGER,
    block_hash TEXT,
    gas_used TEXT,
    effective_gas_price TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (chain_key, key)
  );
  CREATE INDEX IF NOT EXISTS market_txs_by_nonce ON market_txs (chain_key, from_address, nonce);
  CREATE INDEX IF NOT EXISTS market_txs_by_state ON market_txs (chain_key, state);
`;

const hex = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, 'hex bytes');
const hash32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte hash');
const uintText = z.string().regex(/^\d+$/, 'a non-negative integer');
const address = z.string().transform((value, ctx) => {
  try {
    return getAddress(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `${value} is not an address` });
    return z.NEVER;
  }
});

const intentSchema = z.object({
  key: z.string().min(1).max(200),
  to: address,
  data: hex,
  value: z.bigint().nonnegative().optional(),
  label: z.string().min(1).max(200),
});

const rowSchema = z.object({
  chain_key: z.string(),
  key: z.string(),
  label: z.string(),
  from_address: address,
  to_address: address,
  data: hex,
  value: uintText,
  nonce: z.number().int().nonnegative(),
  tx_type: z.union([z.literal(0), z.literal(2)]),
  hash: hash32,
  hashes: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'hashes is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(z.array(hash32).min(1)),
  raw: hex,
  state: z.enum(['pending', 'mined', 'reverted', 'failed']),
  attempts: z.number().int().nonnegative(),
  max_fee_per_gas: uintText,
  max_priority_fee_per_gas: uintText,
  gas_limit: uintText,
  block_number: z.number().int().nonnegative().nullable(),
  block_hash: hash32.nullable(),
  gas_used: uintText.nullable(),
  effective_gas_price: uintText.nullable(),
  error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
type Row = z.infer<typeof rowSchema>;

const receiptSchema = z.object({
  hash: hash32,
  blockNumber: z.number().int().nonnegative(),
  blockHash: hash32,
  status: z.union([z.literal(0), z.literal(1), z.null()]),
  gasUsed: z.bigint(),
  gasPrice: z.bigint(),
});
type Receipt = z.infer<typeof receiptSchema>;

const feeDataSchema = z.object({
  gasPrice: z.bigint().nullable(),
  maxFeePerGas: z.bigint().nullable(),
  maxPriorityFeePerGas: z.bigint().nullable(),
});
type FeeSuggestion = z.infer<typeof feeDataSchema>;

const countSchema = z.number().int().nonnegative();
const blockNumberSchema = z.number().int().nonnegative();

/** Fees of one signature: `gasPrice` for type 0, the EIP-1559 pair for type 2. */
export type TxFees =
  { type: 2; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { type: 0; gasPrice: bigint };

/** First fees from the node's suggestion, held under the cap (EIP-1559 where the node has it). */
export function initialFees(suggested: FeeSuggestion, cap: bigint): TxFees {
  if (suggested.maxFeePerGas !== null && suggested.maxPriorityFeePerGas !== null) {
    const maxFeePerGas = min(suggested.maxFeePerGas, cap);
    return {
      type: 2,
      maxFeePerGas,
      maxPriorityFeePerGas: min(suggested.maxPriorityFeePerGas, maxFeePerGas),
    };
  }
  if (suggested.gasPrice === null) throw new Error('the node suggested no gas price');
  return { type: 0, gasPrice: min(suggested.gasPrice, cap) };
}

/**
 * Fees for a replacement: `percent` over the last signature (nodes refuse less than 10 % more on
 * both fields) or the node's current suggestion if that is higher, held under the cap. Null when
 * even the minimal 10 % bump would pass the cap: then the manager waits with the fees it has.
 */
export function bumpedFees(
  last: TxFees,
  suggested: FeeSuggestion,
  percent: number,
  cap: bigint,
): TxFees | null {
  const pct = BigInt(Math.max(MIN_BUMP_PERCENT, Math.ceil(percent)));
  const raise = (v: bigint, by: bigint): bigint => (v * (100n + by) + 99n) / 100n;
  if (last.type === 2) {
    let maxFee = max(raise(last.maxFeePerGas, pct), suggested.maxFeePerGas ?? 0n);
    let tip = max(raise(last.maxPriorityFeePerGas, pct), suggested.maxPriorityFeePerGas ?? 0n);
    if (maxFee > cap) maxFee = cap;
    if (tip > maxFee) tip = maxFee;
    const minMaxFee = raise(last.maxFeePerGas, BigInt(MIN_BUMP_PERCENT));
    const minTip = raise(last.maxPriorityFeePerGas, BigInt(MIN_BUMP_PERCENT));
    if (maxFee < minMaxFee || tip < minTip) return null;
    return { type: 2, maxFeePerGas: maxFee, maxPriorityFeePerGas: tip };
  }
  let price = max(raise(last.gasPrice, pct), suggested.gasPrice ?? 0n);
  if (price > cap) price = cap;
  if (price < raise(last.gasPrice, BigInt(MIN_BUMP_PERCENT))) return null;
  return { type: 0, gasPrice: price };
}

/**
 * A transaction that went in, for the log and the Activity list: what it did in words, then the
 * hash support looks it up by ("claim job 1: done (transaction 0x…)"). The block number is in
 * the journal; it means nothing to the owner.
 */
export function doneLine(label: string, hash: string): string {
  return `${label}: done (transaction ${hash})`;
}

export function createTxManager(options: TxManagerOptions): TxManager {
  const { db, signer, chainKey } = options;
  const log = options.log ?? { info: () => {}, warn: () => {}, error: () => {} };
  const now = options.now ?? (() => new Date());
  const bumpAfterMs = options.bumpAfterMs ?? 15_000;
  const bumpPercent = Math.max(MIN_BUMP_PERCENT, options.bumpPercent ?? 20);
  const cap = options.maxFeePerGasCap ?? 500n * GWEI;
  const pollMs = options.pollMs ?? 500;
  const confirmations = Math.max(1, options.confirmations ?? 1);
  const inLane = options.lane ?? noLane;
  const provider = signer.provider;
  /** Keys dropped by a reorganisation in this process and not mined since. */
  const dropped = new Set<string>();
  const tell = (row: Row, change: 'dropped' | 'back'): void => {
    try {
      options.onReorganised?.(toRecord(row), change);
    } catch (error) {
      log.warn(`${row.label}: ${shortError(error)}`);
    }
  };
  if (provider === null) {
    throw new Error('The transaction manager needs a signer connected to a chain provider.');
  }

  db.exec(TABLE);
  const statements = {
    get: db.prepare('SELECT * FROM market_txs WHERE chain_key = ? AND key = ?'),
    pending: db.prepare(
      "SELECT * FROM market_txs WHERE chain_key = ? AND state = 'pending' ORDER BY nonce, rowid",
    ),
    list: db.prepare(
      'SELECT * FROM market_txs WHERE chain_key = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
    ),
    highestNonce: db.prepare(
      `SELECT MAX(nonce) AS nonce FROM market_txs
       WHERE chain_key = ? AND from_address = ? AND state IN ('pending', 'mined', 'reverted')`,
    ),
    upsert: db.prepare(
      `INSERT INTO market_txs (chain_key, key, label, from_address, to_address, data, value, nonce,
         tx_type, hash, hashes, raw, state, attempts, max_fee_per_gas, max_priority_fee_per_gas,
         gas_limit, block_number, block_hash, gas_used, effective_gas_price, error, created_at,
         updated_at)
       VALUES (:chain_key, :key, :label, :from_address, :to_address, :data, :value, :nonce,
         :tx_type, :hash, :hashes, :raw, :state, :attempts, :max_fee_per_gas,
         :max_priority_fee_per_gas, :gas_limit, :block_number, :block_hash, :gas_used,
         :effective_gas_price, :error, :created_at, :updated_at)
       ON CONFLICT (chain_key, key) DO UPDATE SET
         label = excluded.label, from_address = excluded.from_address,
         to_address = excluded.to_address, data = excluded.data, value = excluded.value,
         nonce = excluded.nonce, tx_type = excluded.tx_type, hash = excluded.hash,
         hashes = excluded.hashes, raw = excluded.raw, state = excluded.state,
         attempts = excluded.attempts, max_fee_per_gas = excluded.max_fee_per_gas,
         max_priority_fee_per_gas = excluded.max_priority_fee_per_gas,
         gas_limit = excluded.gas_limit, block_number = excluded.block_number,
         block_hash = excluded.block_hash, gas_used = excluded.gas_used,
         effective_gas_price = excluded.effective_gas_price, error = excluded.error,
         created_at = excluded.created_at, updated_at = excluded.updated_at`,
    ),
  };

  const readRow = (key: string): Row | undefined => {
    const found = statements.get.get(chainKey, key);
    return found === undefined ? undefined : parseRow(found);
  };
  const parseRow = (found: unknown): Row => {
    const parsed = rowSchema.safeParse(found);
    if (!parsed.success) {
      throw new TxStoreError(
        `A stored market transaction is damaged (${z.prettifyError(parsed.error).replace(/\n/g, '; ')}). Its row in market_txs must be repaired or removed by hand.`,
      );
    }
    return parsed.data;
  };
  const writeRow = (row: Row): Row => {
    const stored = { ...row, updated_at: now().toISOString() };
    inTransaction(db, () => {
      statements.upsert.run({ ...stored, hashes: JSON.stringify(stored.hashes) });
    });
    return stored;
  };
  const update = (key: string, change: (row: Row) => Partial<Row>): Row => {
    // Read and write in one step: the caller's copy may be older than the stored row.
    const row = readRow(key);
    if (row === undefined)
      throw new TxStoreError(`The market transaction "${key}" is gone from market_txs.`);
    return writeRow({ ...row, ...change(row) });
  };

  let chainIdPromise: Promise<bigint> | undefined;
  const chainId = (): Promise<bigint> => {
    chainIdPromise ??= provider.getNetwork().then((network) => {
      const prefix = /^(\d+):/.exec(chainKey)?.[1];
      if (prefix !== undefined && BigInt(prefix) !== network.chainId) {
        throw new Error(
          `The signer's chain is ${network.chainId} but the market transactions are for chain ${prefix} (${chainKey}). Connect the signer to the market's chain.`,
        );
      }
      return network.chainId;
    });
    chainIdPromise.catch(() => {
      chainIdPromise = undefined;
    });
    return chainIdPromise;
  };

  const sign = async (row: Row, fees: TxFees): Promise<{ raw: string; hash: string }> => {
    const request: TransactionRequest = {
      chainId: await chainId(),
      nonce: row.nonce,
      to: row.to_address,
      data: row.data,
      value: BigInt(row.value),
      gasLimit: BigInt(row.gas_limit),
      ...(fees.type === 2
        ? {
            type: 2,
            maxFeePerGas: fees.maxFeePerGas,
            maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
          }
        : { type: 0, gasPrice: fees.gasPrice }),
    };
    const raw = await signer.signTransaction(request);
    return { raw, hash: keccak256(raw) };
  };

  // In this process: when the node last took the current signature (a bump is due bumpAfterMs
  // later; absent: the stored bytes still have to reach it), and when it last refused them (asked
  // again only bumpAfterMs later, so a refusal is not repeated every poll).
  const acceptedAt = new Map<string, number>();
  const refusedAt = new Map<string, number>();
  const warnedCap = new Set<string>();

  type Broadcast = { ok: true } | { ok: false; unreachable: boolean; error: unknown };
  const broadcast = async (row: Row): Promise<Broadcast> => {
    update(row.key, (r) => ({ attempts: r.attempts + 1 }));
    try {
      await provider.broadcastTransaction(row.raw);
    } catch (error) {
      // The node already holds these bytes: as good as taking them now.
      if (!/known transaction|already ?known/i.test(errorText(error))) {
        return { ok: false, unreachable: isUnreachable(error), error };
      }
    }
    acceptedAt.set(row.key, Date.now());
    refusedAt.delete(row.key);
    return { ok: true };
  };

  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const prepareAndSign = async (intent: z.infer<typeof intentSchema>): Promise<Row> => {
    const value = intent.value ?? 0n;
    let from: string;
    let nonce: number;
    let gasLimit: bigint;
    let fees: TxFees;
    try {
      from = getAddress(await signer.getAddress());
      await chainId();
      try {
        const estimate = await provider.estimateGas({
          from,
          to: intent.to,
          data: intent.data,
          value,
        });
        gasLimit = (estimate * (100n + GAS_HEADROOM_PERCENT)) / 100n;
      } catch (error) {
        if (isUnreachable(error)) throw error;
        const revert = describeRevert(revertData(error));
        throw new TxRevertError(
          intent.label,
          revert?.words ?? `it reverts (${shortError(error)})`,
          revert?.name ?? null,
          { cause: error },
        );
      }
      const [suggested, chainNonce] = await Promise.all([
        provider.getFeeData().then((data) => feeDataSchema.parse(data)),
        provider.getTransactionCount(from, 'pending').then((n) => countSchema.parse(n)),
      ]);
      fees = initialFees(suggested, cap);
      const stored = z
        .object({ nonce: z.number().int().nonnegative().nullable() })
        .parse(statements.highestNonce.get(chainKey, from));
      nonce = Math.max(chainNonce, stored.nonce === null ? 0 : stored.nonce + 1);
    } catch (error) {
      if (error instanceof TxRevertError) throw error;
      if (isUnreachable(error)) throw new TxUnavailableError(intent.label, error);
      throw error;
    }
    const at = now().toISOString();
    const draft: Row = {
      chain_key: chainKey,
      key: intent.key,
      label: intent.label,
      from_address: from,
      to_address: intent.to,
      data: intent.data,
      value: value.toString(),
      nonce,
      tx_type: fees.type,
      hash: '',
      hashes: [],
      raw: '',
      state: 'pending',
      attempts: 0,
      ...feeColumns(fees),
      gas_limit: gasLimit.toString(),
      block_number: null,
      block_hash: null,
      gas_used: null,
      effective_gas_price: null,
      error: null,
      created_at: at,
      updated_at: at,
    };
    const { raw, hash } = await sign(draft, fees);
    return writeRow({ ...draft, raw, hash, hashes: [hash] });
  };

  const send = (input: TxIntent): Promise<TxRecord> => {
    const parsed = intentSchema.safeParse(input);
    if (!parsed.success) {
      return Promise.reject(
        new Error(`Not a transaction to send: ${z.prettifyError(parsed.error)}`),
      );
    }
    const intent = parsed.data;
    return serially(async () => {
      for (let attempt = 1; ; attempt++) {
        const existing = readRow(intent.key);
        if (existing !== undefined && existing.state !== 'failed') return toRecord(existing);
        // The nonce is read and the signed bytes handed over in the address's lane: the wallet's
        // own sends and posted jobs take nonces from the same address.
        const { row, sent } = await inLane(async () => {
          const row = await prepareAndSign(intent);
          // Signing and handing over are steps on the way: the log file keeps them (debug); the
          // Activity list shows what came of the transaction (mined, or why not).
          log.debug?.(`${row.label}: signed tx ${row.hash} (nonce ${row.nonce}, ${intent.key})`);
          return { row, sent: await broadcast(row) };
        });
        if (sent.ok) return toRecord(readRow(intent.key) ?? row);
        if (sent.unreachable) {
          const held = update(intent.key, () => ({
            error: `${OUTAGE}${codeSuffix(sent.error)}; it will be sent again`,
          }));
          log.warn(
            `${row.label}: stored tx ${row.hash} but the chain did not answer${codeSuffix(sent.error)}; it will be sent again`,
          );
          return toRecord(held);
        }
        // A development node (Hardhat) mines a transaction that reverts and answers the send
        // with an error: its receipt says what really happened, and why.
        const minedAnyway = await receiptOf(row).catch(() => null);
        if (minedAnyway !== null) return toRecord(await recordReceipt(row, minedAnyway));
        const nonceTaken = nonceConflict(sent.error);
        const failed = update(intent.key, () => ({
          state: 'failed',
          error: refusedWords(sent.error),
        }));
        if (nonceTaken && attempt < NONCE_TRIES) {
          log.warn(
            `${row.label}: nonce ${row.nonce} was just taken by another transaction from ${row.from_address}; signing again with the next one`,
          );
          continue;
        }
        log.error(`${row.label}: ${failed.error ?? 'refused'}`);
        return toRecord(failed);
      }
    });
  };

  const receiptOf = async (row: Row): Promise<Receipt | null> => {
    // Newest first: a bump is the likeliest to be mined.
    for (const hash of [...row.hashes].reverse()) {
      const found = await provider.getTransactionReceipt(hash);
      if (found !== null) return receiptSchema.parse(found);
    }
    return null;
  };

  const recordReceipt = async (row: Row, receipt: Receipt): Promise<Row> => {
    const sameBlock = row.block_hash === receipt.blockHash && row.hash === receipt.hash;
    if (row.state !== 'pending' && sameBlock) return row;
    const reverted = receipt.status === 0;
    const error = reverted ? await revertReason(row, receipt) : null;
    const stored = update(row.key, () => ({
      state: reverted ? 'reverted' : 'mined',
      hash: receipt.hash,
      block_number: receipt.blockNumber,
      block_hash: receipt.blockHash,
      gas_used: receipt.gasUsed.toString(),
      effective_gas_price: receipt.gasPrice.toString(),
      error,
    }));
    if (reverted) log.error(`${row.label}: ${error ?? 'reverted'}`);
    else log.info(doneLine(row.label, receipt.hash));
    if (dropped.delete(row.key) && !reverted) tell(stored, 'back');
    return stored;
  };

  const revertReason = async (row: Row, receipt: Receipt): Promise<string> => {
    // No block number: it means nothing to the owner (the journal keeps it, with the hash).
    const where = 'failed on the chain';
    if (receipt.gasUsed >= BigInt(row.gas_limit)) {
      return `It ${where}: it ran out of gas (used all ${row.gas_limit}).`;
    }
    try {
      // Replaying on the block's state usually meets the condition that made it revert.
      await provider.call({
        from: row.from_address,
        to: row.to_address,
        data: row.data,
        value: BigInt(row.value),
        blockTag: receipt.blockNumber,
      });
    } catch (error) {
      if (isUnreachable(error)) throw error;
      const revert = describeRevert(revertData(error));
      if (revert !== undefined) return `It ${where}: ${revert.words}.`;
    }
    return `It ${where}; the chain gave no reason.`;
  };

  /** One look at the chain. Returns the row when wait() is done with it. */
  const step = async (key: string): Promise<Row | null> => {
    let row = readRow(key);
    if (row === undefined)
      throw new TxStoreError(`The market transaction "${key}" is gone from market_txs.`);
    if (row.state === 'failed') return row;

    const receipt = await receiptOf(row);
    if (receipt !== null) {
      row = await recordReceipt(row, receipt);
      if (confirmations === 1) return row;
      const head = blockNumberSchema.parse(await provider.getBlockNumber());
      return head - receipt.blockNumber + 1 >= confirmations ? row : null;
    }

    if (row.state !== 'pending') {
      log.warn(
        `${row.label}: transaction ${row.hash} was dropped when the chain replaced its latest blocks; sending it again`,
      );
      row = update(key, () => ({
        state: 'pending',
        block_number: null,
        block_hash: null,
        gas_used: null,
        effective_gas_price: null,
        error: null,
      }));
      acceptedAt.delete(key);
      dropped.add(key);
      tell(row, 'dropped');
    }

    const used = countSchema.parse(await provider.getTransactionCount(row.from_address, 'latest'));
    if (used > row.nonce) {
      // Mined between the two questions? Ask for the receipts once more before giving up.
      const late = await receiptOf(row);
      if (late !== null) return null;
      const failed = update(key, () => ({
        state: 'failed',
        error: `Nonce ${row?.nonce} of ${row?.from_address} was used by a transaction that is not one of ours, so this one can never be mined; "${row?.label}" was not carried out. Send it again if it is still wanted.`,
      }));
      log.error(`${failed.label}: ${failed.error ?? 'nonce taken'}`);
      return failed;
    }

    const since = acceptedAt.get(key);
    if (since === undefined) {
      const refused = refusedAt.get(key);
      if (refused !== undefined && Date.now() - refused < bumpAfterMs) return null;
      // Not known to be at the node in this process (restart, outage, reorg): the same bytes again.
      await rebroadcast(row);
      return null;
    }
    if (Date.now() - since >= bumpAfterMs) await bump(row);
    return null;
  };

  const rebroadcast = async (row: Row): Promise<void> => {
    const sent = await broadcast(row);
    if (sent.ok) {
      if (row.error !== null) update(row.key, () => ({ error: null }));
      log.debug?.(`${row.label}: tx ${row.hash} handed to the node (nonce ${row.nonce})`);
      return;
    }
    if (sent.unreachable) throw sent.error;
    refusedAt.set(row.key, Date.now());
    // Nonce too low means mined or taken: the next look at the receipts and the nonce tells which.
    // Underpriced means the node holds another signature for the nonce: the next bump outbids it.
    if (nonceConflict(sent.error)) acceptedAt.set(row.key, Date.now());
    else holdUp(row, refusedWords(sent.error));
  };

  const bump = async (row: Row): Promise<void> => {
    const signerAddress = getAddress(await signer.getAddress());
    const last = feesOf(row);
    const next =
      signerAddress === row.from_address
        ? bumpedFees(last, feeDataSchema.parse(await provider.getFeeData()), bumpPercent, cap)
        : null;
    if (next === null) {
      if (!warnedCap.has(row.key)) {
        warnedCap.add(row.key);
        log.warn(
          signerAddress === row.from_address
            ? `${row.label}: not mined yet, but a higher fee would pass the cap of ${cap} wei per gas; waiting with the current one`
            : `${row.label}: not mined yet and signed by ${row.from_address}, not the current wallet; it can only be sent again as it is`,
        );
      }
      await rebroadcast(row);
      return;
    }
    const { raw, hash } = await sign(row, next);
    // Stored before it is broadcast: after a crash the new hash must still be recognised.
    const bumped = update(row.key, (r) => ({
      raw,
      hash,
      hashes: [...r.hashes, hash],
      tx_type: next.type,
      ...feeColumns(next),
    }));
    acceptedAt.delete(row.key);
    log.info(
      `${row.label}: not mined after ${bumpAfterMs} ms; replaced by tx ${hash} with higher fees (${describeFees(next)})`,
    );
    await rebroadcast(bumped);
  };

  const holdUp = (row: Row, words: string): void => {
    if (row.error !== words) {
      update(row.key, () => ({ error: words }));
      log.warn(`${row.label}: ${words}`);
    }
  };

  const follow = async (key: string, signal: AbortSignal): Promise<TxRecord> => {
    let failures = 0;
    for (;;) {
      signal.throwIfAborted();
      let done: Row | null;
      try {
        done = await step(key);
        if (failures > 0) {
          log.info(`the chain answers again; following ${key}`);
          const row = readRow(key);
          if (row?.state === 'pending' && row.error?.startsWith(OUTAGE) === true) {
            update(key, () => ({ error: null }));
          }
        }
        failures = 0;
      } catch (error) {
        if (error instanceof TxStoreError) throw error;
        // The node may have lost its pool while it was away: hand it the bytes again once back.
        if (isUnreachable(error)) acceptedAt.delete(key);
        if (failures === 0) {
          const row = readRow(key);
          const words = isUnreachable(error)
            ? `${OUTAGE}${codeSuffix(error)}`
            : `the chain answered with an error (${shortError(error)}); trying again`;
          if (row !== undefined && row.state === 'pending') holdUp(row, words);
          else log.warn(`${key}: ${words}`);
        }
        failures++;
        // A node that doesn't answer is asked less often, up to ten polls apart.
        await sleep(Math.min(pollMs * 2 ** failures, pollMs * 10), signal);
        continue;
      }
      if (done !== null) return toRecord(done);
      await sleep(pollMs, signal);
    }
  };

  // One follower per key however many wait() on it, so a fee bump happens once; it stops when the
  // last waiter leaves.
  const followers = new Map<
    string,
    { promise: Promise<TxRecord>; waiters: number; stop: AbortController }
  >();
  const wait = (key: string, signal?: AbortSignal): Promise<TxRecord> => {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    try {
      if (readRow(key) === undefined) {
        return Promise.reject(new Error(`There is no market transaction "${key}" to wait for.`));
      }
    } catch (error) {
      return Promise.reject(error);
    }
    let follower = followers.get(key);
    // One that is stopping (its last waiter left) can't be joined: it is about to give up.
    if (follower === undefined || follower.stop.signal.aborted) {
      const stop = new AbortController();
      const promise = follow(key, stop.signal);
      const entry = { promise, waiters: 0, stop };
      follower = entry;
      followers.set(key, entry);
      promise
        .finally(() => {
          if (followers.get(key) === entry) followers.delete(key);
        })
        .catch(() => undefined);
    }
    const current = follower;
    current.waiters++;
    return new Promise<TxRecord>((resolve, reject) => {
      let left = false;
      const leave = (): void => {
        if (left) return;
        left = true;
        signal?.removeEventListener('abort', onAbort);
        current.waiters--;
        if (current.waiters === 0) current.stop.abort(new Error('no one waits any more'));
      };
      const onAbort = (): void => {
        leave();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      current.promise.then(
        (record) => {
          leave();
          resolve(record);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  };

  return {
    send,
    wait,
    async execute(intent, signal) {
      const record = await send(intent);
      return wait(record.key, signal);
    },
    pending: () => statements.pending.all(chainKey).map((r) => toRecord(parseRow(r))),
    get(key) {
      const row = readRow(key);
      return row === undefined ? undefined : toRecord(row);
    },
    list: (limit = 100) =>
      statements.list
        .all(chainKey, Math.max(0, Math.floor(limit)))
        .map((r) => toRecord(parseRow(r))),
  };
}

function toRecord(row: Row): TxRecord {
  return {
    key: row.key,
    label: row.label,
    chainKey: row.chain_key,
    from: row.from_address,
    to: row.to_address,
    nonce: row.nonce,
    hash: row.hash,
    hashes: [...row.hashes],
    state: row.state,
    attempts: row.attempts,
    maxFeePerGas: row.max_fee_per_gas,
    maxPriorityFeePerGas: row.max_priority_fee_per_gas,
    gasLimit: row.gas_limit,
    ...(row.block_number === null ? {} : { blockNumber: row.block_number }),
    ...(row.block_hash === null ? {} : { blockHash: row.block_hash }),
    ...(row.gas_used === null ? {} : { gasUsed: row.gas_used }),
    ...(row.effective_gas_price === null ? {} : { effectiveGasPrice: row.effective_gas_price }),
    ...(row.error === null ? {} : { error: row.error }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function feeColumns(fees: TxFees): Pick<Row, 'max_fee_per_gas' | 'max_priority_fee_per_gas'> {
  return fees.type === 2
    ? {
        max_fee_per_gas: fees.maxFeePerGas.toString(),
        max_priority_fee_per_gas: fees.maxPriorityFeePerGas.toString(),
      }
    : {
        max_fee_per_gas: fees.gasPrice.toString(),
        max_priority_fee_per_gas: fees.gasPrice.toString(),
      };
}

function feesOf(row: Row): TxFees {
  return row.tx_type === 2
    ? {
        type: 2,
        maxFeePerGas: BigInt(row.max_fee_per_gas),
        maxPriorityFeePerGas: BigInt(row.max_priority_fee_per_gas),
      }
    : { type: 0, gasPrice: BigInt(row.max_fee_per_gas) };
}

function describeFees(fees: TxFees): string {
  return fees.type === 2
    ? `max ${fees.maxFeePerGas} wei per gas, tip ${fees.maxPriorityFeePerGas}`
    : `${fees.gasPrice} wei per gas`;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function codeSuffix(error: unknown): string {
  for (let e: unknown = error, depth = 0; e !== null && e !== undefined && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return ` (${code})`;
    e = (e as { cause?: unknown }).cause ?? (e as { error?: unknown }).error;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}

function errorText(error: unknown): string {
  const e = error as { message?: unknown; info?: unknown } | null;
  let info = '';
  try {
    info = JSON.stringify(e?.info ?? null);
  } catch {
    // Info holding a bigint or a cycle adds nothing worth the trouble.
  }
  return `${String(e?.message ?? error)} ${info}`;
}

function shortError(error: unknown): string {
  const short = (error as { shortMessage?: unknown } | null)?.shortMessage;
  const text = typeof short === 'string' ? short : String((error as Error)?.message ?? error);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function nonceConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'NONCE_EXPIRED' ||
    code === 'REPLACEMENT_UNDERPRICED' ||
    /nonce too low|nonce has already been used/i.test(errorText(error))
  );
}

function refusedWords(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const text = errorText(error);
  if (
    code === 'INSUFFICIENT_FUNDS' ||
    (!/revert/i.test(text) && /insufficient funds|enough funds/i.test(text))
  ) {
    return 'The wallet cannot pay the fee for this transaction: add coin for gas to it, then send it again.';
  }
  if (nonceConflict(error)) {
    return 'Another transaction from this wallet took the same nonce; send it again.';
  }
  return `The chain refused the transaction: ${shortError(error)}.`;
}
