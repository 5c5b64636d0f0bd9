/**
 * `roost market cancel-job <jobId> [--yes] [--json]`: the requester takes back a job nobody has
 * claimed yet (a wrong file, a price no provider takes): its open leases are cancelled on chain
 * and their rewards go back to the requester's balance in the market. Leases already claimed run
 * to their end. It asks before it sends (`--yes` does not ask); on a custom network the data
 * folder's wallet signs, as for post-job.
 */
import { connectJobMarket } from '../../contracts/bindings/job-market.ts';
import { cancelledBy, openLeasesOf } from '../market/request-views.ts';
import { formatUnitsExact } from '../wallet/amount.ts';
import { answeredYes } from './flags.ts';
import { reportFailure } from './market-post.ts';
import type { MarketPostContext } from './market-post.ts';
import { MarketPostUsageError, openRequesterMarket, requesterSigner } from './requester-market.ts';
import { callWithPassword, roostToGoThrough } from './requester-running.ts';
import type { RequesterMarket } from './requester-market.ts';

export const MARKET_CANCEL_USAGE = 'roost market cancel-job <jobId> [--yes] [--json]';

export async function runMarketCancel(ctx: MarketPostContext & { yes?: boolean }) {
  const [, id, ...rest] = ctx.positionals;
  if (id === undefined)
    throw new MarketPostUsageError('Say which job: roost market cancel-job <jobId>.');
  if (rest.length > 0)
    throw new MarketPostUsageError(`roost market cancel-job takes no "${rest[0]}".`);
  if (!/^[1-9]\d{0,30}$/.test(id))
    throw new MarketPostUsageError(`"${id}" is not a job id (a whole number, 1 or more).`);
  const jobId = BigInt(id);

  let market: RequesterMarket | undefined;
  try {
    market = await openRequesterMarket(ctx.dataDir);
    const job = await openLeasesOf(market, jobId, 'roost market requests');
    if (job.open.length === 0)
      throw new Error(
        `Job ${jobId} has no open lease to cancel: each was claimed, settled or cancelled already. A claimed lease runs to its end; roost market requests shows where each stands.`,
      );
    const asked = job.reward * BigInt(job.open.length);
    const amount = `${formatUnitsExact(asked, market.decimals)} ${market.symbol}`;
    // This folder's wallet takes market jobs too: cancelled through its running Roost.
    const through = await roostToGoThrough(ctx.dataDir, market);
    if (ctx.yes !== true) {
      const question = `Cancel ${job.open.length} open lease(s) of job ${jobId} on ${market.label}? ${amount} goes back to ${job.requester}'s balance in the market.`;
      if (!ctx.ask) throw new Error(`${question} Add --yes to cancel without being asked.`);
      if (!(await answeredYes(ctx.ask, question))) {
        ctx.err('Nothing was cancelled.\n');
        return 1;
      }
    }
    // What the chain did, which is less than was asked when a provider claimed a lease since.
    const done = through
      ? await viaRoost(ctx, through, id)
      : await cancelHere(ctx, market, jobId, job.requester, job.open);
    const { txHash, cancelled } = done;
    const back = `${done.refund} ${market.symbol}`;
    const claimedSince = job.open.filter((slot) => !cancelled.includes(slot));
    const withdraw =
      market.kind === 'custom'
        ? ' roost wallet withdraw takes it to the wallet.'
        : ' It stays there for that test account.';
    if (ctx.json)
      ctx.out(
        JSON.stringify({
          ok: true,
          jobId: jobId.toString(),
          cancelled,
          refund: { amount: done.refund, symbol: market.symbol },
          txHash,
        }) + '\n',
      );
    else
      ctx.out(
        `Cancelled lease ${cancelled.join(' and ')} of job ${jobId} (transaction ${txHash}): ${back} is back in ${job.requester}'s balance in the market.${withdraw}${claimedSince.length > 0 ? ` Lease ${claimedSince.join(' and ')} was claimed by a provider meanwhile and runs to its end.` : ''}\n`,
      );
    return 0;
  } catch (error) {
    if (error instanceof MarketPostUsageError) throw error;
    return reportFailure(ctx, error);
  } finally {
    market?.close();
  }
}

interface Cancelled {
  txHash: string;
  cancelled: number[];
  /** The refund the market credited, exactly, in the token's units (`2.5`). */
  refund: string;
}

/** Cancels through the running Roost, which answers what the chain did. */
async function viaRoost(
  ctx: MarketPostContext,
  through: Parameters<typeof callWithPassword>[1],
  jobId: string,
): Promise<Cancelled> {
  const answer = await callWithPassword(ctx, through, 'market.cancelPostedJob', { jobId });
  return { txHash: answer.txHash, cancelled: answer.cancelled, refund: answer.refund.amount };
}

/** Cancels in this process; the account that posted the job signs (a custom network: the wallet). */
async function cancelHere(
  ctx: MarketPostContext,
  market: RequesterMarket,
  jobId: bigint,
  requester: string,
  openBefore: readonly number[],
): Promise<Cancelled> {
  const signer = await requesterSigner(ctx, market, { address: requester });
  const sent = await connectJobMarket(market.marketAddress, signer).cancelJob(jobId);
  const receipt = await sent.wait();
  if (receipt === null || receipt.status !== 1)
    throw new Error(`the cancellation (transaction ${sent.hash}) was not mined.`);
  const { cancelled, refund } = await cancelledBy(market, jobId, receipt, openBefore);
  return { txHash: sent.hash, cancelled, refund: formatUnitsExact(refund, market.decimals) };
}
