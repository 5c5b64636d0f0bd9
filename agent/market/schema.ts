/**
 * The market's wire formats (zod only, shared by the provider, the requester and the API):
 *
 * - `roost.market-job/1`: the document a job's `specURI` points at. Its exact bytes hash (sha256)
 *   to the job's on-chain `specHash`. It wraps a roost.job/1 spec whose artifacts are http(s)
 *   URIs, says where the provider uploads the outputs, and what the job needs of a machine.
 * - the upload convention: the provider PUTs each output file and its signed `result.json` to
 *   `<upload.url>/<slot>/<provider address, lower case>/<file>`; the on-chain `resultURI` is the
 *   URL of that `result.json`, and the on-chain `resultHash` is `0x` + sha256 of its bytes.
 */
import { z } from 'zod';
import {
  downloadAsSchema,
  downloadSchema,
  executionProviderSchema,
  outputPreviewSchema,
  jobSpecSchema,
  tensorNameSchema,
} from '../jobs/schema.ts';
import { devNodeChains, tokensDecidedBySchema } from '../wallet/schema.ts';

export const MARKET_JOB_FORMAT = 'roost.market-job/1';
/** Largest market job document a provider fetches. */
export const MAX_MARKET_JOB_BYTES = 1024 * 1024;

export const bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte hex value');
export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');

export const marketJobSchema = z
  .strictObject({
    format: z.literal(MARKET_JOB_FORMAT),
    job: jobSpecSchema.refine(
      (spec) => !JSON.stringify(spec).includes('"file:'),
      'a market job must not name file: URIs; serve its artifacts over http(s)',
    ),
    upload: z.strictObject({
      /** Base URL the outputs go to (http on 127.0.0.1 for tests and labs, https elsewhere). */
      url: z.url({ protocol: /^https?$/ }).max(2000),
    }),
    requirements: z
      .strictObject({
        /** Memory the job needs on the GPU, in MiB; 0 or absent: runs on CPU too. */
        minVramMiB: z.int().min(0).max(10_000_000).optional(),
      })
      .optional(),
  })
  .describe('A job on the Roost market, format roost.market-job/1');
export type MarketJob = z.infer<typeof marketJobSchema>;

/** Where a provider uploads one file of one lease's result. */
export function resultFileUrl(base: string, slot: number, provider: string, file: string): string {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(file) || file.startsWith('.'))
    throw new Error(`not an upload file name: ${file}`);
  return `${base.replace(/\/+$/, '')}/${slot}/${provider.toLowerCase()}/${file}`;
}

// ---------------------------------------------------------------------------------------------
// The provider's leases, as the journal keeps them and the API shows them

export const leaseStateSchema = z.enum([
  'seen',
  'skipped',
  'claiming',
  'claimed',
  'running',
  'uploading',
  'submitting',
  'submitted',
  'disputed',
  'paid',
  'rejected',
  'voided',
  'failed',
  'expired',
  'lost',
]);
export type LeaseState = z.infer<typeof leaseStateSchema>;

/** States in which this provider is working on a lease: it takes its machine (capacity). */
export const ACTIVE_LEASE_STATES: readonly LeaseState[] = [
  'claiming',
  'claimed',
  'running',
  'uploading',
  'submitting',
];

/**
 * States in which this provider is taking or holds a lease that has not settled: its stake is
 * locked until it does.
 */
export const HELD_LEASE_STATES: readonly LeaseState[] = [
  ...ACTIVE_LEASE_STATES,
  'submitted',
  'disputed',
];

const uint = z.string().regex(/^\d+$/, 'must be a whole number in base units');

export const leaseRecordSchema = z.object({
  chainKey: z.string(),
  /** The market's job id (decimal). */
  jobId: z.string().regex(/^\d+$/),
  /** Which of the job's leases this provider holds; null until claimed. */
  slot: z.number().int().nullable(),
  state: leaseStateSchema,
  /** Why it is in this state, in words (why skipped, why failed, what was paid). */
  reason: z.string().nullable(),
  requester: z.string(),
  specUri: z.string(),
  specHash: z.string(),
  /** Token base units per lease. */
  reward: uint,
  collateral: uint,
  minScore: uint,
  leaseSeconds: z.number().int(),
  /** Unix seconds. */
  deadline: z.number().int(),
  postedBlock: z.number().int(),
  /** The job in the local journal that ran it. */
  localJobId: z.string().nullable(),
  leaseEndsAt: z.number().int().nullable(),
  challengeEndsAt: z.number().int().nullable(),
  resultHash: z.string().nullable(),
  resultUri: z.string().nullable(),
  /** What the provider was credited (base units) once paid. */
  payout: uint.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type LeaseRecord = z.infer<typeof leaseRecordSchema>;

/** The `market` settings section. */
export const marketSettingsSchema = z.object({
  enabled: z.boolean().describe('Take jobs from the market when the work policy allows'),
  stake: z
    .number()
    .min(0)
    .max(1_000_000_000)
    .describe('Tokens to keep staked: claims lock part of it as collateral'),
  autoWithdrawAbove: z
    .number()
    .min(0)
    .max(1_000_000_000)
    .nullable()
    .describe(
      'Withdraw earnings to the wallet once the market holds more than this; null: by hand',
    ),
  practice: z
    .boolean()
    .describe('On the local devnet, post sample jobs now and then so you can watch Roost earn'),
});
export type MarketSettings = z.infer<typeof marketSettingsSchema>;
/**
 * Market jobs start off: registering stakes the owner's tokens, which only the owner may start
 * (setup's Start earning, Settings → Market, or roost settings set market.enabled true).
 */
export const defaultMarketSettings: MarketSettings = {
  enabled: false,
  stake: 100,
  autoWithdrawAbove: null,
  practice: false,
};

const tokenAmount = z.object({ amount: z.string(), symbol: z.string() });

export const marketStatusSchema = z.object({
  /** `off`: market jobs disabled; `waiting`: cannot work yet (see problem); `ready`: following. */
  state: z.enum(['off', 'waiting', 'ready']),
  /** Why it is not taking jobs, with what to do; null when ready. */
  problem: z.string().nullable(),
  network: z
    .object({
      name: z.string(),
      chainId: z.number().int(),
      marketAddress: z.string(),
      /** The devnet was started by this agent. */
      embedded: z.boolean(),
      /** Its tokens are test money with no value, and what decided that (as wallet.network). */
      test: z.boolean(),
      tokensDecidedBy: tokensDecidedBySchema,
    })
    .nullable(),
  provider: z
    .object({
      address: z.string(),
      registered: z.boolean(),
      score: z.number().int().nonnegative(),
      reportHash: z.string().nullable(),
      pricePerUnitHour: tokenAmount,
      stake: tokenAmount,
      locked: tokenAmount,
      withdrawable: tokenAmount,
      /**
       * Stake on its way back (`roost market unstake`): the amount, and when the market lets it go
       * (ISO time; Roost then credits it to `withdrawable` by itself). Null when none is pending.
       */
      unstaking: tokenAmount.extend({ availableAt: z.string() }).nullable(),
      /** The market's wait between asking for stake back and getting it, in seconds. */
      unstakeDelaySeconds: z.number().int().nonnegative(),
    })
    .nullable(),
  follower: z.object({
    checkpoint: z.number().int().nullable(),
    head: z.number().int().nullable(),
    lagBlocks: z.number().int().nullable(),
    lastError: z.string().nullable(),
  }),
  practice: z.object({ on: z.boolean(), posted: z.number().int().nonnegative() }),
  /** Leases by state. */
  counts: z.record(z.string(), z.number().int().nonnegative()),
});
export type MarketStatus = z.infer<typeof marketStatusSchema>;

export const unstakeResultSchema = z.object({
  /** What this request moved out of the stake. */
  requested: tokenAmount,
  /** All the stake on its way back now (an earlier request is added to) and when it is free. */
  unstaking: tokenAmount.extend({ availableAt: z.string() }),
  /** Stake locked by jobs in progress, left in: it can be taken back once they finish. */
  locked: tokenAmount,
  /** Market jobs were on and this turned them off (settings market.enabled). */
  marketJobsTurnedOff: z.boolean(),
  status: marketStatusSchema,
});
export type UnstakeResult = z.infer<typeof unstakeResultSchema>;

export const tokenInfoSchema = z
  .object({ symbol: z.string(), decimals: z.int().min(0).max(36) })
  .nullable()
  .describe('The payment token, to read base-unit amounts; null when not connected');

export const leaseDetailSchema = leaseRecordSchema.extend({
  history: z.array(z.object({ at: z.string(), state: leaseStateSchema, message: z.string() })),
  /**
   * The local job `localJobId` is gone from the job list: its folder and rows were removed
   * (job.remove, once the lease was done with it). The lease and what it paid stay.
   */
  localJobRemoved: z.boolean(),
  token: tokenInfoSchema,
});

const noParams = z.object({}).strict().default({});

/** The most protocol fee a market takes (JobMarket's MAX_FEE_BPS). */
export const MAX_MARKET_FEE_BPS = 1000;

export const marketDeployParamsSchema = z
  .strictObject({
    /** The lab's JSON-RPC node; it must answer from the machine Roost runs on. */
    rpcUrl: z.url({ protocol: /^https?$/ }).max(2000),
    /** An ERC-20 already on that chain to pay in; absent: deploy the Roost test dollar too. */
    token: addressSchema.optional(),
    /** The wallet password when it is locked; the wallet stays locked afterwards. */
    password: z.string().optional(),
    /** The market's protocol fee (to the wallet, its treasury); default 0: the lab's own market. */
    feeBps: z.int().min(0).max(MAX_MARKET_FEE_BPS).optional(),
    /** Deploy even though this Roost already works on a market of that chain. */
    replace: z.boolean().optional(),
  })
  .describe("A Roost market to deploy on a lab's own chain");
export type MarketDeployParams = z.infer<typeof marketDeployParamsSchema>;

export const marketDeployResultSchema = z.object({
  chainId: z.int().positive(),
  rpcUrl: z.string(),
  marketAddress: addressSchema,
  tokenAddress: addressSchema,
  tokenSymbol: z.string(),
  tokenDecimals: z.int().min(0).max(36),
  /** The Roost test dollar was deployed with it (test money, with a faucet). */
  testToken: z.boolean(),
  /** The wallet that deployed it: the market's admin, arbiter and treasury. */
  deployer: addressSchema,
  /** The block of the market's deployment. */
  blockNumber: z.int().nonnegative(),
  /** The transactions sent, in order (test dollar, market, faucet). */
  transactions: z.array(bytes32Schema),
  /** The deployer's token balance afterwards (base units): what it can hand to its providers. */
  tokenBalance: z.string().regex(/^\d+$/),
});
export type MarketDeployResult = z.infer<typeof marketDeployResultSchema>;

/**
 * What the lab does next after a deploy (the CLI and the Settings page say the same): the lines
 * each provider machine runs, and, on a chain that is not a development node, that its node
 * must make blocks on a clock (providers wait for 2 blocks on top of a job).
 */
export function deployNextSteps(
  r: Pick<MarketDeployResult, 'chainId' | 'rpcUrl' | 'marketAddress' | 'testToken'>,
): {
  providerLines: string[];
  clockNote: string | null;
} {
  return {
    providerLines: [
      ...(r.testToken ? ['roost settings set network.tokens test'] : []),
      `roost serve --rpc ${r.rpcUrl} --market ${r.marketAddress}`,
    ],
    clockNote: devNodeChains.has(r.chainId)
      ? null
      : "Providers take a job once 2 blocks stand on it: the chain's node must make blocks on a clock (geth --dev.period, anvil --block-time), not only when a transaction comes.",
  };
}

/** One dispute the market's arbiter can rule on: a lease whose result its requester challenged. */
export const disputeSchema = z.object({
  jobId: z.string().regex(/^\d+$/),
  slot: z.int().min(0).max(1),
  requester: addressSchema,
  provider: addressSchema,
  /** What the lease pays: to the provider if it wins, back to the requester if not. */
  reward: tokenAmount,
  /** The provider's collateral: slashed to the requester if the requester wins. */
  collateral: tokenAmount,
  /** The result the provider put on chain, and where it said it is (null: not found). */
  resultHash: bytes32Schema,
  resultUri: z.string().nullable(),
  /** The requester's published reason: its address, and its text as fetched (at most 4 KB). */
  reasonUri: z.string(),
  reason: z.string().nullable(),
  /** Why the reason's text could not be read; null when it was. */
  reasonProblem: z.string().nullable(),
  /** When it was disputed (ISO, the block's time) and in which transaction. */
  disputedAt: z.string(),
  disputeTx: bytes32Schema,
  /** After this (ISO) anyone may end it unruled: the reward goes back, the collateral stays. */
  voidableAt: z.string(),
  /** Why this wallet can't rule on it (not the arbiter, a party to it); null when it can. */
  cannotRule: z.string().nullable(),
});
export type Dispute = z.infer<typeof disputeSchema>;

export const disputesResultSchema = z.object({
  network: z.object({
    name: z.string(),
    chainId: z.int().positive(),
    marketAddress: addressSchema,
  }),
  /** This data folder's wallet; null without one. */
  wallet: addressSchema.nullable(),
  /** The wallet holds the market's arbiter role (it may rule on disputes it is no party to). */
  arbiter: z.boolean(),
  /** Open disputes, oldest first. */
  disputes: z.array(disputeSchema),
});
export type DisputesResult = z.infer<typeof disputesResultSchema>;

export const resolveDisputeParamsSchema = z
  .strictObject({
    jobId: z.string().regex(/^\d+$/, 'must be a job number').max(78),
    slot: z.int().min(0).max(1),
    /** provider: the provider is paid; requester: the reward goes back and the collateral with it. */
    winner: z.enum(['provider', 'requester']),
  })
  .describe("The arbiter's ruling on one disputed lease");
export type ResolveDisputeParams = z.infer<typeof resolveDisputeParamsSchema>;

export const resolveDisputeResultSchema = z.object({
  jobId: z.string(),
  slot: z.int().min(0).max(1),
  winner: z.enum(['provider', 'requester']),
  provider: addressSchema,
  requester: addressSchema,
  /** What the provider was credited (its payout, after the job's fee); zero when it lost. */
  providerPaid: tokenAmount,
  /** What the requester was credited: the reward back and the collateral; zero when it lost. */
  requesterCredited: tokenAmount,
  transaction: bytes32Schema,
});
export type ResolveDisputeResult = z.infer<typeof resolveDisputeResultSchema>;

// ---------------------------------------------------------------------------------------------
// Jobs this data folder posts (the requester's side, for labs): the journal's jobs with each
// lease as the chain has it, and posting and watching from the app.

/** A lease of a posted job as the requester sees it. */
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

export const leaseViewSchema = z.object({
  slot: z.int().min(0).max(1),
  state: z.enum(leaseViewStates),
  provider: addressSchema.nullable(),
  /** Chain time, ISO; while claimed. */
  leaseEndsAt: z.string().optional(),
  /** Chain time, ISO; while submitted. */
  challengeEndsAt: z.string().optional(),
  /** Chain time, ISO; while disputed: after it anyone may end the dispute unruled. */
  voidableAt: z.string().optional(),
  /** What this requester decided (a transaction not yet confirmed when `verdictFinal` is false). */
  verdict: z.enum(['accepted', 'disputed', 'unfinished']).optional(),
  reason: z.string().optional(),
  verdictFinal: z.boolean().optional(),
  /** The provider's output files (.npy) Roost checked and keeps, by name. */
  outputs: z.array(z.string()).optional(),
  /** What happens next, in words, where something is left to do. */
  note: z.string().optional(),
});
export type LeaseView = z.infer<typeof leaseViewSchema>;

/**
 * One lease of a posted job in words, for its requester (`roost market requests` and the Jobs
 * page say the same): who has it and what comes next, then what Roost decided about it. `time`
 * writes a chain time; `withdraw` follows where the market credits the posting account (the
 * CLI: " (roost wallet withdraw takes it)" where this data folder's wallet posted).
 */
export function leaseViewWords(
  view: LeaseView,
  options: { time: (iso: string | undefined) => string; withdraw?: string },
): string {
  const who = view.provider ?? 'a provider';
  const { time } = options;
  const withdraw = options.withdraw ?? '';
  let text: string;
  switch (view.state) {
    case 'open':
      text = 'open: waiting for a provider to claim it';
      break;
    case 'claimed':
      text = `claimed by ${who}, its lease ends ${time(view.leaseEndsAt)}`;
      break;
    case 'submitted':
      // Once decided here, what was decided says what comes next.
      text =
        view.verdict === undefined
          ? `result in from ${who}; unless it is disputed, it is paid at ${time(view.challengeEndsAt)}`
          : `result in from ${who}`;
      break;
    case 'accepted':
      text = `accepted; ${who} was paid`;
      break;
    case 'paid':
      // Paid after this requester disputed it: the arbiter ruled for the provider.
      text =
        view.verdict === 'disputed'
          ? `paid to ${who}: the market's arbiter ruled for the provider`
          : `paid to ${who} when its challenge window closed`;
      break;
    case 'disputed':
      text = `disputed (${who}'s result): the market's arbiter decides; if nobody rules by ${time(view.voidableAt)}, the dispute ends unruled and the reward comes back to you`;
      break;
    case 'rejected':
      text = `rejected (${who}'s result): the arbiter ruled for you; the reward and the provider's collateral were credited to the posting account in the market${withdraw}`;
      break;
    case 'voided':
      text = `voided (${who}'s result): nobody ruled in time; the reward was credited back to the posting account in the market${withdraw}`;
      break;
    case 'expired':
      text = view.provider ? `expired (${view.provider})` : 'expired';
      break;
    case 'cancelled':
      text = `cancelled; its reward was credited back to the posting account in the market${withdraw}`;
      break;
  }
  if (view.note) text += `: ${view.note}`;
  const decided = leaseVerdictWords(view);
  return decided ? `${text}. ${decided}` : text;
}

/** What was decided here about a lease, where its state does not say it already. */
function leaseVerdictWords(view: LeaseView): string | undefined {
  if (view.verdict === undefined) return undefined;
  const pending = view.verdictFinal === false ? ' (its transaction is not confirmed yet)' : '';
  const reason = view.reason ? `: ${view.reason}` : '';
  switch (view.verdict) {
    case 'accepted':
      return view.state === 'accepted' && !pending ? undefined : `Roost accepted it${pending}`;
    case 'disputed':
      return `Roost disputed it${pending}${reason}`;
    case 'unfinished':
      return `Roost gave it up${pending}${reason}`;
  }
}

/** The lease states after which nothing is left for the requester to do. */
export const SETTLED_LEASE_VIEW_STATES: readonly LeaseViewState[] = [
  'accepted',
  'paid',
  'rejected',
  'voided',
  'cancelled',
];

export const postedJobViewSchema = z.object({
  /** Null: its post never reached the chain (cut off, or failed); nothing was escrowed. */
  jobId: z.string().nullable(),
  state: z.enum(['not-posted', 'posted']),
  name: z.string().nullable(),
  requester: addressSchema,
  specURI: z.string(),
  specHash: bytes32Schema,
  /** Where its files are served (providers fetch from here and upload their results to it). */
  servedAt: z.string(),
  preparedAt: z.string(),
  redundancy: z.int().min(1).max(2),
  price: z.object({ amount: z.string(), symbol: z.string(), baseUnits: z.string() }),
  txHash: bytes32Schema.nullable(),
  leases: z.array(leaseViewSchema),
  /** The folder the checked results are kept in (outputs and result.json per lease). */
  resultsDir: z.string().nullable(),
  /**
   * In the agent only: `watching` (its files served here, results judged as they come),
   * `stopped` (not followed by this agent now: Watch again picks it up), `done` (nothing left to
   * do). The CLI's listing leaves it out.
   */
  watch: z.enum(['watching', 'stopped', 'done']).optional(),
  /** Why it stopped being watched, in words (a failed transaction, a locked wallet). */
  watchProblem: z.string().nullable().optional(),
});
export type PostedJobView = z.infer<typeof postedJobViewSchema>;

export const postedJobsResultSchema = z.object({
  network: z.object({
    /** "the local devnet", "chain 1337 (http://10.0.0.5:8545)". */
    label: z.string(),
    kind: z.enum(['local', 'custom']),
    marketAddress: addressSchema,
    /** Its token is test money: posting asks no confirmation about money. */
    testMoney: z.boolean(),
    symbol: z.string(),
    decimals: z.int().min(0).max(36),
  }),
  /**
   * Who pays for a post from here: one of the local devnet's unlocked test accounts, or this
   * data folder's wallet on a custom network; null with neither.
   */
  payer: z
    .object({ address: addressSchema, kind: z.enum(['devnet-account', 'wallet']) })
    .nullable(),
  /** Why a post would be refused now (and what to do), or null. */
  postProblem: z.string().nullable(),
  /** The newest first, as many as asked for. */
  jobs: z.array(postedJobViewSchema),
  /** Older jobs posted from here on this market, not listed (roost market requests lists all). */
  older: z.int().min(0),
  /** Jobs posted from here on another chain or market (an earlier devnet): not listed. */
  otherChains: z.int().min(0),
});
export type PostedJobsResult = z.infer<typeof postedJobsResultSchema>;

/** A posted job's lease length and deadline when the poster names none. */
export const DEFAULT_POST_LEASE_SECONDS = 600;
export const DEFAULT_POST_DEADLINE_SECONDS = 3600;

const pathParam = z.string().min(1).max(4096);
const jobIdParam = z.string().regex(/^[1-9]\d{0,30}$/, 'must be a job number (1 or more)');

export const postJobParamsSchema = z
  .strictObject({
    /** The ONNX model on this machine; external data files beside it are served too. */
    model: pathParam,
    /** Input name → .npy path; a list of such sets for a batch. */
    inputs: z.union([
      z.record(tensorNameSchema, pathParam),
      z.array(z.record(tensorNameSchema, pathParam)).min(1).max(100_000),
    ]),
    outputs: z.array(tensorNameSchema).min(1).max(256).optional(),
    /** Paid per lease, in tokens, written like 12.5. */
    price: z.string().min(1).max(100),
    redundancy: z.union([z.literal(1), z.literal(2)]).default(1),
    /** Run the model here first and hold the providers' outputs against that answer. */
    canary: z.boolean().default(false),
    leaseSeconds: z
      .int()
      .min(60)
      .max(30 * 24 * 3600)
      .optional(),
    deadlineSeconds: z
      .int()
      .min(120)
      .max(365 * 24 * 3600)
      .optional(),
    minScore: z.int().min(0).max(1_000_000_000).optional(),
    executionProviders: z.array(executionProviderSchema).min(1).max(6).optional(),
    name: z.string().max(200).optional(),
    /** Serve the files on this port of 127.0.0.1 (a tunnel or proxy forwards to it). */
    port: z.int().min(1).max(65535).optional(),
    /** The URL providers on other machines reach that port by; needs `port`. */
    publicUrl: z.string().max(2048).optional(),
    /** The wallet's password, for this post only, when the wallet is locked (custom network). */
    password: z.string().max(1024).optional(),
  })
  .describe('A job to post on the market from files on this machine');
export type PostJobParams = z.infer<typeof postJobParamsSchema>;

export const postJobResultSchema = z.object({
  jobId: z.string(),
  txHash: bytes32Schema,
  specURI: z.string(),
  servedAt: z.string(),
  requester: addressSchema,
  /** Per lease. */
  price: z.object({ amount: z.string(), symbol: z.string() }),
  redundancy: z.int().min(1).max(2),
});
export type PostJobResult = z.infer<typeof postJobResultSchema>;

export const watchPostedJobParamsSchema = z.strictObject({
  jobId: jobIdParam,
  password: z.string().max(1024).optional(),
});

export const cancelPostedJobResultSchema = z.object({
  jobId: z.string(),
  /** The leases cancelled (those nobody had claimed). */
  cancelled: z.array(z.int().min(0).max(1)),
  /** Back in the posting account's balance in the market. */
  refund: z.object({ amount: z.string(), symbol: z.string() }),
  txHash: bytes32Schema,
});
export type CancelPostedJobResult = z.infer<typeof cancelPostedJobResultSchema>;

export const postedJobEventSchema = z.object({
  jobId: z.string(),
  kind: z.enum([
    'posted',
    'claimed',
    'expired',
    'result',
    'verdict',
    'warning',
    'finished',
    'stopped',
  ]),
  slot: z.int().min(0).max(1).optional(),
  /** `finished` only: every lease was accepted (false: one was disputed or left unfinished). */
  allAccepted: z.boolean().optional(),
  /** What happened, in words. */
  text: z.string(),
  at: z.string(),
});
export type PostedJobEvent = z.infer<typeof postedJobEventSchema>;

export const marketMethods = {
  'market.status': {
    summary: 'The market: network, this provider (score, price, stake), following, and problems.',
    params: noParams,
    result: marketStatusSchema,
  },
  'market.jobs': {
    summary: 'Market jobs this provider has seen, newest first: claimed, run, paid or why skipped.',
    params: z
      .object({
        states: z.array(leaseStateSchema).optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      })
      .strict()
      .default({}),
    result: z.object({
      leases: z.array(leaseRecordSchema),
      token: tokenInfoSchema,
    }),
  },
  'market.job': {
    summary: 'One market job as this provider saw it, with every step and why.',
    params: z.object({ jobId: z.string().regex(/^\d+$/).max(78) }).strict(),
    result: leaseDetailSchema,
  },
  'market.register': {
    summary:
      'Register (or update) as a provider with your latest benchmark report, price and stake.',
    params: noParams,
    result: marketStatusSchema,
  },
  'market.unstake': {
    summary:
      'Take stake back: all the free stake, or `amount` tokens. Turns market jobs off (staking again would follow); the market releases it after its wait, then Roost credits it to what you can withdraw.',
    params: z
      .object({
        /** Tokens, written like 12.5, or `all` (the default): all the stake not locked by jobs. */
        amount: z.string().max(100).optional(),
      })
      .strict()
      .default({}),
    result: unstakeResultSchema,
  },
  'market.completeUnstake': {
    summary:
      "Finish taking stake back now, if the market's wait is over (Roost also does it by itself): it becomes withdrawable.",
    params: noParams,
    result: marketStatusSchema,
  },
  'market.cancelUnstake': {
    summary: 'Put stake on its way back into the stake again.',
    params: noParams,
    result: marketStatusSchema,
  },
  'market.deploy': {
    summary:
      'Deploy a Roost market on your own chain from this wallet (admin, arbiter and treasury), with the Roost test dollar unless `token` names an ERC-20 there; then work on it (settings network: custom).',
    params: marketDeployParamsSchema,
    result: marketDeployResultSchema,
  },
  'market.disputes': {
    summary:
      "Open disputes on this market: each challenged result, the requester's reason, what is at stake, and whether this wallet (the market's arbiter) may rule on it.",
    params: z
      .strictObject({
        /** Only when this wallet is the arbiter: otherwise no chain scan, and no disputes listed. */
        arbiterOnly: z.boolean().optional(),
      })
      .default({}),
    result: disputesResultSchema,
  },
  'market.resolveDispute': {
    summary:
      "Rule on a dispute as the market's arbiter: the provider is paid, or the requester gets the reward back and the provider's collateral.",
    params: resolveDisputeParamsSchema,
    result: resolveDisputeResultSchema,
  },
  'market.postedJobOutputPreview': {
    summary:
      'One output a provider returned for a job posted from here, as Roost checked and keeps it, at a glance: how many values, min, max and mean, NaN and infinity, the first few.',
    params: z.strictObject({
      jobId: jobIdParam,
      slot: z.int().min(0).max(1),
      /** The file's name, as the lease's `outputs` lists it. */
      file: z.string().min(1).max(300),
    }),
    result: outputPreviewSchema,
  },
  'market.postedJobResults': {
    summary:
      "The checked results of a job posted from this data folder (every lease's result.json and outputs, by lease and verdict) in one zip for saving from the page; base64 up to 64 MiB, or a link to stream it from (`as: 'link'`, roost serve).",
    params: z.strictObject({ jobId: jobIdParam, as: downloadAsSchema.optional() }),
    result: downloadSchema,
  },
  'market.postedJobs': {
    summary:
      'Jobs posted from this data folder on the current market, newest first, each lease as the chain has it and what was decided here; who pays for a post, or why one would be refused.',
    params: z
      .strictObject({
        /** How many of the newest (default 20). */
        limit: z.int().min(1).max(500).optional(),
        /** Only this job (`older` is then 0); none listed when it was not posted from here. */
        jobId: jobIdParam.optional(),
      })
      .default({}),
    result: postedJobsResultSchema,
  },
  'market.postJob': {
    summary:
      'Post an ONNX job from files on this machine: escrows the price per lease, serves the files while providers work, then checks each result and accepts or disputes it.',
    params: postJobParamsSchema,
    result: postJobResultSchema,
  },
  'market.watchPostedJob': {
    summary:
      'Follow a posted job again (after a restart, or after it stopped): serve its files, check its results, accept or dispute them.',
    params: watchPostedJobParamsSchema,
    result: z.object({ jobId: z.string(), servedAt: z.string() }),
  },
  'market.cancelPostedJob': {
    summary:
      "Cancel a posted job's leases nobody has claimed: their reward goes back to the posting account's balance in the market.",
    params: watchPostedJobParamsSchema,
    result: cancelPostedJobResultSchema,
  },
} as const;

export const marketEvents = {
  /** The market status changed (network, registration, a problem, practice). */
  'market.changed': marketStatusSchema,
  /** A market job changed state. */
  'market.lease': leaseRecordSchema,
  /**
   * The open disputes this wallet, the market's arbiter, may rule on changed (a long-lived host
   * looks every minute; nothing is sent to a wallet that is not the arbiter).
   */
  'market.disputes': disputesResultSchema,
  /** A job posted from here moved on: claimed, a result in, a verdict, finished or stopped. */
  'market.postedJob': postedJobEventSchema,
} as const;

/** The upload file name of a receipt's output (`out/`-relative path, `/` becomes `_`). */
export function uploadNameFor(outputFile: string): string {
  return outputFile.replaceAll('/', '_');
}

/** A time as the market's messages write it: minutes, in UTC (wallet/schema.ts). */
export { timeWords } from '../wallet/schema.ts';
