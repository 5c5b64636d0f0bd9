/**
 * The market client of the provider agent: it follows the market's events, decides on every
 * posted job (and says why it skipped one), claims, runs the job through the job service's
 * sandboxed worker, uploads the outputs to the requester, submits the result hash, finalizes and
 * withdraws. Every step is a lease state in the journal (leases.ts) and every transaction goes
 * through the transaction manager under a key, so a restart at any point carries on from where
 * it stopped without sending anything twice.
 *
 * A "session" is one wallet on one deployment; it is rebuilt when either changes. This file keeps
 * the service's lifecycle (the session, the tick, the status) and wires its parts: session.ts
 * (what a session holds), registration.ts (the provider record on chain), lease-events.ts (events
 * → lease states) and lease-driver.ts (the steps of one lease).
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Provider } from 'ethers';
import { connectJobMarket } from '../../contracts/bindings/job-market.ts';
import { TokenMetaCache, type TokenMeta } from '../wallet/chain.ts';
import { isTestNetwork, tokensDecidedBy } from '../wallet/network.ts';
import type { WalletNetwork } from '../wallet/network.ts';
import { marketDbPath, openMarketDb } from './db.ts';
import { messageOf, tokenAmount, unixTimeIso } from './format.ts';
import { createArbitration } from './arbitration.ts';
import type { MarketView } from './arbitration.ts';
import { createLeaseDriver } from './lease-driver.ts';
import { createLeaseEvents } from './lease-events.ts';
import {
  FINISHED_LEASE_STATES,
  localJobRemoval,
  type LeaseStore,
  type LocalJobRemoval,
} from './leases.ts';
import { createRegistration } from './registration.ts';
import { HELD_LEASE_STATES } from './schema.ts';
import type {
  DisputesResult,
  LeaseRecord,
  LeaseState,
  MarketStatus,
  ResolveDisputeParams,
  ResolveDisputeResult,
  UnstakeResult,
} from './schema.ts';
import type { MarketLog, MarketServiceOptions } from './service-options.ts';
import {
  createLeaseRecorder,
  openSession,
  sessionKey,
  signingProblem,
  type Session,
} from './session.ts';
import {
  UnstakeError,
  createUnstaking,
  requireSigningWallet,
  unstakingView,
  type StakeReader,
} from './unstake.ts';

export type { LatestReport, MarketLog, MarketServiceOptions } from './service-options.ts';

export interface MarketService {
  start(): void;
  status(): Promise<MarketStatus>;
  leases(filter?: { states?: LeaseState[]; limit?: number }): LeaseRecord[];
  lease(jobId: string): (LeaseRecord & { history: ReturnType<LeaseStore['history']> }) | undefined;
  /** The payment token of the current session. */
  token(): TokenMeta | null;
  /**
   * Whether the local job `localJobId` (a market job) may be removed: no lease that ran it, on
   * any network, can still need its folder or rows. Read from the journal; needs no session.
   */
  localJobRemoval(localJobId: string): LocalJobRemoval;
  /** Register or update now; resolves with the status (its `problem` says what is missing). */
  register(): Promise<MarketStatus>;
  /**
   * Take stake back: all the free stake, or `amount` tokens. Market jobs are turned off first;
   * an UnstakeError (with its API code) says what was wrong, and then nothing changed.
   */
  unstake(params: { amount?: string | undefined }): Promise<UnstakeResult>;
  /** Finish a pending unstake now, if the market's wait is over. */
  completeUnstake(): Promise<MarketStatus>;
  /** Put a pending unstake back into the stake. */
  cancelUnstake(): Promise<MarketStatus>;
  /** Open disputes on the market, and whether this wallet (its arbiter) may rule on each. */
  disputes(options?: { arbiterOnly?: boolean | undefined }): Promise<DisputesResult>;
  /**
   * Rule on a dispute as the market's arbiter. What the market would refuse is said (an
   * ArbitrationError) before a locked wallet is asked to unlock; nothing is sent then.
   */
  resolveDispute(params: ResolveDisputeParams): Promise<ResolveDisputeResult>;
  /** Check the session and drive every lease now (after a settings or wallet change). */
  poke(): void;
  close(): Promise<void>;
}

export function createMarketService(options: MarketServiceOptions): MarketService {
  // Hashes are written whole and labelled (`tx 0x…`): the log redactor keeps them, and support
  // staff can look them up.
  const log: MarketLog = options.log;
  const now = options.now ?? (() => new Date());
  const tokenMeta = new TokenMetaCache();
  let db: DatabaseSync | undefined;
  let session: Session | undefined;
  /**
   * The session whose follower and leases run. With market jobs off a session stays open but
   * idle (status reads, taking the stake back); it keeps running only while jobs it took are
   * still in progress, so they finish and their locked stake comes free.
   */
  let running: Session | undefined;
  let building: Promise<Session | undefined> | undefined;
  let problem: string | null = null;
  let closed = false;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let disputesTimer: NodeJS.Timeout | undefined;
  /** The rulable disputes last announced (onDisputes), as `job:slot` keys. */
  let disputesSeen = '';
  let lastStatusJson = '';
  /** When the status was last read from the chain for the UI (publishStatus). */
  let lastPublishAt = 0;

  const database = (): DatabaseSync => (db ??= openMarketDb(marketDbPath(options.dataDir)));

  const setProblem = (next: string | null): void => {
    if (next === problem) return;
    problem = next;
    if (next === null) log.info('market: ready');
    // A one-shot command only reports the problem; a running agent logs it for the record.
    else if (started) log.warn(`market: ${next}`);
    void publishStatus();
  };

  async function publishStatus(): Promise<void> {
    if (!options.onStatus) return;
    lastPublishAt = now().getTime();
    const status = await service.status().catch(() => undefined);
    if (!status) return;
    const json = JSON.stringify(status);
    if (json === lastStatusJson) return;
    lastStatusJson = json;
    options.onStatus(status);
  }

  /** The status now, also handed to the UI (a transaction just changed it). */
  async function publishedStatus(): Promise<MarketStatus> {
    const status = await service.status();
    if (options.onStatus && JSON.stringify(status) !== lastStatusJson) {
      lastStatusJson = JSON.stringify(status);
      options.onStatus(status);
    }
    return status;
  }

  const recorder = createLeaseRecorder(log, options);
  const registration = createRegistration({
    options,
    log,
    now,
    setProblem,
    // Registered: the Dashboard's "not registered" goes at once, not at the next tick.
    changed: () => void publishStatus(),
    schedule: (s, jobId) => driver.schedule(s, jobId),
  });
  const driver = createLeaseDriver({
    options,
    log,
    now,
    recorder,
    current: (s) => session === s && running === s && !closed && started,
    registered: () => registration.registered(),
  });
  const events = createLeaseEvents({ options, log, recorder, schedule: driver.schedule });
  const arbitration = createArbitration();
  const unstaking = createUnstaking({
    log,
    now,
    ...(options.unstakeCheckMs !== undefined ? { checkMs: options.unstakeCheckMs } : {}),
  });

  /** Jobs this provider took that are not settled: their stake is locked until they are. */
  const inProgress = (s: Session): boolean =>
    s.leases.list({ states: [...HELD_LEASE_STATES], limit: 1 }).length > 0;

  async function ensureSession(): Promise<Session | undefined> {
    if (closed) return undefined;
    const enabled = options.settings().market.enabled;
    // With market jobs off nothing keeps Roost from working: there is no problem to show.
    const problemIfOn = (text: string | null): void => setProblem(enabled ? text : null);
    const signing = await signingProblem(options.wallet);
    if (signing !== null) {
      await endSession();
      problemIfOn(signing);
      return undefined;
    }
    let net: WalletNetwork;
    try {
      net = await options.network();
    } catch (error) {
      problemIfOn(messageOf(error));
      return session; // keep the session: the follower reports and recovers by itself
    }
    const status = await options.wallet.status();
    const address = status.address ?? '';
    const key = sessionKey(net, address);
    let s = session?.key === key ? session : undefined;
    if (!s) {
      building ??= (async () => {
        await endSession();
        try {
          return await buildSession(net, key, address);
        } catch (error) {
          problemIfOn(`could not reach the market: ${messageOf(error)}`);
          return undefined;
        } finally {
          building = undefined;
        }
      })();
      s = await building;
      if (!s) return undefined;
    }
    if (!enabled) {
      setProblem(null);
      // Turned on again later: the provider record is checked anew (a pending unstake goes back).
      registration.forget();
    }
    if (started && session === s) {
      if (enabled || inProgress(s)) {
        if (running !== s) run(s);
      } else if (running === s) await pause(s);
    }
    return s;
  }

  async function buildSession(
    net: WalletNetwork,
    key: string,
    address: string,
  ): Promise<Session | undefined> {
    registration.forget();
    const s = await openSession(
      {
        options,
        log,
        now,
        database,
        tokenMeta,
        onEvents: events.onEvents,
        onReorg: events.onReorg,
        onTxReorganised: events.onTxReorganised,
        onProblem: (s, text) => {
          if (text !== null) setProblem(`the chain is not answering: ${text}`);
          else void registration.ensure(s).catch(() => undefined);
        },
      },
      net,
      key,
      address,
    );
    session = s;
    return s;
  }

  /**
   * Only a started service (a long-lived host) follows the market and works on leases.
   * Transactions a previous run left pending, and leases it left half-way, carry on.
   */
  function run(s: Session): void {
    running = s;
    log.info(
      `market: following ${s.net.marketAddress} on ${s.net.name} (chain ${s.net.chainId}) as ${s.address}`,
    );
    for (const pending of s.tx.pending())
      void s.tx.wait(pending.key).catch((error: unknown) => log.warn(messageOf(error)));
    s.follower.start();
    if (options.settings().market.enabled)
      void registration.ensure(s).catch((error: unknown) => setProblem(messageOf(error)));
    for (const lease of s.leases.list()) {
      if (!FINISHED_LEASE_STATES.includes(lease.state)) driver.schedule(s, lease.jobId);
    }
  }

  /** Market jobs are off and none is in progress: stop following, keep the session. */
  async function pause(s: Session): Promise<void> {
    if (running !== s) return;
    running = undefined;
    log.info('market: market jobs are off; not following the market');
    await s.follower.stop();
    await driver.settled();
    await registration.settled();
  }

  async function endSession(): Promise<void> {
    const s = session;
    session = undefined;
    if (!s) return;
    if (running === s) running = undefined;
    await s.follower.stop();
    await driver.settled();
  }

  /**
   * The wallet's stake read with no key: a wallet that can't sign has no session, but its address
   * and the chain are known. Undefined while it can sign (the session reads), without a wallet,
   * or when the chain can't be asked.
   */
  async function keylessReader(): Promise<StakeReader | undefined> {
    const status = await options.wallet.status();
    if (status.workSigning || status.address === null) return undefined;
    if (status.state !== 'locked' && status.state !== 'unlocked') return undefined;
    try {
      const net = await options.network();
      return {
        key: sessionKey(net, status.address),
        net,
        address: status.address,
        meta: await tokenMeta.get(net),
      };
    } catch {
      return undefined;
    }
  }

  /**
   * What the market would refuse anyway (nothing staked, nothing on its way back, a wrong
   * amount) is a read, which needs no key: it is said before a locked wallet is asked to unlock.
   */
  async function refusedWithoutKey(check: (r: StakeReader) => Promise<unknown>): Promise<void> {
    const reader = await keylessReader();
    if (!reader) return;
    try {
      await check(reader);
    } catch (error) {
      // A chain that can't be read now: the signing path says what it can.
      if (error instanceof UnstakeError) throw error;
    }
  }

  /** The chain as this wallet sees it, read with no key (the wallet may be locked, or none). */
  async function marketView(): Promise<MarketView> {
    const status = await options.wallet.status();
    const net = await options.network();
    const address =
      status.state === 'locked' || status.state === 'unlocked' ? status.address : null;
    return { net, meta: await tokenMeta.get(net), address };
  }

  /**
   * Looks for disputes this wallet may rule on and announces a change (onDisputes); a wallet that
   * is not the arbiter costs one role check, and no wallet none.
   */
  async function watchDisputes(): Promise<void> {
    const view = await marketView();
    if (view.address === null) return;
    const listed = await arbitration.list(view, { arbiterOnly: true });
    const rulable = listed.disputes.filter((d) => d.cannotRule === null);
    const key = rulable.map((d) => `${d.jobId}:${d.slot}`).join(',');
    if (key === disputesSeen) return;
    disputesSeen = key;
    options.onDisputes?.({ ...listed, disputes: rulable });
  }

  /** The session to send the provider's own transactions through, whether market jobs are on. */
  async function accountSession(): Promise<Session> {
    await requireSigningWallet(options.wallet);
    const s = await ensureSession();
    if (!s)
      throw new UnstakeError(
        'NETWORK_UNAVAILABLE',
        `The market can't be reached${problem ? `: ${problem}` : ''}. Nothing was changed; try again once the chain answers.`,
      );
    return s;
  }

  const tick = async (): Promise<void> => {
    const s = await ensureSession();
    if (!s) return;
    let unstaked = false;
    if (!options.settings().market.enabled)
      unstaked = await unstaking.tick(s).catch((error: unknown) => {
        log.warn(`market: could not finish taking the stake back: ${messageOf(error)}`);
        return false;
      });
    else if (started)
      await registration
        .refresh(s)
        .catch((error: unknown) =>
          log.warn(`market: could not update the provider record: ${messageOf(error)}`),
        );
    const clock = Math.floor(now().getTime() / 1000);
    for (const lease of s.leases.list({
      states: [
        'seen',
        'skipped',
        'claiming',
        'claimed',
        'running',
        'uploading',
        'submitting',
        'submitted',
        'disputed',
        'paid',
      ],
      limit: 200,
    })) {
      if (
        lease.state === 'paid' &&
        (options.settings().market.autoWithdrawAbove === null ||
          s.tx.get(`withdraw:after:${lease.jobId}`))
      )
        continue;
      if (lease.state === 'skipped' && lease.deadline - lease.leaseSeconds < clock) continue;
      driver.schedule(s, lease.jobId);
    }
    // With market jobs off and nothing held, the status changes only by the user's own actions
    // (which publish it themselves) or a stake coming free: reading it from the chain every tick
    // cost a public RPC two calls every 3 s, all day, on a machine that only runs private jobs.
    const quiet = !options.settings().market.enabled && running !== s && !unstaked;
    if (!quiet || now().getTime() - lastPublishAt >= (options.quietStatusMs ?? 60_000))
      await publishStatus();
  };

  const service: MarketService = {
    start() {
      if (started || closed) return;
      started = true;
      if (session && (options.settings().market.enabled || inProgress(session))) run(session);
      const loop = (): void => {
        timer = setTimeout(() => {
          void tick()
            .catch((error: unknown) => log.warn(`market: ${messageOf(error)}`))
            .finally(() => {
              if (!closed) loop();
            });
        }, options.tickMs ?? 3_000);
      };
      void tick().catch((error: unknown) => log.warn(`market: ${messageOf(error)}`));
      loop();
      if (options.onDisputes) {
        const look = (): void => {
          void watchDisputes()
            .catch((error: unknown) =>
              log.debug?.(`market: disputes not read (${messageOf(error)})`),
            )
            .finally(() => {
              if (closed) return;
              disputesTimer = setTimeout(look, options.disputesCheckMs ?? 60_000);
              disputesTimer.unref?.();
            });
        };
        look();
      }
    },
    async status() {
      // A one-shot host (the CLI) reads the chain through a session it does not run.
      if (!started && !session) await ensureSession().catch(() => undefined);
      const s = session;
      const settings = options.settings();
      const counts: Record<string, number> = {};
      for (const lease of s?.leases.list() ?? [])
        counts[lease.state] = (counts[lease.state] ?? 0) + 1;
      const follower = s?.follower.status();
      let provider: MarketStatus['provider'] = null;
      // A locked wallet has no session, but its stake is read all the same (no key needed), so
      // the Wallet page and `roost market unstake` can say what is staked before any unlock.
      const reader: StakeReader | undefined = s ?? (await keylessReader());
      if (reader) {
        const amount = (v: bigint) => tokenAmount(v, reader.meta);
        try {
          const market = connectJobMarket(reader.net.marketAddress, reader.net.provider);
          const [p, withdrawable, delay] = await Promise.all([
            market.getProvider(reader.address),
            market.withdrawable(reader.address),
            unstaking.delay(reader),
          ]);
          provider = {
            address: reader.address,
            registered: p.registeredAt !== 0n,
            score: Number(p.score),
            reportHash: p.registeredAt !== 0n ? p.reportHash : null,
            pricePerUnitHour: amount(p.pricePerUnitHour),
            stake: amount(p.stake),
            locked: amount(p.locked),
            withdrawable: amount(withdrawable),
            unstaking: unstakingView(p, amount),
            unstakeDelaySeconds: Number(delay),
          };
        } catch {
          provider = null;
        }
      }
      return {
        state: !settings.market.enabled
          ? 'off'
          : started && s && problem === null
            ? 'ready'
            : 'waiting',
        problem:
          problem ??
          (started
            ? null
            : 'Roost is not running: start the app or `roost serve` (market jobs are taken only while it runs)'),
        network: s
          ? {
              name: s.net.name,
              chainId: s.net.chainId,
              marketAddress: s.net.marketAddress,
              embedded: options.embeddedDevnet?.() ?? false,
              test: isTestNetwork(s.net),
              tokensDecidedBy: tokensDecidedBy(s.net),
            }
          : null,
        provider,
        follower: {
          checkpoint: follower?.checkpoint ?? null,
          head: follower?.head ?? null,
          lagBlocks: follower?.lagBlocks ?? null,
          lastError: follower?.lastError ?? null,
        },
        practice: { on: settings.market.practice, posted: options.practicePosted?.() ?? 0 },
        counts,
      };
    },
    leases(filter) {
      return session?.leases.list(filter) ?? [];
    },
    token() {
      return session ? { symbol: session.meta.symbol, decimals: session.meta.decimals } : null;
    },
    localJobRemoval(localJobId) {
      if (closed) return { ok: false, reason: 'Roost is stopping' };
      try {
        return localJobRemoval(database(), localJobId);
      } catch (error) {
        return {
          ok: false,
          reason: `the lease journal could not be read (${messageOf(error)})`,
        };
      }
    },
    lease(jobId) {
      const s = session;
      const lease = s?.leases.get(jobId);
      if (!s || !lease) return undefined;
      return { ...lease, history: s.leases.history(jobId) };
    },
    async register() {
      const s = await ensureSession();
      // After one already under way, once more: the user may have just changed the price.
      if (s) await registration.registerNow(s);
      return service.status();
    },
    async unstake(params) {
      await refusedWithoutKey((r) => unstaking.check(r, params.amount));
      const s = await accountSession();
      // Checked before anything changes: a wrong amount leaves market jobs as they were.
      const { amount, p } = await unstaking.check(s, params.amount);
      const wasOn = options.settings().market.enabled;
      if (wasOn) {
        // Turned off rather than refused: taking the deposit back is what a user leaving (or
        // moving the machine) wants, and with market jobs on the registration would stake again
        // at once. One step, said in the confirmation and the answer, beats a "turn off first".
        if (!options.setMarketJobs)
          throw new UnstakeError(
            'JOB_STATE',
            'Market jobs are on, and Roost would stake again: turn them off (Settings → Market, or `roost settings set market.enabled false`), then ask again. Nothing was changed.',
          );
        await options.setMarketJobs(false);
        log.info('market: market jobs turned off to take the stake back');
      }
      // A registration under way (adding stake) finishes first; none starts while jobs are off.
      await registration.settled();
      let sent;
      try {
        sent = await unstaking.request(s, amount, p);
      } catch (error) {
        if (wasOn) await options.setMarketJobs?.(true);
        throw error;
      }
      if (started) void ensureSession().catch(() => undefined);
      const amountOf = (v: bigint) => tokenAmount(v, s.meta);
      return {
        requested: amountOf(sent.requested),
        unstaking: { ...amountOf(sent.unstaking), availableAt: unixTimeIso(sent.availableAt) },
        locked: amountOf(sent.locked),
        marketJobsTurnedOff: wasOn,
        status: await publishedStatus(),
      };
    },
    async completeUnstake() {
      await refusedWithoutKey((r) => unstaking.pending(r, 'complete'));
      const s = await accountSession();
      await unstaking.complete(s);
      return publishedStatus();
    },
    async cancelUnstake() {
      await refusedWithoutKey((r) => unstaking.pending(r, 'cancel'));
      const s = await accountSession();
      await unstaking.cancel(s, 'cancelled by you');
      return publishedStatus();
    },
    async disputes(options = {}) {
      return arbitration.list(await marketView(), {
        ...(options.arbiterOnly === undefined ? {} : { arbiterOnly: options.arbiterOnly }),
      });
    },
    async resolveDispute(params) {
      await arbitration.check(await marketView(), params);
      return arbitration.resolve(await accountSession(), params);
    },
    poke() {
      if (!timer || closed) return;
      void tick().catch((error: unknown) => log.warn(`market: ${messageOf(error)}`));
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (disputesTimer) clearTimeout(disputesTimer);
      await building?.catch(() => undefined);
      await endSession();
      db?.close();
      db = undefined;
    },
  };
  return service;
}

export type { Provider };
