/**
 * The requester's commands (`roost market post-job`, `await`, `cancel-job`) from a data folder
 * whose own Roost takes market jobs with the wallet that pays: two programs sending from one
 * address trip over each other's nonces, so the command goes through that Roost while it runs
 * (roost serve, the desktop app), where the market's work and the posted jobs take turns in one
 * send lane (agent/wallet/send-lanes.ts). The Roost serves the job's files and judges its results
 * on its own, also after the command ends; the command follows the job by asking it
 * (`market.postedJobs` for that job) and prints what it would have printed by itself.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MethodName, ParamsOf, Result, ResultOf } from '../api/contract.ts';
import type { ApiClient } from '../api/node-client.ts';
import { leaseResultsDir } from '../market/requester.ts';
import type { LeaseOutcome } from '../market/requester.ts';
import { leaseViewWords } from '../market/schema.ts';
import type { PostedJobView } from '../market/schema.ts';
import { findRoost, runningClient } from './common.ts';
import { reportOutcome } from './market-post.ts';
import type { MarketPostContext } from './market-post.ts';
import type { RequesterMarket } from './requester-market.ts';
import { eventWake } from './wake.ts';

/** The Roost running on this data folder, and who it is in words. */
export interface RunningRoost {
  client: ApiClient;
  /** "the running roost serve", "the running desktop app". */
  who: string;
}

/** The Roost running on this data folder (one that answers commands), or null. */
export async function runningRoost(dataDir: string): Promise<RunningRoost | null> {
  const found = await findRoost(dataDir).catch(() => undefined);
  const client = found ? runningClient(found) : null;
  if (!found || !client) return null;
  return {
    client,
    who: found.kind === 'app' ? 'the running desktop app' : 'the running roost serve',
  };
}

/**
 * Where this data folder's wallet both pays for jobs and takes market jobs, the Roost through
 * which the command must go; it refuses, saying what to do, when none runs. Null where the
 * command may send by itself (the local devnet's test accounts, a wallet that takes no jobs).
 */
export async function roostToGoThrough(
  dataDir: string,
  market: Pick<RequesterMarket, 'walletTakesJobs'>,
): Promise<RunningRoost | null> {
  if (!market.walletTakesJobs) return null;
  const running = await runningRoost(dataDir);
  if (running) return running;
  throw new Error(
    "This data folder takes market jobs (market.enabled) with the same wallet that would pay here, and no Roost runs on it now. A job's post, its checks and its payments must take turns with that work, so this command goes through Roost: start it on this data folder (roost serve, or the desktop app) and run the command again. Or use a data folder that takes no market jobs (--data-dir), or turn market jobs off here (roost settings set market.enabled false).",
  );
}

/**
 * Calls the running Roost; where its wallet is locked, asks for the password once and calls
 * again with it for this action only (the wallet stays locked). A refusal throws its words.
 */
export async function callWithPassword<M extends MethodName>(
  ctx: Pick<MarketPostContext, 'ask'>,
  running: RunningRoost,
  method: M,
  params: ParamsOf<M>,
): Promise<ResultOf<M>> {
  let answer: Result<ResultOf<M>> = await running.client.call(method, params);
  if (!answer.ok && answer.error.code === 'WALLET_LOCKED' && ctx.ask) {
    const password = await ctx.ask('Wallet password: ', true);
    answer = await running.client.call(method, { ...params, password } as ParamsOf<M>);
  }
  if (!answer.ok) throw new Error(answer.error.message);
  return answer.value;
}

/**
 * What a lease came to, from the Roost's view of it once every lease has its final verdict: its
 * checked files as the command alone lists them (result.json, then the outputs).
 */
function outcomeOf(job: PostedJobView, lease: PostedJobView['leases'][number]): LeaseOutcome {
  const outputs: string[] = [];
  if (job.resultsDir !== null && lease.provider !== null) {
    const dir = leaseResultsDir(job.resultsDir, lease.slot, lease.provider);
    if (existsSync(join(dir, 'result.json'))) outputs.push(join(dir, 'result.json'));
    for (const name of lease.outputs ?? []) outputs.push(join(dir, name));
  }
  return {
    slot: lease.slot,
    provider: lease.provider,
    verdict: lease.verdict ?? 'unfinished',
    ...(lease.reason ? { reason: lease.reason } : lease.note ? { reason: lease.note } : {}),
    outputs,
  };
}

/** Every lease has a verdict the chain has confirmed: nothing is left for the requester. */
function decided(job: PostedJobView): boolean {
  return job.leases.length > 0 && job.leases.every((l) => l.verdict && l.verdictFinal);
}

/**
 * Follows job `jobId` in the running Roost until every lease has its final verdict, printing
 * each lease's change in the words of `roost market requests`; then prints the outcome as
 * post-job does (exit 0: every lease accepted). Ctrl+C stops the following, not the job.
 */
export async function followInRoost(
  ctx: MarketPostContext,
  running: RunningRoost,
  jobId: string,
): Promise<number> {
  const said = new Map<number, string>();
  // Asked again when the running Roost says the job moved on, and every so often regardless.
  const wake = eventWake(
    running.client,
    (e) => e.event === 'market.postedJob' && e.payload.jobId === jobId,
  );
  const pollMs = ctx.pollMs ?? (wake.live ? 5000 : 1000);
  try {
    for (;;) {
      if (ctx.signal?.aborted) {
        if (!ctx.json)
          ctx.err(
            `Stopped following job ${jobId}; ${running.who} goes on with it (its Jobs page, or roost market requests, shows where it stands).\n`,
          );
        return 1;
      }
      const answer = await running.client
        .call('market.postedJobs', { jobId })
        .catch((error: unknown) => ({
          ok: false as const,
          error: { code: 'UNAVAILABLE' as const, message: (error as Error).message },
        }));
      if (!answer.ok)
        throw new Error(
          `${running.who} stopped answering while following job ${jobId}: ${answer.error.message.replace(/\.$/, '')}. The job stays on chain; once Roost runs again it watches the job by itself.`,
        );
      const job = answer.value.jobs.find((j) => j.jobId === jobId);
      if (!job)
        throw new Error(
          `${running.who} does not list job ${jobId} as posted from this data folder.`,
        );
      if (!ctx.json) {
        for (const lease of job.leases) {
          const words = leaseViewWords(lease, { time: (iso) => iso ?? '?' });
          if (said.get(lease.slot) === words) continue;
          said.set(lease.slot, words);
          ctx.out(`Lease ${lease.slot}: ${words}\n`);
        }
      }
      // Decided here, or settled on chain with nothing left to watch (cancelled, say).
      if (decided(job) || job.watch === 'done') {
        const { decimals, symbol } = answer.value.network;
        return reportOutcome(
          ctx,
          {
            jobId: BigInt(jobId),
            specURI: job.specURI,
            specHash: job.specHash,
            txHash: job.txHash ?? '',
          },
          { reward: BigInt(job.price.baseUnits), decimals, symbol },
          job.leases.map((lease) => outcomeOf(job, lease)),
        );
      }
      if (job.watch === 'stopped' && job.watchProblem)
        throw new Error(
          `${running.who} stopped watching job ${jobId}: ${job.watchProblem.replace(/\.$/, '')}. Run this command again, or Watch again on its Jobs page.`,
        );
      await wake.wait(pollMs, ctx.signal);
    }
  } finally {
    wake.close();
  }
}
