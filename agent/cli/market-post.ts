/**
 * `roost market post-job`: post an ONNX job to the market this data folder works on, serve its
 * files from this machine while providers work on it, judge what comes back (accept or dispute,
 * see agent/market/requester.ts) and exit 0 only when every lease was accepted. On the local
 * devnet one of its unlocked test accounts pays; on a custom network (a lab's own chain and
 * market, `roost market deploy`) this data folder's wallet pays, opened here with its password.
 * The command body; market.ts wires it in (options: `marketPostOptions`).
 *
 * Every post is kept in the data folder's journal: killed at any point, the job is picked up
 * again by `roost market await <id>` (market-requests.ts), which shares the helpers here.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { JsonRpcProvider } from 'ethers';
import type { Provider, Signer } from 'ethers';
import { z } from 'zod';
import { connectRoostTestToken } from '../../contracts/bindings/roost-test-token.ts';
import { executionProviderSchema } from '../jobs/schema.ts';
import { answeredYes, enumFlagProblem } from './flags.ts';
import type { ExecutionProvider } from '../jobs/schema.ts';
import { chainKeyOf } from '../market/chain-key.ts';
import { localNetworkFile, readLocalNetwork } from '../market/local-network.ts';
import { publicOrigin } from '../market/artifact-server.ts';
import { createRequester } from '../market/requester.ts';
import type {
  LeaseOutcome,
  PostedJob,
  Requester,
  RequesterEvent,
  RequesterOptions,
} from '../market/requester.ts';
import { SETTINGS_FILE } from '../store/settings-store.ts';
import { formatUnitsExact, parseAmount } from '../wallet/amount.ts';
import { decryptWallet, keystorePath, readKeystoreFile } from '../wallet/keystore.ts';
import { createNetworkSource, isTestNetwork } from '../wallet/network.ts';

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

/** The command line is wrong: market.ts prints it with the usage and exits 2. */
export class MarketPostUsageError extends Error {}

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

const settingsNetworkSchema = z.object({
  settings: z.object({
    network: z.object({
      name: z.string(),
      rpcUrl: z.string().nullable().optional(),
      marketAddress: z.string().nullable().optional(),
      tokens: z.enum(['unknown', 'test', 'real']).optional(),
    }),
    market: z.object({ enabled: z.boolean().optional() }).optional(),
  }),
});

/** The custom network this data folder is set to, if it is; null fields where none is set. */
async function customNetwork(dataDir: string): Promise<
  | {
      rpcUrl: string | null;
      marketAddress: string | null;
      /** This data folder's Roost takes market jobs (with the same wallet). */
      marketJobs: boolean;
      /** The user's word on the chain's tokens (`network.tokens`). */
      tokens: 'unknown' | 'test' | 'real';
    }
  | undefined
> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(join(dataDir, SETTINGS_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const parsed = settingsNetworkSchema.safeParse(doc);
  if (!parsed.success || parsed.data.settings.network.name !== 'custom') return undefined;
  const { network, market } = parsed.data.settings;
  return {
    rpcUrl: network.rpcUrl ?? null,
    marketAddress: network.marketAddress ?? null,
    marketJobs: market?.enabled === true,
    tokens: network.tokens ?? 'unknown',
  };
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

/** The market this data folder works on, connected, with its token and chainKey. */
export interface RequesterMarket {
  /**
   * `local`: the devnet this data folder records, paid from its unlocked test accounts;
   * `custom`: the network in Settings (a lab's own chain), paid from this data folder's wallet.
   */
  kind: 'local' | 'custom';
  /** The network in words: "the local devnet", "chain 1337 (http://10.0.0.5:8545)". */
  label: string;
  /** Its tokens are test money (the devnet, a known test chain, or network.tokens test). */
  testMoney: boolean;
  rpcUrl: string;
  chain: Provider;
  /** The local devnet's node, whose unlocked accounts pay there; absent on a custom network. */
  devnet?: JsonRpcProvider;
  marketAddress: string;
  tokenAddress: string;
  /** This deployment, for the journal's rows (agent/market/chain-key.ts). */
  chainKey: string;
  decimals: number;
  symbol: string;
  close(): void;
}

/**
 * Connects to the market of this data folder: the custom network in its settings, or else its
 * local devnet. None recorded, or a chain that does not answer, are the machine's state, not a
 * wrong command line: plain errors (exit 1, no usage).
 */
export async function openRequesterMarket(dataDir: string): Promise<RequesterMarket> {
  const custom = await customNetwork(dataDir);
  if (custom !== undefined) return openCustomMarket(dataDir, custom);
  const network = await readLocalNetwork(dataDir);
  if (!network)
    throw new Error(
      `No local devnet is recorded in ${localNetworkFile(dataDir)}. Start one with roost devnet (or roost serve, which runs one), then try again.`,
    );
  const chain = new JsonRpcProvider(network.rpcUrl, network.chainId, {
    staticNetwork: true,
    pollingInterval: 250,
  });
  try {
    const marketAddress = network.contracts.JobMarket.address;
    const tokenAddress = network.contracts.RoostTestToken.address;
    let chainKey: string;
    try {
      chainKey = await chainKeyOf(chain, network.chainId, marketAddress, network.deployBlock);
    } catch {
      throw new Error(
        `The local devnet at ${network.rpcUrl} does not answer. Is roost devnet still running? Start it again and try again.`,
      );
    }
    const token = connectRoostTestToken(tokenAddress, chain);
    const [decimals, symbol] = await Promise.all([token.decimals(), token.symbol()]);
    return {
      kind: 'local',
      label: 'the local devnet',
      testMoney: true,
      rpcUrl: network.rpcUrl,
      chain,
      devnet: chain,
      marketAddress,
      tokenAddress,
      chainKey,
      decimals: Number(decimals),
      symbol,
      close: () => chain.destroy(),
    };
  } catch (error) {
    chain.destroy();
    throw error;
  }
}

/** The custom network of the settings: its chain, market, token and deployment. */
async function openCustomMarket(
  dataDir: string,
  custom: NonNullable<Awaited<ReturnType<typeof customNetwork>>>,
): Promise<RequesterMarket> {
  const { rpcUrl, marketAddress } = custom;
  if (rpcUrl === null || marketAddress === null)
    throw new Error(
      'This data folder is set to a custom network without both an RPC URL and a market address. Set them (roost settings set network.rpcUrl <url>, roost settings set network.marketAddress <address>), or deploy a market of your own with roost market deploy --rpc <url>.',
    );
  const source = createNetworkSource({
    dataDir,
    settings: () => ({ name: 'custom', rpcUrl, marketAddress }),
  });
  try {
    const network = await source();
    const chainKey = await chainKeyOf(
      network.provider,
      network.chainId,
      network.marketAddress,
      network.deployBlock,
    );
    const token = connectRoostTestToken(network.tokenAddress, network.provider);
    let decimals: bigint;
    let symbol: string;
    try {
      [decimals, symbol] = await Promise.all([token.decimals(), token.symbol()]);
    } catch {
      throw new Error(
        `The market at ${network.marketAddress} pays in ${network.tokenAddress}, which does not answer as an ERC-20 token (decimals, symbol) on chain ${network.chainId}. Check network.marketAddress in Settings.`,
      );
    }
    return {
      kind: 'custom',
      label: `chain ${network.chainId} (${rpcUrl})`,
      testMoney: isTestNetwork({
        name: 'custom',
        chainId: network.chainId,
        tokens: custom.tokens,
      }),
      rpcUrl,
      chain: network.provider,
      marketAddress: network.marketAddress,
      tokenAddress: network.tokenAddress,
      chainKey,
      decimals: Number(decimals),
      symbol,
      close: () => source.close(),
    };
  } catch (error) {
    source.close();
    throw error;
  }
}

/**
 * Who pays and signs as the requester. On the local devnet: its unlocked test account by index
 * (`account`) or by address. On a custom network: this data folder's wallet, opened here with its
 * password (asked on the terminal), never written anywhere; `address` must then be the wallet's.
 */
export async function requesterSigner(
  ctx: Pick<MarketPostContext, 'dataDir' | 'ask'>,
  market: RequesterMarket,
  who: { account: number } | { address: string },
): Promise<Signer> {
  if (market.devnet) {
    let signers;
    try {
      signers = await market.devnet.listAccounts();
    } catch {
      throw new Error(
        `The local devnet at ${market.rpcUrl} does not answer. Is roost devnet still running? Start it again and try again.`,
      );
    }
    if ('account' in who) {
      const signer = signers[who.account];
      if (!signer)
        throw new MarketPostUsageError(
          `--account ${who.account}: the local devnet has ${signers.length} unlocked accounts (0 to ${signers.length - 1}).`,
        );
      return signer;
    }
    const signer = signers.find((s) => s.address.toLowerCase() === who.address.toLowerCase());
    if (!signer)
      throw new Error(
        `${who.address} is not one of the local devnet's unlocked accounts, so it cannot sign here.`,
      );
    return signer;
  }
  const file = keystorePath(ctx.dataDir);
  const stored = await readKeystoreFile(file);
  if (stored === undefined)
    throw new Error(
      `On ${market.label} jobs are paid from this data folder's wallet, and it has none. Create one (roost wallet create) or import the lab's (roost wallet import), give it ${market.symbol} and coin for fees, and post again.`,
    );
  if (stored.kind === 'damaged')
    throw new Error(`This data folder's wallet (${file}) can't be read: ${stored.problem}.`);
  const { text, info } = stored;
  if ('address' in who && who.address.toLowerCase() !== info.address.toLowerCase())
    throw new Error(
      `${who.address} is not this data folder's wallet (${info.address}), so it cannot sign here. Run this from the data folder whose wallet posted the job (--data-dir).`,
    );
  if (!ctx.ask)
    throw new Error(
      `On ${market.label} jobs are paid from this data folder's wallet (${info.address}), which needs its password: run this command in a terminal.`,
    );
  const password = await ctx.ask(`Password of the wallet ${info.address}: `, true);
  const wallet = await decryptWallet(text, password, {
    code: 'WALLET_KEYSTORE_DAMAGED',
    what: 'the wallet',
  });
  return wallet.connect(market.chain);
}

/**
 * On a custom network this data folder's wallet pays for the jobs it posts. While its own Roost
 * takes market jobs with that same wallet, the two would send transactions from one address at
 * once and trip over each other's nonces: refused before anything is sent.
 */
export async function refuseSharedWallet(dataDir: string): Promise<void> {
  const custom = await customNetwork(dataDir);
  if (custom?.marketJobs)
    throw new Error(
      "This data folder takes market jobs (market.enabled) with the same wallet that would pay for this job, and two programs sending from one address at once trip over each other. Post from a data folder that takes no market jobs: another one with the lab's wallet (--data-dir), or turn market jobs off here (roost settings set market.enabled false).",
    );
}

/** The requester's work folder in a data folder: served files, uploads, checked results. */
export function requesterWorkDir(dataDir: string): string {
  return join(dataDir, 'market', 'requester');
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
  return createRequester({
    signer,
    marketAddress: market.marketAddress,
    tokenAddress: market.tokenAddress,
    workDir: requesterWorkDir(ctx.dataDir),
    pollMs: ctx.pollMs ?? 1000,
    onEvent: progressPrinter(ctx),
    journal: { dataDir: ctx.dataDir, chainKey: market.chainKey },
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

  let market: RequesterMarket | undefined;
  let requester: ReturnType<typeof createRequester> | undefined;
  let posted: PostedJob | undefined;
  try {
    market = await openRequesterMarket(ctx.dataDir);
    const { decimals, symbol } = market;
    if (market.kind === 'custom') {
      if (v.account !== undefined)
        throw new MarketPostUsageError(
          `--account picks one of the local devnet's test accounts; on ${market.label} the job is paid from this data folder's wallet.`,
        );
      await refuseSharedWallet(ctx.dataDir);
    }
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
    const signer = await requesterSigner(ctx, market, { account });
    requester = marketRequester(ctx, market, signer, {
      ...(port !== undefined ? { port } : {}),
      ...(publicUrl !== undefined ? { publicUrl } : {}),
    });
    if (!ctx.json) {
      ctx.out(
        `Posting as ${await signer.getAddress()} on ${market.label}: ${formatUnitsExact(reward, decimals)} ${symbol} per lease, ${redundancy} lease(s)${v.canary ? ', with a canary run here first' : ''}…\n`,
      );
    }
    posted = await requester.post({
      model: resolve(v.model),
      inputs: sets.length === 1 ? (sets[0] as Record<string, string>) : sets,
      reward,
      redundancy,
      canary: Boolean(v.canary),
      ...(outputs ? { outputs } : {}),
      ...(leaseSeconds !== undefined ? { leaseSeconds } : {}),
      ...(deadlineSeconds !== undefined ? { deadlineSeconds } : {}),
      ...(minScore !== undefined ? { minScore } : {}),
      ...(executionProviders ? { executionProviders } : {}),
      ...(typeof v.name === 'string' ? { name: v.name } : {}),
    });
    if (!ctx.json)
      ctx.out(
        `Waiting for providers (Ctrl+C stops waiting; the job stays posted and roost market await ${posted.jobId} picks it up again)…\n`,
      );
    const leases = await requester.await(posted.jobId, ctx.signal ? { signal: ctx.signal } : {});
    return reportOutcome(ctx, posted, { reward, decimals, symbol }, leases);
  } catch (error) {
    if (error instanceof MarketPostUsageError) throw error;
    return reportFailure(ctx, error, posted?.jobId);
  } finally {
    await requester?.close();
    market?.close();
  }
}
