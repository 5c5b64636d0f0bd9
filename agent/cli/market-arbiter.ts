/**
 * The arbiter's commands, through the agent (market.disputes, market.resolveDispute):
 *
 * - `roost market disputes [--json]`: the market's open disputes — who posted, who ran it, what is
 *   at stake, the result on chain, the requester's reason — and whether this wallet may rule.
 * - `roost market resolve <jobId> <lease> --for provider|requester [--yes]`: the ruling, after a
 *   question that says who gets what. A locked wallet is asked for its password once; what the
 *   market would refuse (not the arbiter, a party to it, not disputed) is said before that.
 */
import type { ResultOf } from '../api/contract.ts';
import { timeWords } from '../api/contract.ts';
import { unlockingIfLocked } from './common.ts';
import { answeredYes } from './flags.ts';
import type { MarketCliContext } from './market.ts';

export const MARKET_DISPUTES_USAGE = 'roost market disputes [--json]';
export const MARKET_RESOLVE_USAGE =
  'roost market resolve <jobId> <lease> --for provider|requester [--yes]';

/** A usage error of the arbiter's commands; market.ts adds the usage lines. */
export class ArbiterUsageError extends Error {}

type Disputes = ResultOf<'market.disputes'>;
type Dispute = Disputes['disputes'][number];
type Amount = Dispute['reward'];

const tokens = (a: Amount) => `${a.amount} ${a.symbol}`;

function indented(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line, i) => (i === 0 ? line : `${prefix}${line}`))
    .join('\n');
}

/** The disputes as a person reads them: one block each, with the command that rules on it. */
export function disputesText(r: Disputes): string {
  const where = `market ${r.network.marketAddress} (${r.network.name}, chain ${r.network.chainId})`;
  const who =
    r.wallet === null
      ? 'There is no wallet in this data folder, so it can read them but not rule.'
      : r.arbiter
        ? `This wallet, ${r.wallet}, is its arbiter.`
        : `This wallet, ${r.wallet}, is not its arbiter: it can read them but not rule.`;
  if (r.disputes.length === 0) return `No open disputes on ${where}. ${who}`;
  const lines = [
    `${r.disputes.length === 1 ? 'One open dispute' : `${r.disputes.length} open disputes`} on ${where}. ${who}`,
  ];
  const pad = ' '.repeat(14);
  for (const d of r.disputes) {
    lines.push(
      '',
      `Job ${d.jobId}, lease ${d.slot}: disputed ${timeWords(d.disputedAt)} (tx ${d.disputeTx})`,
      `  requester   ${d.requester}`,
      `  provider    ${d.provider}`,
      `  at stake    ${tokens(d.reward)} reward, ${tokens(d.collateral)} of the provider's collateral`,
      `  result      ${d.resultHash}${d.resultUri === null ? '' : `\n${pad}${d.resultUri}`}`,
      `  reason      ${d.reason === null ? (d.reasonProblem ?? 'none given') : indented(d.reason, pad)}`,
      `${pad}(${d.reasonUri})`,
      `  unruled     after ${timeWords(d.voidableAt)} anyone may end it: the reward goes back, the collateral stays the provider's`,
      d.cannotRule === null
        ? `  rule        roost market resolve ${d.jobId} ${d.slot} --for provider   (or --for requester)`
        : `  can't rule  ${d.cannotRule}`,
    );
  }
  return lines.join('\n');
}

/** What `resolve` asks before it sends: who gets what. */
export function resolveQuestion(d: Dispute, winner: 'provider' | 'requester'): string {
  const what =
    winner === 'provider'
      ? `the provider ${d.provider} is paid the ${tokens(d.reward)} reward (less the job's fee, if any) and its collateral is freed`
      : `the requester ${d.requester} gets the ${tokens(d.reward)} reward back and the provider's ${tokens(d.collateral)} collateral`;
  return `Rule on lease ${d.slot} of job ${d.jobId} for the ${winner}? ${what}. A ruling is final.`;
}

function resolvedText(r: ResultOf<'market.resolveDispute'>): string {
  return r.winner === 'provider'
    ? `Ruled for the provider: ${r.provider} was credited ${tokens(r.providerPaid)} (tx ${r.transaction}). It withdraws it from the market as usual.`
    : `Ruled for the requester: ${r.requester} was credited ${tokens(r.requesterCredited)}, the reward and the provider's collateral (tx ${r.transaction}). It withdraws it from the market as usual.`;
}

/** `disputes` and `resolve`; `sub` is which. */
export async function runArbiterCommand(
  ctx: MarketCliContext,
  sub: 'disputes' | 'resolve',
  rest: string[],
  fail: (error: { code: string; message: string } | string) => number,
): Promise<number> {
  if (sub === 'disputes') {
    if (rest.length > 0) throw new ArbiterUsageError(`Unexpected "${rest.join(' ')}".`);
    const r = await ctx.client.call('market.disputes');
    if (!r.ok) return fail(r.error);
    ctx.out((ctx.json ? JSON.stringify(r.value) : disputesText(r.value)) + '\n');
    return 0;
  }
  const [jobId, slotText, ...extra] = rest;
  if (jobId === undefined || slotText === undefined)
    throw new ArbiterUsageError(
      'Give the job and the lease to rule on, as `roost market disputes` lists them.',
    );
  if (extra.length > 0) throw new ArbiterUsageError(`Unexpected "${extra.join(' ')}".`);
  if (!/^\d{1,78}$/.test(jobId))
    throw new ArbiterUsageError(`The job is a number, e.g. 12 (got "${jobId}").`);
  if (slotText !== '0' && slotText !== '1')
    throw new ArbiterUsageError(`The lease is 0 or 1 (got "${slotText}").`);
  const winner = ctx.values.for;
  if (winner !== 'provider' && winner !== 'requester')
    throw new ArbiterUsageError(
      winner === undefined
        ? 'Say who wins: --for provider (it is paid) or --for requester (it gets the reward back and the collateral).'
        : `--for takes provider or requester (got "${String(winner)}").`,
    );
  const params = { jobId, slot: Number(slotText), winner } as const;
  if (ctx.values.yes !== true) {
    // The question says who gets what; where the dispute is not listed (no such job, not
    // disputed), the agent's refusal below says why, and nothing is asked.
    const listed = await ctx.client.call('market.disputes');
    if (!listed.ok) return fail(listed.error);
    const d = listed.value.disputes.find((x) => x.jobId === jobId && x.slot === params.slot);
    if (d?.cannotRule)
      return fail({
        code: listed.value.wallet === null ? 'WALLET_NONE' : 'FORBIDDEN',
        message: `${d.cannotRule} Nothing was sent.`,
      });
    if (d) {
      const question = resolveQuestion(d, winner);
      if (!ctx.ask) return fail(`${question} Add --yes to rule without being asked.`);
      if (!(await answeredYes(ctx.ask, question))) {
        ctx.err('Nothing was sent.\n');
        return 1;
      }
    }
  }
  const r = await unlockingIfLocked(ctx.client, ctx.ask, () =>
    ctx.client.call('market.resolveDispute', params),
  );
  if (!r.ok) return fail(r.error);
  ctx.out((ctx.json ? JSON.stringify(r.value) : resolvedText(r.value)) + '\n');
  return 0;
}
