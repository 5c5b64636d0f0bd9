/**
 * The requester's commands beside `roost market post-job` (market-post.ts), on the jobs this
 * data folder posted (the journal, agent/market/request-journal.ts):
 *
 * - `roost market requests [--json]`: each job with every lease's state on chain (open, claimed
 *   by 0x…, submitted, accepted, disputed, paid, expired, cancelled, …) and the verdicts given here.
 * - `roost market await <jobId> [--json]`: picks up a job whose post-job was stopped or killed:
 *   serves its files again on the same port, waits for results, checks them and accepts or
 *   disputes; the same output and exit codes as post-job.
 *
 * - `roost market cancel-job <jobId>` (market-cancel.ts): takes back a job's unclaimed leases.
 *
 * market.ts wires them into its `market` command through `runRequesterCommand`.
 */
import type { DatabaseSync } from 'node:sqlite';
import { Result, getAddress, zeroPadValue } from 'ethers';
import type { Provider } from 'ethers';
import { z } from 'zod';
import {
  LeaseState,
  connectJobMarket,
  jobMarketInterface,
  parseJobMarketLog,
} from '../../contracts/bindings/job-market.ts';
import {
  MARKET_POST_USAGE,
  marketRequester,
  reportFailure,
  reportOutcome,
  runMarketPost,
} from './market-post.ts';
import type { MarketPostContext } from './market-post.ts';
import {
  MarketPostUsageError,
  openRequesterMarket,
  refuseSharedWallet,
  requesterSigner,
} from './requester-market.ts';
import type { RequesterMarket } from './requester-market.ts';
import { MARKET_CANCEL_USAGE, runMarketCancel } from './market-cancel.ts';
import { marketDbPath, openMarketDb } from '../market/db.ts';
import { openRequestJournal } from '../market/request-journal.ts';
import type { PostedRequest, RecordedVerdict, RequestJournal } from '../market/request-journal.ts';
import { findPostedJobs } from '../market/requester.ts';
import type { Requester } from '../market/requester.ts';
import { addressSchema, bytes32Schema } from '../market/schema.ts';
import { formatUnitsExact } from '../wallet/amount.ts';

export const MARKET_REQUESTS_USAGE = 'roost market requests [--json]';
export const MARKET_AWAIT_USAGE = 'roost market await <jobId> [--json]';

/** The words after `roost market` that the requester's side runs here, not in the agent. */
export const REQUESTER_COMMANDS = ['post-job', 'requests', 'await', 'cancel-job'] as const;

/** The usage line of a requester command, for a usage error. */
export function requesterUsage(command: string | undefined): string {
  if (command === 'requests') return MARKET_REQUESTS_USAGE;
  if (command === 'await') return MARKET_AWAIT_USAGE;
  if (command === 'cancel-job') return MARKET_CANCEL_USAGE;
  return MARKET_POST_USAGE;
}

export function isRequesterCommand(word: string | undefined): boolean {
  return (REQUESTER_COMMANDS as readonly (string | undefined)[]).includes(word);
}

/** Runs `post-job`, `requests`, `await` or `cancel-job`; returns the exit code. */
export function runRequesterCommand(ctx: MarketPostContext): Promise<number> {
  if (ctx.positionals[0] === 'requests') return runMarketRequests(ctx);
  if (ctx.positionals[0] === 'await') return runMarketAwait(ctx);
  if (ctx.positionals[0] === 'cancel-job')
    return runMarketCancel({ ...ctx, yes: ctx.values.yes === true });
  return runMarketPost(ctx);
}

// ---------------------------------------------------------------------------------------------
// What the chain says of a lease

/** A lease as the lab sees it. */
export const leaseViewStates = [
  'open',
  'claimed',
  'submitted',
  'accepted',
  'disputed',
  'paid',
  'rejected',
  'voided',
  'expired',
  'cancelled',
] as const;
export type LeaseViewState = (typeof leaseViewStates)[number];

export interface LeaseView {
  slot: number;
  state: LeaseViewState;
  provider: string | null;
  /** Chain time, ISO; while claimed. */
  leaseEndsAt?: string;
  /** Chain time, ISO; while submitted. */
  challengeEndsAt?: string;
  /** Chain time, ISO; while disputed: after it anyone may end the dispute unruled. */
  voidableAt?: string;
  /** What this requester decided (a transaction not yet confirmed when `verdictFinal` is false). */
  verdict?: RecordedVerdict['verdict'];
  reason?: string;
  verdictFinal?: boolean;
  /** What happens next, in words, where something is left to do. */
  note?: string;
}

const chainLeaseSchema = z.object({
  provider: addressSchema,
  state: z.bigint().min(0n).max(7n),
  leaseEndsAt: z.bigint().nonnegative(),
  challengeEndsAt: z.bigint().nonnegative(),
  resultHash: bytes32Schema,
});
const acceptedSchema = z.object({ jobId: z.bigint().positive(), slot: z.bigint().min(0n) });

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

async function viewLeases(
  market: RequesterMarket,
  request: PostedRequest & { jobId: bigint },
  verdicts: RecordedVerdict[],
  accepted: Set<string>,
  now: bigint,
): Promise<LeaseView[]> {
  const contract = connectJobMarket(market.marketAddress, market.chain);
  const deadline = BigInt(request.record.deadline);
  let timeout: bigint | undefined;
  const arbitrationTimeout = async () => (timeout ??= await contract.arbitrationTimeout());
  const views: LeaseView[] = [];
  for (let slot = 0; slot < request.record.redundancy; slot++) {
    const raw: unknown = await contract.getLease(request.jobId, slot);
    const parsed = chainLeaseSchema.safeParse(raw instanceof Result ? raw.toObject(true) : raw);
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
                note: 'nobody claimed it before the deadline; roost market await cancels it and refunds the reward',
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
                note: 'its provider ran out of time; roost market await reopens it and takes the collateral',
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
    const verdict = verdicts.find((v) => v.slot === slot);
    if (
      verdict &&
      (verdict.provider === null || verdict.provider.toLowerCase() === provider?.toLowerCase())
    )
      Object.assign(view, {
        verdict: verdict.verdict,
        ...(verdict.reason ? { reason: verdict.reason } : {}),
        verdictFinal: verdict.final,
      });
    views.push(view);
  }
  return views;
}

/**
 * One lease in words. `walletPosts`: this data folder's wallet posted it (a custom network), so
 * `roost wallet withdraw` here takes what the market credits back.
 */
function leaseLine(view: LeaseView, walletPosts: boolean): string {
  const who = view.provider ?? '';
  const withdraw = walletPosts ? ' (roost wallet withdraw takes it)' : '';
  let text: string;
  switch (view.state) {
    case 'claimed':
      text = `claimed by ${who}, its lease ends ${view.leaseEndsAt}`;
      break;
    case 'submitted':
      text = `submitted by ${who}, its challenge window ends ${view.challengeEndsAt}`;
      break;
    case 'accepted':
      text = `accepted, ${who} was paid`;
      break;
    case 'paid':
      // Paid after this requester disputed it: the arbiter ruled for the provider.
      text =
        view.verdict === 'disputed'
          ? `paid to ${who}: the market's arbiter ruled for the provider`
          : `paid to ${who} when its challenge window closed`;
      break;
    case 'disputed':
      text = `disputed (${who}'s result): the market's arbiter decides; if nobody rules by ${view.voidableAt ?? '?'}, the dispute ends unruled and the reward comes back to you`;
      break;
    case 'rejected':
      text = `rejected (${who}'s result): the arbiter ruled for you; the reward and the provider's collateral were credited to the posting wallet in the market${withdraw}`;
      break;
    case 'voided':
      text = `voided (${who}'s result): nobody ruled in time; the reward was credited back to the posting wallet in the market${withdraw}`;
      break;
    case 'expired':
      text = `expired${who ? ` (${who})` : ''}`;
      break;
    default:
      text = view.state;
  }
  if (view.note) text += `: ${view.note}`;
  if (view.verdict && !(view.state === 'accepted' && view.verdict === 'accepted')) {
    text += `; verdict here: ${view.verdict}${view.verdictFinal ? '' : ' (its transaction was not confirmed)'}`;
    if (view.reason) text += ` (${view.reason})`;
  }
  return `  lease ${view.slot}: ${text}`;
}

// ---------------------------------------------------------------------------------------------
// roost market requests

interface JournalHandle {
  db: DatabaseSync;
  journal: RequestJournal;
}

function openJournal(dataDir: string): JournalHandle {
  const db = openMarketDb(marketDbPath(dataDir));
  try {
    return { db, journal: openRequestJournal(db) };
  } catch (error) {
    db.close();
    throw error;
  }
}

export async function runMarketRequests(ctx: MarketPostContext): Promise<number> {
  const words = ctx.positionals.slice(1);
  if (words.length > 0)
    throw new MarketPostUsageError(`roost market requests takes no "${words[0]}".`);
  let market: RequesterMarket | undefined;
  let handle: JournalHandle | undefined;
  try {
    market = await openRequesterMarket(ctx.dataDir);
    handle = openJournal(ctx.dataDir);
    const { journal } = handle;
    const { chainKey, chain } = market;
    await findPostedJobs(journal, chain, market.marketAddress, chainKey);
    const requests = journal.list(chainKey);
    const elsewhere = journal.countElsewhere(chainKey);
    const block = await chain.getBlock('latest');
    if (!block) throw new Error(`${market.label} has no latest block; is its node running?`);
    const now = BigInt(block.timestamp);
    const fromBlock = Math.min(...requests.map((r) => r.fromBlock), block.number);
    const accepted = await acceptedLeases(
      chain,
      market.marketAddress,
      [...new Set(requests.map((r) => r.requester))],
      fromBlock,
    );

    const jobs = [];
    for (const request of requests) {
      const price = {
        amount: formatUnitsExact(request.reward, market.decimals),
        symbol: market.symbol,
        baseUnits: request.reward.toString(),
      };
      const common = {
        requester: getAddress(request.requester),
        specURI: request.specUri,
        specHash: request.specHash,
        servedAt: request.record.document.upload.url.replace(/\/uploads$/, ''),
        preparedAt: request.createdAt,
        redundancy: request.record.redundancy,
        price,
      };
      if (request.jobId === null) {
        jobs.push({
          jobId: null,
          state: 'not-posted' as const,
          txHash: null,
          ...common,
          leases: [],
        });
        continue;
      }
      const verdicts = journal.verdicts(chainKey, request.jobId);
      const leases = await viewLeases(
        market,
        { ...request, jobId: request.jobId },
        verdicts,
        accepted,
        now,
      );
      jobs.push({
        jobId: request.jobId.toString(),
        state: 'posted' as const,
        txHash: request.txHash,
        ...common,
        leases,
      });
    }

    if (ctx.json) {
      ctx.out(JSON.stringify({ ok: true, chainKey, jobs, otherChains: elsewhere }) + '\n');
      return 0;
    }
    const lines: string[] = [];
    if (jobs.length === 0)
      lines.push(`No jobs were posted from this data folder on ${market.label}.`);
    else
      lines.push(
        `Jobs posted from this data folder on ${market.label}, market ${market.marketAddress}:`,
      );
    for (const job of jobs) {
      const what = `${job.redundancy} lease(s) × ${job.price.amount} ${job.price.symbol}`;
      if (job.jobId === null) {
        lines.push(
          `Not posted: the job prepared ${job.preparedAt} (${what}, spec hash ${job.specHash}) never reached the chain; its post was cut off before it was sent or failed. Nothing was escrowed; post it again.`,
        );
        continue;
      }
      lines.push(
        `Job ${job.jobId}: ${what}, posted by ${job.requester}, files served at ${job.servedAt}`,
      );
      for (const lease of job.leases) lines.push(leaseLine(lease, market.kind === 'custom'));
    }
    const open = jobs.some((j) =>
      j.leases.some((l) => ['open', 'claimed', 'submitted', 'expired'].includes(l.state)),
    );
    if (open)
      lines.push(
        'roost market await <jobId> serves a job’s files again, checks its results and accepts or disputes them.',
      );
    if (elsewhere > 0)
      lines.push(
        `${elsewhere} job(s) posted on another chain or market (an earlier devnet, say) are not shown.`,
      );
    ctx.out(lines.join('\n') + '\n');
    return 0;
  } catch (error) {
    if (error instanceof MarketPostUsageError) throw error;
    return reportFailure(ctx, error);
  } finally {
    handle?.db.close();
    market?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// roost market await <jobId>

export async function runMarketAwait(ctx: MarketPostContext): Promise<number> {
  const [, id, ...rest] = ctx.positionals;
  if (id === undefined)
    throw new MarketPostUsageError('Say which job: roost market await <jobId>.');
  if (rest.length > 0) throw new MarketPostUsageError(`roost market await takes no "${rest[0]}".`);
  if (!/^[1-9]\d{0,30}$/.test(id))
    throw new MarketPostUsageError(`"${id}" is not a job id (a whole number, 1 or more).`);
  const jobId = BigInt(id);

  let market: RequesterMarket | undefined;
  let requester: Requester | undefined;
  let resumed = false;
  try {
    market = await openRequesterMarket(ctx.dataDir);
    const { chain } = market;
    const handle = openJournal(ctx.dataDir);
    let request: PostedRequest | undefined;
    try {
      request = handle.journal.byJob(market.chainKey, jobId);
      if (!request) {
        await findPostedJobs(handle.journal, chain, market.marketAddress, market.chainKey);
        request = handle.journal.byJob(market.chainKey, jobId);
      }
    } finally {
      handle.db.close();
    }
    if (!request)
      throw new Error(
        `job ${jobId} was not posted from this data folder on ${market.label} (roost market requests lists those that were), so its files are not here to serve.`,
      );
    refuseSharedWallet(market);
    // The account that posted it judges it: on a custom network, this data folder's wallet.
    const signer = await requesterSigner(ctx, market, { address: getAddress(request.requester) });
    requester = marketRequester(ctx, market, signer);
    const posted = await requester.resume(jobId);
    resumed = true;
    if (!ctx.json)
      ctx.out(
        `Serving job ${jobId}'s files again at ${posted.document.upload.url.replace(/\/uploads$/, '')}; waiting for providers (Ctrl+C stops waiting; the job stays posted)…\n`,
      );
    const leases = await requester.await(jobId, ctx.signal ? { signal: ctx.signal } : {});
    return reportOutcome(
      ctx,
      posted,
      { reward: request.reward, decimals: market.decimals, symbol: market.symbol },
      leases,
    );
  } catch (error) {
    if (error instanceof MarketPostUsageError) throw error;
    return reportFailure(ctx, error, resumed ? jobId : undefined);
  } finally {
    await requester?.close();
    market?.close();
  }
}
