/**
 * The pure part of the Jobs page's "Post a job to the market" (PostedJobs.tsx): the form's text
 * read into `market.postJob`'s params, with what is wrong and in which field; what a post
 * escrows, from whom and where; and each lease of a posted job in words.
 */
import {
  leaseViewWords,
  methods,
  type ParamsOf,
  type ResultOf,
} from '../../../agent/api/contract.ts';
import { parseInputSets, pathProblem } from '../pages/job-paths.ts';
import { formatAmount } from './MarketLeases.tsx';

export type PostedJobsListing = ResultOf<'market.postedJobs'>;
export type PostedJob = PostedJobsListing['jobs'][number];
export type LeaseView = PostedJob['leases'][number];
type Network = PostedJobsListing['network'];
type Payer = NonNullable<PostedJobsListing['payer']>;
export type PostParams = ParamsOf<'market.postJob'>;

/** The form's fields, as typed. */
export interface PostForm {
  model: string;
  inputs: string;
  /** Per lease, in tokens, like 12.5. */
  price: string;
  redundancy: 1 | 2;
  canary: boolean;
  name: string;
  /** The "More options"; empty is the agent's default. */
  leaseMinutes: string;
  deadlineHours: string;
  minScore: string;
  /** Which accelerators a provider may run it on: a key of ACCELERATOR_CHOICES. */
  accelerators: AcceleratorChoice;
  port: string;
  publicUrl: string;
}

/**
 * The accelerators a posted job may run on, as the form offers them: the job's
 * execution-provider preference list (a provider runs it on the first it has working).
 */
export const ACCELERATOR_CHOICES = {
  any: { label: "Any: the provider's best (GPU first, then CPU)", eps: undefined },
  gpu: {
    label: 'A GPU only (CUDA, TensorRT, DirectML, Core ML or WebGPU)',
    eps: ['tensorrt', 'cuda', 'dml', 'coreml', 'webgpu'],
  },
  cuda: { label: 'NVIDIA GPUs only (CUDA)', eps: ['cuda'] },
  webgpu: { label: 'WebGPU only', eps: ['webgpu'] },
  cpu: { label: 'The CPU only', eps: ['cpu'] },
} as const satisfies Record<
  string,
  {
    label: string;
    eps: readonly NonNullable<PostParams['executionProviders']>[number][] | undefined;
  }
>;
export type AcceleratorChoice = keyof typeof ACCELERATOR_CHOICES;

export const EMPTY_POST_FORM: PostForm = {
  model: '',
  inputs: '',
  price: '',
  redundancy: 1,
  canary: false,
  name: '',
  leaseMinutes: '',
  deadlineHours: '',
  minScore: '',
  accelerators: 'any',
  port: '',
  publicUrl: '',
};

export type PostField =
  | 'model'
  | 'inputs'
  | 'price'
  | 'name'
  | 'leaseMinutes'
  | 'deadlineHours'
  | 'minScore'
  | 'port'
  | 'publicUrl';

/** The fields under "More options": a problem with one of them opens it. */
export const MORE_OPTIONS: readonly PostField[] = [
  'leaseMinutes',
  'deadlineHours',
  'minScore',
  'port',
  'publicUrl',
];

export type PostProblem = { text: string; field?: PostField };

/** `12.5` tokens in base units, or undefined when it is not such a number or has too many decimals. */
export function tokenUnits(amount: string, decimals: number): bigint | undefined {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) return undefined;
  const fraction = m[2] ?? '';
  if (fraction.length > decimals) return undefined;
  return BigInt(m[1]! + fraction.padEnd(decimals, '0'));
}

const WHOLE = /^\d+$/;
const SECONDS_PER_HOUR = 3600;
/** market.postJob's limits, in the form's units. */
const MAX_LEASE_MINUTES = 30 * 24 * 60;
const MIN_DEADLINE_SECONDS = 120;
const MAX_DEADLINE_HOURS = 365 * 24;
const MAX_MIN_SCORE = 1_000_000_000;

/** The schema's name of each param, as the form calls its field. */
const FIELD_OF_PARAM: Record<string, PostField> = {
  model: 'model',
  inputs: 'inputs',
  price: 'price',
  name: 'name',
  leaseSeconds: 'leaseMinutes',
  deadlineSeconds: 'deadlineHours',
  minScore: 'minScore',
  port: 'port',
  publicUrl: 'publicUrl',
};

/**
 * The form read into `market.postJob`'s params, or what is wrong with it and where, before
 * anything is sent: full paths, a price in the network's token, whole minutes, a port for a
 * public URL. The agent checks the files themselves.
 */
export function postJobParams(
  form: PostForm,
  token: { symbol: string; decimals: number },
): { ok: true; params: PostParams } | { ok: false; problem: PostProblem } {
  const refuse = (text: string, field?: PostField) =>
    ({ ok: false, problem: { text, ...(field ? { field } : {}) } }) as const;
  const model = form.model.trim();
  const parsed = parseInputSets(form.inputs);
  if (!parsed.ok) return refuse(parsed.problem, 'inputs');
  const { sets } = parsed;
  if (!model) return refuse('Give the model file.', 'model');
  if (sets.length === 0) return refuse('Give at least one input.', 'inputs');
  const modelProblem = pathProblem(model);
  if (modelProblem) return refuse(modelProblem, 'model');
  for (const path of sets.flatMap((set) => Object.values(set))) {
    const problem = pathProblem(path);
    if (problem) return refuse(problem, 'inputs');
  }

  const price = form.price.trim();
  const { symbol, decimals } = token;
  if (price === '') return refuse(`Give the price per lease, in ${symbol}.`, 'price');
  const units = tokenUnits(price, decimals);
  if (units === undefined)
    return refuse(
      /^\d+(\.\d+)?$/.test(price)
        ? `${symbol} has ${decimals} decimals: give the price with at most ${decimals} digits after the point.`
        : `Write the price as a number of ${symbol}, like 12.5 (got "${price}").`,
      'price',
    );
  if (units === 0n) return refuse(`A lease must pay more than 0 ${symbol}.`, 'price');

  const more: Partial<PostParams> = {};
  const lease = form.leaseMinutes.trim();
  if (lease !== '') {
    if (!WHOLE.test(lease) || Number(lease) < 1 || Number(lease) > MAX_LEASE_MINUTES)
      return refuse(
        `Give the lease in whole minutes, 1 to ${MAX_LEASE_MINUTES} (30 days).`,
        'leaseMinutes',
      );
    more.leaseSeconds = Number(lease) * 60;
  }
  const deadline = form.deadlineHours.trim();
  if (deadline !== '') {
    const hours = /^\d+(\.\d+)?$/.test(deadline) ? Number(deadline) : Number.NaN;
    const seconds = Math.round(hours * SECONDS_PER_HOUR);
    if (!(seconds >= MIN_DEADLINE_SECONDS && hours <= MAX_DEADLINE_HOURS))
      return refuse(
        `Give the deadline in hours from now, like 2, or 0.5 for half an hour: at least 2 minutes, at most ${MAX_DEADLINE_HOURS} hours (a year).`,
        'deadlineHours',
      );
    more.deadlineSeconds = seconds;
  }
  const minScore = form.minScore.trim();
  if (minScore !== '') {
    if (!WHOLE.test(minScore) || Number(minScore) > MAX_MIN_SCORE)
      return refuse(
        'The minimum benchmark score is a whole number (0 lets any provider claim it).',
        'minScore',
      );
    more.minScore = Number(minScore);
  }
  const port = form.port.trim();
  if (port !== '') {
    if (!WHOLE.test(port) || Number(port) < 1 || Number(port) > 65535)
      return refuse('The port is a whole number from 1 to 65535.', 'port');
    more.port = Number(port);
  }
  const publicUrl = form.publicUrl.trim();
  if (publicUrl !== '') {
    if (!/^https?:\/\/[^\s/]+/i.test(publicUrl))
      return refuse(
        `Give the public URL as providers reach it, like https://jobs.example.org (got "${publicUrl}").`,
        'publicUrl',
      );
    if (port === '')
      return refuse(
        'A public URL needs the port its tunnel or proxy forwards to, on 127.0.0.1 here: give the port too.',
        'port',
      );
    more.publicUrl = publicUrl;
  }

  const eps = ACCELERATOR_CHOICES[form.accelerators].eps;
  const params: PostParams = {
    model,
    inputs: sets.length === 1 ? sets[0]! : sets,
    price,
    redundancy: form.redundancy,
    canary: form.canary,
    ...more,
    ...(eps ? { executionProviders: [...eps] } : {}),
    ...(form.name.trim() ? { name: form.name.trim() } : {}),
  };
  // The agent's own rules (ranges, lengths), so the form and the agent never disagree.
  const checked = methods['market.postJob'].params.safeParse(params);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const param = String(issue?.path[0]);
    return refuse(`${param}: ${issue?.message ?? 'not accepted'}`, FIELD_OF_PARAM[param]);
  }
  return { ok: true, params };
}

/**
 * Which field an agent's refusal of a post is about, from how it starts: its file checks
 * ("the model …", `the input "x" …`, "input set 1 names …"), "the deadline …", a taken port,
 * or a param it names ("price: …", "publicUrl: …", "leaseSeconds must be …").
 */
export function postFieldOf(message: string): PostField | undefined {
  if (/^(the model's inputs|the input "|input set |inputs\b)/i.test(message)) return 'inputs';
  if (/^(the )?model\b/i.test(message)) return 'model';
  if (/^price\b/i.test(message)) return 'price';
  if (/^(the deadline\b|deadlineSeconds\b)/i.test(message)) return 'deadlineHours';
  if (/^leaseSeconds\b/.test(message)) return 'leaseMinutes';
  if (/^minScore\b/.test(message)) return 'minScore';
  if (/^publicUrl\b/.test(message)) return 'publicUrl';
  if (/^(a public URL needs a port|nothing was posted: port \d|port\b)/i.test(message))
    return 'port';
  if (/^name\b/.test(message)) return 'name';
  return undefined;
}

/** Who pays, in words: the address and what it is. */
export function payerWords(payer: Payer): string {
  return `${payer.address}, ${payer.kind === 'devnet-account' ? 'a test account of the local devnet' : "this computer's wallet"}`;
}

/**
 * What a post escrows, from whom and where, said before it is sent: "Posting escrows 10 rUSD
 * (5 rUSD per lease × 2 leases) from 0x…, a test account of the local devnet, on the local
 * devnet." Undefined when the price is not a number of that token.
 */
export function escrowWords(
  price: string,
  redundancy: number,
  network: Network,
  payer: Payer,
): string | undefined {
  const units = tokenUnits(price, network.decimals);
  if (units === undefined) return undefined;
  const each = formatAmount(units.toString(), network);
  const total = formatAmount((units * BigInt(redundancy)).toString(), network);
  const how = redundancy === 1 ? '1 lease' : `${each} per lease × ${redundancy} leases`;
  return `Posting escrows ${total} (${how}) from ${payerWords(payer)}, on ${network.label}.`;
}

/** A chain time as the page shows times. */
const when = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : 'its end');

/** One lease of a posted job in words, as `roost market requests` says it (times as the page writes them). */
export const leaseWords = (view: LeaseView): string => leaseViewWords(view, { time: when });
