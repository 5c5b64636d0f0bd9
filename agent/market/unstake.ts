/**
 * Taking the stake back. The market lets stake go in two steps: `requestUnstake` moves free stake
 * (stake − locked) out at once, and after the market's `unstakeDelay` `completeUnstake` credits it
 * to the provider's withdrawable balance, from where the withdraw flow (or auto-withdraw) moves it
 * to the wallet. Roost asks when the user says so, finishes by itself once the wait is over, and
 * cancels (puts it back into the stake) when asked or when market jobs are turned on again.
 *
 * Every transaction goes through the session's transaction manager, signed by the work signer as
 * the market's other transactions are: none of them moves tokens out of the user's accounts (the
 * tokens stay in the market, credited to this same wallet), and a withdrawal to the wallet still
 * goes through the wallet's own prepare-and-confirm flow.
 */
import { MarketActionError } from './action-error.ts';
import {
  connectJobMarket,
  jobMarketInterface,
  type JobMarketProvider,
} from '../../contracts/bindings/job-market.ts';
import { parseAmount } from '../wallet/amount.ts';
import type { WalletService } from '../wallet/service.ts';
import { messageOf, tokens, unixTimeIso, unixTimeWords } from './format.ts';
import type { MarketLog } from './service-options.ts';
import type { Session } from './session.ts';
import { TxRevertError, type TxIntent } from './tx-manager.ts';

/** The codes of the API's error union an unstake answers with (the router passes them on). */
export type UnstakeErrorCode =
  | 'INVALID_PARAMS'
  | 'WALLET_NONE'
  | 'WALLET_LOCKED'
  | 'WALLET_KEYSTORE_DAMAGED'
  | 'NOT_FOUND'
  | 'JOB_STATE'
  | 'NETWORK_UNAVAILABLE';

/** Why taking the stake back (or cancelling it) can't be done, with what to do. */
export class UnstakeError extends MarketActionError<UnstakeErrorCode> {}

/** Throws the wallet's state as an error that says what to do, when it can't sign the request. */
export async function requireSigningWallet(wallet: WalletService): Promise<void> {
  const status = await wallet.status();
  if (status.state === 'none')
    throw new UnstakeError(
      'WALLET_NONE',
      'There is no wallet yet, so nothing is staked: create or import one (Wallet page, or `roost wallet create`).',
    );
  if (status.state === 'pending')
    throw new UnstakeError(
      'WALLET_NONE',
      'The new wallet is not set up yet: finish its recovery phrase check on the Wallet page first.',
    );
  if (status.state === 'damaged')
    throw new UnstakeError(
      'WALLET_KEYSTORE_DAMAGED',
      'The wallet file is damaged: restore it from a backup (Wallet page). Nothing was changed.',
    );
  if (!status.workSigning)
    throw new UnstakeError(
      'WALLET_LOCKED',
      'The wallet is locked: unlock it (Wallet page, or `roost wallet unlock`) so Roost can sign the request, then ask again. Nothing was changed.',
    );
}

/**
 * What reading this wallet's stake needs: the chain, the address and the token. A session has
 * it, and so has a locked wallet (its address is known): reading needs no key.
 */
export type StakeReader = Pick<Session, 'key' | 'net' | 'address' | 'meta'>;

export interface UnstakeRequest {
  requested: bigint;
  unstaking: bigint;
  availableAt: bigint;
  locked: bigint;
}

export interface Unstaking {
  /** The market's wait in seconds (read once per session). */
  delay(s: StakeReader): Promise<bigint>;
  /** The request as it would be sent: checked against the chain, or an UnstakeError. */
  check(
    s: StakeReader,
    amountText: string | undefined,
  ): Promise<{ amount: bigint; p: JobMarketProvider }>;
  /**
   * The stake on its way back, read from the chain, for `complete` or `cancel`: an UnstakeError
   * when there is none (or, to complete it, its wait is not over).
   */
  pending(s: StakeReader, action: 'complete' | 'cancel'): Promise<JobMarketProvider>;
  /** Sends the checked request. */
  request(s: Session, amount: bigint, p: JobMarketProvider): Promise<UnstakeRequest>;
  /** Credits a pending unstake whose wait is over; UnstakeError when none or not yet. */
  complete(s: Session): Promise<bigint>;
  /** Puts a pending unstake back into the stake; UnstakeError when none. */
  cancel(s: Session, why: string): Promise<bigint>;
  /**
   * Completes a pending unstake once its wait is over; asks the chain every `checkMs` at most.
   * True when it completed one (the status changed).
   */
  tick(s: Session): Promise<boolean>;
  /** Ask the chain at the next tick (a request or a cancel changed what is pending). */
  recheck(): void;
}

export function createUnstaking(deps: {
  log: MarketLog;
  now: () => Date;
  /** How often a pending unstake is looked at (default 30 s). */
  checkMs?: number;
}): Unstaking {
  const { log, now } = deps;
  const delays = new Map<string, bigint>();
  let nextCheck = 0;

  const market = (s: StakeReader) => connectJobMarket(s.net.marketAddress, s.net.provider);

  /** Sends and waits; a refusal comes back as an UnstakeError in the chain's words. */
  async function send(s: Session, intent: TxIntent): Promise<void> {
    let state: string;
    let error: string | undefined;
    try {
      const record = await s.tx.execute(intent);
      state = record.state;
      error = record.error;
    } catch (e) {
      if (e instanceof TxRevertError) throw new UnstakeError('JOB_STATE', e.message);
      throw new UnstakeError('NETWORK_UNAVAILABLE', messageOf(e));
    }
    if (state !== 'mined')
      throw new UnstakeError(
        'JOB_STATE',
        `The chain did not take "${intent.label}" (${state}${error ? `: ${error}` : ''}).`,
      );
  }

  async function chainTime(s: StakeReader): Promise<bigint> {
    const block = await s.net.provider.getBlock('latest');
    return BigInt(block?.timestamp ?? Math.floor(now().getTime() / 1000));
  }

  const unstaking: Unstaking = {
    async delay(s) {
      const known = delays.get(s.key);
      if (known !== undefined) return known;
      const delay = await market(s).unstakeDelay();
      delays.set(s.key, delay);
      return delay;
    },

    async check(s, amountText) {
      const p = await market(s).getProvider(s.address);
      const t = (v: bigint) => tokens(v, s.meta);
      if (p.registeredAt === 0n || (p.stake === 0n && p.unstaking === 0n))
        throw new UnstakeError(
          'NOT_FOUND',
          `Nothing is staked in the market for ${s.address}, so there is nothing to take back.`,
        );
      if (p.stake === 0n)
        throw new UnstakeError(
          'JOB_STATE',
          `All your stake (${t(p.unstaking)}) is already on its way back: the market releases it at ${unixTimeWords(p.unstakeAvailableAt)}, and Roost then makes it withdrawable by itself. Nothing was changed.`,
        );
      const free = p.stake - p.locked;
      if (free === 0n)
        throw new UnstakeError(
          'JOB_STATE',
          `All ${t(p.stake)} of your stake is locked by jobs in progress: it can be taken back once those jobs finish. Nothing was changed.`,
        );
      const text = amountText?.trim() ?? 'all';
      let amount: bigint;
      if (text.toLowerCase() === 'all') amount = free;
      else
        try {
          amount = parseAmount(text, s.meta.decimals, s.meta.symbol);
        } catch (error) {
          throw new UnstakeError(
            'INVALID_PARAMS',
            `${messageOf(error)} Give the ${s.meta.symbol} to take back, or leave the amount out to take back all the free stake (${t(free)}). Nothing was changed.`,
          );
        }
      if (amount > free)
        throw new UnstakeError(
          'INVALID_PARAMS',
          p.locked === 0n
            ? `You asked to take back ${t(amount)}, but ${t(p.stake)} is staked. Nothing was changed.`
            : `You asked to take back ${t(amount)}, but only ${t(free)} of your ${t(p.stake)} stake is free: ${t(p.locked)} is locked by jobs in progress and can be taken back once those jobs finish. Nothing was changed.`,
        );
      return { amount, p };
    },

    async request(s, amount, p) {
      await send(s, {
        // A new key for each request: the same amount may be asked for again another day.
        key: `unstake:${p.stake}:${p.unstaking}:${amount}:${now().getTime()}`,
        to: s.net.marketAddress,
        data: jobMarketInterface.encodeFunctionData('requestUnstake', [amount]),
        label: `take back ${tokens(amount, s.meta)} of stake`,
      });
      const after = await market(s).getProvider(s.address);
      log.info(
        `market: asked for ${tokens(amount, s.meta)} of stake back; the market releases ${tokens(after.unstaking, s.meta)} at ${unixTimeWords(after.unstakeAvailableAt)}`,
      );
      nextCheck = 0;
      return {
        requested: amount,
        unstaking: after.unstaking,
        availableAt: after.unstakeAvailableAt,
        locked: after.locked,
      };
    },

    async pending(s, action) {
      const p = await market(s).getProvider(s.address);
      if (p.unstaking === 0n)
        throw new UnstakeError(
          'NOT_FOUND',
          action === 'cancel'
            ? 'No stake is on its way back, so there is nothing to cancel.'
            : 'No stake is on its way back: ask for it first (`roost market unstake`, or the Wallet page).',
        );
      if (action === 'complete' && (await chainTime(s)) < p.unstakeAvailableAt)
        throw new UnstakeError(
          'JOB_STATE',
          `The market releases ${tokens(p.unstaking, s.meta)} at ${unixTimeWords(p.unstakeAvailableAt)}, not yet; Roost finishes it by itself then. Nothing was changed.`,
        );
      return p;
    },

    async complete(s) {
      const p = await unstaking.pending(s, 'complete');
      await send(s, {
        key: `unstake-complete:${p.unstakeAvailableAt}:${p.unstaking}`,
        to: s.net.marketAddress,
        data: jobMarketInterface.encodeFunctionData('completeUnstake', []),
        label: `finish taking back ${tokens(p.unstaking, s.meta)} of stake`,
      });
      log.info(
        `market: ${tokens(p.unstaking, s.meta)} of stake is back: withdrawable now (Wallet page, or \`roost wallet withdraw\`)`,
      );
      nextCheck = 0;
      return p.unstaking;
    },

    async cancel(s, why) {
      const p = await unstaking.pending(s, 'cancel');
      await send(s, {
        key: `unstake-cancel:${p.unstakeAvailableAt}:${p.unstaking}`,
        to: s.net.marketAddress,
        data: jobMarketInterface.encodeFunctionData('cancelUnstake', []),
        label: `put ${tokens(p.unstaking, s.meta)} back into the stake`,
      });
      log.info(`market: ${tokens(p.unstaking, s.meta)} went back into the stake (${why})`);
      nextCheck = 0;
      return p.unstaking;
    },

    async tick(s) {
      if (now().getTime() < nextCheck) return false;
      nextCheck = now().getTime() + (deps.checkMs ?? 30_000);
      const p = await market(s).getProvider(s.address);
      if (p.unstaking === 0n || (await chainTime(s)) < p.unstakeAvailableAt) return false;
      await unstaking.complete(s);
      return true;
    },

    recheck() {
      nextCheck = 0;
    },
  };
  return unstaking;
}

/** The provider view's pending unstake, as market.status shows it. */
export function unstakingView(
  p: Pick<JobMarketProvider, 'unstaking' | 'unstakeAvailableAt'>,
  amount: (v: bigint) => { amount: string; symbol: string },
): { amount: string; symbol: string; availableAt: string } | null {
  if (p.unstaking === 0n) return null;
  return { ...amount(p.unstaking), availableAt: unixTimeIso(p.unstakeAvailableAt) };
}
