/**
 * The jobs a data folder posted, as the chain has them: each journaled post (request-journal.ts)
 * with every lease's state on chain (open, claimed by 0x…, submitted, accepted, disputed, paid,
 * expired, cancelled, …) and the verdicts given here. `roost market requests` prints it; the
 * agent's `market.postedJobs` adds whether it is watching each job.
 *
 * Also what a cancellation needs: which leases of a job are still open.
 */
import { basename } from 'node:path';
import { getAddress, zeroPadValue } from 'ethers';
import type { Provider } from 'ethers';
import { z } from 'zod';
import {
  LeaseState,
  connectJobMarket,
  jobMarketInterface,
  parseJobMarketLog,
} from '../../contracts/bindings/job-market.ts';
import { formatUnitsExact } from '../wallet/amount.ts';
import type {
  PostedRequest,
  RecordedVerdict,
  RequestJournal,
  SettledLease,
} from './request-journal.ts';
import { chainLeaseSchema, findPostedJobs, plain } from './requester.ts';
import { SETTLED_LEASE_VIEW_STATES, addressSchema } from './schema.ts';
import type { LeaseView, PostedJobView } from './schema.ts';

/** The market a listing reads: its chain, its address, its token, this deployment's key. */
export interface PostedJobsMarket {
  /** The network in words: "the local devnet", "chain 1337 (http://10.0.0.5:8545)". */
  label: string;
  chain: Provider;
  marketAddress: string;
  chainKey: string;
  decimals: number;
  symbol: string;
}

/**
 * Who picks a job up again, for the notes on leases left to it: "roost market await" on the
 * command line, "Roost" in the agent that watches the job.
 */
export type Watcher = string;

const acceptedSchema = z.object({ jobId: z.bigint().positive(), slot: z.bigint().min(0n) });
const chainJobSchema = z.object({
  requester: addressSchema,
  redundancy: z.bigint().min(1n).max(2n),
  reward: z.bigint().nonnegative(),
});
const leaseStateOnlySchema = z.object({ state: z.bigint().min(0n).max(7n) });

const ZERO = '0x0000000000000000000000000000000000000000';
const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();

/** `job:slot` of every ResultAccepted of these requesters: Paid by acceptance, not by timeout. */
async function acceptedLeases(
  chain: Provider,
  marketAddress: string,
  requesters: string[],
  fromBlock: number,
): Promise<Set<string>> {
  const accepted = new Set<string>();
  if (requesters.length === 0) return accepted;
  const logs = await chain.getLogs({
    address: marketAddress,
    topics: [
      jobMarketInterface.getEvent('ResultAccepted')!.topicHash,
      null,
      requesters.map((r) => zeroPadValue(r, 32)),
    ],
    fromBlock,
    toBlock: 'latest',
  });
  for (const entry of logs) {
    const event = parseJobMarketLog(entry);
    if (event?.name !== 'ResultAccepted') continue;
    const args = acceptedSchema.safeParse(event.args);
    if (args.success) accepted.add(`${args.data.jobId}:${args.data.slot}`);
  }
  return accepted;
}

/** Each lease of a job as the chain has it now, in the words of its state. */
async function viewLeases(
  market: PostedJobsMarket,
  request: PostedRequest & { jobId: bigint },
  accepted: Set<string>,
  now: bigint,
  watcher: Watcher,
): Promise<LeaseView[]> {
  const contract = connectJobMarket(market.marketAddress, market.chain);
  const deadline = BigInt(request.record.deadline);
  let timeout: bigint | undefined;
  const arbitrationTimeout = async () => (timeout ??= await contract.arbitrationTimeout());
  const views: LeaseView[] = [];
  for (let slot = 0; slot < request.record.redundancy; slot++) {
    const parsed = chainLeaseSchema.safeParse(plain(await contract.getLease(request.jobId, slot)));
    if (!parsed.success)
      throw new Error(
        `the market at ${market.marketAddress} answered getLease(${request.jobId}, ${slot}) with something that is not a lease`,
      );
    const lease = parsed.data;
    const provider = lease.provider === ZERO ? null : getAddress(lease.provider);
    let view: LeaseView;
    switch (lease.state) {
      case LeaseState.Open:
        view =
          now + BigInt(request.record.leaseSeconds) >= deadline
            ? {
                slot,
                state: 'expired',
                provider,
                note: `nobody claimed it before the deadline; ${watcher} cancels it and refunds the reward`,
              }
            : { slot, state: 'open', provider };
        break;
      case LeaseState.Claimed:
        view =
          now >= lease.leaseEndsAt
            ? {
                slot,
                state: 'expired',
                provider,
                leaseEndsAt: iso(lease.leaseEndsAt),
                note: `its provider ran out of time; ${watcher} reopens it and takes the collateral`,
              }
            : { slot, state: 'claimed', provider, leaseEndsAt: iso(lease.leaseEndsAt) };
        break;
      case LeaseState.Submitted:
        view = { slot, state: 'submitted', provider, challengeEndsAt: iso(lease.challengeEndsAt) };
        break;
      case LeaseState.Disputed:
        view = {
          slot,
          state: 'disputed',
          provider,
          voidableAt: iso(lease.challengeEndsAt + (await arbitrationTimeout())),
        };
        break;
      case LeaseState.Paid:
        view = {
          slot,
          state: accepted.has(`${request.jobId}:${slot}`) ? 'accepted' : 'paid',
          provider,
        };
        break;
      case LeaseState.Rejected:
        view = { slot, state: 'rejected', provider };
        break;
      case LeaseState.Voided:
        view = { slot, state: 'voided', provider };
        break;
      default:
        view = { slot, state: 'cancelled', provider };
    }
    views.push(view);
  }
  return views;
}

/** The leases with what this requester decided about each (its verdict for that provider). */
function withVerdicts(leases: readonly LeaseView[], verdicts: RecordedVerdict[]): LeaseView[] {
  return leases.map((lease) => {
    const verdict = verdicts.find((v) => v.slot === lease.slot);
    if (
      !verdict ||
      (verdict.provider !== null &&
        verdict.provider.toLowerCase() !== lease.provider?.toLowerCase())
    )
      return lease;
    const outputs = verdict.outputs.map((file) => basename(file)).filter((n) => n.endsWith('.npy'));
    return {
      ...lease,
      verdict: verdict.verdict,
      ...(verdict.reason ? { reason: verdict.reason } : {}),
      verdictFinal: verdict.final,
      ...(outputs.length > 0 ? { outputs } : {}),
    };
  });
}

/**
 * Every job the journal holds for this market, newest last, each lease as the chain has it now;
 * with `newest`, only that many of the latest, newest first (`older` counts the rest); with
 * `jobId`, only that job (what `roost market post-job` follows through a running Roost). Posts cut
 * off before their job id was known are looked for on chain first (findPostedJobs).
 */
export async function listPostedJobs(
  market: PostedJobsMarket,
  journal: RequestJournal,
  watcher: Watcher,
  pick: { newest?: number; jobId?: bigint } = {},
): Promise<{ jobs: PostedJobView[]; otherChains: number; older: number }> {
  const { chainKey, chain } = market;
  await findPostedJobs(journal, chain, market.marketAddress, chainKey);
  const all = journal.list(chainKey);
  const requests =
    pick.jobId !== undefined
      ? all.filter((r) => r.jobId === pick.jobId)
      : pick.newest === undefined
        ? all
        : all.slice(-pick.newest).reverse();
  const older = pick.jobId !== undefined ? 0 : all.length - requests.length;
  const otherChains = journal.countElsewhere(chainKey);
  // A settled job's leases were kept when it settled: only the others are read from the chain.
  const settled = new Map<string, SettledLease[]>();
  for (const r of requests) {
    const kept = r.jobId === null ? undefined : journal.settled(chainKey, r.jobId);
    if (kept) settled.set(r.key, kept);
  }
  const live = requests.filter((r) => r.jobId !== null && !settled.has(r.key));
  let now = 0n;
  let accepted = new Set<string>();
  if (live.length > 0) {
    const block = await chain.getBlock('latest');
    if (!block) throw new Error(`${market.label} has no latest block; is its node running?`);
    now = BigInt(block.timestamp);
    accepted = await acceptedLeases(
      chain,
      market.marketAddress,
      [...new Set(live.map((r) => r.requester))],
      Math.min(...live.map((r) => r.fromBlock), block.number),
    );
  }
  const jobs: PostedJobView[] = [];
  for (const request of requests) {
    const common = {
      name: request.record.document.job.name ?? null,
      requester: getAddress(request.requester),
      specURI: request.specUri,
      specHash: request.specHash,
      servedAt: request.record.document.upload.url.replace(/\/uploads$/, ''),
      preparedAt: request.createdAt,
      redundancy: request.record.redundancy,
      price: {
        amount: formatUnitsExact(request.reward, market.decimals),
        symbol: market.symbol,
        baseUnits: request.reward.toString(),
      },
    };
    if (request.jobId === null) {
      jobs.push({
        jobId: null,
        state: 'not-posted',
        txHash: null,
        ...common,
        leases: [],
        resultsDir: null,
      });
      continue;
    }
    const verdicts = journal.verdicts(chainKey, request.jobId);
    let onChain = settled.get(request.key);
    if (!onChain) {
      onChain = await viewLeases(
        market,
        { ...request, jobId: request.jobId },
        accepted,
        now,
        watcher,
      );
      // Nothing changes a settled lease; kept once the verdicts given here are confirmed too.
      if (
        onChain.every((l) => SETTLED_LEASE_VIEW_STATES.includes(l.state)) &&
        verdicts.every((v) => v.final)
      )
        journal.recordSettled(chainKey, request.jobId, onChain);
    }
    jobs.push({
      jobId: request.jobId.toString(),
      state: 'posted',
      txHash: request.txHash,
      ...common,
      leases: withVerdicts(onChain, verdicts),
      resultsDir: verdicts.some((v) => v.outputs.length > 0) ? request.dir : null,
    });
  }
  return { jobs, otherChains, older };
}

/** JobCancelled's arguments, as the chain gives them. */
const jobCancelledSchema = z.object({
  jobId: z.bigint(),
  leasesCancelled: z.bigint().min(1n).max(2n),
  refund: z.bigint().min(0n),
});

/**
 * What a mined cancelJob did, from its own JobCancelled log rather than from what was open when
 * it was asked for: a provider may claim a lease between the two. The leases it cancelled (of
 * `openBefore`, read again when fewer went than were open) and the refund the market credited.
 */
export async function cancelledBy(
  market: Pick<PostedJobsMarket, 'chain' | 'marketAddress'>,
  jobId: bigint,
  receipt: { logs: readonly { address: string; topics: readonly string[]; data: string }[] },
  openBefore: readonly number[],
): Promise<{ cancelled: number[]; refund: bigint }> {
  const logged = receipt.logs
    .filter((log) => log.address.toLowerCase() === market.marketAddress.toLowerCase())
    .map((log) => parseJobMarketLog(log))
    .filter((event) => event?.name === 'JobCancelled')
    .map((event) => jobCancelledSchema.safeParse(event?.args))
    .find((parsed) => parsed.success && parsed.data.jobId === jobId);
  if (!logged?.success)
    throw new Error(
      `the cancellation of job ${jobId} was mined, but the market logged no JobCancelled for it`,
    );
  const { leasesCancelled, refund } = logged.data;
  if (Number(leasesCancelled) === openBefore.length) return { cancelled: [...openBefore], refund };
  const contract = connectJobMarket(market.marketAddress, market.chain);
  const cancelled: number[] = [];
  for (const slot of openBefore) {
    const lease = leaseStateOnlySchema.safeParse(plain(await contract.getLease(jobId, slot)));
    if (lease.success && lease.data.state === LeaseState.Cancelled) cancelled.push(slot);
  }
  return { cancelled, refund };
}

/** The job on chain and which of its leases are still open (nobody claimed them), or why not. */
export async function openLeasesOf(
  market: Pick<PostedJobsMarket, 'label' | 'chain' | 'marketAddress'>,
  jobId: bigint,
  listHint: string,
): Promise<{ requester: string; reward: bigint; open: number[] }> {
  const contract = connectJobMarket(market.marketAddress, market.chain);
  // The market reverts (UnknownJob) for a job id it never gave out.
  const jobCount = await contract.jobCount();
  if (jobId > jobCount)
    throw new Error(
      `There is no job ${jobId} on ${market.label} (its jobs are 1 to ${jobCount}); ${listHint} lists the ones posted from here.`,
    );
  const job = chainJobSchema.safeParse(plain(await contract.getJob(jobId)));
  if (!job.success)
    throw new Error(
      `the market at ${market.marketAddress} answered getJob(${jobId}) with something that is not a job`,
    );
  const open: number[] = [];
  for (let slot = 0; slot < Number(job.data.redundancy); slot++) {
    const lease = leaseStateOnlySchema.safeParse(plain(await contract.getLease(jobId, slot)));
    if (!lease.success)
      throw new Error(
        `the market at ${market.marketAddress} answered getLease(${jobId}, ${slot}) with something that is not a lease`,
      );
    if (lease.data.state === LeaseState.Open) open.push(slot);
  }
  return { requester: getAddress(job.data.requester), reward: job.data.reward, open };
}
