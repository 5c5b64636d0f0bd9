/**
 * A market session: one wallet on one deployment (chain, market, node). It holds what the other
 * parts work through: the work signer, the payment token, the lease journal, the transaction
 * manager and the event follower. A change of any of them makes a new session (`sessionKey`).
 * Also here: the lease moves and notes every part records through, so each reaches the log and
 * the UI the same way.
 */
import type { DatabaseSync } from 'node:sqlite';
import { getAddress } from 'ethers';
import type { TokenMeta, TokenMetaCache } from '../wallet/chain.ts';
import type { WalletNetwork } from '../wallet/network.ts';
import { laneOf } from '../wallet/send-lanes.ts';
import type { WalletService } from '../wallet/service.ts';
import { devNodeChains } from '../wallet/schema.ts';
import type { WalletSigner } from '../wallet/work-signer.ts';
import { chainKeyOf } from './chain-key.ts';
import { createFollower, type Follower, type MarketEvent } from './follower.ts';
import { messageOf } from './format.ts';
import { openLeaseStore, type LeasePatch, type LeaseStore } from './leases.ts';
import type { LeaseRecord, LeaseState, MarketJob } from './schema.ts';
import type { MarketLog, MarketServiceOptions } from './service-options.ts';
import { createTxManager, type TxManager, type TxRecord } from './tx-manager.ts';

export interface Session {
  key: string;
  net: WalletNetwork;
  chainKey: string;
  address: string;
  signer: WalletSigner;
  meta: TokenMeta;
  leases: LeaseStore;
  tx: TxManager;
  follower: Follower;
  docs: Map<string, MarketJob>;
  /** Leases whose local job is being waited for. */
  waiting: Set<string>;
  /** Per job: the facts behind the last "skipped", so it is decided again only when they change. */
  lastFacts: Map<string, string>;
  /**
   * When a job skipped because its requester's server did not answer is decided again though
   * none of the facts above changed, with the wait so far: it doubles from 5 s to a minute.
   */
  retries: Map<string, { at: number; delayMs: number }>;
  local: boolean;
}

/** The session for this network and wallet: a new key means a new session. */
export function sessionKey(net: WalletNetwork, address: string): string {
  return `${net.chainId}:${net.marketAddress.toLowerCase()}:${net.rpcUrl ?? ''}:${address.toLowerCase()}`;
}

/** Why the wallet cannot sign market work now, in words that say what to do; null when it can. */
export async function signingProblem(wallet: WalletService): Promise<string | null> {
  const status = await wallet.status();
  if (status.state === 'none' || status.state === 'pending')
    return 'there is no wallet yet: create or import one (Wallet page, or `roost wallet create`) to take market jobs';
  if (status.state === 'damaged')
    return 'the wallet file is damaged: restore it from a backup (Wallet page)';
  if (!status.workSigning)
    return 'the wallet is locked: unlock it (Wallet page, or `roost wallet unlock`) so Roost can sign claims and results';
  return null;
}

function isLoopback(url: string | null): boolean {
  return url !== null && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url);
}

export interface OpenSessionOptions {
  options: Pick<MarketServiceOptions, 'wallet' | 'confirmations' | 'pollMs' | 'tx' | 'sendLanes'>;
  log: MarketLog;
  now: () => Date;
  /** The market's database, opened on first use. */
  database: () => DatabaseSync;
  tokenMeta: TokenMetaCache;
  /** What the session's follower reports to. */
  onEvents(s: Session, events: MarketEvent[]): Promise<void>;
  onReorg(s: Session, fromBlock: number): Promise<void>;
  /** One of the session's transactions found gone from the chain, or mined again after. */
  onTxReorganised(s: Session, record: TxRecord, change: 'dropped' | 'back'): void;
  onProblem(s: Session, text: string | null): void;
}

/** Opens the parts of a session; its follower is made but not started. */
export async function openSession(
  o: OpenSessionOptions,
  net: WalletNetwork,
  key: string,
  address: string,
): Promise<Session> {
  const { options, log, now } = o;
  const chainKey = await chainKeyOf(net.provider, net.chainId, net.marketAddress, net.deployBlock);
  const signer = await options.wallet.workSigner(net.provider);
  const meta = await o.tokenMeta.get(net);
  const local = net.name === 'local';
  const leases = openLeaseStore(o.database(), chainKey, {
    now,
    onBadRow: (jobId, error) =>
      log.error(`market job ${jobId} in the journal could not be read: ${messageOf(error)}`),
  });
  const tx = createTxManager({
    db: o.database(),
    signer,
    chainKey,
    log,
    now,
    ...(options.sendLanes
      ? {
          lane: laneOf(options.sendLanes, {
            chainId: net.chainId,
            rpcUrl: net.rpcUrl,
            address: await signer.getAddress(),
          }),
        }
      : {}),
    ...(options.tx?.bumpAfterMs !== undefined ? { bumpAfterMs: options.tx.bumpAfterMs } : {}),
    ...(options.tx?.pollMs !== undefined ? { pollMs: options.tx.pollMs } : {}),
    onReorganised: (record, change) => o.onTxReorganised(s, record, change),
  });
  const s: Session = {
    key,
    net,
    chainKey,
    address: getAddress(address),
    signer,
    meta,
    leases,
    tx,
    follower: undefined as unknown as Follower,
    docs: new Map(),
    waiting: new Set(),
    lastFacts: new Map(),
    retries: new Map(),
    local,
  };
  s.follower = createFollower({
    db: o.database(),
    provider: net.provider,
    marketAddress: net.marketAddress,
    chainKey,
    fromBlock: net.deployBlock,
    // A development node (the built-in devnet, a lab's Hardhat or Anvil) reorganises nothing and
    // makes a block only with a transaction: waiting for 2 more would wait for ever.
    confirmations: options.confirmations ?? (local || devNodeChains.has(net.chainId) ? 0 : 2),
    pollMs: options.pollMs ?? (isLoopback(net.rpcUrl) ? 200 : 2000),
    onEvents: (events) => o.onEvents(s, events),
    onReorg: (fromBlock) => o.onReorg(s, fromBlock),
    onProblem: (text) => o.onProblem(s, text),
    log,
  });
  return s;
}

/**
 * A lease's move in the log: its new state, then why, the state said once ("paid 2.97 rUSD",
 * not "paid — paid 2.97 rUSD").
 */
export function leaseLine(to: string, message: string): string {
  if (!message) return to;
  return message === to || message.startsWith(`${to} `) || message.startsWith(`${to}:`)
    ? message
    : `${to} — ${message}`;
}

/**
 * A claim that went in: the lease's slot, which support matches with the requester's side, but no
 * block number ("market job 1: claimed (lease 0)"); the claim's transaction has its own line.
 */
export function claimedLine(slot: number): string {
  return `claimed (lease ${slot})`;
}

/** Lease moves and notes, each also written to the log and handed to the UI (`onLease`). */
export interface LeaseRecorder {
  /** Moves the lease if it is in one of `from`; the moved record, or undefined when it was not. */
  move(
    s: Session,
    jobId: string,
    from: readonly LeaseState[],
    to: LeaseState,
    patch: LeasePatch,
    message: string,
  ): LeaseRecord | undefined;
  /** A line in the lease's history (and the log) without a change of state. */
  note(s: Session, jobId: string, message: string): void;
}

export function createLeaseRecorder(
  log: MarketLog,
  options: Pick<MarketServiceOptions, 'onLease'>,
): LeaseRecorder {
  return {
    move(s, jobId, from, to, patch, message) {
      const moved = s.leases.move(jobId, from, to, patch, message);
      if (moved) {
        log.info(`market job ${jobId}: ${leaseLine(to, message)}`);
        options.onLease?.(moved);
      }
      return moved;
    },
    note(s, jobId, message) {
      const noted = s.leases.note(jobId, message);
      log.info(`market job ${jobId}: ${message}`);
      if (noted) options.onLease?.(noted);
    },
  };
}
