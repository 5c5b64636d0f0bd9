/**
 * The arbiter's side of the market: listing open disputes and ruling on them. A requester who
 * challenges a result (`disputeResult`) leaves the lease `Disputed` until a wallet holding the
 * market's arbiter role rules — the provider is paid, or the requester gets the reward back and
 * the provider's collateral — or until the arbiter's time is up and anyone ends it unruled
 * (`voidStaleDispute`: the reward goes back, the collateral stays the provider's).
 *
 * On a lab's own market (`roost market deploy`) the lab's wallet is the arbiter, so the lab rules
 * on disputes between its members' wallets and its machines. The market lets no party rule on its
 * own lease; that refusal, like every other (not the arbiter, no such job, not disputed), is said
 * before a password is asked and before anything is sent.
 *
 * Listing reads the chain only (no key): every `ResultDisputed` since the market's deployment
 * (the first time; then the blocks since), kept where the lease is still disputed, with the
 * result the provider put on chain and the requester's published reason fetched from its server
 * (dispute-reason.ts).
 */
import { MarketActionError } from './action-error.ts';
import { getAddress, id } from 'ethers';
import type { Log } from 'ethers';
import {
  LeaseState,
  connectJobMarket,
  jobMarketInterface,
  leaseStateNames,
  parseJobMarketLog,
} from '../../contracts/bindings/job-market.ts';
import type { JobMarketJob, JobMarketLease } from '../../contracts/bindings/job-market.ts';
import { getLogsChunked } from '../wallet/chain.ts';
import type { TokenMeta } from '../wallet/chain.ts';
import type { WalletNetwork } from '../wallet/network.ts';
import { fetchReasonText } from './dispute-reason.ts';
import { messageOf, tokenAmount as amount, unixTimeIso as iso } from './format.ts';
import type {
  Dispute,
  DisputesResult,
  ResolveDisputeParams,
  ResolveDisputeResult,
} from './schema.ts';
import { timeWords } from './schema.ts';
import type { Session } from './session.ts';
import { TxRevertError } from './tx-manager.ts';

/** The codes of the API's error union a ruling answers with (the router passes them on). */
export type ArbitrationErrorCode =
  | 'INVALID_PARAMS'
  | 'NOT_FOUND'
  | 'JOB_STATE'
  | 'FORBIDDEN'
  | 'WALLET_NONE'
  | 'NETWORK_UNAVAILABLE';

/** Why a ruling can't be made, with what to do; nothing was sent. */
export class ArbitrationError extends MarketActionError<ArbitrationErrorCode> {}

/** What reading the market's disputes needs: the chain, its token, and this wallet (if any). */
export interface MarketView {
  net: WalletNetwork;
  meta: TokenMeta;
  /** This data folder's wallet; null without one. */
  address: string | null;
}

/** Blocks per eth_getLogs when scanning for disputes. */
const LOG_CHUNK = 10_000;
/** Blocks read again at each listing, for a dispute a reorganisation moved into them. */
const REORG_DEPTH = 64;

/** A lease state on chain in the words `roost market requests` uses. */
function stateWords(state: bigint): string {
  const name = leaseStateNames[Number(state)] ?? `state ${state}`;
  const words: Record<string, string> = {
    Open: 'open (nobody holds it)',
    Claimed: 'claimed, with no result yet',
    Submitted: 'submitted, in its challenge window',
    Paid: 'paid to the provider',
    Rejected: 'ruled for the requester',
    Voided: 'ended unruled',
    Cancelled: 'cancelled',
  };
  return words[name] ?? name;
}

/**
 * Why `address` may not rule on this lease, in words; null when it may. `until` is when the
 * dispute can be ended unruled.
 */
export function whyCannotRule(
  address: string | null,
  isArbiter: boolean,
  jobId: string,
  job: Pick<JobMarketJob, 'requester'>,
  lease: Pick<JobMarketLease, 'provider'>,
  marketAddress: string,
  until: string,
): string | null {
  if (address === null)
    return "There is no wallet in this data folder: the arbiter rules from the wallet that holds the market's arbiter role (`roost wallet import` brings it here).";
  const me = address.toLowerCase();
  const unruled = `If nobody else rules, after ${timeWords(until)} the dispute ends unruled: the reward goes back to the requester and the provider keeps its collateral (the provider's Roost does it by itself).`;
  if (me === job.requester.toLowerCase())
    return `This wallet (${address}) posted job ${jobId}, and the market lets no party rule on its own dispute. ${unruled}`;
  if (me === lease.provider.toLowerCase())
    return `This wallet (${address}) holds this lease, and the market lets no party rule on its own dispute. ${unruled}`;
  if (!isArbiter)
    return `This wallet (${address}) is not the arbiter of market ${marketAddress}: only a wallet holding its arbiter role may rule (the wallet that deployed it, unless its admin granted the role to another).`;
  return null;
}

export interface Arbitration {
  /**
   * Open disputes on the market, oldest first, and whether this wallet may rule on each. With
   * `arbiterOnly`, a wallet that is not the arbiter gets none, and the chain is not scanned.
   */
  list(view: MarketView, options?: { arbiterOnly?: boolean }): Promise<DisputesResult>;
  /**
   * Everything a ruling needs, read with no key: an ArbitrationError when the market would
   * refuse it (no such job or lease, not disputed, not the arbiter, a party to it).
   */
  check(view: MarketView, params: ResolveDisputeParams): Promise<void>;
  /** Sends the ruling through the session's transaction manager and says what each side got. */
  resolve(s: Session, params: ResolveDisputeParams): Promise<ResolveDisputeResult>;
}

export function createArbitration(): Arbitration {
  const market = (view: MarketView) => connectJobMarket(view.net.marketAddress, view.net.provider);

  async function isArbiter(view: MarketView): Promise<boolean> {
    if (view.address === null) return false;
    // JobMarket's ARBITER_ROLE is keccak256("ARBITER_ROLE"): one call, not two.
    return market(view).hasRole(id('ARBITER_ROLE'), view.address);
  }

  /** Reasons read so far, by URI: a published reason does not change, and it is read often. */
  const reasons = new Map<string, string>();
  async function reasonAt(uri: string): Promise<string> {
    const known = reasons.get(uri);
    if (known !== undefined) return known;
    const text = await fetchReasonText(uri);
    if (reasons.size >= 256) reasons.delete(reasons.keys().next().value as string);
    reasons.set(uri, text);
    return text;
  }

  async function voidableAt(view: MarketView, challengeEndsAt: bigint): Promise<string> {
    return iso(challengeEndsAt + (await market(view).arbitrationTimeout()));
  }

  const topicOf = (event: string): string => {
    const topic = jobMarketInterface.getEvent(event)?.topicHash;
    if (!topic) throw new Error(`JobMarket has no event ${event}`);
    return topic;
  };

  /**
   * Per market, the `ResultDisputed` logs seen so far (by `job:slot`) and the block read up to:
   * a listing reads only the blocks since (and the last REORG_DEPTH again), not the whole chain.
   * Entries whose lease is no longer disputed are dropped as they are found settled.
   */
  const scans = new Map<string, { to: number; disputed: Map<string, Log> }>();
  /** Where each disputed result is, by market, job, slot and result hash: found once. */
  const resultUris = new Map<string, string | null>();

  async function disputedLogs(view: MarketView) {
    const key = `${view.net.chainId}:${view.net.marketAddress.toLowerCase()}:${view.net.deployBlock}`;
    const scan = scans.get(key) ?? {
      to: view.net.deployBlock - 1,
      disputed: new Map<string, Log>(),
    };
    const head = await view.net.provider.getBlockNumber();
    const from = Math.max(view.net.deployBlock, scan.to + 1 - REORG_DEPTH);
    const logs = await getLogsChunked(
      view.net.provider,
      { address: view.net.marketAddress, topics: [topicOf('ResultDisputed')] },
      from,
      head,
      LOG_CHUNK,
    );
    for (const log of logs) {
      const event = parseJobMarketLog(log);
      if (event?.name === 'ResultDisputed')
        scan.disputed.set(`${event.args.jobId}:${event.args.slot}`, log);
    }
    scan.to = Math.max(scan.to, head);
    scans.set(key, scan);
    return scan.disputed;
  }

  /** The URI the provider gave with the result now on chain: its ResultSubmitted, up to `toBlock`. */
  async function resultUriOf(
    view: MarketView,
    jobId: bigint,
    slot: number,
    resultHash: string,
    toBlock: number,
  ): Promise<string | null> {
    const key = `${view.net.chainId}:${view.net.marketAddress.toLowerCase()}:${jobId}:${slot}:${resultHash}`;
    if (resultUris.has(key)) return resultUris.get(key) ?? null;
    const logs = await getLogsChunked(
      view.net.provider,
      {
        address: view.net.marketAddress,
        topics: [topicOf('ResultSubmitted'), `0x${jobId.toString(16).padStart(64, '0')}`],
      },
      view.net.deployBlock,
      toBlock,
      LOG_CHUNK,
    );
    let uri: string | null = null;
    for (const log of logs) {
      const event = parseJobMarketLog(log);
      if (
        event?.name === 'ResultSubmitted' &&
        Number(event.args.slot) === slot &&
        event.args.resultHash === resultHash
      )
        uri = event.args.resultURI;
    }
    resultUris.set(key, uri);
    return uri;
  }

  /** One open dispute in full, or null when its lease is no longer disputed. */
  async function disputeOf(
    view: MarketView,
    arbiter: boolean,
    jobText: string,
    slot: number,
    log: Log,
  ): Promise<Dispute | null> {
    const m = market(view);
    const jobId = BigInt(jobText);
    const lease = await m.getLease(jobId, slot);
    if (lease.state !== BigInt(LeaseState.Disputed)) return null;
    const event = parseJobMarketLog(log);
    const reasonUri = event?.name === 'ResultDisputed' ? event.args.reasonURI : '';
    const [job, resultUri, block, until, reason] = await Promise.all([
      m.getJob(jobId),
      resultUriOf(view, jobId, slot, lease.resultHash, log.blockNumber),
      view.net.provider.getBlock(log.blockNumber),
      voidableAt(view, lease.challengeEndsAt),
      reasonAt(reasonUri).then(
        (text) => ({ text, problem: null }),
        (error: unknown) => ({
          text: null,
          problem: `The reason could not be read: ${messageOf(error)}.`,
        }),
      ),
    ]);
    return {
      jobId: jobText,
      slot,
      requester: getAddress(job.requester),
      provider: getAddress(lease.provider),
      reward: amount(job.reward, view.meta),
      collateral: amount(await m.collateralFor(job.reward), view.meta),
      resultHash: lease.resultHash,
      resultUri,
      reasonUri,
      reason: reason.text,
      reasonProblem: reason.problem,
      disputedAt: iso(block?.timestamp ?? 0),
      disputeTx: log.transactionHash,
      voidableAt: until,
      cannotRule: whyCannotRule(
        view.address,
        arbiter,
        jobText,
        job,
        lease,
        view.net.marketAddress,
        until,
      ),
    };
  }

  /** The job and lease as the chain has them, or an ArbitrationError saying what is wrong. */
  async function disputedLease(view: MarketView, params: ResolveDisputeParams) {
    const m = market(view);
    const jobId = BigInt(params.jobId);
    const count = await m.jobCount();
    if (jobId === 0n || jobId > count)
      throw new ArbitrationError(
        'NOT_FOUND',
        `There is no job ${params.jobId} on market ${view.net.marketAddress} (its jobs are numbered 1 to ${count}). \`roost market disputes\` lists the open disputes. Nothing was sent.`,
      );
    const job = await m.getJob(jobId);
    if (BigInt(params.slot) >= job.redundancy)
      throw new ArbitrationError(
        'INVALID_PARAMS',
        `Job ${params.jobId} has ${job.redundancy === 1n ? 'one lease, numbered 0' : `${job.redundancy} leases, numbered 0 to ${job.redundancy - 1n}`}; there is no lease ${params.slot}. Nothing was sent.`,
      );
    const lease = await m.getLease(jobId, params.slot);
    if (lease.state !== BigInt(LeaseState.Disputed))
      throw new ArbitrationError(
        'JOB_STATE',
        `Lease ${params.slot} of job ${params.jobId} is not disputed: it is ${stateWords(lease.state)}. Only a disputed lease can be ruled on; \`roost market disputes\` lists them. Nothing was sent.`,
      );
    return { job, lease };
  }

  /** The disputed lease, once this wallet may rule on it; else an ArbitrationError. */
  async function checked(view: MarketView, params: ResolveDisputeParams) {
    const { job, lease } = await disputedLease(view, params);
    const why = whyCannotRule(
      view.address,
      await isArbiter(view),
      params.jobId,
      job,
      lease,
      view.net.marketAddress,
      await voidableAt(view, lease.challengeEndsAt),
    );
    if (why !== null)
      throw new ArbitrationError(
        view.address === null ? 'WALLET_NONE' : 'FORBIDDEN',
        `${why} Nothing was sent.`,
      );
    return { job, lease };
  }

  const arbitration: Arbitration = {
    async list(view, options = {}) {
      const arbiter = await isArbiter(view);
      const disputes: Dispute[] = [];
      if (arbiter || options.arbiterOnly !== true) {
        const disputed = await disputedLogs(view);
        // Each is read at once: a requester's server that does not answer costs its 5 s once.
        const found = await Promise.all(
          [...disputed]
            .sort(([, a], [, b]) => a.blockNumber - b.blockNumber || a.index - b.index)
            .map(([key, log]) => {
              const [jobText, slotText] = key.split(':') as [string, string];
              return disputeOf(view, arbiter, jobText, Number(slotText), log).then((d) => {
                if (d === null) disputed.delete(key);
                return d;
              });
            }),
        );
        for (const d of found) if (d !== null) disputes.push(d);
      }
      return {
        network: {
          name: view.net.name,
          chainId: view.net.chainId,
          marketAddress: getAddress(view.net.marketAddress),
        },
        wallet: view.address === null ? null : getAddress(view.address),
        arbiter,
        disputes,
      };
    },

    async check(view, params) {
      await checked(view, params);
    },

    async resolve(s, params) {
      const view: MarketView = { net: s.net, meta: s.meta, address: s.address };
      const { job, lease } = await checked(view, params);
      const providerWins = params.winner === 'provider';
      const label = `rule for the ${params.winner} on lease ${params.slot} of job ${params.jobId}`;
      let record;
      try {
        record = await s.tx.execute({
          key: `resolve:${params.jobId}:${params.slot}`,
          to: s.net.marketAddress,
          data: jobMarketInterface.encodeFunctionData('resolveDispute', [
            BigInt(params.jobId),
            params.slot,
            providerWins,
          ]),
          label,
        });
      } catch (error) {
        if (error instanceof TxRevertError) throw new ArbitrationError('JOB_STATE', error.message);
        throw new ArbitrationError(
          'NETWORK_UNAVAILABLE',
          `${messageOf(error)} The ruling may not have reached the chain: \`roost market disputes\` says whether the dispute is still open.`,
        );
      }
      if (record.state !== 'mined')
        throw new ArbitrationError(
          'JOB_STATE',
          `The chain did not take "${label}" (${record.state}${record.error ? `: ${record.error}` : ''}). \`roost market disputes\` says where the lease stands.`,
        );
      // What each side was credited, from the settlement the ruling logged.
      let providerPaid = 0n;
      let requesterCredited = 0n;
      const receipt = await s.net.provider.getTransactionReceipt(record.hash);
      for (const log of receipt?.logs ?? []) {
        const event = parseJobMarketLog(log);
        if (event?.name !== 'LeaseSettled') continue;
        providerPaid = event.args.providerPayout;
        requesterCredited = event.args.requesterRefund + event.args.collateralSlashed;
      }
      return {
        jobId: params.jobId,
        slot: params.slot,
        winner: params.winner,
        provider: getAddress(lease.provider),
        requester: getAddress(job.requester),
        providerPaid: amount(providerPaid, s.meta),
        requesterCredited: amount(requesterCredited, s.meta),
        transaction: record.hash,
      };
    },
  };
  return arbitration;
}
