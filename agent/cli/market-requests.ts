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
import { getAddress } from 'ethers';
import {
  MARKET_POST_USAGE,
  marketRequester,
  reportFailure,
  reportOutcome,
  runMarketPost,
} from './market-post.ts';
import type { MarketPostContext } from './market-post.ts';
import { MarketPostUsageError, openRequesterMarket, requesterSigner } from './requester-market.ts';
import type { RequesterMarket } from './requester-market.ts';
import { MARKET_CANCEL_USAGE, runMarketCancel } from './market-cancel.ts';
import { openRequestJournalIn } from '../market/request-journal.ts';
import type { PostedRequest } from '../market/request-journal.ts';
import { findPostedJobs } from '../market/requester.ts';
import type { Requester } from '../market/requester.ts';
import { listPostedJobs } from '../market/request-views.ts';
import { leaseViewWords } from '../market/schema.ts';
import type { LeaseView, PostedJobView } from '../market/schema.ts';
import { findRoost, runningClient } from './common.ts';
import {
  callWithPassword,
  followInRoost,
  roostToGoThrough,
  runningRoost,
} from './requester-running.ts';
import { capitalized } from '../words.ts';

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
// A lease in words

/**
 * One lease in words, as the Jobs page says it. `walletPosts`: this data folder's wallet posted
 * it (a custom network), so `roost wallet withdraw` here takes what the market credits back.
 */
function leaseLine(view: LeaseView, walletPosts: boolean): string {
  const words = leaseViewWords(view, {
    time: (iso) => iso ?? '?',
    ...(walletPosts ? { withdraw: ' (roost wallet withdraw takes it)' } : {}),
  });
  return `  lease ${view.slot}: ${words}`;
}

// ---------------------------------------------------------------------------------------------
// roost market requests

/**
 * Which posted jobs the Roost running on this data folder (roost serve, the app) watches, by job
 * id; null when none runs or it does not answer (an older one, say): the listing stands alone.
 */
async function runningWatch(dataDir: string): Promise<{
  who: string;
  jobs: Map<string, Pick<PostedJobView, 'watch' | 'watchProblem'>>;
} | null> {
  const found = await findRoost(dataDir).catch(() => undefined);
  const client = found ? runningClient(found) : null;
  if (!found || !client) return null;
  const answer = await client.call('market.postedJobs', { limit: 500 }).catch(() => undefined);
  if (!answer?.ok) return null;
  const jobs = new Map<string, Pick<PostedJobView, 'watch' | 'watchProblem'>>();
  for (const job of answer.value.jobs)
    if (job.jobId !== null)
      jobs.set(job.jobId, { watch: job.watch, watchProblem: job.watchProblem ?? null });
  return {
    who: found.kind === 'app' ? 'the running desktop app' : 'the running roost serve',
    jobs,
  };
}

export async function runMarketRequests(ctx: MarketPostContext): Promise<number> {
  const words = ctx.positionals.slice(1);
  if (words.length > 0)
    throw new MarketPostUsageError(`roost market requests takes no "${words[0]}".`);
  let market: RequesterMarket | undefined;
  let handle: ReturnType<typeof openRequestJournalIn> | undefined;
  try {
    market = await openRequesterMarket(ctx.dataDir);
    handle = openRequestJournalIn(ctx.dataDir);
    const listed = await listPostedJobs(market, handle.journal, 'roost market await');
    const { otherChains: elsewhere } = listed;
    const { chainKey } = market;
    // A Roost running on this folder (roost serve, the app) watches the jobs posted from it.
    const running = await runningWatch(ctx.dataDir);
    const jobs = listed.jobs.map((job) => {
      const seen = job.jobId === null ? undefined : running?.jobs.get(job.jobId);
      return seen ? { ...job, ...seen } : job;
    });

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
      if (running && job.watch === 'watching')
        lines.push(`  ${running.who} is watching it: serving its files, checking its results`);
      else if (running && job.watch === 'stopped')
        lines.push(
          `  not watched by ${running.who}${job.watchProblem ? `: ${job.watchProblem}` : ''}; Watch again on its Jobs page picks it up`,
        );
    }
    const open = jobs.some((j) =>
      j.leases.some((l) => ['open', 'claimed', 'submitted', 'expired'].includes(l.state)),
    );
    if (open && !running)
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
    const handle = openRequestJournalIn(ctx.dataDir);
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
    // The Roost running on this folder may be watching it already (holding its port): followed
    // there. Where this folder's wallet takes market jobs too, that Roost watches it again.
    const running = await runningRoost(ctx.dataDir);
    const seen = await running?.client
      .call('market.postedJobs', { jobId: id })
      .catch(() => undefined);
    const watch = seen?.ok ? seen.value.jobs[0]?.watch : undefined;
    // Watched there, or finished there already (its outcome is told as it stands).
    if (running && (watch === 'watching' || watch === 'done')) {
      if (!ctx.json && watch === 'watching')
        ctx.out(
          `${capitalized(running.who)} is watching job ${jobId} already (it serves the job's files and checks its results); following it here (Ctrl+C stops following, not the job)…\n`,
        );
      resumed = true;
      return await followInRoost(ctx, running, id);
    }
    const through = await roostToGoThrough(ctx.dataDir, market);
    if (through) {
      const watched = await callWithPassword(ctx, through, 'market.watchPostedJob', { jobId: id });
      resumed = true;
      if (!ctx.json)
        ctx.out(
          `${capitalized(through.who)} serves job ${jobId}'s files again at ${watched.servedAt} and checks its results, also after this command ends; waiting for providers (Ctrl+C stops waiting, not the job)…\n`,
        );
      return await followInRoost(ctx, through, id);
    }
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
