/**
 * The wallet the agent hosts: what `wallet.*`, `roost wallet ...` and the Wallet page call.
 *
 * - The key lives encrypted in `<data dir>/wallet/keystore.json`; in memory only while unlocked,
 *   inside this process. Callers get addresses, amounts and decoded summaries; the one exception
 *   is `create`, which shows the new recovery phrase once.
 * - `create` waits for the user to give back three words of the phrase before the wallet exists.
 * - Sending and withdrawing are two steps: `prepare*` checks and decodes (to, amount, fee,
 *   warnings) under an id; `confirm(id)` sends exactly that, once, within a few minutes.
 * - Unlocked, the wallet locks itself after `autoLockMs` without a user action (injected clock).
 *   The agent's own signing (receipts, reports, market transactions) may go on after that
 *   automatic lock, so earning doesn't stop; an explicit `lock()` ends it too.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { HDNodeWallet, Mnemonic, Wallet, defaultPath, keccak256 } from 'ethers';
import type { Provider, TransactionRequest } from 'ethers';
import { connectJobMarket, jobMarketInterface } from '../../contracts/bindings/job-market.ts';
import {
  connectRoostTestToken,
  roostTestTokenInterface,
} from '../../contracts/bindings/roost-test-token.ts';
import { assetAmount, formatUnitsExact, parseAmount, parseRecipient } from './amount.ts';
import { TokenMetaCache, chainCall, chainFailure, readBalances, readHistory } from './chain.ts';
import type { TokenMeta } from './chain.ts';
import { WalletError } from './errors.ts';
import {
  decryptWallet,
  encryptWallet,
  inspectKeystore,
  isWeakerScrypt,
  keepReplacedKeystore,
  keystorePath,
  keystoreScrypt,
  readKeystoreFile,
  writeKeystoreFile,
} from './keystore.ts';
import type { KeyWallet, ScryptParams, StoredKeystore } from './keystore.ts';
import { stderrWalletLog } from './log.ts';
import type { WalletLog } from './log.ts';
import { parseMnemonic, pickConfirmationPositions, wrongConfirmationWords } from './mnemonic.ts';
import { networkInfo } from './network.ts';
import type { NetworkSource, WalletNetwork } from './network.ts';
import type {
  PreparedTransfer,
  SentTransaction,
  WalletBackup,
  WalletBalance,
  WalletCreateResult,
  WalletEvent,
  WalletHistory,
  WalletImportParams,
  WalletNetworkInfo,
  WalletStatus,
  WalletWarning,
} from './schema.ts';
import { sentWords } from './schema.ts';
import { WalletSigner } from './work-signer.ts';
import { noLanes, type SendLanes } from './send-lanes.ts';

export interface WalletTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: WalletTimers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref(); // the wallet's timers never keep a process alive
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface WalletServiceOptions {
  dataDir: string;
  /** The chain and market (see network.ts); without it, chain methods say NETWORK_UNAVAILABLE. */
  network?: NetworkSource;
  /** Pass the agent's `logger.child('wallet')`. */
  log?: WalletLog;
  /** Epoch milliseconds. */
  now?: () => number;
  timers?: WalletTimers;
  /** Idle time before the unlocked wallet locks itself; null: never. Default 15 minutes. */
  autoLockMs?: number | null;
  /**
   * scrypt cost for keystores this service writes. Tests only: anything lighter than
   * PRODUCTION_SCRYPT is refused outside a test runner.
   */
  scrypt?: ScryptParams;
  /** How long a prepared send or withdrawal can be confirmed (default 5 minutes). */
  preparedTtlMs?: number;
  /** How long a created wallet waits for its phrase check (default 30 minutes). */
  creationTtlMs?: number;
  /** Receives `wallet.changed`, `wallet.locked` and `wallet.transaction`. */
  onEvent?: (event: WalletEvent) => void;
  /** How often a sent transaction's receipt is polled (default 1 s), and for how long (1 h). */
  receiptPollMs?: number;
  receiptWatchMs?: number;
  /** How long `confirm({ wait: true })` waits for the receipt (default 2 minutes). */
  confirmWaitMs?: number;
  /**
   * The agent's send lanes, shared with its other senders on the wallet's address (the market's
   * transaction manager, posted jobs): the next nonce is the node's pending count read inside the
   * lane. Default: no lane.
   */
  sendLanes?: SendLanes;
  /** Blocks per eth_getLogs request when rebuilding history (default 10,000). */
  historyChunkBlocks?: number;
}

export interface WalletService {
  /** `wallet.status`. Never throws; a damaged keystore shows as state `damaged`. */
  status(): Promise<WalletStatus>;
  /** `wallet.create`: a new wallet and its recovery phrase (the only time it is shown). */
  create(params: {
    password: string;
    wordCount?: 12 | 24;
    replace?: boolean;
  }): Promise<WalletCreateResult>;
  /** `wallet.confirmCreate`: the asked words; on success the wallet is saved and unlocked. */
  confirmCreate(params: {
    creationId: string;
    words: { position: number; word: string }[];
  }): Promise<WalletStatus>;
  /** `wallet.import`: from a phrase, a private key or a keystore backup; saved and unlocked. */
  importWallet(params: WalletImportParams): Promise<WalletStatus>;
  /** `wallet.unlock`. `workSigning` (default true): keep signing work after an automatic lock. */
  unlock(params: { password: string; workSigning?: boolean }): Promise<WalletStatus>;
  /** `wallet.lock`. Ends work signing too unless `keepWorkSigning`. */
  lock(params?: { keepWorkSigning?: boolean }): Promise<WalletStatus>;
  /** `wallet.changePassword`: needs the old password, not an unlocked wallet. */
  changePassword(params: { oldPassword: string; newPassword: string }): Promise<WalletStatus>;
  /** `wallet.exportBackup`: the encrypted keystore; the password is needed when locked. */
  exportBackup(params?: { password?: string }): Promise<WalletBackup>;
  /** `wallet.balance`: works locked. */
  balance(): Promise<WalletBalance>;
  /** `wallet.prepareSend`: checks and prices a send; nothing is signed. */
  prepareSend(params: {
    to: string;
    amount: string;
    asset?: 'token' | 'native';
  }): Promise<PreparedTransfer>;
  /** `wallet.prepareWithdraw`: the market balance (default all) back to this wallet. */
  prepareWithdraw(params?: { amount?: string }): Promise<PreparedTransfer>;
  /** `wallet.confirm`: sends exactly what was prepared, once. */
  confirm(params: { id: string; password?: string; wait?: boolean }): Promise<SentTransaction>;
  /** `wallet.history`: from chain events, newest first. */
  history(params?: { limit?: number }): Promise<WalletHistory>;
  /**
   * The network the wallet talks to (whether its tokens are test money, for the earnings), with
   * no wallet needed; throws NETWORK_UNAVAILABLE when there is none.
   */
  network(): Promise<WalletNetworkInfo>;
  /**
   * The wallet key as the agent's signer (ProviderSigner for receipts and reports, ethers Signer
   * for market transactions). Its signatures fail with WALLET_LOCKED while the key is not held.
   */
  workSigner(provider?: Provider | null): Promise<WalletSigner>;
  /**
   * The key for one action the user asked for (`what`, as "deploy a market"): the unlocked key,
   * or the keystore opened with `password` for this action only (the wallet stays locked).
   * WALLET_LOCKED without either; a wrong password is WALLET_WRONG_PASSWORD and is never quoted.
   * The key never leaves the agent: callers sign with it in this process.
   */
  userKey(password: string | undefined, what: string): Promise<KeyWallet>;
  /** Change the auto-lock delay (a settings change); null: never. */
  setAutoLock(ms: number | null): void;
  /** Forget the key, stop timers and receipt watches. */
  close(): Promise<void>;
}

interface Hold {
  wallet: KeyWallet;
  /** The user may send, withdraw, export (until auto-lock). */
  spending: boolean;
  /** The agent may sign its own work after an automatic lock. */
  workSigning: boolean;
}

interface PendingCreation {
  id: string;
  wallet: HDNodeWallet;
  keystore: string;
  positions: number[];
  expiresAt: number;
  replace: boolean;
}

interface PreparedEntry {
  summary: PreparedTransfer;
  chainId: number;
  marketAddress: string;
  tokenAddress: string;
  expiresAt: number;
  tx: {
    to: string;
    data: string;
    value: bigint;
    gasLimit: bigint;
    fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { gasPrice: bigint };
  };
  meta: TokenMeta;
}

const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;
const MAX_BACKUP_CHARS = 64 * 1024;
/** Gas when the node can't estimate because the wallet can't pay for gas: typical costs. */
const FALLBACK_GAS = { native: 21_000n, transfer: 65_000n, withdraw: 80_000n };
const RETIRED_IDS_KEPT = 1000;
type Retired = 'used' | 'expired' | 'refused' | 'uncertain';

function checkNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD) {
    throw new WalletError(
      'WALLET_WEAK_PASSWORD',
      `Choose a password of at least ${MIN_PASSWORD} characters: it is all that protects the wallet file.`,
    );
  }
  if (password.length > MAX_PASSWORD) {
    throw new WalletError(
      'WALLET_WEAK_PASSWORD',
      `Choose a password of at most ${MAX_PASSWORD} characters.`,
    );
  }
}

function checkGivenPassword(password: string): void {
  if (password.length === 0)
    throw new WalletError('WALLET_WRONG_PASSWORD', 'Enter the wallet password.');
  if (password.length > MAX_PASSWORD) {
    throw new WalletError('WALLET_WRONG_PASSWORD', 'That password does not open the wallet.');
  }
}

/** A bare private key as typed: 64 hex digits, 0x optional. */
export function parsePrivateKey(text: string): Wallet {
  const trimmed = text.trim();
  const body = /^0x/i.test(trimmed) ? trimmed.slice(2) : trimmed;
  const form = 'A private key is 64 hexadecimal characters (0-9, a-f), optionally after 0x';
  if (!/^[0-9a-fA-F]*$/.test(body)) {
    throw new WalletError(
      'WALLET_INVALID_PRIVATE_KEY',
      `${form}; this one has other characters (a recovery phrase goes in the phrase field).`,
    );
  }
  if (body.length !== 64) {
    throw new WalletError('WALLET_INVALID_PRIVATE_KEY', `${form}; this one has ${body.length}.`);
  }
  try {
    return new Wallet(`0x${body}`);
  } catch {
    throw new WalletError(
      'WALLET_INVALID_PRIVATE_KEY',
      'This is not a usable private key: it is zero or larger than the curve allows.',
    );
  }
}

function okKeystore(text: string): Extract<StoredKeystore, { kind: 'ok' }> {
  const info = inspectKeystore(text);
  if ('problem' in info || info.address === undefined) {
    throw new Error('[wallet] made a keystore it cannot read back');
  }
  return { kind: 'ok', text, info: { ...info, address: info.address } };
}

export function createWalletService(options: WalletServiceOptions): WalletService {
  const log = options.log ?? stderrWalletLog;
  const now = options.now ?? (() => Date.now());
  const timers = options.timers ?? realTimers;
  const scrypt = keystoreScrypt(options.scrypt);
  const file = keystorePath(options.dataDir);
  const preparedTtl = options.preparedTtlMs ?? 5 * 60_000;
  const creationTtl = options.creationTtlMs ?? 30 * 60_000;
  const tokens = new TokenMetaCache();
  let autoLockMs = options.autoLockMs === undefined ? 15 * 60_000 : options.autoLockMs;

  let stored: StoredKeystore | undefined;
  let loading: Promise<void> | undefined;
  let hold: Hold | undefined;
  let lastActivity = 0;
  let lockTimer: unknown;
  let pending: PendingCreation | undefined;
  const prepared = new Map<string, PreparedEntry>();
  /** Ids that can't be confirmed any more, and why (sent, expired, refused, fate unknown). */
  const retired = new Map<string, { why: Retired; hash?: string }>();
  const watches = new Set<{ timer: unknown; stop: () => void }>();
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const iso = (ms: number) => new Date(ms).toISOString();

  const emit = (event: WalletEvent): void => {
    if (closed && event.event !== 'wallet.locked') return;
    try {
      options.onEvent?.(event);
    } catch (error) {
      log.warn(`an event listener failed: ${String(error)}`);
    }
  };

  /** One keystore change at a time: two imports racing must not interleave their writes. */
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  const load = (): Promise<void> => {
    loading ??= (async () => {
      stored = await readKeystoreFile(file, () =>
        log.warn(
          `the wallet file ${file} was readable by others; narrowed it to owner-only (0600)`,
        ),
      );
      if (stored?.kind === 'damaged')
        log.error(`the wallet file ${file} is damaged: ${stored.problem}; left as it is`);
      else if (stored?.kind === 'ok') log.info(`wallet ${stored.info.address} found (locked)`);
    })();
    return loading;
  };

  const damagedError = (problem: string) =>
    new WalletError(
      'WALLET_KEYSTORE_DAMAGED',
      `The wallet file ${file} is damaged (${problem}). It was left as it is. Import your keystore backup or your recovery phrase with "replace" to use the wallet again; the damaged file is kept aside.`,
    );

  /** The saved wallet, or WALLET_NONE / WALLET_KEYSTORE_DAMAGED. */
  const requireStored = async (): Promise<Extract<StoredKeystore, { kind: 'ok' }>> => {
    await load();
    if (stored === undefined) {
      throw new WalletError(
        'WALLET_NONE',
        pending !== undefined
          ? 'The new wallet is not active yet: give back the asked words of its recovery phrase first.'
          : 'There is no wallet yet: create one or import one.',
      );
    }
    if (stored.kind === 'damaged') throw damagedError(stored.problem);
    return stored;
  };

  const address = (): string | null => (stored?.kind === 'ok' ? stored.info.address : null);

  // Auto-lock: user actions move the deadline; a timer locks on time and every call checks too,
  // so a late timer (a sleeping laptop) can't leave the wallet open.
  const clearLockTimer = (): void => {
    if (lockTimer !== undefined) timers.clearTimeout(lockTimer);
    lockTimer = undefined;
  };
  const scheduleLock = (): void => {
    clearLockTimer();
    if (closed || hold?.spending !== true || autoLockMs === null) return;
    const due = lastActivity + autoLockMs;
    lockTimer = timers.setTimeout(
      () => {
        lockTimer = undefined;
        if (!lockIfIdle()) scheduleLock();
      },
      Math.max(0, due - now()),
    );
  };
  const touch = (): void => {
    if (hold?.spending !== true) return;
    lastActivity = now();
    scheduleLock();
  };
  const lockIfIdle = (): boolean => {
    if (hold?.spending !== true || autoLockMs === null || now() - lastActivity < autoLockMs)
      return false;
    const keep = hold.workSigning;
    if (keep) hold.spending = false;
    else hold = undefined;
    clearLockTimer();
    log.info(
      `wallet locked after ${Math.round(autoLockMs / 1000)} s without use${keep ? '; still signing work' : ''}`,
    );
    emit({
      event: 'wallet.locked',
      payload: { reason: 'idle', address: address(), workSigning: keep, at: iso(now()) },
    });
    emitChanged();
    return true;
  };

  const expirePending = (): void => {
    if (pending !== undefined && now() >= pending.expiresAt) {
      log.info(`the new wallet ${pending.wallet.address} was not confirmed in time; discarded`);
      pending = undefined;
    }
  };

  const statusNow = (): WalletStatus => {
    expirePending();
    let state: WalletStatus['state'];
    if (stored === undefined) state = pending === undefined ? 'none' : 'pending';
    else if (stored.kind === 'damaged') state = 'damaged';
    else state = hold?.spending === true ? 'unlocked' : 'locked';
    const ok = stored?.kind === 'ok' ? stored : undefined;
    return {
      state,
      address:
        ok?.info.address ?? (stored === undefined ? (pending?.wallet.address ?? null) : null),
      workSigning: hold !== undefined,
      autoLock: {
        afterMs: autoLockMs,
        at: hold?.spending === true && autoLockMs !== null ? iso(lastActivity + autoLockMs) : null,
      },
      origin:
        ok === undefined
          ? null
          : { hasMnemonic: ok.info.hasMnemonic, path: ok.info.hasMnemonic ? ok.info.path : null },
      keystoreFile: file,
      pendingCreation:
        pending === undefined
          ? null
          : {
              creationId: pending.id,
              address: pending.wallet.address,
              positions: [...pending.positions],
              expiresAt: iso(pending.expiresAt),
            },
      problem:
        stored?.kind === 'damaged'
          ? { code: 'WALLET_KEYSTORE_DAMAGED', message: damagedError(stored.problem).message }
          : null,
    };
  };
  const emitChanged = (): void => emit({ event: 'wallet.changed', payload: statusNow() });

  const begin = async (): Promise<void> => {
    if (closed) throw new WalletError('WALLET_LOCKED', 'The wallet is shut down with the agent.');
    await load();
    lockIfIdle();
  };

  /** Saves `wallet` as the wallet (keeping any previous file aside) and holds it unlocked. */
  const install = async (
    wallet: KeyWallet,
    keystore: string,
    how: string,
    replace: boolean,
  ): Promise<void> => {
    await load();
    const previous = stored;
    if (previous !== undefined) {
      const same = previous.kind === 'ok' && previous.info.address === wallet.address;
      if (!replace && !same) {
        throw new WalletError(
          'WALLET_EXISTS',
          previous.kind === 'ok'
            ? `This computer already has wallet ${previous.info.address}. To use another one, choose to replace it (its file is kept aside, never deleted).`
            : `The existing wallet file is damaged. Choose to replace it to use this wallet (the damaged file is kept aside).`,
        );
      }
      const kept = await keepReplacedKeystore(file, new Date(now()));
      if (kept !== undefined) log.info(`kept the previous wallet file as ${kept}`);
    }
    stored = okKeystore(await writeKeystoreFile(file, keystore));
    const replaced = hold !== undefined && hold.wallet.address !== wallet.address;
    if (replaced) {
      emit({
        event: 'wallet.locked',
        payload: {
          reason: 'replaced',
          address: hold?.wallet.address ?? null,
          workSigning: false,
          at: iso(now()),
        },
      });
    }
    hold = { wallet, spending: true, workSigning: true };
    prepared.clear();
    touch();
    log.info(`wallet ${wallet.address} ${how}; unlocked`);
    emitChanged();
  };

  /** The key for a user action: the unlocked one, or one opened with `password` for this call. */
  const keyForUserAction = async (
    password: string | undefined,
    what: string,
  ): Promise<KeyWallet> => {
    const saved = await requireStored();
    if (hold?.spending === true && hold.wallet.address === saved.info.address) {
      touch();
      return hold.wallet;
    }
    if (password === undefined) {
      throw new WalletError(
        'WALLET_LOCKED',
        `The wallet is locked: unlock it, or give the password, to ${what}.`,
      );
    }
    checkGivenPassword(password);
    return decryptWallet(saved.text, password, {
      code: 'WALLET_KEYSTORE_DAMAGED',
      what: 'the wallet file',
    });
  };

  const keyAccess = (who: string): KeyWallet => {
    lockIfIdle();
    if (address() !== who) {
      throw new WalletError(
        'WALLET_NONE',
        `This signer belongs to ${who}, which is no longer the wallet of this agent.`,
      );
    }
    if (hold === undefined || hold.wallet.address !== who) {
      throw new WalletError(
        'WALLET_LOCKED',
        'The wallet is locked: unlock it so the agent can sign its work.',
      );
    }
    return hold.wallet;
  };

  const network = async (): Promise<WalletNetwork> => {
    if (options.network === undefined) {
      throw new WalletError(
        'NETWORK_UNAVAILABLE',
        'No network is set up: choose the local network or a custom one in Settings.',
      );
    }
    return options.network();
  };

  const retire = (id: string, why: Retired, hash?: string): void => {
    prepared.delete(id);
    retired.set(id, hash === undefined ? { why } : { why, hash });
    if (retired.size > RETIRED_IDS_KEPT) {
      const oldest = retired.keys().next();
      if (oldest.done !== true) retired.delete(oldest.value);
    }
  };

  /**
   * A confirmed transfer from the nonce to the node taking it; run in its address's send lane.
   * A nonce that cannot be read leaves the confirmation usable; a refused or unanswered broadcast
   * retires it with its hash.
   */
  const signAndSend = async (
    id: string,
    entry: PreparedEntry,
    key: KeyWallet,
    net: WalletNetwork,
  ): Promise<{ nonce: number; hash: string }> => {
    const { summary, tx } = entry;
    let nonce: number;
    try {
      nonce = await net.provider.getTransactionCount(summary.from, 'pending');
    } catch (error) {
      // Nothing was signed: the confirmation stays usable.
      retired.delete(id);
      prepared.set(id, entry);
      throw chainFailure(error, net, entry.meta);
    }
    const request: TransactionRequest = {
      chainId: net.chainId,
      nonce,
      to: tx.to,
      data: tx.data,
      value: tx.value,
      gasLimit: tx.gasLimit,
      ...('gasPrice' in tx.fees
        ? { type: 0, gasPrice: tx.fees.gasPrice }
        : { type: 2, ...tx.fees }),
    };
    const signed = await key.signTransaction(request);
    const hash = keccak256(signed);
    try {
      await net.provider.broadcastTransaction(signed);
    } catch (error) {
      const failure = chainFailure(error, net, entry.meta);
      log.warn(`${summary.kind} ${hash} not accepted: ${failure.message}`);
      retire(id, failure.code === 'NETWORK_UNAVAILABLE' ? 'uncertain' : 'refused', hash);
      if (failure.code === 'NETWORK_UNAVAILABLE') {
        throw new WalletError(
          'NETWORK_UNAVAILABLE',
          `${failure.message} The transaction may or may not have reached the chain: look for transaction ${hash} in the history before sending again.`,
          { cause: error },
        );
      }
      throw failure;
    }
    return { nonce, hash };
  };

  const sweepPrepared = (): void => {
    for (const [id, entry] of prepared) if (now() >= entry.expiresAt) retire(id, 'expired');
  };

  interface Draft {
    kind: 'send' | 'withdraw';
    asset: 'token' | 'native';
    to: string;
    value: bigint;
    tx: { to: string; data: string; value: bigint };
    call: PreparedTransfer['call'];
    fallbackGas: bigint;
  }

  const prepare = async (
    net: WalletNetwork,
    meta: TokenMeta,
    from: string,
    draft: Draft,
  ): Promise<PreparedTransfer> => {
    const { provider } = net;
    const [nativeBalance, feeData, latest, recipientCode] = await chainCall(net, () =>
      Promise.all([
        provider.getBalance(from),
        provider.getFeeData(),
        provider.getBlock('latest'),
        draft.kind === 'send' ? provider.getCode(draft.to) : Promise.resolve('0x'),
      ]),
    );
    let gasEstimate: bigint;
    let estimatedGas = true;
    try {
      gasEstimate = await provider.estimateGas({
        from,
        to: draft.tx.to,
        data: draft.tx.data,
        value: draft.tx.value,
      });
    } catch (error) {
      const failure = chainFailure(error, net, meta);
      if (failure.code !== 'WALLET_INSUFFICIENT_BALANCE') throw failure;
      gasEstimate = draft.fallbackGas;
      estimatedGas = false;
    }
    // A plain coin transfer costs exactly what was estimated; contract calls get 20 % headroom.
    const plain = draft.asset === 'native' && recipientCode === '0x';
    const gasLimit = plain ? gasEstimate : (gasEstimate * 120n) / 100n;
    let fees: PreparedEntry['tx']['fees'];
    let perGasMax: bigint;
    let perGasLikely: bigint;
    if (feeData.maxFeePerGas !== null && feeData.maxPriorityFeePerGas !== null) {
      fees = {
        maxFeePerGas: feeData.maxFeePerGas,
        maxPriorityFeePerGas: feeData.maxPriorityFeePerGas,
      };
      perGasMax = feeData.maxFeePerGas;
      const base = latest?.baseFeePerGas ?? feeData.maxFeePerGas - feeData.maxPriorityFeePerGas;
      perGasLikely = base + feeData.maxPriorityFeePerGas;
      if (perGasLikely > perGasMax) perGasLikely = perGasMax;
    } else {
      const gasPrice = feeData.gasPrice ?? 0n;
      fees = { gasPrice };
      perGasMax = gasPrice;
      perGasLikely = gasPrice;
    }
    const feeMax = gasLimit * perGasMax;
    const feeLikely = gasEstimate * perGasLikely;
    const coin = (v: bigint) => assetAmount(v, 18, net.nativeSymbol);
    const sym = draft.asset === 'native' ? net.nativeSymbol : meta.symbol;
    const decimals = draft.asset === 'native' ? 18 : meta.decimals;

    const warnings: WalletWarning[] = [];
    const needed = feeMax + (draft.asset === 'native' ? draft.value : 0n);
    if (!estimatedGas || nativeBalance < needed) {
      warnings.push({
        code: 'GAS_BALANCE_LOW',
        message: `The wallet has ${formatUnitsExact(nativeBalance, 18)} ${net.nativeSymbol}, too little to pay the fee (up to ${formatUnitsExact(feeMax, 18)} ${net.nativeSymbol})${draft.asset === 'native' ? ' on top of the amount' : ''}. Add ${net.nativeSymbol} to ${from} first, or the chain will refuse it.`,
      });
    }
    if (draft.kind === 'send' && recipientCode !== '0x') {
      warnings.push({
        code: 'RECIPIENT_IS_CONTRACT',
        message: `${draft.to} is a contract, not a personal wallet. Send only if you know it can handle ${sym}; otherwise the money may be stuck there.`,
      });
    }
    if (draft.kind === 'send' && draft.to === from) {
      warnings.push({
        code: 'SEND_TO_SELF',
        message: 'This sends to the wallet itself: only the fee changes hands.',
      });
    }
    if (draft.asset === 'native' && feeLikely > draft.value) {
      warnings.push({
        code: 'FEE_EXCEEDS_AMOUNT',
        message: `The fee (about ${formatUnitsExact(feeLikely, 18)} ${net.nativeSymbol}) is more than the amount sent.`,
      });
    }

    const created = now();
    const summary: PreparedTransfer = {
      id: randomUUID(),
      kind: draft.kind,
      network: networkInfo(net),
      from,
      to: draft.to,
      amount: assetAmount(draft.value, decimals, sym),
      asset: draft.asset,
      call: draft.call,
      fee: { estimated: coin(feeLikely), max: coin(feeMax), gasLimit: gasLimit.toString() },
      warnings,
      createdAt: iso(created),
      expiresAt: iso(created + preparedTtl),
    };
    sweepPrepared();
    prepared.set(summary.id, {
      summary,
      chainId: net.chainId,
      marketAddress: net.marketAddress,
      tokenAddress: net.tokenAddress,
      expiresAt: created + preparedTtl,
      tx: { ...draft.tx, gasLimit, fees },
      meta,
    });
    log.info(
      `prepared ${draft.kind} of ${summary.amount.amount} ${sym} to ${draft.to} (fee up to ${summary.fee.max.amount} ${net.nativeSymbol}${warnings.length > 0 ? `; warnings: ${warnings.map((w) => w.code).join(', ')}` : ''})`,
    );
    return summary;
  };

  const watchReceipt = (net: WalletNetwork, sent: SentTransaction): Promise<SentTransaction> =>
    new Promise((resolve) => {
      const poll = options.receiptPollMs ?? 1000;
      const deadline = now() + (options.receiptWatchMs ?? 60 * 60_000);
      const watch = { timer: undefined as unknown, stop: () => resolve(sent) };
      watches.add(watch);
      const finish = (result: SentTransaction): void => {
        watches.delete(watch);
        emit({ event: 'wallet.transaction', payload: { ...result, at: iso(now()) } });
        resolve(result);
      };
      const tick = async (): Promise<void> => {
        watch.timer = undefined;
        if (closed) return;
        try {
          const receipt = await net.provider.getTransactionReceipt(sent.hash);
          if (receipt !== null) {
            const ok = receipt.status === 1;
            const result: SentTransaction = {
              ...sent,
              status: ok ? 'mined' : 'failed',
              blockNumber: receipt.blockNumber,
              feePaid: assetAmount(receipt.fee, 18, net.nativeSymbol),
            };
            // The Activity list's words, as the Wallet page and the CLI say it: the whole hash,
            // which support looks up, and no block number, which means nothing to the owner.
            if (ok) log.info(sentWords(result));
            else log.warn(sentWords(result));
            finish(result);
            return;
          }
        } catch (error) {
          log.debug(
            `receipt of ${sent.hash} not readable yet: ${(error as { code?: string }).code ?? 'error'}`,
          );
        }
        if (now() >= deadline) {
          log.warn(`${sent.kind} ${sent.hash} not mined within the watch; check the history later`);
          watches.delete(watch);
          resolve({ ...sent, status: 'unknown' });
          return;
        }
        if (!closed) watch.timer = timers.setTimeout(() => void tick(), poll);
      };
      void tick();
    });

  const service: WalletService = {
    async status() {
      if (!closed) {
        await load();
        lockIfIdle();
      }
      return statusNow();
    },

    async create(params) {
      await begin();
      checkNewPassword(params.password);
      const replace = params.replace === true;
      if (stored !== undefined && !replace) {
        throw new WalletError(
          'WALLET_EXISTS',
          stored.kind === 'ok'
            ? `This computer already has wallet ${stored.info.address}. To make a new one instead, choose to replace it (the current file is kept aside, never deleted).`
            : 'The existing wallet file is damaged. Choose to replace it to make a new wallet (the damaged file is kept aside).',
        );
      }
      const wordCount = params.wordCount ?? 12;
      const mnemonic = Mnemonic.fromEntropy(randomBytes(wordCount === 24 ? 32 : 16));
      const wallet = HDNodeWallet.fromMnemonic(mnemonic, defaultPath);
      const keystore = await encryptWallet(wallet, params.password, scrypt);
      const created = now();
      pending = {
        id: randomUUID(),
        wallet,
        keystore,
        positions: pickConfirmationPositions(wordCount),
        expiresAt: created + creationTtl,
        replace,
      };
      log.info(`new wallet ${wallet.address} made; waiting for its recovery phrase check`);
      emitChanged();
      return {
        creationId: pending.id,
        address: wallet.address,
        mnemonic: mnemonic.phrase,
        positions: [...pending.positions],
        expiresAt: iso(pending.expiresAt),
      };
    },

    async confirmCreate(params) {
      await begin();
      expirePending();
      const waiting = pending;
      if (waiting === undefined || waiting.id !== params.creationId) {
        throw new WalletError(
          'WALLET_CREATION_NOT_FOUND',
          'No new wallet is waiting for that check: it expired, was finished, or another was started. Create the wallet again.',
        );
      }
      const phrase = waiting.wallet.mnemonic?.phrase ?? '';
      const wrong = wrongConfirmationWords(phrase, waiting.positions, params.words);
      if (wrong.length > 0) {
        throw new WalletError(
          'WALLET_CONFIRMATION_MISMATCH',
          `${wrong.length === 1 ? `Word ${wrong[0]} does` : `Words ${wrong.join(', ')} do`} not match the recovery phrase. Check your written copy: if it is wrong, the phrase can't restore this wallet.`,
        );
      }
      return serial(async () => {
        if (pending !== waiting) {
          throw new WalletError(
            'WALLET_CREATION_NOT_FOUND',
            'That new wallet was already confirmed or replaced.',
          );
        }
        await install(waiting.wallet, waiting.keystore, 'created and confirmed', waiting.replace);
        pending = undefined;
        return statusNow();
      });
    },

    async importWallet(params) {
      await begin();
      let wallet: KeyWallet;
      let how: string;
      let keystore: string;
      if (params.kind === 'keystore') {
        checkGivenPassword(params.password);
        if (params.keystore.length > MAX_BACKUP_CHARS) {
          throw new WalletError(
            'WALLET_INVALID_BACKUP',
            'That file is too large to be a keystore backup (they are about 1 KB).',
          );
        }
        const info = inspectKeystore(params.keystore);
        if ('problem' in info) {
          throw new WalletError(
            'WALLET_INVALID_BACKUP',
            `That is not a wallet backup: ${info.problem}. Choose the .json keystore file you exported.`,
          );
        }
        wallet = await decryptWallet(params.keystore, params.password, {
          code: 'WALLET_INVALID_BACKUP',
          what: 'the backup',
        });
        how = 'restored from a keystore backup';
        // Re-encrypted, so the saved file has this wallet's format and full scrypt cost.
        keystore = await encryptWallet(wallet, params.password, scrypt);
      } else {
        checkNewPassword(params.password);
        if (params.kind === 'mnemonic') {
          const mnemonic = parseMnemonic(params.mnemonic);
          wallet = HDNodeWallet.fromMnemonic(
            mnemonic,
            `m/44'/60'/0'/0/${params.accountIndex ?? 0}`,
          );
          how = 'imported from a recovery phrase';
        } else {
          wallet = parsePrivateKey(params.privateKey);
          how = 'imported from a private key';
        }
        keystore = await encryptWallet(wallet, params.password, scrypt);
      }
      return serial(async () => {
        await install(wallet, keystore, how, params.replace === true);
        pending = undefined;
        return statusNow();
      });
    },

    async unlock(params) {
      await begin();
      checkGivenPassword(params.password);
      const saved = await requireStored();
      const wallet = await decryptWallet(saved.text, params.password, {
        code: 'WALLET_KEYSTORE_DAMAGED',
        what: 'the wallet file',
      });
      if (stored !== saved)
        throw new WalletError('WALLET_NONE', 'The wallet changed while unlocking; try again.');
      hold = { wallet, spending: true, workSigning: params.workSigning ?? true };
      touch();
      log.info(
        `wallet ${wallet.address} unlocked${hold.workSigning ? '' : ' (work signing ends with the next lock)'}`,
      );
      // A keystore written with a lighter cost (an old file, a backup) is brought up to today's.
      const kdf = saved.info.kdf;
      if (kdf.name !== 'scrypt' || isWeakerScrypt(kdf, scrypt)) {
        await serial(async () => {
          if (stored !== saved) return;
          const text = await encryptWallet(wallet, params.password, scrypt);
          stored = okKeystore(await writeKeystoreFile(file, text));
          log.info('re-encrypted the wallet file with the full scrypt cost');
        });
      }
      emitChanged();
      return statusNow();
    },

    async lock(params = {}) {
      await begin();
      const was = hold;
      if (was !== undefined) {
        const keep = params.keepWorkSigning === true && was.workSigning;
        if (keep) was.spending = false;
        else hold = undefined;
        clearLockTimer();
        log.info(`wallet locked${keep ? '; still signing work' : ''}`);
        emit({
          event: 'wallet.locked',
          payload: { reason: 'user', address: address(), workSigning: keep, at: iso(now()) },
        });
        emitChanged();
      }
      return statusNow();
    },

    async changePassword(params) {
      await begin();
      checkNewPassword(params.newPassword);
      checkGivenPassword(params.oldPassword);
      return serial(async () => {
        const saved = await requireStored();
        const wallet = await decryptWallet(saved.text, params.oldPassword, {
          code: 'WALLET_KEYSTORE_DAMAGED',
          what: 'the wallet file',
        });
        const text = await encryptWallet(wallet, params.newPassword, scrypt);
        stored = okKeystore(await writeKeystoreFile(file, text));
        touch();
        log.info(`password of wallet ${wallet.address} changed`);
        return statusNow();
      });
    },

    async exportBackup(params = {}) {
      await begin();
      const saved = await requireStored();
      await keyForUserAction(params.password, 'export a backup');
      log.info(`keystore backup of wallet ${saved.info.address} exported`);
      return {
        address: saved.info.address,
        fileName: `roost-wallet-${saved.info.address}.json`,
        keystore: saved.text,
      };
    },

    async balance() {
      await begin();
      const saved = await requireStored();
      const net = await network();
      return readBalances(net, saved.info.address, tokens);
    },

    async prepareSend(params) {
      await begin();
      const saved = await requireStored();
      const from = saved.info.address;
      const to = parseRecipient(params.to);
      const net = await network();
      const meta = await tokens.get(net);
      const asset = params.asset ?? 'token';
      if (to === net.tokenAddress || to === net.marketAddress) {
        throw new WalletError(
          'WALLET_BAD_ADDRESS',
          to === net.tokenAddress
            ? `${to} is the ${meta.symbol} token contract itself: money sent there is lost. Send to a person's wallet address.`
            : `${to} is the market contract: money sent there directly is lost. The market takes stakes and job payments through its own actions.`,
        );
      }
      touch();
      if (asset === 'native') {
        if (params.amount.trim().toLowerCase() === 'all') {
          throw new WalletError(
            'WALLET_BAD_AMOUNT',
            `Say how much ${net.nativeSymbol} to send: "all" would leave nothing to pay the fee.`,
          );
        }
        const value = parseAmount(params.amount, 18, net.nativeSymbol);
        const balance = await chainCall(net, () => net.provider.getBalance(from));
        if (value > balance) {
          throw new WalletError(
            'WALLET_INSUFFICIENT_BALANCE',
            `The wallet holds ${formatUnitsExact(balance, 18)} ${net.nativeSymbol}; you asked to send ${formatUnitsExact(value, 18)}.`,
          );
        }
        return prepare(net, meta, from, {
          kind: 'send',
          asset,
          to,
          value,
          tx: { to, data: '0x', value },
          call: null,
          fallbackGas: FALLBACK_GAS.native,
        });
      }
      const token = connectRoostTestToken(net.tokenAddress, net.provider);
      const balance = await chainCall(net, () => token.balanceOf(from));
      const value =
        params.amount.trim().toLowerCase() === 'all'
          ? balance
          : parseAmount(params.amount, meta.decimals, meta.symbol);
      if (value === 0n) {
        throw new WalletError(
          'WALLET_INSUFFICIENT_BALANCE',
          `The wallet holds no ${meta.symbol} to send.`,
        );
      }
      if (value > balance) {
        throw new WalletError(
          'WALLET_INSUFFICIENT_BALANCE',
          `The wallet holds ${formatUnitsExact(balance, meta.decimals)} ${meta.symbol}; you asked to send ${formatUnitsExact(value, meta.decimals)}.`,
        );
      }
      return prepare(net, meta, from, {
        kind: 'send',
        asset,
        to,
        value,
        tx: {
          to: net.tokenAddress,
          data: roostTestTokenInterface.encodeFunctionData('transfer', [to, value]),
          value: 0n,
        },
        call: { contract: net.tokenAddress, method: 'transfer' },
        fallbackGas: FALLBACK_GAS.transfer,
      });
    },

    async prepareWithdraw(params = {}) {
      await begin();
      const saved = await requireStored();
      const from = saved.info.address;
      const net = await network();
      const meta = await tokens.get(net);
      touch();
      const market = connectJobMarket(net.marketAddress, net.provider);
      const available = await chainCall(net, () => market.withdrawable(from));
      const text = params.amount?.trim() ?? 'all';
      const value =
        text.toLowerCase() === 'all' ? available : parseAmount(text, meta.decimals, meta.symbol);
      if (available === 0n) {
        throw new WalletError(
          'WALLET_INSUFFICIENT_BALANCE',
          `Nothing to withdraw: the market holds no ${meta.symbol} for ${from}.`,
        );
      }
      if (value > available) {
        throw new WalletError(
          'WALLET_INSUFFICIENT_BALANCE',
          `The market holds ${formatUnitsExact(available, meta.decimals)} ${meta.symbol} for this wallet; you asked to withdraw ${formatUnitsExact(value, meta.decimals)}.`,
        );
      }
      return prepare(net, meta, from, {
        kind: 'withdraw',
        asset: 'token',
        to: from,
        value,
        tx: {
          to: net.marketAddress,
          data: jobMarketInterface.encodeFunctionData('withdraw', [value]),
          value: 0n,
        },
        call: { contract: net.marketAddress, method: 'withdraw' },
        fallbackGas: FALLBACK_GAS.withdraw,
      });
    },

    async confirm(params) {
      await begin();
      const findReady = (): PreparedEntry => {
        const entry = prepared.get(params.id);
        if (entry === undefined) {
          const gone = retired.get(params.id);
          const hash = gone?.hash === undefined ? '' : ` (${gone.hash})`;
          switch (gone?.why) {
            case 'used':
              throw new WalletError(
                'WALLET_PREPARED_USED',
                `That transaction was already confirmed and sent${hash}; it is never sent twice. See the history for it.`,
              );
            case 'refused':
              throw new WalletError(
                'WALLET_PREPARED_USED',
                'That confirmation was used already, and the chain refused the transaction. Prepare it again.',
              );
            case 'uncertain':
              throw new WalletError(
                'WALLET_PREPARED_USED',
                `That confirmation was used already, but the node did not answer when it was sent: the transaction${hash} may or may not be on the chain. Look for it in the history; prepare it again only if it is not there.`,
              );
            case 'expired':
              throw new WalletError(
                'WALLET_PREPARED_EXPIRED',
                'That confirmation expired (fees and balances may have changed). Prepare it again.',
              );
            case undefined:
              break;
          }
          throw new WalletError(
            'WALLET_PREPARED_UNKNOWN',
            'There is no prepared transaction with that id. Prepare the send or withdrawal first.',
          );
        }
        if (now() >= entry.expiresAt) {
          retire(params.id, 'expired');
          throw new WalletError(
            'WALLET_PREPARED_EXPIRED',
            'That confirmation expired (fees and balances may have changed). Prepare it again.',
          );
        }
        return entry;
      };
      const entry = findReady();
      const { tx } = entry;
      const saved = await requireStored();
      const net = await network();
      if (
        saved.info.address !== entry.summary.from ||
        net.chainId !== entry.chainId ||
        net.marketAddress !== entry.marketAddress ||
        net.tokenAddress !== entry.tokenAddress
      ) {
        retire(params.id, 'expired');
        throw new WalletError(
          'WALLET_NETWORK_CHANGED',
          saved.info.address !== entry.summary.from
            ? 'The wallet changed since this was prepared; nothing was sent. Prepare it again.'
            : 'The network changed since this was prepared; nothing was sent. Prepare it again on the current network.',
        );
      }
      // Checked before the id is spent: with more coin added, the same confirmation still works.
      const upfront =
        tx.gasLimit * ('gasPrice' in tx.fees ? tx.fees.gasPrice : tx.fees.maxFeePerGas) + tx.value;
      const coin = await chainCall(net, () => net.provider.getBalance(entry.summary.from));
      if (coin < upfront) {
        throw new WalletError(
          'WALLET_INSUFFICIENT_BALANCE',
          `The wallet's ${net.nativeSymbol} balance can't pay for this transaction and its fee: it has ${formatUnitsExact(coin, 18)} ${net.nativeSymbol} and needs up to ${formatUnitsExact(upfront, 18)}. Add ${net.nativeSymbol} to ${entry.summary.from}, then confirm again; nothing was sent.`,
        );
      }
      const key = await keyForUserAction(params.password, 'send it');
      // Taken now, synchronously: a second confirm of the same id (a double click) finds it gone.
      if (findReady() !== entry)
        throw new WalletError('WALLET_PREPARED_USED', 'That transaction was already confirmed.');
      retire(params.id, 'used');

      const { summary } = entry;
      const { nonce, hash } = await (options.sendLanes ?? noLanes)(
        { chainId: net.chainId, rpcUrl: net.rpcUrl, address: summary.from },
        () => signAndSend(params.id, entry, key, net),
      );
      retire(params.id, 'used', hash);
      const sent: SentTransaction = {
        id: summary.id,
        kind: summary.kind,
        hash,
        from: summary.from,
        to: summary.to,
        amount: summary.amount,
        nonce,
        status: 'submitted',
        blockNumber: null,
        feePaid: null,
      };
      log.info(
        `${summary.kind} of ${summary.amount.amount} ${summary.amount.symbol} to ${summary.to} sent: tx ${hash} (nonce ${nonce})`,
      );
      emit({ event: 'wallet.transaction', payload: { ...sent, at: iso(now()) } });
      const watched = watchReceipt(net, sent);
      if (params.wait !== true) return sent;
      const waitMs = options.confirmWaitMs ?? 120_000;
      let timeout: unknown;
      const gaveUp = new Promise<SentTransaction>((resolve) => {
        timeout = timers.setTimeout(() => resolve({ ...sent, status: 'unknown' }), waitMs);
      });
      try {
        return await Promise.race([watched, gaveUp]);
      } finally {
        timers.clearTimeout(timeout);
      }
    },

    async history(params = {}) {
      await begin();
      const saved = await requireStored();
      const net = await network();
      return readHistory(net, saved.info.address, tokens, {
        limit: params.limit ?? 100,
        ...(options.historyChunkBlocks === undefined
          ? {}
          : { chunkBlocks: options.historyChunkBlocks }),
      });
    },

    async network() {
      return networkInfo(await network());
    },

    async workSigner(provider = null) {
      const saved = await requireStored();
      return new WalletSigner(saved.info.address, keyAccess, provider);
    },

    async userKey(password, what) {
      await begin();
      return keyForUserAction(password, what);
    },

    setAutoLock(ms) {
      autoLockMs = ms;
      if (!lockIfIdle()) scheduleLock();
      emitChanged();
    },

    async close() {
      if (closed) return;
      const had = hold;
      closed = true;
      clearLockTimer();
      for (const watch of watches) {
        if (watch.timer !== undefined) timers.clearTimeout(watch.timer);
        watch.stop();
      }
      watches.clear();
      hold = undefined;
      pending = undefined;
      prepared.clear();
      if (had !== undefined) {
        emit({
          event: 'wallet.locked',
          payload: { reason: 'closed', address: address(), workSigning: false, at: iso(now()) },
        });
      }
      await queue;
    },
  };
  void load().catch((error: unknown) =>
    log.error(`could not read the wallet file: ${String(error)}`),
  );
  return service;
}
