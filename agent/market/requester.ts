/**
 * The requester side of the market, for labs, agents that buy compute, the practice mode and
 * tests: post a job from local files, serve its files while providers work, and judge what comes
 * back.
 *
 *   const requester = createRequester({ signer, marketAddress, tokenAddress, workDir });
 *   const posted = await requester.post({ model: 'm.onnx', inputs: { x: 'x.npy' }, reward });
 *   const leases = await requester.await(posted.jobId);   // accepted or disputed, per lease
 *   await requester.close();
 *
 * `post` checks the model and inputs the way a provider will (a job no provider can run only
 * costs an honest provider its collateral), publishes them on an artifact server of the job's
 * own (so uploads of two jobs never meet), writes the roost.market-job/1 document, approves what
 * the job escrows and posts it. With `canary` it first runs the model here, in a sandboxed
 * worker on CPU through the job service, and keeps the outputs as the known answer.
 *
 * `await` follows the job's leases until each has a result, reopens leases whose provider ran out
 * of time (the collateral goes to the requester), and checks every result: result.json hashes to
 * the on-chain resultHash, is a receipt signed by the lease's provider for exactly this spec,
 * model and inputs, and every output uploaded hashes to what the receipt says. Two leases must
 * agree within tolerance (compare.ts), and a canary's must match the known answer. Good results
 * are accepted, bad ones disputed with a published reason. A lease whose challenge window is
 * about to close is judged alone rather than left to be finalized unjudged.
 *
 * With `journal`, every post is written to the data folder's journal (request-journal.ts) before
 * its transactions are sent, and every verdict when it is decided, so a requester killed at any
 * point loses nothing: another one on the same data folder calls `resume(jobId)`, which serves
 * the job's files again on the same port (the document names it) and takes uploads there, then
 * `await`s it as usual. A post cut off before its job id was known is found again by the
 * JobPosted event of this requester with its spec hash.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFile,
  link,
  mkdir,
  open,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { Result, Wallet, ZeroAddress, getAddress, toBeHex, zeroPadValue } from 'ethers';
import type {
  ContractTransactionReceipt,
  ContractTransactionResponse,
  Provider,
  Signer,
} from 'ethers';
import { z } from 'zod';
import {
  LeaseState,
  connectJobMarket,
  jobMarketInterface,
  leaseStateNames,
  parseJobMarketLog,
} from '../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../contracts/bindings/roost-test-token.ts';
import { noLane, type Lane } from '../wallet/send-lanes.ts';
import { sha256File } from '../jobs/artifacts.ts';
import { expandInputFolders } from '../jobs/input-folders.ts';
import { checkModel, externalLocations } from '../jobs/model-check.ts';
import { NPY_HEADER_PEEK_BYTES, readNpyHeader } from '../jobs/npy-header.ts';
import { verifyReceipt } from '../jobs/receipt.ts';
import {
  executionProviderSchema,
  inputSetsOf,
  JOB_SPEC_FORMAT,
  jobLimitsSchema,
  jobSpecSchema,
  tensorNameSchema,
} from '../jobs/schema.ts';
import type { Artifact, JobSpec, Receipt } from '../jobs/schema.ts';
import { DEFAULT_LIMITS, createJobService } from '../jobs/service.ts';
import type { JobService } from '../jobs/service.ts';
import { canonicalJson, messageOf, silentJobLog } from '../jobs/util.ts';
import type { JobLog } from '../jobs/util.ts';
import { chainFailure } from '../wallet/chain.ts';
import type { WalletNetwork } from '../wallet/network.ts';
import { PortTakenError, startArtifactServer } from './artifact-server.ts';
import type { ArtifactServer } from './artifact-server.ts';
import { DEFAULT_TOLERANCE, compareOutputs } from './compare.ts';
import { openRequestJournalIn } from './request-journal.ts';
import type { PostedRequest, RequestJournal } from './request-journal.ts';
import type { OutputTensor, Tolerance } from './compare.ts';
import {
  DEFAULT_POST_DEADLINE_SECONDS,
  DEFAULT_POST_LEASE_SECONDS,
  MARKET_JOB_FORMAT,
  MAX_MARKET_JOB_BYTES,
  addressSchema,
  bytes32Schema,
  marketJobSchema,
  resultFileUrl,
  uploadNameFor,
} from './schema.ts';
import type { MarketJob } from './schema.ts';

// ---------------------------------------------------------------------------------------------
// Shapes

/** A failure of the requester, in words that say what was wrong and what to do. */
export class RequesterError extends Error {}

const pathSchema = z.string().min(1).max(4096);
const inputSetPathsSchema = z
  .record(tensorNameSchema, pathSchema)
  .refine((set) => Object.keys(set).length >= 1, 'an input set needs at least one tensor');

export const postRequestSchema = z.strictObject({
  /** The ONNX model; external data files beside it are found and served too. */
  model: pathSchema,
  /** Input name → .npy path; a list of such sets for a batch. */
  inputs: z.union([inputSetPathsSchema, z.array(inputSetPathsSchema).min(1).max(100_000)]),
  outputs: z.array(tensorNameSchema).min(1).max(256).optional(),
  /** Token base units paid per lease. */
  reward: z
    .bigint()
    .positive()
    .max(2n ** 128n - 1n),
  redundancy: z.union([z.literal(1), z.literal(2)]).default(1),
  leaseSeconds: z
    .int()
    .min(60)
    .max(30 * 24 * 3600)
    .default(DEFAULT_POST_LEASE_SECONDS),
  /** Seconds from now until no lease may run any more. */
  deadlineSeconds: z
    .int()
    .positive()
    .max(365 * 24 * 3600)
    .default(DEFAULT_POST_DEADLINE_SECONDS),
  minScore: z.int().min(0).default(0),
  executionProviders: z.array(executionProviderSchema).min(1).max(6).optional(),
  /** Run the model here first and hold the providers' outputs against that known answer. */
  canary: z.boolean().default(false),
  minVramMiB: z.int().min(0).max(10_000_000).optional(),
  name: z.string().max(200).optional(),
  limits: jobLimitsSchema.optional(),
});
export type PostRequest = z.input<typeof postRequestSchema>;

export interface PostedJob {
  jobId: bigint;
  specURI: string;
  /** `0x` + sha256 of the document's exact bytes. */
  specHash: string;
  txHash: string;
  document: MarketJob;
}

export type Verdict = 'accepted' | 'disputed' | 'unfinished';

export interface LeaseOutcome {
  slot: number;
  /** Null for a lease nobody held at the end. */
  provider: string | null;
  /** `unfinished`: nobody claimed it in time (its reward was refunded), or a transaction failed. */
  verdict: Verdict;
  /** What was wrong (disputed, unfinished), in words. */
  reason?: string;
  /** The lease's files in the work folder: outputs and result.json, as uploaded. */
  outputs: string[];
}

/** Where a lease's checked results (outputs and result.json) are kept in the job's folder. */
export function leaseResultsDir(jobDir: string, slot: number, provider: string): string {
  return join(jobDir, 'results', `${slot}-${provider.toLowerCase()}`);
}

export type RequesterEvent =
  | { type: 'posted'; jobId: bigint; specURI: string; txHash: string }
  /** Something the requester can't fix by itself but the person should know (said, not fatal). */
  | { type: 'warning'; message: string }
  | { type: 'claimed'; jobId: bigint; slot: number; provider: string }
  | { type: 'expired'; jobId: bigint; slot: number; provider: string }
  | { type: 'result'; jobId: bigint; slot: number; provider: string }
  | { type: 'verdict'; jobId: bigint; outcome: LeaseOutcome };

export interface RequesterOptions {
  /** Pays and posts; must have a provider (an ethers Signer connected to the chain). */
  signer: Signer;
  marketAddress: string;
  tokenAddress: string;
  /** Where the served files, the uploads and the checked results live. */
  workDir: string;
  log?: JobLog;
  /** Milliseconds since the epoch (for timeouts and file names). */
  now?: () => number;
  /** How often to read the job's leases; default 2000 ms. */
  pollMs?: number;
  /** Largest file a provider may upload; default 4 GiB. */
  maxUploadBytes?: number;
  tolerance?: Tolerance;
  /** How long after a result is on chain its files may still be arriving; default 30 s. */
  uploadGraceMs?: number;
  /**
   * Where a post serves its files (always on 127.0.0.1): a fixed `port` (default: a free one) and
   * the `publicUrl` providers on other machines reach it by, through the lab's tunnel or proxy
   * (default: http://127.0.0.1:<port>, for providers on this machine).
   */
  serve?: { port?: number; publicUrl?: string };
  onEvent?: (event: RequesterEvent) => void;
  /**
   * Keep every post and verdict in `<dataDir>/jobs/jobs.sqlite` (tables `market_requests*`),
   * under this deployment's chainKey (chain-key.ts), so `resume` can pick a job up again.
   */
  journal?: { dataDir: string; chainKey: string };
  /**
   * The signer's send lane (send-lanes.ts) when other parts of the process send from the same
   * address: each transaction takes its nonce and reaches the node inside it. Default: none.
   */
  lane?: Lane;
}

export interface AwaitOptions {
  signal?: AbortSignal;
  /** Give up (throw) after this long; the job stays on chain. */
  timeoutMs?: number;
}

export interface Requester {
  readonly address: () => Promise<string>;
  post(request: PostRequest): Promise<PostedJob>;
  /**
   * Picks up a job posted from this journal by an earlier requester (one that was killed, say):
   * serves its files again on the same port and takes uploads there. `await` it next.
   */
  resume(jobId: bigint): Promise<PostedJob>;
  await(jobId: bigint, options?: AwaitOptions): Promise<LeaseOutcome[]>;
  close(): Promise<void>;
}

const chainJobSchema = z.object({
  requester: addressSchema,
  deadline: z.bigint().nonnegative(),
  leaseSeconds: z.bigint().nonnegative(),
  redundancy: z.bigint().min(1n).max(2n),
  reward: z.bigint().nonnegative(),
  specHash: bytes32Schema,
});
/** A lease as the market's getLease returns it. */
export const chainLeaseSchema = z.object({
  provider: addressSchema,
  state: z.bigint().min(0n).max(7n),
  leaseEndsAt: z.bigint().nonnegative(),
  challengeEndsAt: z.bigint().nonnegative(),
  resultHash: bytes32Schema,
});
type ChainLease = z.infer<typeof chainLeaseSchema>;
const jobPostedSchema = z.object({ jobId: z.bigint().positive(), specHash: bytes32Schema });
const resultSubmittedSchema = z.object({
  jobId: z.bigint(),
  slot: z.bigint().min(0n).max(1n),
  provider: addressSchema,
  resultURI: z.string().max(2048),
});

/** What this requester remembers of a job it posted (or resumed). */
interface PostedRecord {
  jobId: bigint;
  dir: string;
  server: ArtifactServer;
  document: MarketJob;
  specURI: string;
  specHash: string;
  txHash: string;
  /** sha256 of the spec's canonical JSON: what a receipt's specSha256 must say. */
  specSha256: string;
  outputNames: string[];
  setCount: number;
  redundancy: number;
  leaseSeconds: number;
  deadline: bigint;
  postBlock: number;
  known?: OutputTensor[];
  tolerance: Tolerance;
}

interface LeaseCheck {
  ok: boolean;
  reason?: string;
  /** A file is not there (yet): worth another look while the upload grace lasts. */
  missing?: boolean;
  provider: string;
  outputs: OutputTensor[];
  files: string[];
}

const MAX_RESULT_JSON_BYTES = 64 * 2 ** 20;

// ---------------------------------------------------------------------------------------------
// Helpers

function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A file name for the server from anything a user named a file or tensor. */
function servable(text: string, fallback: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 80);
  return cleaned || fallback;
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 4)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : 'request'}: ${i.message}`)
    .join('; ');
}

function parsedOrThrow<T>(schema: z.ZodType<T>, what: string, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RequesterError(`${what} came out wrong: ${issues(parsed.error)}`);
  return parsed.data;
}

/** An ethers Result as a plain object (other values as they are). */
export function plain(value: unknown): unknown {
  return value instanceof Result ? value.toObject(true) : value;
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  await rm(to, { force: true });
  try {
    await link(from, to);
  } catch {
    const temp = `${to}.${randomBytes(4).toString('hex')}.part`;
    await copyFile(from, temp);
    await rename(temp, to);
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

async function readHead(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(NPY_HEADER_PEEK_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolvePromise) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolvePromise();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// The journal

/**
 * Finds on chain the journal's jobs still marked `posting` (their requester was cut off between
 * sending postJob and writing down the job id): the JobPosted event of that requester with that
 * spec hash, from the block before it was sent. Those found are marked posted with their id; the
 * others never reached the chain (or have not yet).
 */
export async function findPostedJobs(
  journal: RequestJournal,
  chain: Provider,
  marketAddress: string,
  chainKey: string,
): Promise<void> {
  const topic = jobMarketInterface.getEvent('JobPosted')!.topicHash;
  for (const request of journal.list(chainKey)) {
    if (request.state !== 'posting') continue;
    const logs = await chain.getLogs({
      address: getAddress(marketAddress),
      topics: [topic, null, zeroPadValue(request.requester, 32)],
      fromBlock: request.fromBlock,
      toBlock: 'latest',
    });
    for (const entry of logs) {
      const event = parseJobMarketLog(entry);
      if (event?.name !== 'JobPosted') continue;
      const args = jobPostedSchema.safeParse(event.args);
      if (!args.success || args.data.specHash.toLowerCase() !== request.specHash) continue;
      journal.posted(chainKey, request.key, {
        jobId: args.data.jobId,
        txHash: entry.transactionHash,
        postedBlock: entry.blockNumber,
      });
      break;
    }
  }
}

/** Whether a file is there with the size a job says, without reading it all (a model is big). */
async function hasBytes(path: string, bytes: number): Promise<boolean> {
  return (await fileSize(path)) === bytes;
}

// ---------------------------------------------------------------------------------------------
// The requester

/** The requester's work folder in a data folder: served files, uploads, checked results. */
export function requesterWorkDir(dataDir: string): string {
  return join(dataDir, 'market', 'requester');
}

/**
 * The requester of a data folder on a market (`roost market post-job` and `await`, the Jobs page):
 * its work folder and journal are the folder's, under the deployment's chain key.
 */
export function folderRequester(
  dataDir: string,
  market: { marketAddress: string; tokenAddress: string; chainKey: string },
  options: Omit<RequesterOptions, 'marketAddress' | 'tokenAddress' | 'workDir' | 'journal'>,
): Requester {
  return createRequester({
    ...options,
    marketAddress: market.marketAddress,
    tokenAddress: market.tokenAddress,
    workDir: requesterWorkDir(dataDir),
    journal: { dataDir, chainKey: market.chainKey },
  });
}

export function createRequester(options: RequesterOptions): Requester {
  const log = options.log ?? silentJobLog;
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 2000;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const maxUploadBytes = options.maxUploadBytes ?? 4 * 2 ** 30;
  const uploadGraceMs = options.uploadGraceMs ?? 30_000;
  const signer = options.signer;
  const inLane = options.lane ?? noLane;
  const chain = signer.provider;
  if (!chain) throw new RequesterError('the requester needs a signer connected to a chain');
  const marketAddress = getAddress(options.marketAddress);
  const tokenAddress = getAddress(options.tokenAddress);
  const market = connectJobMarket(marketAddress, signer);
  const token = connectRoostTestToken(tokenAddress, signer);
  const workDir = resolve(options.workDir);
  const jobs = new Map<bigint, PostedRecord>();
  const servers = new Set<ArtifactServer>();
  const chainKey = options.journal?.chainKey ?? '';
  let journalDb: DatabaseSync | undefined;
  let journal: RequestJournal | undefined;
  if (options.journal) {
    ({ db: journalDb, journal } = openRequestJournalIn(options.journal.dataDir));
  }
  let jobService: Promise<JobService> | undefined;
  let closed = false;
  // chainFailure (the wallet's) words chain errors; it needs only these fields of a network.
  const network = {
    name: 'market',
    chainId: 0,
    rpcUrl: null,
    provider: chain,
    marketAddress,
    tokenAddress,
    deployBlock: 0,
    nativeSymbol: 'ETH',
  } satisfies WalletNetwork;

  const emit = (event: RequesterEvent) => {
    try {
      options.onEvent?.(event);
    } catch (error) {
      log.warn(`a progress listener failed: ${messageOf(error)}`);
    }
  };

  /** A verdict into the journal; the chain has it either way, so a failed write only warns. */
  function noteVerdict(jobId: bigint, outcome: LeaseOutcome, final: boolean): void {
    if (!journal) return;
    try {
      journal.recordVerdict(chainKey, {
        jobId,
        slot: outcome.slot,
        provider: outcome.provider,
        verdict: outcome.verdict,
        reason: outcome.reason ?? null,
        outputs: outcome.outputs,
        final,
      });
    } catch (error) {
      log.warn(
        `the verdict on lease ${outcome.slot} of job ${jobId} was not journaled: ${messageOf(error)}`,
      );
    }
  }

  function chainWords(what: string, error: unknown): RequesterError {
    if (error instanceof RequesterError) return error;
    const words = chainFailure(error, network).message;
    return new RequesterError(`${what}: ${words}`, { cause: error });
  }

  async function read<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw chainWords(`reading ${what} failed`, error);
    }
  }

  // One transaction at a time: a signer that counts nonces itself (a Wallet) would give two
  // concurrent posts the same one.
  let txQueue: Promise<unknown> = Promise.resolve();
  function send(
    what: string,
    call: () => Promise<ContractTransactionResponse>,
  ): Promise<ContractTransactionReceipt> {
    const next = txQueue.then(() => sendNow(what, call));
    txQueue = next.catch(() => undefined);
    return next;
  }

  async function sendNow(
    what: string,
    call: () => Promise<ContractTransactionResponse>,
  ): Promise<ContractTransactionReceipt> {
    try {
      const tx = await inLane(call);
      const receipt = await tx.wait();
      if (!receipt || receipt.status !== 1)
        throw new RequesterError(`${what}: the transaction failed`);
      return receipt;
    } catch (error) {
      throw chainWords(`${what} failed`, error);
    }
  }

  async function chainTime(): Promise<bigint> {
    const block = await read('the latest block', () => chain!.getBlock('latest'));
    if (!block) throw new RequesterError('the chain has no latest block; is the node running?');
    return BigInt(block.timestamp);
  }

  async function readLease(jobId: bigint, slot: number): Promise<ChainLease> {
    const raw = await read(`lease ${slot} of job ${jobId}`, () => market.getLease(jobId, slot));
    const parsed = chainLeaseSchema.safeParse(plain(raw));
    if (!parsed.success) {
      throw new RequesterError(
        `the market at ${marketAddress} answered getLease with something that is not a lease (${issues(parsed.error)})`,
      );
    }
    return parsed.data;
  }

  function services(): Promise<JobService> {
    jobService ??= (async () => {
      // The canary's own receipts are local: a throwaway key signs them.
      const key = Wallet.createRandom();
      return createJobService({
        dataDir: join(workDir, 'canary'),
        signer: { address: key.address, signMessage: (m) => key.signMessage(m) },
        log: log.child?.('canary') ?? log,
      });
    })();
    return jobService;
  }

  // -------------------------------------------------------------------------------------------
  // Posting

  async function describeFiles(request: z.infer<typeof postRequestSchema>) {
    const modelPath = resolve(request.model);
    if ((await fileSize(modelPath)) === undefined)
      throw new RequesterError(`the model ${modelPath} is not a file that can be read`);
    const head = await readFile(modelPath).catch(() => new Uint8Array(0));
    const external: { path: string; file: string }[] = [];
    for (const location of externalLocations(head)) {
      const file = join(dirname(modelPath), ...location.split('/'));
      if ((await fileSize(file)) === undefined) {
        throw new RequesterError(
          `the model keeps weights in ${location}, which is not beside it (${file}); put the file there and post again`,
        );
      }
      external.push({ path: location, file });
    }
    const setPaths = Array.isArray(request.inputs) ? request.inputs : [request.inputs];
    const names = Object.keys(setPaths[0] ?? {}).sort();
    for (const [s, set] of setPaths.entries()) {
      const these = Object.keys(set).sort();
      if (these.join('\u0000') !== names.join('\u0000'))
        throw new RequesterError(
          `input set ${s} names ${these.join(', ')} but the first names ${names.join(', ')}; every set needs the same tensors`,
        );
      for (const [name, path] of Object.entries(set)) {
        const file = resolve(path);
        if ((await fileSize(file)) === undefined)
          throw new RequesterError(`the input "${name}" (${file}) is not a file that can be read`);
        const header = readNpyHeader(await readHead(file));
        if (header.kind === 'invalid')
          throw new RequesterError(`the input "${name}" (${file}) is not usable: ${header.reason}`);
      }
    }
    // What a provider will check before it runs anything: refuse here what it would refuse there.
    const limits = { ...DEFAULT_LIMITS, ...request.limits };
    const checked = await checkModel(
      modelPath,
      {
        maxModelBytes: limits.maxModelBytes,
        modelDir: dirname(modelPath),
        externalData: new Map(
          await Promise.all(
            external.map(async (e) => [e.path, (await fileSize(e.file)) ?? 0] as const),
          ),
        ),
      },
      limits,
    );
    if (!checked.ok)
      throw new RequesterError(`the model cannot be posted: ${checked.error.message}`);
    const modelInputs = checked.value.inputs.map((t) => t.name).sort();
    if (modelInputs.join('\u0000') !== names.join('\u0000'))
      throw new RequesterError(
        `the model's inputs are ${modelInputs.join(', ')}, but the job gives ${names.join(', ')}`,
      );
    const modelOutputs = checked.value.outputs.map((t) => t.name);
    for (const name of request.outputs ?? []) {
      if (!modelOutputs.includes(name))
        throw new RequesterError(
          `the model has no output "${name}" (its outputs: ${modelOutputs.join(', ')})`,
        );
    }
    return { modelPath, external, setPaths, outputNames: request.outputs ?? modelOutputs };
  }

  async function runCanary(
    request: z.infer<typeof postRequestSchema>,
    into: string,
  ): Promise<OutputTensor[]> {
    const service = await services();
    const ran = await service.run({
      model: resolve(request.model),
      inputs: request.inputs,
      ...(request.outputs ? { outputs: request.outputs } : {}),
      executionProviders: ['cpu'],
      ...(request.limits ? { limits: request.limits } : {}),
      outDir: into,
      name: 'canary',
    });
    if (!ran.ok) throw new RequesterError(`the canary run was refused: ${ran.error.message}`);
    const detail = ran.value;
    if (detail.state !== 'done' || !detail.result) {
      throw new RequesterError(
        `the canary run on this machine failed, so there is no known answer: ${detail.error?.message ?? detail.state}`,
      );
    }
    return detail.result.receipt.outputs.map((o) => ({
      set: o.set,
      name: o.name,
      path: join(into, ...o.file.split('/')),
    }));
  }

  /**
   * Behind a tunnel or proxy, whether the job's document comes back through the public URL from
   * here. Not a refusal: a proxy may answer other machines only. A warning that says what to check.
   */
  async function checkReachable(uri: string, localPort: number): Promise<void> {
    let problem: string | undefined;
    try {
      const answer = await fetch(uri, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
      if (!answer.ok) problem = `it answered ${answer.status} ${answer.statusText}`.trim();
    } catch (error) {
      problem = messageOf((error as { cause?: unknown }).cause ?? error);
    }
    if (problem === undefined) return;
    const message = `${uri} does not reach this job's files from this machine (${problem}). Providers fetch and upload through that address: check the tunnel or proxy to port ${localPort} on 127.0.0.1 here, and that it passes requests on unchanged. The job is posted anyway.`;
    log.warn(message);
    emit({ type: 'warning', message });
  }

  async function post(raw: PostRequest): Promise<PostedJob> {
    if (closed) throw new RequesterError('the requester is closed');
    const parsed = postRequestSchema.safeParse(raw);
    if (!parsed.success)
      throw new RequesterError(`the job request is wrong: ${issues(parsed.error)}`);
    const request = parsed.data;
    // A folder given as an input is a batch, one input set per .npy file, as for a private job.
    const folders = await expandInputFolders(request.inputs);
    if (!folders.ok) throw new RequesterError(folders.error.message);
    if (folders.value) request.inputs = folders.value;
    if (request.deadlineSeconds < request.leaseSeconds + 60) {
      throw new RequesterError(
        `the deadline (${request.deadlineSeconds} s from now) must leave a whole lease (${request.leaseSeconds} s) and a minute to claim it; give a deadline of at least ${request.leaseSeconds + 60} s`,
      );
    }
    const files = await describeFiles(request);
    const key = `post-${now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const dir = join(workDir, 'jobs', key);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let server: ArtifactServer;
    try {
      server = await startArtifactServer({
        dir: join(dir, 'served'),
        maxUploadBytes,
        ...(options.serve?.port !== undefined ? { port: options.serve.port } : {}),
        ...(options.serve?.publicUrl !== undefined ? { publicUrl: options.serve.publicUrl } : {}),
      });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      if (error instanceof PortTakenError)
        throw new RequesterError(
          `nothing was posted: port ${error.port} on 127.0.0.1, where this job's files would be served, is taken by another program (another post-job or await serving its job, perhaps; ss -ltnp 'sport = :${error.port}' names it). Give another port, or wait for that one to finish`,
          { cause: error },
        );
      throw new RequesterError(`nothing was posted: ${messageOf(error)}`, { cause: error });
    }
    servers.add(server);
    try {
      const model = await server.publish(`model-${servable(basename(files.modelPath), 'model')}`, {
        file: files.modelPath,
      });
      const externalData = [];
      for (const [i, e] of files.external.entries()) {
        const served = await server.publish(`weights-${i}-${servable(basename(e.file), 'data')}`, {
          file: e.file,
        });
        externalData.push({ ...served, path: e.path });
      }
      const sets: Record<string, Artifact>[] = [];
      for (const [s, set] of files.setPaths.entries()) {
        const out: Record<string, Artifact> = {};
        for (const [i, [name, path]] of Object.entries(set).entries()) {
          out[name] = await server.publish(`input-${s}-${i}-${servable(name, 'tensor')}.npy`, {
            file: resolve(path),
          });
        }
        sets.push(out);
      }
      const spec: JobSpec = parsedOrThrow(jobSpecSchema, 'the job spec', {
        format: JOB_SPEC_FORMAT,
        ...(request.name ? { name: request.name } : {}),
        model: { ...model, ...(externalData.length ? { externalData } : {}) },
        inputs: Array.isArray(request.inputs) ? sets : sets[0],
        ...(request.outputs ? { outputs: request.outputs } : {}),
        ...(request.executionProviders ? { executionProviders: request.executionProviders } : {}),
        ...(request.limits ? { limits: request.limits } : {}),
      });

      let known: OutputTensor[] | undefined;
      if (request.canary) {
        log.info('running the canary on this machine (CPU) for the known answer');
        known = await runCanary(request, join(dir, 'known-answer'));
      }

      const document = parsedOrThrow(marketJobSchema, 'the market job document', {
        format: MARKET_JOB_FORMAT,
        job: spec,
        upload: { url: server.uploadUrl },
        ...(request.minVramMiB !== undefined
          ? { requirements: { minVramMiB: request.minVramMiB } }
          : {}),
      });
      const bytes = new TextEncoder().encode(JSON.stringify(document, null, 2) + '\n');
      if (bytes.length > MAX_MARKET_JOB_BYTES) {
        throw new RequesterError(
          `the job document is ${bytes.length} bytes, more than providers read (${MAX_MARKET_JOB_BYTES}); split the batch into smaller jobs`,
        );
      }
      const published = await server.publish('job.json', bytes);
      if (options.serve?.publicUrl !== undefined) await checkReachable(published.uri, server.port);
      const specHash = `0x${published.sha256}`;
      const specSha256 = sha256Hex(canonicalJson(spec));

      const requester = await signer.getAddress();
      const needed = request.reward * BigInt(request.redundancy);
      const balance = await read('the token balance', () => token.balanceOf(requester));
      if (balance < needed) {
        throw new RequesterError(
          `${requester} holds ${balance} base units of the token, and the job escrows ${needed} (${request.reward} per lease × ${request.redundancy}); add tokens or lower the price`,
        );
      }
      const deadline = (await chainTime()) + BigInt(request.deadlineSeconds);
      const fromBlock = await read('the latest block number', () => chain!.getBlockNumber());
      // The intent goes down before any transaction is sent: killed after postJob, the job is
      // found again by its spec hash and served from the same folder and port.
      try {
        journal?.begin({
          chainKey,
          key,
          requester,
          specUri: published.uri,
          specHash,
          fromBlock,
          port: server.port,
          dir,
          servedDir: join(dir, 'served'),
          reward: request.reward,
          record: {
            document,
            specSha256,
            outputNames: files.outputNames,
            setCount: inputSetsOf(spec).length,
            redundancy: request.redundancy,
            leaseSeconds: request.leaseSeconds,
            deadline: deadline.toString(),
            minScore: request.minScore,
            ...(known ? { known } : {}),
            tolerance,
            maxUploadBytes,
          },
        });
      } catch (error) {
        throw new RequesterError(
          `the job was not posted: writing it to the journal failed (${messageOf(error)}); check that the data folder is writable and has space`,
          { cause: error },
        );
      }

      let postSent = false;
      let receipt: ContractTransactionReceipt;
      try {
        const allowance = await read('the token allowance', () =>
          token.allowance(requester, marketAddress),
        );
        if (allowance < needed) {
          await send('approving the market to take the reward', () =>
            token.approve(marketAddress, needed),
          );
        }
        postSent = true;
        receipt = await send('posting the job', () =>
          market.postJob(
            specHash,
            published.uri,
            request.reward,
            request.minScore,
            request.leaseSeconds,
            deadline,
            request.redundancy,
          ),
        );
      } catch (error) {
        if (!postSent || !journal) {
          journal?.forget(chainKey, key);
          throw error;
        }
        throw new RequesterError(
          `${messageOf(error)}. If the job reached the chain after all, it is in the journal: resuming it finds it by its spec hash ${specHash}`,
          { cause: error },
        );
      }
      let jobId: bigint | undefined;
      for (const entry of receipt.logs) {
        if (entry.address.toLowerCase() !== marketAddress.toLowerCase()) continue;
        const event = parseJobMarketLog(entry);
        if (event?.name !== 'JobPosted') continue;
        const args = jobPostedSchema.safeParse(event.args);
        if (args.success && args.data.specHash.toLowerCase() === specHash) jobId = args.data.jobId;
      }
      if (jobId === undefined)
        throw new RequesterError(
          `the job was posted (transaction ${receipt.hash}) but its JobPosted event is missing`,
        );
      try {
        journal?.posted(chainKey, key, {
          jobId,
          txHash: receipt.hash,
          postedBlock: receipt.blockNumber,
        });
      } catch (error) {
        // The intent is there: a resume finds the job by its spec hash.
        log.warn(`job ${jobId} was posted but its id was not journaled: ${messageOf(error)}`);
      }
      await writeFile(
        join(dir, 'posted.json'),
        JSON.stringify(
          { jobId: jobId.toString(), specURI: published.uri, specHash, txHash: receipt.hash },
          null,
          2,
        ) + '\n',
      );
      jobs.set(jobId, {
        jobId,
        dir,
        server,
        document,
        specURI: published.uri,
        specHash,
        txHash: receipt.hash,
        specSha256,
        outputNames: files.outputNames,
        setCount: inputSetsOf(spec).length,
        redundancy: request.redundancy,
        leaseSeconds: request.leaseSeconds,
        deadline,
        postBlock: receipt.blockNumber,
        ...(known ? { known } : {}),
        tolerance,
      });
      log.info(`posted job ${jobId}: ${published.uri} (${request.redundancy} lease(s))`);
      emit({ type: 'posted', jobId, specURI: published.uri, txHash: receipt.hash });
      return { jobId, specURI: published.uri, specHash, txHash: receipt.hash, document };
    } catch (error) {
      servers.delete(server);
      await server.close();
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Resuming a job an earlier requester posted

  async function resume(jobId: bigint): Promise<PostedJob> {
    if (closed) throw new RequesterError('the requester is closed');
    const had = jobs.get(jobId);
    if (had)
      return {
        jobId,
        specURI: had.specURI,
        specHash: had.specHash,
        txHash: had.txHash,
        document: had.document,
      };
    if (!journal)
      throw new RequesterError(
        `this requester keeps no journal, so it has no record of job ${jobId} to resume`,
      );
    let request = journal.byJob(chainKey, jobId);
    if (!request) {
      await read('the jobs posted from this journal', () =>
        findPostedJobs(journal!, chain!, marketAddress, chainKey),
      );
      request = journal.byJob(chainKey, jobId);
    }
    if (!request)
      throw new RequesterError(
        `job ${jobId} was not posted from this data folder on this chain, so its files are not here to serve`,
      );
    const me = (await signer.getAddress()).toLowerCase();
    if (request.requester !== me)
      throw new RequesterError(
        `job ${jobId} was posted by ${getAddress(request.requester)}, not by ${getAddress(me)}; resume it as that account`,
      );
    await checkServedFiles(request);
    let server: ArtifactServer;
    try {
      // Providers were told the document's address: behind a proxy, it names the proxy.
      const told = new URL(request.record.document.upload.url).origin;
      server = await startArtifactServer({
        dir: request.servedDir,
        port: request.port,
        maxUploadBytes: request.record.maxUploadBytes,
        ...(told === `http://127.0.0.1:${request.port}` ? {} : { publicUrl: told }),
      });
    } catch (error) {
      if (error instanceof PortTakenError)
        throw new RequesterError(
          `job ${jobId}'s files cannot be served again: port ${request.port} on 127.0.0.1 is taken by another program, and the job's document on chain tells providers to fetch from and upload to ${request.record.document.upload.url.replace(/\/uploads$/, '')}. ` +
            `If another roost market await or post-job, or a running Roost (roost serve, the app: its Jobs page lists the jobs it watches), still serves this job, let that one finish; otherwise stop the program holding the port (ss -ltnp 'sport = :${request.port}' names it) and resume again`,
          { cause: error },
        );
      throw new RequesterError(
        `job ${jobId}'s files cannot be served again on port ${request.port}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    if (closed) {
      await server.close();
      throw new RequesterError('the requester is closed');
    }
    servers.add(server);
    const { record } = request;
    jobs.set(jobId, {
      jobId,
      dir: request.dir,
      server,
      document: record.document,
      specURI: request.specUri,
      specHash: request.specHash,
      txHash: request.txHash ?? '',
      specSha256: record.specSha256,
      outputNames: record.outputNames,
      setCount: record.setCount,
      redundancy: record.redundancy,
      leaseSeconds: record.leaseSeconds,
      deadline: BigInt(record.deadline),
      postBlock: request.postedBlock ?? request.fromBlock,
      ...(record.known ? { known: record.known } : {}),
      tolerance: record.tolerance,
    });
    log.info(`resumed job ${jobId}: serving ${server.url} again`);
    return {
      jobId,
      specURI: request.specUri,
      specHash: request.specHash,
      txHash: request.txHash ?? '',
      document: record.document,
    };
  }

  /** The folder a resumed job serves must still hold what its document promises. */
  async function checkServedFiles(request: PostedRequest): Promise<void> {
    const filesDir = join(request.servedDir, 'files');
    const jobId = request.jobId;
    const gone = (what: string) =>
      new RequesterError(
        `job ${jobId}'s ${what} is no longer in ${filesDir}, so providers could not fetch it; the job cannot be served again (cancel its open leases or let them expire)`,
      );
    const document = await readFile(join(filesDir, 'job.json')).catch(() => undefined);
    if (!document) throw gone('document (job.json)');
    if (`0x${sha256Hex(document)}` !== request.specHash)
      throw new RequesterError(
        `job ${jobId}'s document in ${filesDir} no longer matches its spec hash ${request.specHash} on chain; it was changed, and providers would refuse it`,
      );
    const spec = request.record.document.job;
    const artifacts: Artifact[] = [
      spec.model,
      ...(spec.model.externalData ?? []),
      ...inputSetsOf(spec).flatMap((set) => Object.values(set)),
    ];
    for (const artifact of artifacts) {
      const name = artifact.uri.slice(artifact.uri.lastIndexOf('/') + 1);
      if (!(await hasBytes(join(filesDir, name), artifact.bytes))) throw gone(`file ${name}`);
    }
    for (const known of request.record.known ?? []) {
      if ((await fileSize(known.path)) === undefined)
        throw new RequesterError(
          `job ${jobId}'s known answer ${known.path} is gone, so its canary cannot be checked; the job cannot be judged here`,
        );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Checking one lease's result

  async function resultUriOf(job: PostedRecord, slot: number, provider: string) {
    const topic = jobMarketInterface.getEvent('ResultSubmitted')!.topicHash;
    const logs = await read(`the results of job ${job.jobId}`, () =>
      chain!.getLogs({
        address: marketAddress,
        topics: [topic, zeroPadValue(toBeHex(job.jobId), 32)],
        fromBlock: job.postBlock,
        toBlock: 'latest',
      }),
    );
    let uri: string | undefined;
    for (const entry of logs) {
      const event = parseJobMarketLog(entry);
      if (event?.name !== 'ResultSubmitted') continue;
      const args = resultSubmittedSchema.safeParse(event.args);
      if (!args.success || args.data.jobId !== job.jobId || Number(args.data.slot) !== slot)
        continue;
      if (args.data.provider.toLowerCase() !== provider.toLowerCase()) continue;
      uri = args.data.resultURI;
    }
    return uri;
  }

  function receiptProblem(job: PostedRecord, receipt: Receipt): string | undefined {
    const spec = job.document.job;
    if (receipt.specSha256 !== job.specSha256)
      return `the receipt is for another spec (specSha256 ${receipt.specSha256}, this job's is ${job.specSha256})`;
    if (receipt.modelSha256 !== spec.model.sha256)
      return `the receipt names another model (${receipt.modelSha256}, this job's is ${spec.model.sha256})`;
    const want = inputSetsOf(spec)
      .flatMap((set, s) => Object.entries(set).map(([name, a]) => `${s}:${name}:${a.sha256}`))
      .sort();
    const got = receipt.inputs.map((i) => `${i.set}:${i.name}:${i.sha256}`).sort();
    if (want.join('\n') !== got.join('\n'))
      return 'the receipt lists other inputs than this job has';
    const allowed = spec.executionProviders ?? ['cpu'];
    if (!allowed.includes(receipt.executionProvider))
      return `it ran on ${receipt.executionProvider}, which the job did not allow (${allowed.join(', ')})`;
    const expected = new Set<string>();
    for (let s = 0; s < job.setCount; s++)
      for (const name of job.outputNames) expected.add(`${s}\u0000${name}`);
    const seen = new Set<string>();
    for (const o of receipt.outputs) {
      const key = `${o.set}\u0000${o.name}`;
      if (!expected.has(key))
        return `the receipt has an output "${o.name}" for input set ${o.set} the job did not ask for`;
      if (seen.has(key)) return `the receipt lists output "${o.name}" of set ${o.set} twice`;
      seen.add(key);
    }
    if (seen.size !== expected.size)
      return `the receipt has ${seen.size} outputs where the job asks for ${expected.size}`;
    return undefined;
  }

  async function checkLease(
    job: PostedRecord,
    slot: number,
    lease: ChainLease,
  ): Promise<LeaseCheck> {
    const provider = getAddress(lease.provider);
    const from = join(job.server.uploadsDir, String(slot), provider.toLowerCase());
    const into = leaseResultsDir(job.dir, slot, provider);
    await rm(into, { recursive: true, force: true });
    await mkdir(into, { recursive: true, mode: 0o700 });
    const files: string[] = [];
    const bad = (reason: string): LeaseCheck => ({
      ok: false,
      reason,
      provider,
      outputs: [],
      files,
    });

    const expectedUri = resultFileUrl(job.document.upload.url, slot, provider, 'result.json');
    const uri = await resultUriOf(job, slot, provider);
    if (uri === undefined) return bad('no ResultSubmitted event names this lease');
    if (uri !== expectedUri)
      return bad(
        `the result URI on chain (${uri.slice(0, 300)}) is not ${expectedUri}, where results go`,
      );

    // Work on copies: a later upload cannot change what was checked.
    const resultFile = join(into, 'result.json');
    const size = await fileSize(join(from, 'result.json'));
    if (size === undefined)
      return {
        ...bad('the provider submitted a result but uploaded no result.json'),
        missing: true,
      };
    if (size > MAX_RESULT_JSON_BYTES) return bad(`result.json is ${size} bytes, which is absurd`);
    await linkOrCopy(join(from, 'result.json'), resultFile);
    files.push(resultFile);
    const bytes = await readFile(resultFile);
    const hash = `0x${sha256Hex(bytes)}`;
    if (hash !== lease.resultHash.toLowerCase())
      return bad(
        `result.json has sha256 ${hash}, but the chain's result hash ${lease.resultHash} differs`,
      );
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      return bad('result.json is not JSON');
    }
    const verified = verifyReceipt(json);
    if (!verified.ok) return bad(`result.json is not a valid signed receipt: ${verified.reason}`);
    if (verified.signer.toLowerCase() !== provider.toLowerCase())
      return bad(
        `the receipt is signed by ${verified.signer}, not by the lease's provider ${provider}`,
      );
    const problem = receiptProblem(job, verified.receipt);
    if (problem) return bad(problem);

    const outputs: OutputTensor[] = [];
    for (const o of verified.receipt.outputs) {
      const name = uploadNameFor(o.file);
      if (!/^(?!\.)[A-Za-z0-9._-]{1,200}$/.test(name))
        return bad(
          `the receipt names an output file "${o.file.slice(0, 100)}" that cannot be uploaded`,
        );
      const source = join(from, name);
      if ((await fileSize(source)) === undefined)
        return {
          ...bad(`the output ${name} ("${o.name}" of set ${o.set}) was not uploaded`),
          missing: true,
        };
      const copy = join(into, name);
      await linkOrCopy(source, copy);
      files.push(copy);
      const got = await fileSize(copy);
      if (got !== o.bytes)
        return bad(`the output ${name} is ${got} bytes; the receipt says ${o.bytes}`);
      const digest = await sha256File(copy);
      if (digest !== o.sha256)
        return bad(`the output ${name} has sha256 ${digest}; the receipt says sha256 ${o.sha256}`);
      const header = readNpyHeader(await readHead(copy));
      if (header.kind !== 'ok')
        return bad(
          `the output ${name} is not a .npy file Roost reads${header.kind === 'invalid' ? `: ${header.reason}` : ''}`,
        );
      const { dtype, shape } = header.value;
      if (dtype !== o.dtype || shape.join(',') !== o.shape.join(','))
        return bad(
          `the output ${name} is ${dtype} (${shape.join(', ')}); the receipt says ${o.dtype} (${o.shape.join(', ')})`,
        );
      outputs.push({ set: o.set, name: o.name, path: copy });
    }
    return { ok: true, provider, outputs, files };
  }

  // -------------------------------------------------------------------------------------------
  // Verdicts

  async function publishReason(job: PostedRecord, slot: number, provider: string, reason: string) {
    const text = [
      `Roost requester: job ${job.jobId}, lease ${slot}, provider ${provider}`,
      `Disputed: ${reason}`,
      '',
    ].join('\n');
    const published = await job.server.publish(
      `dispute-${slot}-${now().toString(36)}.txt`,
      new TextEncoder().encode(text),
    );
    return published.uri;
  }

  async function settle(
    job: PostedRecord,
    slot: number,
    check: LeaseCheck,
    reason: string | undefined,
  ): Promise<LeaseOutcome> {
    const base = { slot, provider: check.provider, outputs: check.files };
    // Decided before sent: a requester killed mid-transaction still knows why after a resume.
    noteVerdict(
      job.jobId,
      {
        ...base,
        verdict: reason === undefined ? 'accepted' : 'disputed',
        ...(reason ? { reason } : {}),
      },
      false,
    );
    try {
      if (reason === undefined) {
        await send(`accepting lease ${slot} of job ${job.jobId}`, () =>
          market.acceptResult(job.jobId, slot),
        );
        return { ...base, verdict: 'accepted' };
      }
      const reasonUri = await publishReason(job, slot, check.provider, reason);
      await send(`disputing lease ${slot} of job ${job.jobId}`, () =>
        market.disputeResult(job.jobId, slot, reasonUri),
      );
      return { ...base, verdict: 'disputed', reason };
    } catch (error) {
      // Someone may have finalized it after its window: report what the chain says.
      const lease = await readLease(job.jobId, slot).catch(() => undefined);
      if (lease?.state === LeaseState.Paid && reason === undefined)
        return { ...base, verdict: 'accepted' };
      if (lease?.state === LeaseState.Disputed && reason !== undefined)
        return { ...base, verdict: 'disputed', reason };
      return {
        ...base,
        verdict: 'unfinished',
        reason: `${messageOf(error)}${reason ? ` (the result was bad: ${reason})` : ''}`,
      };
    }
  }

  /** Judges checked leases together: their own checks, the known answer, then each other. */
  async function decide(job: PostedRecord, checks: Map<number, LeaseCheck>) {
    const reasons = new Map<number, string | undefined>();
    for (const [slot, check] of checks) reasons.set(slot, check.ok ? undefined : check.reason);
    if (job.known) {
      for (const [slot, check] of checks) {
        if (reasons.get(slot) !== undefined) continue;
        const compared = await compareOutputs(check.outputs, job.known, job.tolerance);
        if (!compared.ok)
          reasons.set(slot, `the outputs differ from the known answer: ${compared.reason}`);
      }
    } else if (checks.size === 2) {
      const [a, b] = [...checks.entries()] as [[number, LeaseCheck], [number, LeaseCheck]];
      if (reasons.get(a[0]) === undefined && reasons.get(b[0]) === undefined) {
        const compared = await compareOutputs(a[1].outputs, b[1].outputs, job.tolerance);
        if (!compared.ok) {
          const reason = `the two leases' outputs disagree, so at least one is wrong: ${compared.reason}`;
          reasons.set(a[0], reason);
          reasons.set(b[0], reason);
        }
      }
    }
    const outcomes: LeaseOutcome[] = [];
    for (const [slot, check] of checks)
      outcomes.push(await settle(job, slot, check, reasons.get(slot)));
    return outcomes;
  }

  // -------------------------------------------------------------------------------------------
  // Following a job

  async function awaitJob(jobId: bigint, opts: AwaitOptions = {}): Promise<LeaseOutcome[]> {
    const job = jobs.get(jobId);
    if (!job)
      throw new RequesterError(
        `this requester did not post job ${jobId}, so it serves none of its files and cannot judge it${journal ? ' (resume it first if it was posted from this journal)' : ''}`,
      );
    const onChain = chainJobSchema.safeParse(
      plain(await read(`job ${jobId}`, () => market.getJob(jobId))),
    );
    if (!onChain.success)
      throw new RequesterError(`the market answered getJob(${jobId}) with something unexpected`);
    const requester = await signer.getAddress();
    if (onChain.data.requester.toLowerCase() !== requester.toLowerCase())
      throw new RequesterError(
        `job ${jobId} on chain belongs to ${onChain.data.requester}, not ${requester}`,
      );
    if (onChain.data.specHash.toLowerCase() !== job.specHash)
      throw new RequesterError(
        `job ${jobId} on chain has another spec hash than the one posted here`,
      );

    const started = now();
    const outcomes = new Map<number, LeaseOutcome>();
    const checks = new Map<number, LeaseCheck>();
    const claims = new Map<number, string>();
    const resultSeen = new Map<number, number>();
    // Judge a lease alone when its window closes this soon and the other has no result yet.
    const marginSeconds = BigInt(30 + Math.ceil((3 * pollMs) / 1000));
    const finish = (outcome: LeaseOutcome) => {
      outcomes.set(outcome.slot, outcome);
      checks.delete(outcome.slot);
      noteVerdict(jobId, outcome, true);
      log.info(
        `job ${jobId} lease ${outcome.slot}: ${outcome.verdict}${outcome.reason ? ` (${outcome.reason})` : ''}`,
      );
      emit({ type: 'verdict', jobId, outcome });
    };

    for (;;) {
      if (closed) throw new RequesterError('the requester closed before the job finished');
      const time = await chainTime();
      let cancelNeeded = false;
      for (let slot = 0; slot < job.redundancy; slot++) {
        if (outcomes.has(slot) || checks.has(slot)) continue;
        const lease = await readLease(jobId, slot);
        const provider = lease.provider === ZeroAddress ? null : getAddress(lease.provider);
        switch (lease.state) {
          case LeaseState.Open:
            claims.delete(slot);
            // A claim mined in the next block (later than `time`) would end past the deadline.
            if (time + BigInt(job.leaseSeconds) >= job.deadline) cancelNeeded = true;
            break;
          case LeaseState.Claimed: {
            const claim = `${provider}:${lease.leaseEndsAt}`;
            if (claims.get(slot) !== claim && provider) {
              claims.set(slot, claim);
              log.info(`job ${jobId} lease ${slot}: claimed by ${provider}`);
              emit({ type: 'claimed', jobId, slot, provider });
            }
            if (time >= lease.leaseEndsAt && provider) {
              await send(`reopening lease ${slot} of job ${jobId}`, () =>
                market.expireLease(jobId, slot),
              ).then(
                () => {
                  log.info(`job ${jobId} lease ${slot}: ${provider} ran out of time; reopened`);
                  emit({ type: 'expired', jobId, slot, provider });
                },
                (error: unknown) => log.warn(messageOf(error)),
              );
            }
            break;
          }
          case LeaseState.Submitted: {
            if (!resultSeen.has(slot)) {
              // Claimed and submitted between two looks: the claim happened, so say it first.
              if (provider && !claims.get(slot)?.startsWith(`${provider}:`)) {
                claims.set(slot, `${provider}:${lease.leaseEndsAt}`);
                log.info(`job ${jobId} lease ${slot}: claimed by ${provider}`);
                emit({ type: 'claimed', jobId, slot, provider });
              }
              resultSeen.set(slot, now());
              emit({ type: 'result', jobId, slot, provider: provider ?? ZeroAddress });
              log.info(`job ${jobId} lease ${slot}: result in from ${provider}`);
            }
            const check = await checkLease(job, slot, lease);
            // An upload still on its way is not yet a bad result.
            const graceOver = now() - (resultSeen.get(slot) ?? 0) >= uploadGraceMs;
            if (check.missing && !graceOver && lease.challengeEndsAt - time > marginSeconds) break;
            checks.set(slot, check);
            break;
          }
          default: {
            // Settled or disputed by someone else's hand (or an earlier run of this requester).
            const name = leaseStateNames[Number(lease.state)] ?? 'unknown';
            const verdict: Verdict =
              lease.state === LeaseState.Paid
                ? 'accepted'
                : lease.state === LeaseState.Disputed || lease.state === LeaseState.Rejected
                  ? 'disputed'
                  : 'unfinished';
            // Judged here before (by a requester since killed): its reason and files still hold.
            const judged = journal
              ?.verdicts(chainKey, jobId)
              .find(
                (v) =>
                  v.slot === slot &&
                  v.verdict === verdict &&
                  v.provider?.toLowerCase() === provider?.toLowerCase(),
              );
            finish({
              slot,
              provider,
              verdict,
              ...(judged?.reason
                ? { reason: judged.reason }
                : verdict === 'accepted'
                  ? {}
                  : { reason: `the lease is already ${name}` }),
              outputs: judged?.outputs ?? [],
            });
          }
        }
      }
      if (cancelNeeded) {
        await send(`cancelling the unclaimed leases of job ${jobId}`, () =>
          market.cancelJob(jobId),
        ).catch((error: unknown) => log.warn(messageOf(error)));
        for (let slot = 0; slot < job.redundancy; slot++) {
          if (outcomes.has(slot) || checks.has(slot)) continue;
          const lease = await readLease(jobId, slot);
          if (lease.state !== LeaseState.Cancelled) continue;
          finish({
            slot,
            provider: null,
            verdict: 'unfinished',
            reason:
              'nobody claimed this lease before the job’s deadline; its reward went back to your balance in the market (withdraw it from there)',
            outputs: [],
          });
        }
      }

      const waiting = job.redundancy - outcomes.size - checks.size;
      if (checks.size > 0) {
        if (waiting === 0) {
          for (const outcome of await decide(job, new Map(checks))) finish(outcome);
        } else {
          for (const [slot, check] of [...checks]) {
            const lease = await readLease(jobId, slot);
            if (lease.challengeEndsAt - time > marginSeconds) continue;
            log.warn(
              `job ${jobId} lease ${slot}: its challenge window closes before the other lease has a result; judging it alone`,
            );
            for (const outcome of await decide(job, new Map([[slot, check]]))) finish(outcome);
          }
        }
      }
      if (outcomes.size === job.redundancy) {
        return [...outcomes.values()].sort((a, b) => a.slot - b.slot);
      }

      if (opts.signal?.aborted)
        throw new RequesterError(`stopped waiting for job ${jobId}; it stays on chain`);
      if (opts.timeoutMs !== undefined && now() - started > opts.timeoutMs) {
        throw new RequesterError(
          `job ${jobId} has no verdict on ${job.redundancy - outcomes.size} lease(s) after ${opts.timeoutMs < 10_000 ? `${opts.timeoutMs} ms` : `${Math.round(opts.timeoutMs / 1000)} s`}; it stays on chain`,
        );
      }
      await sleep(pollMs, opts.signal);
    }
  }

  return {
    address: () => signer.getAddress(),
    post,
    resume,
    await: awaitJob,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...servers].map((s) => s.close()));
      servers.clear();
      if (jobService) await (await jobService).close();
      journalDb?.close();
    },
  };
}
