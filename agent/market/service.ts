/**
 * The market client of the provider agent: it follows the market's events, decides on every
 * posted job (and says why it skipped one), claims, runs the job through the job service's
 * sandboxed worker, uploads the outputs to the requester, submits the result hash, finalizes and
 * withdraws. Every step is a lease state in the journal (leases.ts) and every transaction goes
 * through the transaction manager under a key, so a restart at any point carries on from where
 * it stopped without sending anything twice.
 *
 * A "session" is one wallet on one deployment; it is rebuilt when either changes.
 */
import type { DatabaseSync } from 'node:sqlite';
import { JsonRpcProvider, formatUnits, getAddress, parseUnits } from 'ethers';
import type { Provider } from 'ethers';
import {
  connectJobMarket,
  jobMarketInterface,
  leaseStateNames,
  parseJobMarketLog,
} from '../../contracts/bindings/job-market.ts';
import {
  connectRoostTestToken,
  roostTestTokenInterface,
} from '../../contracts/bindings/roost-test-token.ts';
import type { JobService } from '../jobs/service.ts';
import { canonicalJson } from '../jobs/util.ts';
import { TokenMetaCache, type TokenMeta } from '../wallet/chain.ts';
import type { NetworkSource, WalletNetwork } from '../wallet/network.ts';
import type { WalletService } from '../wallet/service.ts';
import type { WalletSigner } from '../wallet/work-signer.ts';
import { chainKeyOf } from './chain-key.ts';
import { marketDbPath, openMarketDb } from './db.ts';
import { decide, type Decision } from './decide.ts';
import { createFollower, type Follower, type MarketEvent } from './follower.ts';
import {
  FINISHED_LEASE_STATES,
  openLeaseStore,
  type LeasePatch,
  type LeaseStore,
} from './leases.ts';
import type { LeaseRecord, LeaseState, MarketJob, MarketSettings, MarketStatus } from './schema.ts';
import { TransferError, fetchMarketJob, uploadResult, type FetchLike } from './transfer.ts';
import {
  TxRevertError,
  createTxManager,
  type TxIntent,
  type TxManager,
  type TxRecord,
} from './tx-manager.ts';

export interface MarketLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LatestReport {
  /** 0x + sha256 of the report's canonical JSON. */
  hash: string;
  /** The composite score, rounded to the market's integer units. */
  score: number;
}

export interface MarketServiceOptions {
  dataDir: string;
  network: NetworkSource;
  wallet: WalletService;
  jobs: () => Promise<JobService>;
  settings: () => { market: MarketSettings; pricePerUnitHour: number; networkName: string };
  /** Null when the work policy lets the machine work now; else why not. */
  policy: () => Promise<string | null>;
  latestReport: () => Promise<LatestReport | null>;
  /** Largest GPU memory in MiB; null without a GPU. */
  maxVramMiB: () => Promise<number | null>;
  log: MarketLog;
  onLease?: (lease: LeaseRecord) => void;
  onStatus?: (status: MarketStatus) => void;
  /** Sample jobs practice mode has posted (shown in the status). */
  practicePosted?: () => number;
  /** Whether this agent started the local devnet itself (shown in the status). */
  embeddedDevnet?: () => boolean;
  fetch?: FetchLike;
  now?: () => Date;
  /** Blocks an event waits under before it counts; default 0 on `local`, 2 elsewhere. */
  confirmations?: number;
  /** How often the follower polls; default 200 ms on loopback, 2 s elsewhere. */
  pollMs?: number;
  /** How often the service re-checks its session and drives waiting leases (default 3 s). */
  tickMs?: number;
  tx?: { bumpAfterMs?: number; pollMs?: number };
  /** Leases held at once (default 1: one machine, one job). */
  capacity?: number;
}

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

interface Session {
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
  local: boolean;
}

const ACTIVE: readonly LeaseState[] = ['claiming', 'claimed', 'running', 'uploading', 'submitting'];
const LOST_ERRORS = new Set([
  'NoOpenLease',
  'AlreadyLeased',
  'ClaimWindowClosed',
  'UnknownJob',
  'WrongLeaseState',
]);
const ONE_ETH = 10n ** 18n;

/** An amount of the payment token in words: 1.5 rUSD. */
function tokens(value: bigint, meta: TokenMeta): string {
  return `${formatUnits(value, meta.decimals).replace(/\.0$/, '')} ${meta.symbol}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isLoopback(url: string | null): boolean {
  return url !== null && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url);
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
  let registered = false;
  let closed = false;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  const driving = new Map<string, { again: boolean; done: Promise<void> }>();
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

  // ------------------------------------------------------------------ the session

  async function signingProblem(): Promise<string | null> {
    const status = await options.wallet.status();
    if (status.state === 'none' || status.state === 'pending')
      return 'there is no wallet yet: create or import one (Wallet page, or `roost wallet create`) to take market jobs';
    if (status.state === 'damaged')
      return 'the wallet file is damaged: restore it from a backup (Wallet page)';
    if (!status.workSigning)
      return 'the wallet is locked: unlock it (Wallet page, or `roost wallet unlock`) so Roost can sign claims and results';
    return null;
  }

  async function ensureSession(): Promise<Session | undefined> {
    if (closed) return undefined;
    const settings = options.settings();
    if (!settings.market.enabled) {
      await endSession();
      setProblem(null);
      return undefined;
    }
    const signing = await signingProblem();
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
    const key = `${net.chainId}:${net.marketAddress.toLowerCase()}:${net.rpcUrl ?? ''}:${address.toLowerCase()}`;
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
    registeredWith = undefined;
    const chainKey = await chainKeyOf(
      net.provider,
      net.chainId,
      net.marketAddress,
      net.deployBlock,
    );
    const signer = await options.wallet.workSigner(net.provider);
    const meta = await tokenMeta.get(net);
    const local = net.name === 'local';
    const leases = openLeaseStore(database(), chainKey, {
      now,
      onBadRow: (jobId, error) =>
        log.error(`market job ${jobId} in the journal could not be read: ${messageOf(error)}`),
    });
    const tx = createTxManager({
      db: database(),
      signer,
      chainKey,
      log,
      now,
      ...(options.tx?.bumpAfterMs !== undefined ? { bumpAfterMs: options.tx.bumpAfterMs } : {}),
      ...(options.tx?.pollMs !== undefined ? { pollMs: options.tx.pollMs } : {}),
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
      local,
    };
    s.follower = createFollower({
      db: database(),
      provider: net.provider,
      marketAddress: net.marketAddress,
      chainKey,
      fromBlock: net.deployBlock,
      confirmations: options.confirmations ?? (local ? 0 : 2),
      pollMs: options.pollMs ?? (isLoopback(net.rpcUrl) ? 200 : 2000),
      onEvents: (events) => onEvents(s, events),
      onReorg: async (fromBlock) => {
        const forgotten = s.leases.forgetFrom(fromBlock);
        log.warn(
          `market: the chain replaced blocks from ${fromBlock}; ${forgotten} job(s) seen there are read again`,
        );
        resendReorganised(s, fromBlock);
      },
      onProblem: (text) => {
        if (text !== null) setProblem(`the chain is not answering: ${text}`);
        else void ensureRegistered(s).catch(() => undefined);
      },
      log,
    });
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
    void ensureRegistered(s).catch((error: unknown) => setProblem(messageOf(error)));
    for (const lease of s.leases.list()) {
      if (!FINISHED_LEASE_STATES.includes(lease.state)) schedule(s, lease.jobId);
    }
  }

  async function endSession(): Promise<void> {
    const s = session;
    session = undefined;
    if (!s) return;
    await s.follower.stop();
    await Promise.all([...driving.values()].map((d) => d.done.catch(() => undefined)));
  }

  // ------------------------------------------------------------------ registration and funds

  function priceBase(meta: TokenMeta): bigint {
    return parseUnits(options.settings().pricePerUnitHour.toFixed(meta.decimals), meta.decimals);
  }

  function stakeBase(meta: TokenMeta): bigint {
    return parseUnits(options.settings().market.stake.toFixed(meta.decimals), meta.decimals);
  }

  /** On the local devnet a new wallet gets test coins and test dollars, so the loop just works. */
  async function fundOnDevnet(s: Session, tokensNeeded: bigint): Promise<void> {
    if (!s.local || !(s.net.provider instanceof JsonRpcProvider)) return;
    const rpc = s.net.provider;
    const balance = await rpc.getBalance(s.address);
    if (balance < ONE_ETH) {
      await rpc.send('hardhat_setBalance', [s.address, `0x${(100n * ONE_ETH).toString(16)}`]);
      log.info(`market: the local devnet gave ${s.address} 100 test ETH for fees`);
    }
    const token = connectRoostTestToken(s.net.tokenAddress, rpc);
    const have = await token.balanceOf(s.address);
    if (have < tokensNeeded) {
      const [admin] = (await rpc.send('eth_accounts', [])) as string[];
      if (admin === undefined) return;
      const funder = await rpc.getSigner(admin);
      await (
        await connectRoostTestToken(s.net.tokenAddress, funder).faucetTo(
          s.address,
          tokensNeeded - have,
        )
      ).wait();
      log.info(
        `market: the local devnet gave ${s.address} ${tokens(tokensNeeded - have, s.meta)} to stake`,
      );
    }
  }

  async function send(s: Session, intent: TxIntent): Promise<TxRecord> {
    return s.tx.execute(intent);
  }

  /** What the chain should say about this provider: price, stake and report. */
  function wanted(report: LatestReport | null): string {
    const settings = options.settings();
    return JSON.stringify([settings.pricePerUnitHour, settings.market.stake, report]);
  }
  let registeredWith: string | undefined;
  let registering: Promise<void> | undefined;
  let reportCheck = { at: 0, report: null as LatestReport | null };

  /** Registers or updates when the price, the stake or the latest report changed. */
  async function refreshRegistration(s: Session): Promise<void> {
    if (registering) return;
    if (now().getTime() - reportCheck.at > 30_000)
      reportCheck = { at: now().getTime(), report: await options.latestReport() };
    if (wanted(reportCheck.report) === registeredWith) return;
    registering = ensureRegistered(s).finally(() => {
      registering = undefined;
    });
    await registering;
  }

  async function ensureRegistered(s: Session): Promise<void> {
    const report = await options.latestReport();
    reportCheck = { at: now().getTime(), report };
    // What this run puts on chain: read once, so a change made meanwhile is seen as a change.
    const target = wanted(report);
    const price = priceBase(s.meta);
    const stake = stakeBase(s.meta);
    const market = connectJobMarket(s.net.marketAddress, s.net.provider);
    const current = await market.getProvider(s.address);
    if (report === null) {
      registered = current.registeredAt !== 0n;
      registeredWith = target;
      setProblem(
        registered
          ? null
          : 'no benchmark yet: run one (Benchmark page, or `roost bench`) so the market knows what this machine can do',
      );
      return;
    }
    const reportHash = `0x${report.hash.replace(/^(0x|sha256:)/, '')}`;
    const score = BigInt(report.score);
    const tokenNeeded =
      current.registeredAt === 0n ? stake : stake > current.stake ? stake - current.stake : 0n;
    await fundOnDevnet(s, tokenNeeded);
    if (tokenNeeded > 0n) await approve(s, tokenNeeded);
    if (current.registeredAt === 0n) {
      await send(s, {
        key: `register:${reportHash}`,
        to: s.net.marketAddress,
        data: jobMarketInterface.encodeFunctionData('registerProvider', [
          reportHash,
          score,
          price,
          stake,
        ]),
        label: 'register as a provider',
      });
      log.info(`market: registered with score ${score} and stake ${tokens(stake, s.meta)}`);
    } else {
      if (
        current.reportHash !== reportHash ||
        current.score !== score ||
        current.pricePerUnitHour !== price
      )
        await send(s, {
          key: `update:${reportHash}:${score}:${price}`,
          to: s.net.marketAddress,
          data: jobMarketInterface.encodeFunctionData('updateProvider', [reportHash, score, price]),
          label: 'update the provider record',
        });
      if (tokenNeeded > 0n)
        await send(s, {
          key: `stake:${current.stake}:${stake}`,
          to: s.net.marketAddress,
          data: jobMarketInterface.encodeFunctionData('addStake', [tokenNeeded]),
          label: `add ${tokens(tokenNeeded, s.meta)} of stake`,
        });
    }
    registered = true;
    registeredWith = target;
    setProblem(null);
    s.lastFacts.clear();
    for (const lease of s.leases.list({ states: ['seen', 'skipped'] })) schedule(s, lease.jobId);
  }

  async function approve(s: Session, amount: bigint): Promise<void> {
    const token = connectRoostTestToken(s.net.tokenAddress, s.net.provider);
    const allowance = await token.allowance(s.address, s.net.marketAddress);
    if (allowance >= amount) return;
    await send(s, {
      key: `approve:${s.net.marketAddress}:${amount}:${allowance}`,
      to: s.net.tokenAddress,
      data: roostTestTokenInterface.encodeFunctionData('approve', [s.net.marketAddress, amount]),
      label: `allow the market to take ${tokens(amount, s.meta)}`,
    });
  }

  // ------------------------------------------------------------------ events

  function move(
    s: Session,
    jobId: string,
    from: readonly LeaseState[],
    to: LeaseState,
    patch: LeasePatch,
    message: string,
  ): LeaseRecord | undefined {
    const moved = s.leases.move(jobId, from, to, patch, message);
    if (moved) {
      log.info(`market job ${jobId}: ${to}${message ? ` — ${message}` : ''}`);
      options.onLease?.(moved);
    }
    return moved;
  }

  async function onEvents(s: Session, events: MarketEvent[]): Promise<void> {
    const me = s.address.toLowerCase();
    const touched = new Set<string>();
    for (const e of events) {
      const a = e.args;
      const jobId = String(a.jobId ?? '');
      const isMe = typeof a.provider === 'string' && a.provider.toLowerCase() === me;
      switch (e.name) {
        case 'JobPosted': {
          const { record, created } = s.leases.seen(
            {
              jobId: BigInt(jobId),
              requester: String(a.requester),
              specUri: String(a.specURI),
              specHash: String(a.specHash),
              reward: BigInt(a.reward as bigint),
              collateral: BigInt(a.collateral as bigint),
              minScore: BigInt(a.minScore as bigint),
              leaseSeconds: Number(a.leaseSeconds),
              deadline: Number(a.deadline),
              postedBlock: e.blockNumber,
            },
            `posted in block ${e.blockNumber}`,
          );
          if (created) options.onLease?.(record);
          touched.add(jobId);
          break;
        }
        case 'LeaseClaimed':
          if (isMe) {
            const moved = move(
              s,
              jobId,
              ['seen', 'skipped', 'claiming'],
              'claimed',
              {
                slot: Number(a.slot),
                leaseEndsAt: Number(a.leaseEndsAt),
              },
              `lease ${Number(a.slot)} is ours until ${new Date(Number(a.leaseEndsAt) * 1000).toISOString()}`,
            );
            // A claim that went in again after a reorganisation ends later than it first did.
            const held = moved ? undefined : s.leases.get(jobId);
            if (
              held &&
              !FINISHED_LEASE_STATES.includes(held.state) &&
              held.slot === Number(a.slot) &&
              held.leaseEndsAt !== Number(a.leaseEndsAt)
            )
              s.leases.update(jobId, { leaseEndsAt: Number(a.leaseEndsAt) });
          }
          touched.add(jobId);
          break;
        case 'ResultSubmitted':
          if (isMe)
            move(
              s,
              jobId,
              ['claimed', 'running', 'uploading', 'submitting'],
              'submitted',
              {
                challengeEndsAt: Number(a.challengeEndsAt),
                resultHash: String(a.resultHash),
                resultUri: String(a.resultURI),
              },
              'result submitted; the requester may check it until the challenge window closes',
            );
          break;
        case 'ResultDisputed': {
          const lease = s.leases.get(jobId);
          if (lease?.slot === Number(a.slot) && lease.state === 'submitted')
            move(
              s,
              jobId,
              ['submitted'],
              'disputed',
              {},
              `the requester disputed the result (${String(a.reasonURI)})`,
            );
          break;
        }
        case 'LeaseSettled':
          if (isMe) {
            const outcome = leaseStateNames[Number(a.outcome)];
            const payout = BigInt(a.providerPayout as bigint);
            const money = `${tokens(payout, s.meta)}`;
            if (outcome === 'Paid')
              move(
                s,
                jobId,
                ['submitted', 'disputed'],
                'paid',
                { payout: payout.toString(), reason: `earned ${money}` },
                `paid ${money}`,
              );
            else if (outcome === 'Rejected')
              move(
                s,
                jobId,
                ['submitted', 'disputed'],
                'rejected',
                { payout: '0' },
                `the arbiter sided with the requester; collateral of ${tokens(BigInt(a.collateralSlashed as bigint), s.meta)} lost`,
              );
            else if (outcome === 'Voided')
              move(
                s,
                jobId,
                ['submitted', 'disputed'],
                'voided',
                { payout: '0' },
                'the dispute went stale: reward refunded, collateral returned',
              );
          }
          touched.add(jobId);
          break;
        case 'LeaseExpired':
          if (isMe)
            move(
              s,
              jobId,
              ['claimed', 'running', 'uploading', 'submitting', 'failed'],
              'expired',
              {},
              `the lease ran out without a result; ${tokens(BigInt(a.collateralSlashed as bigint), s.meta)} of collateral went to the requester`,
            );
          touched.add(jobId);
          break;
        case 'JobCancelled':
          move(
            s,
            jobId,
            ['seen', 'skipped', 'claiming'],
            'lost',
            {},
            'the requester cancelled the job',
          );
          break;
        default:
          break;
      }
    }
    for (const jobId of touched) schedule(s, jobId);
  }

  /** A line in the lease's history (and the log) without a change of state. */
  function note(s: Session, jobId: string, message: string): void {
    const noted = s.leases.note(jobId, message);
    log.info(`market job ${jobId}: ${message}`);
    if (noted) options.onLease?.(noted);
  }

  /**
   * Our claims and results mined in blocks the chain replaced are gone from it: the transaction
   * manager hands the same signed bytes to the node again (same nonce, so never a second claim).
   * A claim that does not go in again (someone else took the lease meanwhile) fails the lease.
   */
  function resendReorganised(s: Session, fromBlock: number): void {
    const held: LeaseState[] = ['claimed', 'running', 'uploading', 'submitting', 'submitted'];
    for (const lease of s.leases.list({ states: held })) {
      const keys = [`claim:${lease.jobId}`, `submit:${lease.jobId}:${lease.slot ?? 0}`];
      for (const key of keys) {
        const record = s.tx.get(key);
        if (record?.state !== 'mined' || (record.blockNumber ?? 0) < fromBlock) continue;
        const what = key.startsWith('claim:') ? 'the claim' : 'the result';
        note(
          s,
          lease.jobId,
          `a reorganisation replaced block ${record.blockNumber ?? '?'}, which held ${what}; the same signed transaction is sent again`,
        );
        void s.tx
          .wait(key)
          .then((again) => {
            if (again.state === 'mined') {
              note(s, lease.jobId, `${what} is on the chain again in block ${again.blockNumber}`);
              return;
            }
            if (what !== 'the claim') return;
            move(
              s,
              lease.jobId,
              ['claimed', 'running', 'uploading', 'submitting'],
              'failed',
              { reason: again.error ?? 'the claim did not go in again' },
              `the claim did not go in again after the reorganisation: ${again.error ?? again.state}`,
            );
          })
          .catch((error: unknown) => log.warn(`market job ${lease.jobId}: ${messageOf(error)}`));
      }
    }
  }

  // ------------------------------------------------------------------ driving one lease

  function schedule(s: Session, jobId: string): void {
    const running = driving.get(jobId);
    if (running) {
      running.again = true;
      return;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          if (session !== s || closed || !started) return;
          await drive(s, jobId);
        } while (entry.again);
      } catch (error) {
        log.warn(`market job ${jobId}: ${messageOf(error)} (will try again)`);
      } finally {
        driving.delete(jobId);
      }
    })();
    driving.set(jobId, entry);
  }

  async function document(s: Session, lease: LeaseRecord): Promise<MarketJob> {
    const known = s.docs.get(lease.jobId);
    if (known) return known;
    const doc = await fetchMarketJob(lease.specUri, lease.specHash, {
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    s.docs.set(lease.jobId, doc);
    return doc;
  }

  async function chainNow(s: Session): Promise<number> {
    const block = await s.net.provider.getBlock('latest');
    return Math.max(block?.timestamp ?? 0, Math.floor(now().getTime() / 1000));
  }

  async function decideOn(s: Session, lease: LeaseRecord): Promise<Decision> {
    const market = connectJobMarket(s.net.marketAddress, s.net.provider);
    const [provider, free, policy, vram, clock] = await Promise.all([
      market.getProvider(s.address),
      market.freeStake(s.address),
      options.policy(),
      options.maxVramMiB(),
      chainNow(s),
    ]);
    let doc: MarketJob | undefined;
    try {
      doc = await document(s, lease);
    } catch (error) {
      const retry = error instanceof TransferError ? error.retryable : true;
      return { take: false, reason: messageOf(error), transient: retry };
    }
    const active = s.leases.list({ states: ACTIVE }).filter((l) => l.jobId !== lease.jobId).length;
    return decide({
      enabled: options.settings().market.enabled,
      signing: await signingProblem(),
      registered: provider.registeredAt !== 0n,
      score: provider.score,
      pricePerUnitHour: provider.pricePerUnitHour,
      freeStake: free,
      policy,
      active,
      capacity: options.capacity ?? 1,
      maxVramMiB: vram,
      now: clock,
      token: s.meta,
      job: {
        reward: BigInt(lease.reward),
        collateral: BigInt(lease.collateral),
        minScore: BigInt(lease.minScore),
        leaseSeconds: lease.leaseSeconds,
        deadline: lease.deadline,
        minVramMiB: doc.requirements?.minVramMiB,
      },
    });
  }

  async function claim(s: Session, lease: LeaseRecord): Promise<void> {
    let record: TxRecord;
    try {
      record = await send(s, {
        key: `claim:${lease.jobId}`,
        to: s.net.marketAddress,
        data: jobMarketInterface.encodeFunctionData('claimJob', [BigInt(lease.jobId)]),
        label: `claim job ${lease.jobId}`,
      });
    } catch (error) {
      if (error instanceof TxRevertError) {
        const lost = [...LOST_ERRORS].some((name) => error.reason.includes(name));
        move(
          s,
          lease.jobId,
          ['claiming'],
          lost ? 'lost' : 'skipped',
          { reason: error.reason },
          `the claim was refused: ${error.reason}`,
        );
        return;
      }
      throw error;
    }
    if (record.state !== 'mined') {
      move(
        s,
        lease.jobId,
        ['claiming'],
        'lost',
        { reason: record.error ?? 'the claim failed' },
        `the claim failed: ${record.error ?? record.state}`,
      );
      return;
    }
    const receipt = await s.net.provider.getTransactionReceipt(record.hash);
    for (const raw of receipt?.logs ?? []) {
      const parsed = parseJobMarketLog(raw);
      if (
        parsed?.name === 'LeaseClaimed' &&
        String(parsed.args.provider).toLowerCase() === s.address.toLowerCase()
      ) {
        move(
          s,
          lease.jobId,
          ['claiming', 'seen', 'skipped'],
          'claimed',
          {
            slot: Number(parsed.args.slot),
            leaseEndsAt: Number(parsed.args.leaseEndsAt),
            reason: null,
          },
          `lease ${Number(parsed.args.slot)} claimed in block ${record.blockNumber ?? '?'}`,
        );
      }
    }
  }

  async function localJobFor(s: Session, lease: LeaseRecord, doc: MarketJob): Promise<string> {
    const jobs = await options.jobs();
    // After a crash between queueing and recording it: adopt the job already queued.
    const wanted = canonicalJson(doc.job);
    for (const j of jobs.list({ limit: 200 })) {
      if (j.origin !== 'market' || j.createdAt < lease.updatedAt) continue;
      if (j.state === 'failed' || j.state === 'cancelled') continue;
      const detail = jobs.show(j.id);
      if (detail.ok && canonicalJson(detail.value.spec) === wanted) return j.id;
    }
    const submitted = await jobs.submit(doc.job, { origin: 'market' });
    if (!submitted.ok) throw new TransferError(submitted.error.message, false);
    return submitted.value.id;
  }

  function watchLocalJob(s: Session, lease: LeaseRecord): void {
    if (lease.localJobId === null || s.waiting.has(lease.jobId)) return;
    s.waiting.add(lease.jobId);
    const localId = lease.localJobId;
    const abort = new AbortController();
    const endsAt = (lease.leaseEndsAt ?? 0) * 1000;
    // A job that cannot finish inside its lease is stopped, so the worker is free again.
    const watchdog = setTimeout(
      () => {
        void options.jobs().then((jobs) => jobs.cancel(localId));
      },
      Math.max(0, endsAt - now().getTime() - 5_000),
    );
    void (async () => {
      try {
        const jobs = await options.jobs();
        const done = await jobs.wait(localId, abort.signal);
        if (!done.ok) throw new Error(done.error.message);
        const detail = done.value;
        if (detail.state === 'done') {
          move(
            s,
            lease.jobId,
            ['running'],
            'uploading',
            {},
            `ran on ${detail.result?.receipt.executionProvider ?? 'the worker'}`,
          );
        } else {
          const why =
            detail.state === 'cancelled' && now().getTime() >= endsAt - 5_000
              ? 'the lease ran out before the job finished'
              : `the job ${detail.state}: ${detail.error?.message ?? 'no reason given'}`;
          move(
            s,
            lease.jobId,
            ['running'],
            'failed',
            { reason: why },
            `${why}; the lease will expire and its collateral goes to the requester`,
          );
        }
      } finally {
        clearTimeout(watchdog);
        s.waiting.delete(lease.jobId);
        schedule(s, lease.jobId);
      }
    })().catch((error: unknown) => log.warn(`market job ${lease.jobId}: ${messageOf(error)}`));
  }

  async function drive(s: Session, jobId: string): Promise<void> {
    const lease = s.leases.get(jobId);
    if (!lease) return;
    switch (lease.state) {
      case 'seen':
      case 'skipped': {
        if (lease.state === 'skipped') {
          const facts = JSON.stringify([
            registered,
            options.settings(),
            await options.policy(),
            s.leases.list({ states: ACTIVE }).length,
            (await options.wallet.status()).workSigning,
          ]);
          if (s.lastFacts.get(jobId) === facts) return;
          s.lastFacts.set(jobId, facts);
        }
        const decision = await decideOn(s, lease);
        if (!decision.take) {
          if (lease.state === 'seen' || lease.reason !== decision.reason) {
            move(
              s,
              jobId,
              [lease.state],
              'skipped',
              { reason: decision.reason },
              `skipped: ${decision.reason}`,
            );
          }
          return;
        }
        const claiming = move(
          s,
          jobId,
          ['seen', 'skipped'],
          'claiming',
          { reason: decision.reason },
          `claiming: ${decision.reason}`,
        );
        if (claiming) await claim(s, claiming);
        return;
      }
      case 'claiming':
        await claim(s, lease);
        return;
      case 'claimed': {
        const doc = await document(s, lease);
        const localJobId = await localJobFor(s, lease, doc);
        const running = move(
          s,
          jobId,
          ['claimed'],
          'running',
          { localJobId },
          `running as local job ${localJobId}`,
        );
        if (running) watchLocalJob(s, running);
        return;
      }
      case 'running':
        watchLocalJob(s, lease);
        return;
      case 'uploading': {
        if (lease.localJobId === null || lease.slot === null) return;
        const doc = await document(s, lease);
        const detail = (await options.jobs()).show(lease.localJobId);
        if (!detail.ok) throw new Error(detail.error.message);
        try {
          const uploaded = await uploadResult({
            document: doc,
            slot: lease.slot,
            provider: s.address,
            jobDir: detail.value.jobDir,
            ...(options.fetch ? { fetch: options.fetch } : {}),
          });
          move(
            s,
            jobId,
            ['uploading'],
            'submitting',
            { resultHash: uploaded.resultHash, resultUri: uploaded.resultUri },
            `outputs uploaded to ${uploaded.resultUri}`,
          );
        } catch (error) {
          if (error instanceof TransferError && !error.retryable) {
            move(
              s,
              jobId,
              ['uploading'],
              'failed',
              { reason: error.message },
              `${error.message}; the lease will expire`,
            );
            return;
          }
          throw error;
        }
        schedule(s, jobId);
        return;
      }
      case 'submitting': {
        if (lease.slot === null || lease.resultHash === null || lease.resultUri === null) return;
        // The claim must be on the chain before the result: after a reorganisation it may be
        // on its way back (wait() sends it again if no one has yet).
        const claimKey = `claim:${jobId}`;
        if (s.tx.get(claimKey) && !s.tx.get(`submit:${jobId}:${lease.slot}`))
          await s.tx.wait(claimKey);
        let record: TxRecord;
        try {
          record = await send(s, {
            key: `submit:${jobId}:${lease.slot}`,
            to: s.net.marketAddress,
            data: jobMarketInterface.encodeFunctionData('submitResult', [
              BigInt(jobId),
              lease.slot,
              lease.resultHash,
              lease.resultUri,
            ]),
            label: `submit the result of job ${jobId}`,
          });
        } catch (error) {
          if (error instanceof TxRevertError) {
            move(
              s,
              jobId,
              ['submitting'],
              'failed',
              { reason: error.reason },
              `the result was refused: ${error.reason}`,
            );
            return;
          }
          throw error;
        }
        if (record.state === 'mined') {
          const market = connectJobMarket(s.net.marketAddress, s.net.provider);
          const onChain = await market.getLease(BigInt(jobId), lease.slot);
          move(
            s,
            jobId,
            ['submitting'],
            'submitted',
            { challengeEndsAt: Number(onChain.challengeEndsAt) },
            'result submitted; the requester may check it until the challenge window closes',
          );
        }
        return;
      }
      case 'submitted': {
        if (lease.slot === null || lease.challengeEndsAt === null) return;
        if ((await chainNow(s)) < lease.challengeEndsAt) return;
        const market = connectJobMarket(s.net.marketAddress, s.net.provider);
        const onChain = await market.getLease(BigInt(jobId), lease.slot);
        if (leaseStateNames[Number(onChain.state)] !== 'Submitted') return;
        try {
          await send(s, {
            key: `finalize:${jobId}:${lease.slot}`,
            to: s.net.marketAddress,
            data: jobMarketInterface.encodeFunctionData('finalizeResult', [
              BigInt(jobId),
              lease.slot,
            ]),
            label: `finalize job ${jobId}`,
          });
        } catch (error) {
          if (!(error instanceof TxRevertError)) throw error;
          log.info(`market job ${jobId}: not final yet (${error.reason})`);
        }
        return;
      }
      case 'paid':
        await autoWithdraw(s, lease);
        return;
      default:
        return;
    }
  }

  async function autoWithdraw(s: Session, lease: LeaseRecord): Promise<void> {
    const threshold = options.settings().market.autoWithdrawAbove;
    if (threshold === null) return;
    const key = `withdraw:after:${lease.jobId}`;
    if (s.tx.get(key)) return;
    const market = connectJobMarket(s.net.marketAddress, s.net.provider);
    const available = await market.withdrawable(s.address);
    const limit = parseUnits(threshold.toFixed(s.meta.decimals), s.meta.decimals);
    if (available === 0n || available < limit) return;
    const record = await send(s, {
      key,
      to: s.net.marketAddress,
      data: jobMarketInterface.encodeFunctionData('withdraw', [available]),
      label: `withdraw ${tokens(available, s.meta)}`,
    });
    if (record.state === 'mined')
      log.info(
        `market: withdrew ${tokens(available, s.meta)} to the wallet (above your ${threshold} threshold)`,
      );
  }

  // ------------------------------------------------------------------ the service

  const tick = async (): Promise<void> => {
    const s = await ensureSession();
    if (!s) return;
    if (started)
      await refreshRegistration(s).catch((error: unknown) =>
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
      schedule(s, lease.jobId);
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
      if (s) {
        // After one already under way, once more: the user may have just changed the price.
        await registering?.catch(() => undefined);
        registering = ensureRegistered(s).finally(() => {
          registering = undefined;
        });
        await registering;
      }
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
