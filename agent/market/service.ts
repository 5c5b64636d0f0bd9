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
import { formatUnits } from 'ethers';
import type { Provider } from 'ethers';
import { connectJobMarket } from '../../contracts/bindings/job-market.ts';
import { TokenMetaCache, type TokenMeta } from '../wallet/chain.ts';
import { isTestNetwork, tokensDecidedBy } from '../wallet/network.ts';
import type { WalletNetwork } from '../wallet/network.ts';
import { marketDbPath, openMarketDb } from './db.ts';
import { messageOf } from './format.ts';
import { createLeaseDriver } from './lease-driver.ts';
import { createLeaseEvents } from './lease-events.ts';
import { FINISHED_LEASE_STATES, type LeaseStore } from './leases.ts';
import { createRegistration } from './registration.ts';
import type { LeaseRecord, LeaseState, MarketStatus } from './schema.ts';
import type { MarketLog, MarketServiceOptions } from './service-options.ts';
import {
  createLeaseRecorder,
  openSession,
  sessionKey,
  signingProblem,
  type Session,
} from './session.ts';

export type { LatestReport, MarketLog, MarketServiceOptions } from './service-options.ts';

export interface MarketService {
  start(): void;
  status(): Promise<MarketStatus>;
  leases(filter?: { states?: LeaseState[]; limit?: number }): LeaseRecord[];
  lease(jobId: string): (LeaseRecord & { history: ReturnType<LeaseStore['history']> }) | undefined;
  /** The payment token of the current session. */
  token(): TokenMeta | null;
  /** Register or update now; resolves with the status (its `problem` says what is missing). */
  register(): Promise<MarketStatus>;
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
  let building: Promise<Session | undefined> | undefined;
  let problem: string | null = null;
  let closed = false;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let lastStatusJson = '';

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
    const status = await service.status().catch(() => undefined);
    if (!status) return;
    const json = JSON.stringify(status);
    if (json === lastStatusJson) return;
    lastStatusJson = json;
    options.onStatus(status);
  }

  const recorder = createLeaseRecorder(log, options);
  const registration = createRegistration({
    options,
    log,
    now,
    setProblem,
    schedule: (s, jobId) => driver.schedule(s, jobId),
  });
  const driver = createLeaseDriver({
    options,
    log,
    now,
    recorder,
    current: (s) => session === s && !closed && started,
    registered: () => registration.registered(),
  });
  const events = createLeaseEvents({ options, log, recorder, schedule: driver.schedule });

  async function ensureSession(): Promise<Session | undefined> {
    if (closed) return undefined;
    const settings = options.settings();
    if (!settings.market.enabled) {
      await endSession();
      setProblem(null);
      return undefined;
    }
    const signing = await signingProblem(options.wallet);
    if (signing !== null) {
      await endSession();
      setProblem(signing);
      return undefined;
    }
    let net: WalletNetwork;
    try {
      net = await options.network();
    } catch (error) {
      setProblem(messageOf(error));
      return session; // keep the session: the follower reports and recovers by itself
    }
    const status = await options.wallet.status();
    const address = status.address ?? '';
    const key = sessionKey(net, address);
    if (session?.key === key) return session;
    building ??= (async () => {
      await endSession();
      try {
        return await buildSession(net, key, address);
      } catch (error) {
        setProblem(`could not reach the market: ${messageOf(error)}`);
        return undefined;
      } finally {
        building = undefined;
      }
    })();
    return building;
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
    log.info(
      `market: following ${net.marketAddress} on ${net.name} (chain ${net.chainId}) as ${s.address}`,
    );
    // Transactions a previous run left pending, and leases it left half-way, carry on.
    if (started) run(s);
    return s;
  }

  /** Only a started service (a long-lived host) follows the market and works on leases. */
  function run(s: Session): void {
    for (const pending of s.tx.pending())
      void s.tx.wait(pending.key).catch((error: unknown) => log.warn(messageOf(error)));
    s.follower.start();
    void registration.ensure(s).catch((error: unknown) => setProblem(messageOf(error)));
    for (const lease of s.leases.list()) {
      if (!FINISHED_LEASE_STATES.includes(lease.state)) driver.schedule(s, lease.jobId);
    }
  }

  async function endSession(): Promise<void> {
    const s = session;
    session = undefined;
    if (!s) return;
    await s.follower.stop();
    await driver.settled();
  }

  const tick = async (): Promise<void> => {
    const s = await ensureSession();
    if (!s) return;
    if (started)
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
    await publishStatus();
  };

  const service: MarketService = {
    start() {
      if (started || closed) return;
      started = true;
      if (session) run(session);
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
      if (s) {
        const amount = (v: bigint) => ({
          amount: formatUnits(v, s.meta.decimals).replace(/\.0$/, ''),
          symbol: s.meta.symbol,
        });
        try {
          const market = connectJobMarket(s.net.marketAddress, s.net.provider);
          const [p, withdrawable] = await Promise.all([
            market.getProvider(s.address),
            market.withdrawable(s.address),
          ]);
          provider = {
            address: s.address,
            registered: p.registeredAt !== 0n,
            score: Number(p.score),
            reportHash: p.registeredAt !== 0n ? p.reportHash : null,
            pricePerUnitHour: amount(p.pricePerUnitHour),
            stake: amount(p.stake),
            locked: amount(p.locked),
            withdrawable: amount(withdrawable),
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
    poke() {
      if (!timer || closed) return;
      void tick().catch((error: unknown) => log.warn(`market: ${messageOf(error)}`));
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await building?.catch(() => undefined);
      await endSession();
      db?.close();
      db = undefined;
    },
  };
  return service;
}

export type { Provider };
