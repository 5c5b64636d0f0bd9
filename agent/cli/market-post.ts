/**
 * `roost market post-job`: post an ONNX job to the market this data folder works on, serve its
 * files from this machine while providers work on it, judge what comes back (accept or dispute,
 * see agent/market/requester.ts) and exit 0 only when every lease was accepted. On the local
 * devnet one of its unlocked test accounts pays; on a custom network (a lab's own chain and
 * market, `roost market deploy`) this data folder's wallet pays, opened here with its password;
 * where that wallet also takes market jobs, the job is posted through the Roost running on the
 * folder instead (requester-running.ts). The command body; market.ts wires it in (options:
 * `marketPostOptions`).
 *
 * Every post is kept in the data folder's journal: killed at any point, the job is picked up
 * again by `roost market await <id>` (market-requests.ts), which shares the helpers here.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { executionProviderSchema } from '../jobs/schema.ts';
import { answeredYes, enumFlagProblem } from './flags.ts';
import type { ExecutionProvider } from '../jobs/schema.ts';
import { publicOrigin } from '../market/artifact-server.ts';
import { folderRequester } from '../market/requester.ts';
import type {
  LeaseOutcome,
  PostedJob,
  Requester,
  RequesterEvent,
  RequesterOptions,
} from '../market/requester.ts';
import { formatUnitsExact, parseAmount } from '../wallet/amount.ts';
import { MarketPostUsageError, openRequesterMarket, requesterSigner } from './requester-market.ts';
import type { RequesterMarket } from './requester-market.ts';
import { callWithPassword, followInRoost, roostToGoThrough } from './requester-running.ts';

export { MarketPostUsageError } from './requester-market.ts';

export const MARKET_POST_USAGE =
  'roost market post-job --model <m.onnx> --input <name>=<x.npy> ... --price <amount> [--redundancy 2] [--canary] [--lease-seconds N] [--deadline-seconds N] [--min-score N] [--ep webgpu,cpu] [--account <index>] [--port N] [--public-url <url>] [--yes] [--json]';

/** The options `roost market post-job` takes, for parseArgs. */
export const marketPostOptions = {
  model: { type: 'string' },
  input: { type: 'string', multiple: true },
  output: { type: 'string', multiple: true },
  price: { type: 'string' },
  redundancy: { type: 'string' },
  canary: { type: 'boolean' },
  'lease-seconds': { type: 'string' },
  'deadline-seconds': { type: 'string' },
  'min-score': { type: 'string' },
  ep: { type: 'string' },
  account: { type: 'string' },
  name: { type: 'string' },
  'no-wait': { type: 'boolean' },
  port: { type: 'string' },
  'public-url': { type: 'string' },
} as const;

/** What the command needs from the command line around it. */
export interface MarketPostContext {
  dataDir: string;
  /** Words after `roost market` (`post-job` itself may be among them). */
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Stops waiting (Ctrl+C); the job stays on chain. */
  signal?: AbortSignal;
  /** How often to read the chain while waiting; default 1000 ms. */
  pollMs?: number;
  /** Asks on the terminal (the wallet's password on a custom network); absent: nothing is asked. */
  ask?: (question: string, secret: boolean) => Promise<string>;
}

function wholeNumber(value: unknown, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min)
    throw new MarketPostUsageError(`${flag} takes a whole number of at least ${min}.`);
  return n;
}

function inputSets(pairs: unknown): Record<string, string>[] {
  if (!Array.isArray(pairs) || pairs.length === 0)
    throw new MarketPostUsageError('Give at least one --input <name>=<file.npy>.');
  // A name given twice makes a batch: the n-th file of each name forms input set n.
  const sets: Record<string, string>[] = [];
  for (const pair of pairs as string[]) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1)
      throw new MarketPostUsageError(`--input takes <name>=<file.npy> (got "${pair}").`);
    const name = pair.slice(0, eq);
    let set = sets.find((s) => !(name in s));
    if (!set) {
      set = {};
      sets.push(set);
    }
    set[name] = resolve(pair.slice(eq + 1));
  }
  return sets;
}

function progressLine(event: Exclude<RequesterEvent, { type: 'warning' }>): string {
  switch (event.type) {
    case 'posted':
      return `Posted job ${event.jobId} (transaction ${event.txHash}); serving its files at ${event.specURI}`;
    case 'claimed':
      return `Lease ${event.slot}: claimed by ${event.provider}`;
    case 'expired':
      return `Lease ${event.slot}: ${event.provider} ran out of time; reopened, its collateral is yours`;
    case 'result':
      return `Lease ${event.slot}: result in from ${event.provider}; checking it`;
    case 'verdict':
      return verdictLine(event.outcome);
  }
}

function verdictLine(o: LeaseOutcome): string {
  const who = o.provider ? ` (${o.provider})` : '';
  return `Lease ${o.slot}: ${o.verdict}${who}${o.reason ? `: ${o.reason}` : ''}`;
}

/**
 * The requester post-job and await judge with: the market, who pays, the journal and work folder
 * of this data folder, progress printed as lines.
 */
export function marketRequester(
  ctx: MarketPostContext,
  market: RequesterMarket,
  signer: RequesterOptions['signer'],
  serve?: RequesterOptions['serve'],
): Requester {
  return folderRequester(ctx.dataDir, market, {
    signer,
    pollMs: ctx.pollMs ?? 1000,
    onEvent: progressPrinter(ctx),
    ...(serve ? { serve } : {}),
  });
}

/** Prints the requester's progress as lines (none with --json); warnings on stderr, always. */
export function progressPrinter(ctx: Pick<MarketPostContext, 'json' | 'out' | 'err'>) {
  return (event: RequesterEvent) => {
    if (event.type === 'warning') ctx.err(`Warning: ${event.message}\n`);
    else if (!ctx.json) ctx.out(progressLine(event) + '\n');
  };
}

/** What post-job and await print at the end; returns the exit code (0: every lease accepted). */
export function reportOutcome(
  ctx: Pick<MarketPostContext, 'json' | 'out'>,
  job: Pick<PostedJob, 'jobId' | 'specURI' | 'specHash' | 'txHash'>,
  price: { reward: bigint; decimals: number; symbol: string },
  leases: LeaseOutcome[],
): number {
  const ok = leases.every((l) => l.verdict === 'accepted');
  if (ctx.json) {
    ctx.out(
      JSON.stringify({
        ok,
        jobId: job.jobId.toString(),
        specURI: job.specURI,
        specHash: job.specHash,
        txHash: job.txHash,
        price: {
          amount: formatUnitsExact(price.reward, price.decimals),
          symbol: price.symbol,
          baseUnits: price.reward.toString(),
        },
        leases,
      }) + '\n',
    );
  } else {
    const files = leases.flatMap((l) => l.outputs);
    if (files.length > 0) ctx.out(`Results are in ${resolve(files[0] as string, '..', '..')}\n`);
    ctx.out(ok ? 'Every lease was accepted.\n' : 'Not every lease was accepted (see above).\n');
  }
  return ok ? 0 : 1;
}

/** A failure after the command line was understood: its words, and exit code 1. */
export function reportFailure(
  ctx: Pick<MarketPostContext, 'json' | 'out' | 'err'>,
  error: unknown,
  jobId?: bigint,
): number {
  const message = (error as Error).message ?? String(error);
  if (ctx.json) {
    ctx.out(
      JSON.stringify({
        ok: false,
        ...(jobId !== undefined ? { jobId: jobId.toString() } : {}),
        error: { message },
      }) + '\n',
    );
  }
  // Every error line starts "Error:", as the other commands write theirs.
  ctx.err(`Error: ${message}\n`);
  if (jobId !== undefined)
    ctx.err(
      `Job ${jobId} stays on chain: roost market await ${jobId} serves its files again and finishes it.\n`,
    );
  return 1;
}

/** `roost market post-job …`: returns the exit code (0 when every lease was accepted). */
export async function runMarketPost(ctx: MarketPostContext): Promise<number> {
  const words = ctx.positionals[0] === 'post-job' ? ctx.positionals.slice(1) : ctx.positionals;
  if (words.length > 0)
    throw new MarketPostUsageError(`roost market post-job takes no "${words[0]}".`);
  const v = ctx.values;
  if (v['no-wait'])
    throw new MarketPostUsageError(
      '--no-wait cannot be used here: the model and inputs are served from this machine by this command, so it has to keep running until the providers have fetched them and sent their results.',
    );
  if (typeof v.model !== 'string')
    throw new MarketPostUsageError('Give the model: --model <m.onnx>.');
  if (typeof v.price !== 'string')
    throw new MarketPostUsageError('Give the price per lease: --price <amount of the token>.');
  const sets = inputSets(v.input);
  const redundancy = wholeNumber(v.redundancy, '--redundancy', 1) ?? 1;
  if (redundancy !== 1 && redundancy !== 2)
    throw new MarketPostUsageError('--redundancy takes 1 or 2.');
  const leaseSeconds = wholeNumber(v['lease-seconds'], '--lease-seconds', 60);
  const deadlineSeconds = wholeNumber(v['deadline-seconds'], '--deadline-seconds', 120);
  const minScore = wholeNumber(v['min-score'], '--min-score', 0);
  const account = wholeNumber(v.account, '--account', 0) ?? 0;
  const port = wholeNumber(v.port, '--port', 1);
  if (port !== undefined && port > 65535)
    throw new MarketPostUsageError('--port takes a port number from 1 to 65535.');
  let publicUrl: string | undefined;
  if (typeof v['public-url'] === 'string') {
    try {
      publicUrl = publicOrigin(v['public-url']).origin;
    } catch (error) {
      throw new MarketPostUsageError(`--public-url: ${(error as Error).message}.`);
    }
    if (port === undefined)
      throw new MarketPostUsageError(
        '--public-url needs --port: the tunnel or proxy behind that URL forwards to one fixed port on 127.0.0.1.',
      );
  }
  let executionProviders: ExecutionProvider[] | undefined;
  if (typeof v.ep === 'string') {
    const eps = z
      .array(executionProviderSchema)
      .min(1)
      .safeParse(
        v.ep
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean),
      );
    if (!eps.success)
      throw new MarketPostUsageError(
        // In the words roost bench and roost job run use for the same mistake.
        enumFlagProblem('--ep', v.ep, executionProviderSchema.options, 'execution provider', {
          list: true,
        }) ?? `--ep takes a comma-separated list of ${executionProviderSchema.options.join(', ')}.`,
      );
    executionProviders = eps.data;
  }
  const outputs = Array.isArray(v.output) && v.output.length > 0 ? v.output : undefined;
  // The job as posted here or through the running Roost, and where its files are served.
  const job = {
    model: resolve(v.model),
    inputs: sets.length === 1 ? (sets[0] as Record<string, string>) : sets,
    canary: Boolean(v.canary),
    ...(outputs ? { outputs } : {}),
    ...(leaseSeconds !== undefined ? { leaseSeconds } : {}),
    ...(deadlineSeconds !== undefined ? { deadlineSeconds } : {}),
    ...(minScore !== undefined ? { minScore } : {}),
    ...(executionProviders ? { executionProviders } : {}),
    ...(typeof v.name === 'string' ? { name: v.name } : {}),
  };
  const serve = {
    ...(port !== undefined ? { port } : {}),
    ...(publicUrl !== undefined ? { publicUrl } : {}),
  };

  let market: RequesterMarket | undefined;
  let requester: Requester | undefined;
  let postedId: bigint | undefined;
  try {
    market = await openRequesterMarket(ctx.dataDir);
    const { decimals, symbol } = market;
    if (market.kind === 'custom' && v.account !== undefined)
      throw new MarketPostUsageError(
        `--account picks one of the local devnet's test accounts; on ${market.label} the job is paid from this data folder's wallet.`,
      );
    // This folder's wallet takes market jobs too: posted through its running Roost, or refused.
    const through = await roostToGoThrough(ctx.dataDir, market);
    let reward: bigint;
    try {
      reward = parseAmount(v.price, decimals, symbol);
    } catch (error) {
      throw new MarketPostUsageError(`--price: ${(error as Error).message}`);
    }

    if (!market.testMoney && v.yes !== true) {
      // Real money leaves the wallet for the market's escrow: said, and asked, first.
      const escrow = `${formatUnitsExact(reward * BigInt(redundancy), decimals)} ${symbol}`;
      const question = `Post this job on ${market.label}, escrowing ${escrow} (${formatUnitsExact(reward, decimals)} ${symbol} per lease × ${redundancy}) from this data folder's wallet? ${symbol} counts as money on this chain.`;
      if (!ctx.ask) throw new Error(`${question} Add --yes to post without being asked.`);
      if (!(await answeredYes(ctx.ask, question))) {
        ctx.err('Nothing was posted.\n');
        return 1;
      }
    }
    if (through) {
      if (!ctx.json)
        ctx.out(
          `Posting through ${through.who}, whose wallet also takes market jobs: ${formatUnitsExact(reward, decimals)} ${symbol} per lease, ${redundancy} lease(s)${v.canary ? ', with a canary run there first' : ''}…\n`,
        );
      const posted = await callWithPassword(ctx, through, 'market.postJob', {
        ...job,
        price: v.price,
        redundancy: redundancy as 1 | 2,
        ...serve,
      });
      postedId = BigInt(posted.jobId);
      if (!ctx.json)
        ctx.out(
          `Posted job ${posted.jobId} (transaction ${posted.txHash}) from ${posted.requester}; ${through.who} serves its files at ${posted.servedAt} and checks the results, also after this command ends.\nWaiting for providers (Ctrl+C stops waiting; ${through.who} goes on with the job)…\n`,
        );
      return await followInRoost(ctx, through, posted.jobId);
    }
    const signer = await requesterSigner(ctx, market, { account });
    requester = marketRequester(ctx, market, signer, serve);
    if (!ctx.json) {
      ctx.out(
        `Posting as ${await signer.getAddress()} on ${market.label}: ${formatUnitsExact(reward, decimals)} ${symbol} per lease, ${redundancy} lease(s)${v.canary ? ', with a canary run here first' : ''}…\n`,
      );
    }
    const posted = await requester.post({ ...job, reward, redundancy });
    postedId = posted.jobId;
    if (!ctx.json)
      ctx.out(
        `Waiting for providers (Ctrl+C stops waiting; the job stays posted and roost market await ${posted.jobId} picks it up again)…\n`,
      );
    const leases = await requester.await(posted.jobId, ctx.signal ? { signal: ctx.signal } : {});
    return reportOutcome(ctx, posted, { reward, decimals, symbol }, leases);
  } catch (error) {
    if (error instanceof MarketPostUsageError) throw error;
    return reportFailure(ctx, error, postedId);
  } finally {
    await requester?.close();
    market?.close();
  }
}
