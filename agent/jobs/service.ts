/**
 * The job service: what `job.*`, `roost job ...` and the Jobs page call. It takes roost.job/1
 * specs (a lab's private jobs now, the market's later), keeps them in the journal, fetches their
 * artifacts into the content cache, checks model and inputs, runs them one worker process per
 * job (retrying a crashed or hung worker with backoff), verifies what the worker wrote, signs a
 * receipt and, for `run`, copies the outputs where the user asked. After a crash or kill -9 it
 * picks up where the journal says: fetching resumes, a running job resumes from its last
 * finished input set or fails with the reason when it was interrupted too often.
 *
 * Every input is parsed; every failure is data (`{ ok: false, error: { code, message } }`);
 * nothing here throws to the caller. Log lines carry [jobs] (and [worker] for the worker's own).
 *
 *   const jobs = await createJobService({ dataDir, signer, log: logger.child('jobs') });
 *   const submitted = await jobs.submit(spec);              // queued; runs in the background
 *   const ran = await jobs.run({ model, inputs, outDir });  // runs now, resolves when finished
 *   jobs.subscribe((event) => bus.emit(event.type, event.payload));
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  copyFile,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
} from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inputFile, outputFile } from '../../worker/protocol.ts';
import type { FromWorker, OutputWritten, RunPlan } from '../../worker/protocol.ts';
import { toCsv } from '../schedule/csv.ts';
import { writeFileAtomic } from '../store/atomic-file.ts';
import type { z } from 'zod';
import { describeZodError } from '../api/errors.ts';
import { adapterName, executionProviderName } from '../hardware/schema.ts';
import type { AcceleratorAdapter } from '../hardware/schema.ts';
import { ROOST_VERSION } from '../version.ts';
import type { ProviderSigner } from '../wallet/signer.ts';
import { createArtifactCache, sha256File } from './artifacts.ts';
import type { ArtifactCache, FetchLike } from './artifacts.ts';
import { openJournal } from './journal.ts';
import type { JobPatch, JobRecord, Journal, SetOutput } from './journal.ts';
import { expandInputFolders } from './input-folders.ts';
import { checkModel, externalLocations } from './model-check.ts';
import type { ModelFacts } from './model-check.ts';
import { inspectModel } from './model-inspect.ts';
import { NPY_HEADER_PEEK_BYTES, readNpyHeader } from './npy-header.ts';
import { createDevicePool, devicesFromProbe, PlacementRefused, placesFor } from './placement.ts';
import type { Device, DevicePool, Placement } from './placement.ts';
import { signReceipt } from './receipt.ts';
import {
  diskWords,
  inputSetsOf,
  JOB_ID_PATTERN,
  JOB_SPEC_FORMAT,
  jobRemoveParamsSchema,
  jobSpecSchema,
  jobStateSchema,
  jobWords,
  RESULT_FORMAT,
  runRequestSchema,
  TERMINAL_STATES,
} from './schema.ts';
import type {
  Artifact,
  EpFallback,
  JobCounts,
  ExecutionProvider,
  JobDetail,
  JobError,
  JobEvent,
  JobOrigin,
  JobProgress,
  JobRemoveResult,
  JobResult,
  JobSpec,
  JobState,
  JobSummary,
  ModelInspection,
  OutputFile,
} from './schema.ts';
import { createNodeWorkerSpawner } from './spawner.ts';
import type { SpawnWorker, WorkerProcess } from './spawner.ts';
import { runAttempt } from './supervisor.ts';
import type { AttemptOutcome } from './supervisor.ts';
import {
  canonicalJson,
  fail,
  fullPathProblem,
  messageOf,
  silentJobLog,
  slowFilesNote,
} from './util.ts';
import type { JobLog } from './util.ts';

// ---------------------------------------------------------------------------------------------
// Options

/** What the accelerator probe said about a provider (agent/hardware's AcceleratorProbe fits). */
export interface ProbeResultLike {
  ep: string;
  ok: boolean;
  status: string;
  reason?: string;
  adapter?: Pick<AcceleratorAdapter, 'name' | 'software' | 'inferredFrom' | 'gpuId'>;
  /** CUDA/TensorRT: the device index it was probed on (one result per NVIDIA GPU). */
  deviceIndex?: number;
}

/** A private job's default GPU paths, best first (see `privateJobProviders`). */
const PRIVATE_JOB_GPU_ORDER: readonly ExecutionProvider[] = ['cuda', 'dml', 'coreml', 'webgpu'];

/** The agent's ceilings: no spec may ask for more. */
export interface JobCaps {
  maxSeconds: number;
  maxOutputBytes: number;
  maxModelBytes: number;
  maxInputBytes: number;
}

export const DEFAULT_CAPS: JobCaps = {
  maxSeconds: 24 * 3600,
  maxOutputBytes: 16 * 2 ** 30,
  maxModelBytes: 8 * 2 ** 30,
  maxInputBytes: 16 * 2 ** 30,
};

/** Limits a spec gets when it names none. */
export const DEFAULT_LIMITS: JobCaps = {
  maxSeconds: 3600,
  maxOutputBytes: 2 ** 30,
  maxModelBytes: 2 * 2 ** 30,
  maxInputBytes: 4 * 2 ** 30,
};

export interface JobServiceOptions {
  /** The agent's data folder; jobs live in `<dataDir>/jobs/`. */
  dataDir: string;
  /** Signs result receipts; the key never leaves it (and never reaches a worker). */
  signer: ProviderSigner | (() => Promise<ProviderSigner>);
  /** `logger.child('jobs')`; the worker's own lines go to `log.child?.('worker')`. */
  log?: JobLog;
  /** How workers start; default: child_process in the sandbox (bwrap + permission model). */
  spawnWorker?: SpawnWorker;
  fetch?: FetchLike;
  now?: () => Date;
  /** The accelerator probe's results, or how to get them; providers that failed it are skipped. */
  probeResults?: ProbeResultLike[] | (() => Promise<ProbeResultLike[] | undefined>);
  /** Run on a provider whose adapter is a software renderer (lavapipe); default true. */
  allowSoftwareAdapters?: boolean | (() => boolean);
  /** Providers the user turned off (Settings → Accelerators), read at each job. */
  disabledProviders?: () => readonly ExecutionProvider[];
  /**
   * Jobs that run at the same time while there is no accelerator probe to go by (default 1).
   * With one, each GPU runs one job at a time and the CPU one (agent/jobs/placement.ts).
   */
  concurrency?: number;
  /** A GPU's name for people, by its inventory id (`RTX 3070 #2`). */
  gpuName?: (gpuId: string) => string | undefined;
  /**
   * Devices a job of this origin stays off while another can run it: the agent's work policy
   * keeps market jobs off paused GPUs. Private jobs are the owner's own and go anywhere.
   */
  avoidDevice?: (device: { id: string; name: string }, origin: JobOrigin) => boolean;
  caps?: Partial<JobCaps>;
  defaults?: Partial<JobCaps>;
  /** Worker starts per job across crashes, hangs and agent restarts; default 3. */
  maxAttempts?: number;
  /** Wait before attempt n (2-based) after a crash; default 1 s · 2^(n-2), at most 30 s. */
  retryDelayMs?: (attempt: number) => number;
  heartbeatTimeoutMs?: number;
  helloTimeoutMs?: number;
  /** The memory watchdog: a worker whose processes hold more is stopped; default 80% of RAM. */
  maxWorkerMemoryBytes?: number;
  /** Artifact download attempts and idle timeout (see artifacts.ts). */
  fetchAttempts?: number;
  fetchIdleTimeoutMs?: number;
  /** Called for every event, besides subscribers. */
  onEvent?: (event: JobEvent) => void;
  /** Start running queued jobs at once (default true); false leaves that to `start()`. */
  autoStart?: boolean;
  /**
   * Whether a finished market job may be removed: its lease can no longer need its folder or
   * rows (the agent asks the market's lease journal). Without it market jobs are kept.
   */
  canRemoveMarketJob?: (jobId: string) => MarketJobRemoval;
}

/** The market's answer for one market job: it may go, or why it stays, in words. */
export type MarketJobRemoval = { ok: true } | { ok: false; reason: string };

export interface SubmitOptions {
  /** `private` (default) allows file: URIs; `market` does not. */
  origin?: JobOrigin;
  /** Copy outputs and result.json here when the job is done. */
  exportTo?: string;
  /**
   * A label for people when the spec has none ("market job 7"). Kept beside the spec, not in it:
   * the result names the spec the requester posted, byte for byte.
   */
  name?: string;
  /** Run it on this device only (a GPU's inventory id, or `cpu`); checked against the probe. */
  device?: string;
  /** A part of a split batch: its first set's number in the whole batch (its copied outputs). */
  exportFirstSet?: number;
}

/** What `run` answers: the job, or with `split` the first part and every part. */
export type RunDetail = JobDetail & { parts?: JobDetail[] };

export interface RunOptions {
  onProgress?: (progress: JobProgress, job: JobSummary) => void;
  /** Aborting cancels the job. */
  signal?: AbortSignal;
}

export interface JobService {
  /** The work policy or the probe changed: jobs waiting for a device look again. */
  devicesChanged(): void;
  /**
   * How many jobs with these providers could run at once here (placement.ts placesFor): the
   * market holds no more leases of such a job, so none waits out its lease for a device.
   */
  places(executionProviders: readonly ExecutionProvider[], origin: JobOrigin): Promise<number>;
  /** Queues a roost.job/1 spec; it runs in the background. */
  submit(spec: unknown, options?: SubmitOptions): Promise<JobResult<JobSummary>>;
  /**
   * Runs local files now (`roost job run`) and resolves when the job is finished. `ok: false`
   * only when the request itself is refused; a job that ran and failed is `ok: true` with
   * `state: 'failed'` and its error.
   */
  run(request: unknown, options?: RunOptions): Promise<JobResult<RunDetail>>;
  /**
   * Queues a private job from files (`job.add`); with `split`, the batch as that many jobs, one
   * per GPU at a time, each a part of the sets. The summaries of every job it queued.
   */
  add(request: unknown): Promise<JobResult<JobSummary[]>>;
  /** Newest first. */
  list(filter?: { states?: JobState[]; limit?: number }): JobSummary[];
  /** How many jobs are in each state, all of them (not only those list gives). */
  counts(): JobCounts;
  /** Puts a queued job at the front of the queue (Run next). */
  runNext(id: string): JobResult<JobSummary>;
  /** Cancels every private job still queued; the ids cancelled. Market jobs keep their leases. */
  cancelQueued(): Promise<string[]>;
  show(id: string): JobResult<JobDetail>;
  cancel(id: string): Promise<JobResult<JobSummary>>;
  /**
   * Queues a finished private job again as a new job: the same spec (its files by hash, from
   * the cache or where they were), device and output folder. The old job stays as it is.
   */
  runAgain(id: string): Promise<JobResult<JobSummary>>;
  /**
   * Removes finished jobs, their folders and journal rows: `{ ids }` (all or none: an unknown or
   * unfinished job, or a market job whose lease may still need it, refuses the whole call) or
   * `{ finishedBefore }` (every finished job that finished before that time, but market jobs
   * whose lease may still need them). Emits `job.removed`.
   */
  remove(request: unknown): Promise<JobResult<JobRemoveResult>>;
  /** Resolves when the job is done, failed or cancelled. */
  wait(id: string, signal?: AbortSignal): Promise<JobResult<JobDetail>>;
  subscribe(listener: (event: JobEvent) => void): () => void;
  /** Builds a roost.job/1 spec from local files (hashes them); `file:` URIs. */
  specFromFiles(request: unknown): Promise<JobResult<JobSpec>>;
  /**
   * What a model file on this machine takes and gives (`job.inspectModel`), checked as a
   * private job's model is, under the limits a job gets when its spec names none; or why.
   */
  inspectModel(path: string): Promise<JobResult<ModelInspection>>;
  /** Starts running queued jobs (when created with autoStart: false). */
  start(): void;
  /** What recovery found at start-up. */
  readonly recovered: { resumed: string[]; failed: string[] };
  /** Worker processes alive now. */
  activeWorkers(): number;
  /** Stops: running jobs go back to the queue (they resume at the next start), workers die. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** A file name for a tensor: its name with unsafe characters replaced, unique in the job. */
export function outputFileNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name, index) => {
    let base = name
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 100);
    if (!base) base = `output_${index}`;
    let file = `${base}.npy`;
    for (let n = 1; used.has(file.toLowerCase()); n++) file = `${base}_${n}.npy`;
    used.add(file.toLowerCase());
    return file;
  });
}

/**
 * A job as the log and the Activity list name it: `job job-…`, `job resnet batch (job-…)`, and a
 * name that says "job" itself as it is (`market job 7 (job-…)`, not "job market job 7").
 */
export function jobLabel(name: string | undefined, id: string): string {
  return name ? `${jobWords({ id, name })} (${id})` : `job ${id}`;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Ahead of every private job's rank (its queue time in ms since 1970, or a Run next's -n). */
const MARKET_RANK_AHEAD = 1e14;

function specSha256(spec: JobSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

/** A spec or run request that does not parse, in the words of agent/api/errors.ts. */
function describeIssues(error: z.ZodError, input: unknown): string {
  return describeZodError(error, input, 'the job spec');
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

async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Places a cached artifact in a job folder: a hard link when possible, else a copy. */
async function place(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  if (await fileExists(to)) return;
  try {
    await link(from, to);
  } catch {
    const temp = `${to}.${process.pid}.copy`;
    await copyFile(from, temp);
    await rename(temp, to);
  }
}

async function readHead(path: string, bytes: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** sha256 of a file, and fsync it: the outputs are durable before they are signed. */
async function hashAndSync(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function inPool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out;
}

/**
 * The bytes deleting `dir` gives back: its regular files that have no other name. An input
 * placed from the download cache is a hard link to the cached copy, which stays; symlinks are
 * not followed (Dirent types come from lstat).
 */
async function freedBytes(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await freedBytes(path);
    else if (e.isFile()) {
      const info = await lstat(path).catch(() => undefined);
      if (info && info.nlink <= 1) total += info.size;
    }
  }
  return total;
}

class JobFailure extends Error {
  readonly error: JobError;
  constructor(error: JobError) {
    super(error.message);
    this.error = error;
  }
}

const failWith = (code: JobError['code'], message: string) =>
  new JobFailure({ code, message: message.slice(0, 4000) });

// ---------------------------------------------------------------------------------------------
// The service

interface ActiveJob {
  controller: AbortController;
  /** Why it waits for a device (stage `waiting`), for its progress line. */
  waiting?: string;
  reason?: 'cancel' | 'shutdown';
  worker?: WorkerProcess;
  bytes?: { done: number; total: number };
  lastProgressAt: number;
  trailing?: NodeJS.Timeout;
  done: Promise<void>;
}

interface Prepared {
  facts: ModelFacts;
  inputNames: string[];
  outputs: { name: string; file: string }[];
  layout: RunPlan['layout'];
  limits: JobCaps;
  executionProviders: ExecutionProvider[];
  agentFallbacks: EpFallback[];
  /** The device index of each provider that has one on the job's device (placement.ts). */
  deviceIndexes?: Partial<Record<ExecutionProvider, number>>;
}

export async function createJobService(options: JobServiceOptions): Promise<JobService> {
  const log = options.log ?? silentJobLog;
  const workerLog = log.child?.('worker') ?? log;
  const now = options.now ?? (() => new Date());
  const caps: JobCaps = { ...DEFAULT_CAPS, ...options.caps };
  const defaults: JobCaps = { ...DEFAULT_LIMITS, ...options.defaults };
  const maxAttempts = options.maxAttempts ?? 3;
  const retryDelayMs =
    options.retryDelayMs ?? ((n: number) => Math.min(30_000, 1000 * 2 ** Math.max(0, n - 2)));
  const concurrency = Math.max(1, options.concurrency ?? 1);
  /**
   * Jobs taken from the queue at once: every device's places, and one more whose files are
   * fetched and checked while the others run. Known once the probe is read.
   */
  let admitLimit = concurrency;
  const spawnWorker = options.spawnWorker ?? createNodeWorkerSpawner();
  const jobsDir = join(options.dataDir, 'jobs');
  await mkdir(jobsDir, { recursive: true, mode: 0o700 });
  const journal: Journal = openJournal(join(jobsDir, 'jobs.sqlite'), {
    now,
    onBadRow: (id, error) => log.error(`job ${id} in the journal is damaged: ${messageOf(error)}`),
  });
  const cache: ArtifactCache = createArtifactCache({
    dir: join(jobsDir, 'cache'),
    log,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.fetchAttempts ? { attempts: options.fetchAttempts } : {}),
    ...(options.fetchIdleTimeoutMs ? { idleTimeoutMs: options.fetchIdleTimeoutMs } : {}),
  });
  const listeners = new Set<(event: JobEvent) => void>();
  /** The onnxruntime version each running job's worker reported, for its receipt. */
  const onnxruntimeVersionSeen = new Map<string, string>();
  const active = new Map<string, ActiveJob>();
  let closed = false;
  let started = false;

  const jobDir = (id: string) => join(jobsDir, id);

  function emit(event: JobEvent): void {
    for (const l of [options.onEvent, ...listeners]) {
      try {
        l?.(event);
      } catch {
        // A broken subscriber must not stop a job.
      }
    }
  }

  function progressOf(
    record: Pick<JobRecord, 'id' | 'stage' | 'setsDone' | 'setsTotal'>,
  ): JobProgress {
    const live = active.get(record.id);
    const progress: JobProgress = {
      stage: record.stage,
      setsDone: record.setsDone,
      setsTotal: record.setsTotal,
    };
    if (live?.bytes && record.stage === 'fetching') {
      progress.bytesDone = live.bytes.done;
      progress.bytesTotal = live.bytes.total;
    }
    if (live?.waiting !== undefined && record.stage === 'waiting')
      progress.message = live.waiting.slice(0, 500);
    return progress;
  }

  /** Whether a market job's lease is done with it; without the market's answer, it is not. */
  function marketRemoval(id: string): MarketJobRemoval {
    if (!options.canRemoveMarketJob)
      return {
        ok: false,
        reason: 'Roost keeps it with its lease, which may still need its result',
      };
    try {
      return options.canRemoveMarketJob(id);
    } catch (error) {
      return { ok: false, reason: `its lease could not be read (${messageOf(error)})` };
    }
  }

  /** Finished, and nothing else needs it: a private job, or a market job its lease is done with. */
  function removable(record: Pick<JobRecord, 'id' | 'origin' | 'state'>): boolean {
    if (!TERMINAL_STATES.includes(record.state)) return false;
    return record.origin === 'private' || marketRemoval(record.id).ok;
  }

  /** A device's name for people, by id: `RTX 3070 #2`, `the CPU`. */
  function deviceName(id: string): string {
    if (id === 'cpu') return 'the CPU';
    return options.gpuName?.(id) ?? id;
  }

  /**
   * `places`: the queue's order, where many summaries are made at once (a list); without it a
   * queued job's place is looked up alone.
   */
  function toSummary(record: JobRecord, places?: ReadonlyMap<string, number>): JobSummary {
    const summary: JobSummary = {
      id: record.id,
      origin: record.origin,
      state: record.state,
      progress: progressOf(record),
      attempts: record.attempts,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      removable: removable(record),
    };
    if (record.name !== undefined) summary.name = record.name;
    if (record.executionProvider) summary.executionProvider = record.executionProvider;
    if (record.device) summary.device = record.device;
    if (record.deviceWanted !== undefined)
      summary.deviceWanted = { id: record.deviceWanted, name: deviceName(record.deviceWanted) };
    if (record.error) summary.error = record.error;
    if (record.startedAt) summary.startedAt = record.startedAt;
    if (record.finishedAt) summary.finishedAt = record.finishedAt;
    summary.outputBytes = record.outputBytes;
    if (record.state === 'queued') {
      const place = places ? places.get(record.id) : journal.placeInQueue(record.id);
      if (place !== undefined) summary.queuePlace = place;
    }
    return summary;
  }

  function toDetail(record: JobRecord): JobDetail {
    const detail: JobDetail = {
      ...toSummary(record),
      spec: record.spec,
      jobDir: jobDir(record.id),
      fallbacks: record.fallbacks,
      history: journal.history(record.id),
    };
    if (record.exportedTo) detail.exportedTo = record.exportedTo;
    if (record.sandbox) detail.sandbox = record.sandbox;
    if (record.result) detail.result = record.result;
    return detail;
  }

  function announce(record: JobRecord | undefined): void {
    if (!record) return;
    emit({ type: 'job.stateChanged', payload: { job: toSummary(record) } });
  }

  /**
   * Emits `job.progress`. Frequent updates (bytes, input sets) are throttled to one per 200 ms
   * per job, with a trailing one so the last state always goes out.
   */
  function progress(id: string, patch?: JobPatch, force = true): void {
    if (patch) journal.update(id, patch);
    const live = active.get(id);
    const send = () => {
      if (live) {
        live.lastProgressAt = Date.now();
        clearTimeout(live.trailing);
        live.trailing = undefined;
      }
      // The per-set path: read the progress columns only, not the whole spec.
      const brief = journal.brief(id);
      if (brief) {
        emit({
          type: 'job.progress',
          payload: { jobId: id, progress: progressOf({ ...brief, id }) },
        });
      }
    };
    if (force || !live) return send();
    const wait = live.lastProgressAt + 200 - Date.now();
    if (wait <= 0) return send();
    live.trailing ??= setTimeout(() => {
      if (!closed) send();
    }, wait);
  }

  function transition(
    id: string,
    from: readonly JobState[],
    to: JobState,
    patch: JobPatch,
    message: string,
  ): JobRecord | undefined {
    const record = journal.transition(id, from, to, patch, message);
    if (record) {
      // What came of a job, and its start, for the Activity list; the steps between (fetching,
      // running) go to the log file. The message leads with the state when it names it.
      const line = `${jobLabel(record.name, id)}: ${message.startsWith(to) ? message : `${to}: ${message}`}`;
      if (to === 'failed') log.warn(line);
      else if (to === 'fetching' || to === 'running') log.debug(line);
      else log.info(line);
      announce(record);
    }
    return record;
  }

  // -------------------------------------------------------------------------------------------
  // Spec checks that zod cannot express

  function effectiveLimits(spec: JobSpec): JobResult<JobCaps> {
    const limits = { ...defaults };
    for (const key of Object.keys(caps) as (keyof JobCaps)[]) {
      const asked = spec.limits?.[key];
      if (asked !== undefined) {
        if (asked > caps[key]) {
          return fail(
            'too-large',
            `limits.${key} is ${asked}, over this agent's ceiling of ${caps[key]}`,
          );
        }
        limits[key] = asked;
      }
      limits[key] = Math.min(limits[key], caps[key]);
    }
    return { ok: true, value: limits };
  }

  function checkSpec(spec: JobSpec, origin: JobOrigin): JobResult<JobCaps> {
    const sets = inputSetsOf(spec);
    const names = Object.keys(sets[0] ?? {}).sort();
    for (let i = 1; i < sets.length; i++) {
      const these = Object.keys(sets[i] ?? {}).sort();
      if (these.join('\u0000') !== names.join('\u0000')) {
        return fail(
          'invalid-spec',
          `input set ${i} names ${these.join(', ')}, but set 0 names ${names.join(', ')}`,
        );
      }
    }
    if (spec.outputs && new Set(spec.outputs).size !== spec.outputs.length) {
      return fail('invalid-spec', 'outputs names an output twice');
    }
    const external = spec.model.externalData ?? [];
    if (new Set(external.map((e) => e.path.toLowerCase())).size !== external.length) {
      return fail('invalid-spec', 'model.externalData names a file twice');
    }
    if (external.some((e) => e.path.toLowerCase() === 'model.onnx')) {
      return fail('invalid-spec', 'model.externalData may not be called model.onnx');
    }
    const artifacts: Artifact[] = [
      spec.model,
      ...external,
      ...sets.flatMap((s) => Object.values(s)),
    ];
    if (origin !== 'private' && artifacts.some((a) => /^file:/i.test(a.uri))) {
      return fail('uri-not-allowed', 'file: URIs are allowed only in private jobs');
    }
    const limits = effectiveLimits(spec);
    if (!limits.ok) return limits;
    const modelBytes = spec.model.bytes + external.reduce((n, e) => n + e.bytes, 0);
    if (modelBytes > limits.value.maxModelBytes) {
      return fail(
        'too-large',
        `the model and its data are ${modelBytes} bytes, over the limit of ${limits.value.maxModelBytes}`,
      );
    }
    const inputBytes = sets.reduce(
      (n, s) => n + Object.values(s).reduce((m, a) => m + a.bytes, 0),
      0,
    );
    if (inputBytes > limits.value.maxInputBytes) {
      return fail(
        'too-large',
        `the inputs are ${inputBytes} bytes, over the limit of ${limits.value.maxInputBytes}`,
      );
    }
    return limits;
  }

  // -------------------------------------------------------------------------------------------
  // Running one job

  async function probeResults(): Promise<ProbeResultLike[] | undefined> {
    const source = options.probeResults;
    if (!source) return undefined;
    try {
      return Array.isArray(source) ? source : await source();
    } catch (error) {
      log.warn(`the accelerator probe could not be read: ${messageOf(error)}`);
      return undefined;
    }
  }

  /** The probe as last read, for a second: a batch of short jobs asks at each one's end. */
  let probeRead: { at: number; results: ProbeResultLike[] | undefined } | undefined;

  /** The places jobs run here now (agent/jobs/placement.ts), from the probe and the settings. */
  async function currentDevices(): Promise<Device[]> {
    if (!probeRead || Date.now() - probeRead.at >= 1000)
      probeRead = { at: Date.now(), results: await probeResults() };
    const allow = options.allowSoftwareAdapters ?? true;
    // The settings are read each time: a provider turned off counts at the next job.
    const devices = devicesFromProbe(probeRead.results, {
      disabled: options.disabledProviders?.() ?? [],
      allowSoftware: typeof allow === 'function' ? allow() : allow,
      unprobedSlots: concurrency,
      ...(options.gpuName ? { gpuName: options.gpuName } : {}),
    });
    const places = devices.reduce((n, d) => n + d.slots, 0);
    const limit = devices.some((d) => d.id === 'any') ? places : places + 1;
    if (limit !== admitLimit) {
      const more = limit > admitLimit;
      admitLimit = limit;
      if (more) queueMicrotask(pump);
    }
    return devices;
  }

  const avoid = options.avoidDevice;
  const pool: DevicePool = createDevicePool({
    devices: currentDevices,
    ...(avoid ? { avoid: (d: Device, origin: JobOrigin) => avoid(d, origin) } : {}),
  });

  /** A device for the job, once one is free (stage `waiting` until then). */
  async function placeJob(
    record: JobRecord,
    prepared: Prepared,
    live: ActiveJob,
  ): Promise<Placement> {
    const id = record.id;
    try {
      return await pool.acquire(
        {
          executionProviders: prepared.executionProviders,
          origin: record.origin,
          // Oldest first: a job fetched sooner does not jump ahead of an older one waiting.
          // As the queue takes them (journal.ts QUEUE_ORDER): market jobs, which have a lease's
          // deadline, then those moved to the front (Run next), then by when they were queued.
          rank:
            record.origin === 'market'
              ? Date.parse(record.createdAt) - MARKET_RANK_AHEAD
              : record.priority > 0
                ? -record.priority
                : Date.parse(record.createdAt),
          ...(record.deviceWanted !== undefined ? { device: record.deviceWanted } : {}),
        },
        live.controller.signal,
        (reason) => {
          live.waiting = reason;
          log.info(`${jobLabel(record.name?.slice(0, 80), id)}: ${reason}`);
          progress(id, { stage: 'waiting' });
        },
      );
    } catch (error) {
      if (error instanceof PlacementRefused)
        throw new JobFailure({
          code: 'no-execution-provider',
          message: `it can't run here: ${error.message}`,
        });
      throw new JobFailure({ code: 'cancelled', message: 'cancelled while waiting for a device' });
    } finally {
      live.waiting = undefined;
    }
  }

  /**
   * What a private job from files runs on when its owner names no provider: the GPU paths that
   * work here on a real GPU (the probe said `ok`), best first, then the CPU. Software adapters
   * (lavapipe) are left out: they run on the CPU, slower than the CPU provider. TensorRT is too:
   * building its engine can take minutes, so it is asked for by name (`--ep tensorrt,cuda`).
   * A job spec's own default stays `["cpu"]` (roost.job/1 says so).
   */
  async function privateJobProviders(): Promise<ExecutionProvider[]> {
    const probe = (await probeResults()) ?? [];
    const disabled = options.disabledProviders?.() ?? [];
    const gpu = PRIVATE_JOB_GPU_ORDER.filter(
      (ep) =>
        !disabled.includes(ep) &&
        probe.some((r) => r.ep === ep && r.ok && r.status === 'ok' && r.adapter?.software !== true),
    );
    return [...gpu, 'cpu'];
  }

  async function chooseProviders(spec: JobSpec, previous?: ExecutionProvider) {
    const wanted = spec.executionProviders ?? ['cpu'];
    const probe = await probeResults();
    const allow = options.allowSoftwareAdapters ?? true;
    const allowSoftware = typeof allow === 'function' ? allow() : allow;
    const disabled = options.disabledProviders?.() ?? [];
    const keep: ExecutionProvider[] = [];
    const fallbacks: EpFallback[] = [];
    for (const ep of wanted) {
      if (disabled.includes(ep)) {
        fallbacks.push({ ep, reason: 'turned off in Settings → Accelerators' });
        continue;
      }
      const results = probe?.filter((r) => r.ep === ep) ?? [];
      const usable = results.some(
        (r) => r.ok || r.status === 'ok' || (allowSoftware && r.status === 'software-adapter'),
      );
      if (results.length > 0 && !usable) {
        fallbacks.push({
          ep,
          reason: `the accelerator probe failed: ${results[0]?.reason ?? results[0]?.status}`,
        });
      } else {
        keep.push(ep);
      }
    }
    // A resumed job keeps the provider its first sets ran on, when it can.
    if (previous && keep.includes(previous))
      keep.splice(0, keep.length, previous, ...keep.filter((e) => e !== previous));
    return { keep, fallbacks, probe };
  }

  async function fetchAll(record: JobRecord, live: ActiveJob): Promise<void> {
    const spec = record.spec;
    const sets = inputSetsOf(spec);
    const names = Object.keys(sets[0] ?? {}).sort();
    const dir = jobDir(record.id);
    const limits = checkSpec(spec, record.origin);
    if (!limits.ok) throw new JobFailure(limits.error);
    const jobs: { artifact: Artifact; to: string; maxBytes: number }[] = [
      {
        artifact: spec.model,
        to: join(dir, 'in', 'model', 'model.onnx'),
        maxBytes: limits.value.maxModelBytes,
      },
      ...(spec.model.externalData ?? []).map((e) => ({
        artifact: e,
        to: join(dir, 'in', 'model', ...e.path.split('/')),
        maxBytes: limits.value.maxModelBytes,
      })),
      ...sets.flatMap((set, s) =>
        names.map((name, i) => ({
          artifact: set[name] as Artifact,
          to: join(dir, 'in', 'sets', ...inputFile(s, i).split('/')),
          maxBytes: limits.value.maxInputBytes,
        })),
      ),
    ];
    const total = jobs.reduce((n, j) => n + j.artifact.bytes, 0);
    const doneBytes = new Map<number, number>();
    live.bytes = { done: 0, total };
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        if (live.controller.signal.aborted) return;
        const index = next++;
        const job = jobs[index] as (typeof jobs)[number];
        if (await fileExists(job.to)) {
          doneBytes.set(index, job.artifact.bytes);
          continue;
        }
        const got = await cache.fetch(job.artifact, {
          allowFile: record.origin === 'private',
          maxBytes: job.maxBytes,
          signal: live.controller.signal,
          onBytes: (n) => {
            doneBytes.set(index, n);
            if (live.bytes) live.bytes.done = [...doneBytes.values()].reduce((a, b) => a + b, 0);
            progress(record.id, undefined, false);
          },
        });
        if (!got.ok) throw new JobFailure(got.error);
        await place(got.value.path, job.to);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, jobs.length) }, worker));
    if (live.controller.signal.aborted) return;
    live.bytes = { done: total, total };
    const record2 = journal.get(record.id);
    journal.update(record.id, {
      timings: { ...(record2?.timings ?? record.timings), fetchMs: performance.now() - started },
    });
  }

  async function prepare(record: JobRecord): Promise<Prepared> {
    const spec = record.spec;
    const dir = jobDir(record.id);
    const limits = checkSpec(spec, record.origin);
    if (!limits.ok) throw new JobFailure(limits.error);
    const externalData = new Map((spec.model.externalData ?? []).map((e) => [e.path, e.bytes]));
    const checked = await checkModel(
      join(dir, 'in', 'model', 'model.onnx'),
      {
        maxModelBytes: limits.value.maxModelBytes,
        modelDir: join(dir, 'in', 'model'),
        externalData,
      },
      limits.value,
    );
    if (!checked.ok) throw new JobFailure(checked.error);
    const facts = checked.value;
    const sets = inputSetsOf(spec);
    const inputNames = Object.keys(sets[0] ?? {}).sort();
    const modelInputs = new Map(facts.inputs.map((t) => [t.name, t]));
    for (const name of inputNames) {
      if (!modelInputs.has(name)) {
        throw failWith(
          'input-invalid',
          `the model has no input "${name}" (its inputs: ${facts.inputs.map((t) => t.name).join(', ')})`,
        );
      }
    }
    const missing = facts.inputs.filter((t) => !inputNames.includes(t.name));
    if (missing.length > 0) {
      throw failWith(
        'input-invalid',
        `the job gives no tensor for the model's input ${missing.map((t) => `"${t.name}"`).join(', ')}`,
      );
    }
    const outputNames = spec.outputs ?? facts.outputs.map((t) => t.name);
    const modelOutputs = new Map(facts.outputs.map((t) => [t.name, t]));
    for (const name of outputNames) {
      const out = modelOutputs.get(name);
      if (!out) {
        throw failWith(
          'invalid-spec',
          `the model has no output "${name}" (its outputs: ${facts.outputs.map((t) => t.name).join(', ')})`,
        );
      }
      if (!out.isTensor || !/^(float|int|uint|bool)/.test(out.dtype)) {
        throw failWith(
          'model-unsupported',
          `output "${name}" is ${out.isTensor ? out.dtype : out.dtype}, which a .npy file cannot hold`,
        );
      }
    }
    // Input headers against the model, before any worker starts.
    for (let s = record.setsDone; s < sets.length; s++) {
      for (let i = 0; i < inputNames.length; i++) {
        const name = inputNames[i] as string;
        const path = join(dir, 'in', 'sets', ...inputFile(s, i).split('/'));
        const size = (await stat(path)).size;
        const head = readNpyHeader(await readHead(path, Math.min(size, NPY_HEADER_PEEK_BYTES)));
        const where = `input "${name}" of set ${s}`;
        if (head.kind === 'invalid') throw failWith('input-invalid', `${where}: ${head.reason}`);
        if (head.kind !== 'ok') continue;
        const want = modelInputs.get(name);
        if (!want) continue;
        if (!want.isTensor)
          throw failWith(
            'input-invalid',
            `${where}: the model wants a ${want.dtype}, not a tensor`,
          );
        if (want.dtype !== head.value.dtype) {
          throw failWith(
            'input-invalid',
            // What to do, in the tool labs make .npy files with.
            `${where} is ${head.value.dtype}, but the model wants ${want.dtype}: save it as ${want.dtype} (with numpy: np.save(file, a.astype("${want.dtype}"))) and add the job again`,
          );
        }
        if (want.shape.length !== head.value.shape.length) {
          throw failWith(
            'input-invalid',
            `${where} has ${head.value.shape.length} dimensions (${head.value.shape.join('×') || 'a scalar'}), but the model wants ${want.shape.length} (${want.shape.join('×') || 'a scalar'})`,
          );
        }
        want.shape.forEach((d, k) => {
          if (typeof d === 'number' && d !== head.value.shape[k]) {
            throw failWith(
              'input-invalid',
              `${where} has shape ${head.value.shape.join('×')}, but the model wants ${want.shape.join('×')}`,
            );
          }
        });
        if (head.value.dataOffset + head.value.dataBytes !== size) {
          throw failWith(
            'input-invalid',
            `${where}: the shape ${head.value.shape.join('×')} needs ${head.value.dataBytes} bytes of data, the file has ${size - head.value.dataOffset}`,
          );
        }
      }
    }
    const chosen = await chooseProviders(spec, record.executionProvider);
    if (chosen.keep.length === 0) {
      throw new JobFailure({
        code: 'no-execution-provider',
        message: `none of the preferred execution providers can run here: ${chosen.fallbacks.map((f) => `${executionProviderName(f.ep)}: ${f.reason}`).join('; ')}`,
      });
    }
    const files = outputFileNames(outputNames);
    return {
      facts,
      inputNames,
      outputs: outputNames.map((name, i) => ({ name, file: files[i] as string })),
      layout: Array.isArray(spec.inputs) ? 'per-set' : 'flat',
      limits: limits.value,
      executionProviders: chosen.keep,
      agentFallbacks: chosen.fallbacks,
    };
  }

  /** The sets whose outputs are really there; the first missing one is where a resume starts. */
  async function verifiedSetsDone(record: JobRecord, prepared: Prepared): Promise<number> {
    const outDir = join(jobDir(record.id), 'out');
    const bySet = new Map<number, SetOutput[]>();
    for (const o of journal.setOutputs(record.id))
      bySet.set(o.set, [...(bySet.get(o.set) ?? []), o]);
    let done = 0;
    for (; done < record.setsDone; done++) {
      const mine = bySet.get(done) ?? [];
      if (mine.length !== prepared.outputs.length) break;
      let ok = true;
      for (const o of mine) {
        try {
          const info = await lstat(join(outDir, o.file));
          if (!info.isFile() || info.size !== o.bytes) ok = false;
        } catch {
          ok = false;
        }
      }
      if (!ok) break;
    }
    if (done < record.setsDone) journal.resetSets(record.id, done);
    return done;
  }

  async function cleanTempFiles(outDir: string): Promise<void> {
    for (const file of await listFiles(outDir)) {
      if (file.endsWith('.tmp')) await rm(join(outDir, file), { force: true });
    }
  }

  /** Checks every output the worker wrote, hashes and fsyncs it. */
  async function verifyOutputs(record: JobRecord, prepared: Prepared): Promise<OutputFile[]> {
    const outDir = join(jobDir(record.id), 'out');
    const recorded = new Map(
      journal.setOutputs(record.id).map((r) => [`${r.set}\u0000${r.name}`, r]),
    );
    const expected = new Set<string>();
    const outputs: OutputFile[] = [];
    let total = 0;
    for (let s = 0; s < record.setsTotal; s++) {
      for (const o of prepared.outputs) {
        const file = outputFile(prepared.layout, s, o.file);
        expected.add(file);
        const entry = recorded.get(`${s}\u0000${o.name}`);
        if (!entry || entry.file !== file) {
          throw failWith(
            'worker-protocol',
            `the worker did not report output "${o.name}" of set ${s}`,
          );
        }
        const path = join(outDir, ...file.split('/'));
        let info;
        try {
          info = await lstat(path);
        } catch {
          throw failWith('io-error', `output ${file} is missing`);
        }
        if (!info.isFile()) throw failWith('worker-protocol', `output ${file} is not a plain file`);
        total += info.size;
        if (total > prepared.limits.maxOutputBytes) {
          throw failWith(
            'output-too-large',
            `the outputs pass the limit of ${prepared.limits.maxOutputBytes} bytes`,
          );
        }
        const head = readNpyHeader(await readHead(path, Math.min(info.size, 4096)));
        if (
          head.kind !== 'ok' ||
          head.value.dtype !== entry.dtype ||
          head.value.shape.join(',') !== entry.shape.join(',') ||
          head.value.dataOffset + head.value.dataBytes !== info.size ||
          info.size !== entry.bytes
        ) {
          throw failWith(
            'worker-protocol',
            `output ${file} is not the .npy file the worker reported`,
          );
        }
        outputs.push({
          set: s,
          name: o.name,
          file,
          dtype: entry.dtype,
          shape: entry.shape,
          bytes: info.size,
          sha256: '',
        });
      }
    }
    // Hash and fsync in parallel: for a batch of many small outputs the fsyncs dominate.
    await inPool(outputs, 8, async (o) => {
      o.sha256 = await hashAndSync(join(outDir, ...o.file.split('/')));
    });
    // Anything else in out/ is not ours to keep: a worker may write only what it was asked.
    for (const file of await listFiles(outDir)) {
      if (!expected.has(file)) {
        log.warn(`job ${record.id}: removing ${file}, which the job did not ask for`);
        await rm(join(outDir, ...file.split('/')), { force: true, recursive: true });
      }
    }
    for (const dir of new Set([outDir, ...outputs.map((o) => dirname(join(outDir, o.file)))])) {
      try {
        const handle = await open(dir, 'r');
        await handle.sync();
        await handle.close();
      } catch {
        // Folders cannot be fsynced everywhere (Windows); the files are.
      }
    }
    return outputs;
  }

  async function exportOutputs(record: JobRecord, outputs: OutputFile[]): Promise<string> {
    const to = record.exportTo as string;
    const from = join(jobDir(record.id), 'out');
    // A part of a split batch numbers its set folders among the whole batch's.
    const first = record.exportFirstSet;
    const copiedAs = (o: OutputFile) =>
      first === undefined ? o.file : `${first + o.set}/${o.file.slice(o.file.indexOf('/') + 1)}`;
    for (const o of outputs) {
      const target = join(to, ...copiedAs(o).split('/'));
      await mkdir(dirname(target), { recursive: true });
      const temp = `${target}.${process.pid}.tmp`;
      await copyFile(join(from, ...o.file.split('/')), temp);
      await rename(temp, target);
    }
    const receipt = await readFile(join(jobDir(record.id), 'result.json'));
    const sets = record.spec.inputs;
    const last = (first ?? 0) + (Array.isArray(sets) ? sets.length : 1) - 1;
    await writeFileAtomic(
      join(to, first === undefined ? 'result.json' : `result-sets-${first}-${last}.json`),
      receipt,
      0o644,
    );
    // A batch's outputs are in folders by set number: sets.csv says which inputs each one had
    // (a split batch's was written whole when it was queued).
    if (Array.isArray(sets) && first === undefined) await writeSetsCsv(to, sets);
    return to;
  }

  /** `sets.csv` in a batch's output folder: each set's number and the files it was given. */
  async function writeSetsCsv(to: string, sets: readonly Record<string, Artifact>[]) {
    const names = Object.keys(sets[0] ?? {});
    const where = (uri: string) => (uri.startsWith('file:') ? fileURLToPath(uri) : uri);
    await mkdir(to, { recursive: true });
    await writeFileAtomic(
      join(to, 'sets.csv'),
      toCsv(
        ['set', ...names],
        sets.map((set, i) => [i, ...names.map((n) => where((set[n] as Artifact).uri))]),
      ),
      0o644,
    );
  }

  /** The adapter a job ran on: the probe's for its provider on its device. */
  function adapterFor(
    ep: ExecutionProvider,
    probe: ProbeResultLike[] | undefined,
    device: JobRecord['device'],
    deviceIndex: number | undefined,
  ) {
    const mine = (r: ProbeResultLike): boolean => {
      if (deviceIndex !== undefined && r.deviceIndex !== undefined)
        return r.deviceIndex === deviceIndex;
      if (device === undefined || device.id === 'cpu') return true;
      return (r.adapter?.gpuId ?? 'gpu') === device.id;
    };
    const found = probe?.find((r) => r.ep === ep && r.adapter && mine(r))?.adapter;
    if (found) return { name: adapterName(found), software: found.software };
    if (ep === 'cpu') return { name: cpus()[0]?.model.trim() || 'CPU', software: false };
    if (device && device.id !== 'cpu' && device.id !== 'gpu')
      return { name: device.name, software: false };
    return undefined;
  }

  function checkMessage(plan: RunPlan) {
    const files = new Map(plan.outputs.map((o) => [o.name, o.file]));
    return (message: FromWorker): string | undefined => {
      if (message.type === 'probe-report') return 'a test-only message';
      if (message.type !== 'set-done') return undefined;
      if (message.set < plan.startSet || message.set >= plan.setCount)
        return `a result for set ${message.set}`;
      if (message.outputs.length !== plan.outputs.length)
        return `${message.outputs.length} outputs for set ${message.set}`;
      for (const o of message.outputs) {
        const file = files.get(o.name);
        if (file === undefined || o.file !== outputFile(plan.layout, message.set, file)) {
          return `an output "${o.name.slice(0, 80)}" at ${o.file.slice(0, 80)} the plan did not ask for`;
        }
      }
      return undefined;
    };
  }

  async function runWorker(record: JobRecord, prepared: Prepared, live: ActiveJob): Promise<void> {
    const id = record.id;
    const dir = jobDir(id);
    const outDir = join(dir, 'out');
    const scratchDir = join(dir, 'scratch');
    await mkdir(outDir, { recursive: true, mode: 0o700 });
    await rm(scratchDir, { recursive: true, force: true });
    await mkdir(scratchDir, { recursive: true, mode: 0o700 });
    await cleanTempFiles(outDir);
    let current = record;
    for (;;) {
      if (live.controller.signal.aborted) return;
      const startSet = await verifiedSetsDone(current, prepared);
      const soFar = journal.setOutputs(id).reduce((n, o) => n + o.bytes, 0);
      const attempts = current.attempts + 1;
      journal.update(id, { attempts, setsDone: startSet, outputBytes: soFar, stage: 'starting' });
      progress(id);
      const plan: RunPlan = {
        jobId: id,
        modelPath: join(dir, 'in', 'model', 'model.onnx'),
        inputsDir: join(dir, 'in', 'sets'),
        outDir,
        inputNames: prepared.inputNames,
        outputs: prepared.outputs,
        layout: prepared.layout,
        setCount: current.setsTotal,
        startSet,
        executionProviders: prepared.executionProviders,
        ...(prepared.deviceIndexes && Object.keys(prepared.deviceIndexes).length > 0
          ? { deviceIndexes: prepared.deviceIndexes }
          : {}),
        maxOutputBytes: prepared.limits.maxOutputBytes,
        outputBytesSoFar: soFar,
      };
      // limits.maxSeconds bounds each worker: a crash and a retry start the clock again.
      const timeoutMs = prepared.limits.maxSeconds * 1000;
      let sessionMs = current.timings.sessionMs;
      let runMs = current.timings.runMs;
      const runMsBefore = runMs;
      /** This attempt's sets' wait on their files (set-done `waitMs`). */
      let waitMs = 0;
      let outputBytes = soFar;
      // set-done messages come several to a pipe read when the worker batches them; they go
      // into the journal together, one transaction, once the read's messages are handled.
      let unrecorded: { set: number; outputs: OutputWritten[] }[] = [];
      const recordSets = () => {
        const sets = unrecorded;
        unrecorded = [];
        const lastSet = sets.at(-1)?.set;
        if (lastSet === undefined) return;
        try {
          journal.recordSets(id, sets, {
            setsDone: lastSet + 1,
            outputBytes,
            timings: { ...current.timings, sessionMs, runMs },
          });
        } catch (error) {
          // The sets are redone on a resume; the outputs are checked again at the end.
          log.warn(`job ${id}: sets could not be recorded in the journal: ${messageOf(error)}`);
          return;
        }
        progress(id, undefined, lastSet + 1 === plan.setCount);
      };
      const outcome: AttemptOutcome = await runAttempt({
        spawn: spawnWorker,
        launch: { jobId: id, inputsDir: join(dir, 'in'), outDir, scratchDir },
        plan,
        timeoutMs,
        signal: live.controller.signal,
        ...(options.heartbeatTimeoutMs ? { heartbeatTimeoutMs: options.heartbeatTimeoutMs } : {}),
        ...(options.helloTimeoutMs ? { helloTimeoutMs: options.helloTimeoutMs } : {}),
        maxMemoryBytes: options.maxWorkerMemoryBytes ?? Math.floor(totalmem() * 0.8),
        onSpawned: (worker) => {
          live.worker = worker;
          journal.update(id, { sandbox: worker.sandbox });
        },
        check: checkMessage(plan),
        onMessage: (message) => {
          switch (message.type) {
            case 'status':
              if (message.stage === 'session' || message.stage === 'loading') {
                if (current.stage !== 'loading') progress(id, { stage: 'loading' });
              }
              break;
            case 'session':
              sessionMs = message.sessionMs;
              onnxruntimeVersionSeen.set(id, message.onnxruntimeVersion);
              journal.update(id, {
                executionProvider: message.ep,
                fallbacks: [...prepared.agentFallbacks, ...message.fallbacks],
                stage: 'running',
              });
              progress(id);
              break;
            case 'set-done':
              runMs += message.runMs;
              waitMs += message.waitMs ?? 0;
              outputBytes += message.outputs.reduce((n, o) => n + o.bytes, 0);
              unrecorded.push({ set: message.set, outputs: message.outputs });
              if (unrecorded.length === 1) queueMicrotask(recordSets);
              break;
            case 'log':
              workerLog[message.level](`job ${id}: ${message.message}`);
              break;
            default:
              break;
          }
        },
      });
      live.worker = undefined;
      current = journal.get(id) as JobRecord;
      if (outcome.ok) {
        journal.update(id, {
          timings: { ...current.timings, sessionMs: outcome.value.sessionMs, runMs },
        });
        const slowFiles = slowFilesNote(waitMs, runMs - runMsBefore);
        if (slowFiles) log.info(`job ${id}: ${slowFiles}`);
        return;
      }
      if (outcome.fallbacks.length > 0 || prepared.agentFallbacks.length > 0) {
        journal.update(id, { fallbacks: [...prepared.agentFallbacks, ...outcome.fallbacks] });
      }
      if (live.controller.signal.aborted) return;
      if (!outcome.retryable || attempts >= maxAttempts) {
        const tries = outcome.retryable ? ` (after ${attempts} attempts)` : '';
        throw new JobFailure({ ...outcome.error, message: `${outcome.error.message}${tries}` });
      }
      const wait = retryDelayMs(attempts + 1);
      log.warn(
        `job ${id}: ${outcome.error.message}; starting a new worker in ${wait} ms (attempt ${attempts + 1} of ${maxAttempts})`,
      );
      journal.update(id, { stage: 'starting' });
      await sleep(wait, live.controller.signal);
      current = journal.get(id) as JobRecord;
    }
  }

  async function finish(record: JobRecord, prepared: Prepared): Promise<void> {
    const id = record.id;
    progress(id, { stage: 'finishing' });
    const outputs = await verifyOutputs(record, prepared);
    const current = journal.get(id) as JobRecord;
    const spec = record.spec;
    const sets = inputSetsOf(spec);
    const finishedAt = now().toISOString();
    const probe = await probeResults();
    const ep = current.executionProvider ?? prepared.executionProviders[0] ?? 'cpu';
    const adapter = adapterFor(ep, probe, current.device, prepared.deviceIndexes?.[ep]);
    const body = {
      format: RESULT_FORMAT,
      jobId: id,
      specSha256: record.specSha256,
      modelSha256: spec.model.sha256,
      inputs: sets.flatMap((set, s) =>
        prepared.inputNames.map((name) => ({
          set: s,
          name,
          sha256: (set[name] as Artifact).sha256,
        })),
      ),
      outputs,
      executionProvider: ep,
      fallbacks: current.fallbacks,
      ...(adapter ? { adapter } : {}),
      timings: {
        ...current.timings,
        totalMs: Math.max(
          0,
          Date.parse(finishedAt) - Date.parse(current.startedAt ?? current.createdAt),
        ),
      },
      sandbox: current.sandbox ?? { scrubbedEnv: false, permissionModel: false, bwrap: false },
      roostVersion: ROOST_VERSION,
      onnxruntimeVersion: onnxruntimeVersionSeen.get(id) ?? 'unknown',
      finishedAt,
    } as const;
    onnxruntimeVersionSeen.delete(id);
    // Whoever signs work at this moment (the wallet once it exists and may sign).
    const signer = typeof options.signer === 'function' ? await options.signer() : options.signer;
    const signed = await signReceipt(body, signer);
    await writeFileAtomic(
      join(jobDir(id), 'result.json'),
      JSON.stringify(signed, null, 2) + '\n',
      0o644,
    );
    let exportedTo: string | undefined;
    if (record.exportTo) {
      try {
        exportedTo = await exportOutputs(record, outputs);
      } catch (error) {
        throw failWith(
          'io-error',
          `the outputs could not be copied to ${record.exportTo}: ${messageOf(error)}`,
        );
      }
    }
    transition(
      id,
      ['running'],
      'done',
      { stage: 'done', result: signed, finishedAt, ...(exportedTo ? { exportedTo } : {}) },
      `done: ${outputs.length} output${outputs.length === 1 ? '' : 's'} on ${executionProviderName(ep)}`,
    );
  }

  async function processJob(id: string, live: ActiveJob): Promise<void> {
    let record = journal.get(id);
    if (!record) return;
    const signal = live.controller.signal;
    try {
      const fetching = transition(
        id,
        ['queued'],
        'fetching',
        { stage: 'fetching', ...(record.startedAt ? {} : { startedAt: now().toISOString() }) },
        'fetching the model and inputs',
      );
      if (!fetching) return;
      record = fetching;
      await mkdir(jobDir(id), { recursive: true, mode: 0o700 });
      await writeFileAtomic(
        join(jobDir(id), 'spec.json'),
        JSON.stringify(record.spec, null, 2) + '\n',
        0o644,
      );
      await fetchAll(record, live);
      if (signal.aborted)
        throw new JobFailure({ code: 'cancelled', message: 'cancelled while fetching' });
      progress(id, { stage: 'checking' });
      const checked = await prepare(journal.get(id) as JobRecord);
      if (signal.aborted) throw new JobFailure({ code: 'cancelled', message: 'cancelled' });
      const placement = await placeJob(journal.get(id) as JobRecord, checked, live);
      try {
        if (signal.aborted) throw new JobFailure({ code: 'cancelled', message: 'cancelled' });
        const prepared: Prepared = {
          ...checked,
          executionProviders: placement.executionProviders,
          deviceIndexes: placement.deviceIndexes,
        };
        const device = placement.device;
        const where = device.id === 'any' ? '' : ` on ${device.name}`;
        const running = transition(
          id,
          ['fetching'],
          'running',
          {
            stage: 'starting',
            ...(device.id === 'any' ? {} : { device: { id: device.id, name: device.name } }),
          },
          `running on ${prepared.executionProviders.map(executionProviderName).join(' or ')}${where}`,
        );
        if (!running) return;
        await runWorker(running, prepared, live);
        if (signal.aborted)
          throw new JobFailure({ code: 'cancelled', message: 'cancelled while the worker ran' });
        await finish(journal.get(id) as JobRecord, prepared);
      } finally {
        pool.release(placement);
      }
    } catch (error) {
      const failure =
        error instanceof JobFailure
          ? error.error
          : { code: 'internal' as const, message: `a bug stopped the job: ${messageOf(error)}` };
      if (!(error instanceof JobFailure))
        log.error(`job ${id}: ${(error as Error)?.stack ?? messageOf(error)}`);
      const state = journal.get(id)?.state;
      if (!state || TERMINAL_STATES.includes(state)) return;
      if (live.reason === 'shutdown') {
        const attempts = Math.max(
          0,
          (journal.get(id)?.attempts ?? 1) - (state === 'running' ? 1 : 0),
        );
        transition(
          id,
          [state],
          'queued',
          { stage: 'queued', attempts },
          'the agent stopped; the job resumes when it starts again',
        );
      } else if (live.reason === 'cancel' || failure.code === 'cancelled') {
        transition(
          id,
          [state],
          'cancelled',
          {
            stage: 'done',
            finishedAt: now().toISOString(),
            error: { code: 'cancelled', message: 'cancelled' },
          },
          'cancelled',
        );
      } else {
        transition(
          id,
          [state],
          'failed',
          { stage: 'done', error: failure, finishedAt: now().toISOString() },
          failure.message,
        );
      }
    }
  }

  function pump(): void {
    if (closed || !started) return;
    while (active.size < admitLimit) {
      const next = journal.queue(admitLimit * 2).find((r) => !active.has(r.id));
      if (!next) return;
      const controller = new AbortController();
      const live: ActiveJob = { controller, lastProgressAt: 0, done: Promise.resolve() };
      active.set(next.id, live);
      live.done = processJob(next.id, live)
        .catch((error) => log.error(`job ${next.id}: ${messageOf(error)}`))
        .finally(() => {
          clearTimeout(live.trailing);
          active.delete(next.id);
          queueMicrotask(pump);
        });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Recovery

  const recovered = { resumed: [] as string[], failed: [] as string[] };
  for (const record of journal.list({ states: ['fetching', 'running'], oldestFirst: true })) {
    if (record.cancelRequested) {
      transition(
        record.id,
        [record.state],
        'cancelled',
        {
          stage: 'done',
          finishedAt: now().toISOString(),
          error: { code: 'cancelled', message: 'cancelled' },
        },
        'cancelled (the agent stopped before it could)',
      );
      continue;
    }
    if (record.state === 'fetching') {
      transition(
        record.id,
        ['fetching'],
        'queued',
        { stage: 'queued' },
        'the agent stopped while fetching; fetching resumes',
      );
      recovered.resumed.push(record.id);
    } else if (record.attempts >= maxAttempts) {
      transition(
        record.id,
        ['running'],
        'failed',
        {
          stage: 'done',
          finishedAt: now().toISOString(),
          error: {
            code: 'interrupted',
            message: `the agent stopped while this job ran, ${record.attempts} times; it is not tried again (the model may be what brings the machine down)`,
          },
        },
        'interrupted too often',
      );
      recovered.failed.push(record.id);
    } else {
      transition(
        record.id,
        ['running'],
        'queued',
        { stage: 'queued' },
        `the agent stopped while the job ran (attempt ${record.attempts} of ${maxAttempts}); it resumes from input set ${record.setsDone}`,
      );
      recovered.resumed.push(record.id);
    }
  }
  for (const record of journal.list({ states: ['queued'] })) {
    if (record.cancelRequested)
      transition(
        record.id,
        ['queued'],
        'cancelled',
        { stage: 'done', finishedAt: now().toISOString() },
        'cancelled',
      );
  }
  if (recovered.resumed.length + recovered.failed.length > 0) {
    log.info(
      `recovered after a restart: ${recovered.resumed.length} resumed, ${recovered.failed.length} failed`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // The interface

  async function submit(raw: unknown, opts: SubmitOptions = {}): Promise<JobResult<JobSummary>> {
    if (closed) return fail('unavailable', 'the job service is closed');
    const parsed = jobSpecSchema.safeParse(raw);
    if (!parsed.success) return fail('invalid-spec', describeIssues(parsed.error, raw));
    const spec = parsed.data;
    const origin = opts.origin ?? 'private';
    const checked = checkSpec(spec, origin);
    if (!checked.ok) return checked;
    if (opts.exportTo !== undefined && !isAbsolute(opts.exportTo)) {
      return fail(
        'invalid-spec',
        fullPathProblem(opts.exportTo) ?? 'the output folder is not valid',
      );
    }
    let device = opts.device;
    if (device !== undefined) {
      const devices = await currentDevices();
      // `roost detect` shows a GPU's PCI bus address (0000:01:00.0): that names it too.
      const named = devices.find((d) => d.id === device || d.id === `pci-${device}`);
      if (named) device = named.id;
      else if (!devices.some((d) => d.id === 'any')) {
        const ids = devices.filter((d) => d.id !== 'gpu').map((d) => d.id);
        return fail(
          'invalid-spec',
          `There is no device "${device}" here that can run jobs: give one of ${ids.join(', ')} (roost detect shows which accelerators work on each GPU; roost work status lists the ids).`,
        );
      }
    }
    const id = `job-${now().getTime().toString(36)}-${randomBytes(4).toString('hex')}`;
    try {
      const record = journal.insert(
        {
          id,
          origin,
          spec,
          specSha256: specSha256(spec),
          setsTotal: inputSetsOf(spec).length,
          ...(opts.exportTo ? { exportTo: opts.exportTo } : {}),
          ...(opts.name ? { name: opts.name.slice(0, 200) } : {}),
          ...(device !== undefined ? { deviceWanted: device } : {}),
          ...(opts.exportFirstSet !== undefined ? { exportFirstSet: opts.exportFirstSet } : {}),
        },
        `submitted (${origin})`,
      );
      log.info(
        `${jobLabel(record.name?.slice(0, 80), id)}: queued: ${record.setsTotal} input set${record.setsTotal === 1 ? '' : 's'}`,
      );
      announce(record);
      queueMicrotask(pump);
      return { ok: true, value: toSummary(record) };
    } catch (error) {
      return fail('io-error', `the job could not be recorded: ${messageOf(error)}`);
    }
  }

  /**
   * A file of a private job as an artifact, or what is wrong with it, naming which file it is
   * (`what`: "The model", `Input "x"`) so the form and the CLI can say which field to fix.
   */
  async function artifactOf(path: string, what: string): Promise<JobResult<Artifact>> {
    try {
      const info = await stat(path);
      if (!info.isFile())
        return fail(
          'invalid-spec',
          `${what}: ${path} is ${info.isDirectory() ? 'a folder' : 'not a regular file'}; give the path of the file itself`,
        );
      return {
        ok: true,
        value: { uri: pathToFileURL(path).href, sha256: await sha256File(path), bytes: info.size },
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR')
        return fail(
          'invalid-spec',
          `${what}: no file at ${path}. Check the path; it must be on the computer Roost runs on`,
        );
      if (code === 'EACCES' || code === 'EPERM')
        return fail(
          'invalid-spec',
          `${what}: ${path} cannot be read: Roost has no permission to read it`,
        );
      return fail('invalid-spec', `${what}: ${path} cannot be read: ${messageOf(error)}`);
    }
  }

  async function specFromFiles(raw: unknown): Promise<JobResult<JobSpec>> {
    const parsed = runRequestSchema.safeParse(raw);
    if (!parsed.success) return fail('invalid-spec', describeIssues(parsed.error, raw));
    const request = parsed.data;
    const paths = [
      request.model,
      ...(Array.isArray(request.inputs) ? request.inputs : [request.inputs]).flatMap((set) =>
        Object.values(set),
      ),
      ...(request.outDir !== undefined ? [request.outDir] : []),
    ];
    for (const path of paths) {
      const problem = fullPathProblem(path);
      if (problem) return fail('invalid-spec', problem);
    }
    const modelPath = resolve(request.model);
    const model = await artifactOf(modelPath, 'The model');
    if (!model.ok) return model;
    let modelHead: Uint8Array;
    try {
      modelHead =
        model.value.bytes <= 512 * 2 ** 20 ? await readFile(modelPath) : new Uint8Array(0);
    } catch {
      modelHead = new Uint8Array(0);
    }
    const externalData = [];
    for (const location of externalLocations(modelHead)) {
      if (
        !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(location) ||
        location.split('/').includes('..')
      )
        continue;
      const file = await artifactOf(
        join(dirname(modelPath), ...location.split('/')),
        `The model's external data ${location}`,
      );
      if (file.ok) externalData.push({ ...file.value, path: location });
    }
    const folders = await expandInputFolders(request.inputs);
    if (!folders.ok) return folders;
    const batch = folders.value ?? request.inputs;
    const toSets = Array.isArray(batch) ? batch : [batch];
    const sets = [];
    for (const [index, set] of toSets.entries()) {
      const out: Record<string, Artifact> = {};
      for (const [name, path] of Object.entries(set)) {
        const a = await artifactOf(
          resolve(path),
          toSets.length > 1 ? `Input "${name}" of set ${index + 1}` : `Input "${name}"`,
        );
        if (!a.ok) return a;
        out[name] = a.value;
      }
      sets.push(out);
    }
    const spec = {
      format: JOB_SPEC_FORMAT,
      // Without a name of its own, a job is named after its model file: the queue and the CLI
      // then say what ran, not only an id.
      name: request.name ?? basename(modelPath).slice(0, 200),
      model: { ...model.value, ...(externalData.length ? { externalData } : {}) },
      inputs: Array.isArray(batch) ? sets : sets[0],
      ...(request.outputs ? { outputs: request.outputs } : {}),
      executionProviders: request.executionProviders ?? (await privateJobProviders()),
      ...(request.limits ? { limits: request.limits } : {}),
    };
    const checked = jobSpecSchema.safeParse(spec);
    if (!checked.success) return fail('invalid-spec', describeIssues(checked.error, spec));
    return { ok: true, value: checked.data };
  }

  function show(id: string): JobResult<JobDetail> {
    if (typeof id !== 'string' || id.length > 100) return fail('not-found', 'No such job.');
    try {
      const record = journal.get(id);
      if (!record) return fail('not-found', `No job ${id}.`);
      return { ok: true, value: toDetail(record) };
    } catch (error) {
      return fail('internal', `job ${id} could not be read: ${messageOf(error)}`);
    }
  }

  function wait(id: string, signal?: AbortSignal): Promise<JobResult<JobDetail>> {
    return new Promise((resolvePromise) => {
      const check = () => {
        // The once-a-second check reads the state only: the whole record parses the spec, which
        // for a batch of thousands of sets costs the running job a time slice every second.
        if (!closed) {
          try {
            const brief = journal.brief(id);
            if (brief && !TERMINAL_STATES.includes(brief.state)) return undefined;
          } catch {
            // show() below says what is wrong.
          }
        }
        const shown = show(id);
        if (!shown.ok) return finish(shown);
        if (TERMINAL_STATES.includes(shown.value.state)) return finish(shown);
        if (closed)
          return finish(fail('unavailable', 'the job service closed before the job finished'));
        return undefined;
      };
      const unsubscribe = subscribe((event) => {
        if (event.type === 'job.stateChanged' && event.payload.job.id === id) check();
      });
      const onClose = setInterval(check, 1000);
      const onAbort = () => finish(fail('cancelled', 'stopped waiting'));
      signal?.addEventListener('abort', onAbort, { once: true });
      function finish(result: JobResult<JobDetail>) {
        unsubscribe();
        clearInterval(onClose);
        signal?.removeEventListener('abort', onAbort);
        resolvePromise(result);
      }
      check();
    });
  }

  function subscribe(listener: (event: JobEvent) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  async function runAgain(id: string): Promise<JobResult<JobSummary>> {
    const record = journal.get(id);
    if (!record) return fail('not-found', `No job ${id}.`);
    if (record.origin !== 'private')
      return fail(
        'bad-state',
        `Job ${id} came from the market and ran for its lease; only a private job can be run again.`,
      );
    if (!TERMINAL_STATES.includes(record.state))
      return fail(
        'bad-state',
        `Job ${id} is still ${record.state}; run it again once it has finished, or cancel it first.`,
      );
    return submit(record.spec, {
      origin: 'private',
      ...(record.name !== undefined ? { name: record.name } : {}),
      ...(record.exportTo !== undefined ? { exportTo: record.exportTo } : {}),
      ...(record.deviceWanted !== undefined ? { device: record.deviceWanted } : {}),
      ...(record.exportFirstSet !== undefined ? { exportFirstSet: record.exportFirstSet } : {}),
    });
  }

  /** Puts a queued job at the front of the queue: the next to take a free place. */
  function runNext(id: string): JobResult<JobSummary> {
    const record = journal.get(id);
    if (!record) return fail('not-found', `No job ${id}.`);
    if (record.origin !== 'private')
      return fail(
        'bad-state',
        `Job ${id} is a market job: market jobs run first, in the order Roost claimed them, each before its lease's deadline.`,
      );
    if (record.state !== 'queued')
      return fail(
        'bad-state',
        TERMINAL_STATES.includes(record.state)
          ? `Job ${id} is ${record.state} already${record.origin === 'private' ? `; roost job rerun ${id} queues it again` : ''}.`
          : `Job ${id} has left the queue already: it is ${record.state === 'fetching' ? 'fetching its files' : 'running'}.`,
      );
    const moved = journal.moveToFront(id, 'moved to the front of the queue');
    if (!moved) return fail('bad-state', `Job ${id} has left the queue meanwhile.`);
    const summary = toSummary(moved);
    emit({ type: 'job.stateChanged', payload: { job: summary } });
    return { ok: true, value: summary };
  }

  async function cancel(id: string): Promise<JobResult<JobSummary>> {
    const shown = show(id);
    if (!shown.ok) return shown;
    const state = shown.value.state;
    if (TERMINAL_STATES.includes(state)) {
      return fail('bad-state', `Job ${id} is already ${state}: there is nothing to cancel.`);
    }
    journal.update(id, { cancelRequested: true });
    const live = active.get(id);
    if (live) {
      live.reason = 'cancel';
      live.controller.abort();
      await live.done;
    } else {
      transition(
        id,
        [state],
        'cancelled',
        {
          stage: 'done',
          finishedAt: now().toISOString(),
          error: { code: 'cancelled', message: 'cancelled' },
        },
        'cancelled',
      );
    }
    const record = journal.get(id);
    return record ? { ok: true, value: toSummary(record) } : fail('not-found', `No job ${id}.`);
  }

  /**
   * Removes one job's folder, never anything outside jobs/: the id must be a job id (no `..`,
   * no separators, not `cache`), and a symlink or a file where the folder should be is removed
   * itself, never what it points to (rm does not follow symlinks inside the folder either).
   * Returns the bytes freed.
   */
  /** Removes a job's folder (or with `measureOnly`, not), and says the space that frees. */
  async function removeJobFolder(id: string, measureOnly = false): Promise<number> {
    const dir = join(jobsDir, id);
    if (!JOB_ID_PATTERN.test(id) || dirname(dir) !== jobsDir || basename(dir) !== id)
      throw new Error(`"${id.slice(0, 100)}" is not a job folder`);
    let info;
    try {
      info = await lstat(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0; // already gone
      throw error;
    }
    if (!info.isDirectory()) {
      if (!measureOnly) await rm(dir, { force: true });
      return info.isFile() && info.nlink <= 1 ? info.size : 0;
    }
    const bytes = await freedBytes(dir);
    if (!measureOnly) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    return bytes;
  }

  /** Removals one at a time: two calls naming the same job must not race on its folder. */
  let removing: Promise<unknown> = Promise.resolve();

  function remove(raw: unknown): Promise<JobResult<JobRemoveResult>> {
    const next = removing.then(() => removeNow(raw));
    removing = next.catch(() => undefined);
    return next;
  }

  async function removeNow(raw: unknown): Promise<JobResult<JobRemoveResult>> {
    if (closed) return fail('unavailable', 'the job service is closed');
    const parsed = jobRemoveParamsSchema.safeParse(raw);
    if (!parsed.success)
      return fail('invalid-spec', `${describeZodError(parsed.error, raw, 'the request')}.`);
    const request = parsed.data;
    let targets: Pick<JobRecord, 'id' | 'name'>[];
    try {
      if (request.ids) {
        // Every id is checked before anything goes: one that cannot be removed refuses the call.
        targets = [];
        for (const id of new Set(request.ids)) {
          if (!JOB_ID_PATTERN.test(id))
            return fail(
              'not-found',
              `No job ${JSON.stringify(id.slice(0, 100))}: job ids look like job-m5k2x9ab-1f2e3d4c. Nothing was removed.`,
            );
          const job = journal.peek(id);
          if (!job) return fail('not-found', `No job ${id}. Nothing was removed.`);
          const label = jobLabel(job.name, id);
          if (job.origin === 'market') {
            const market = marketRemoval(id);
            if (!market.ok)
              return fail(
                'market-job-kept',
                `${capitalised(label)} is a market job, and ${market.reason}. Nothing was removed.`,
              );
          }
          if (!TERMINAL_STATES.includes(job.state))
            return fail(
              'bad-state',
              `${capitalised(label)} is ${job.state}: cancel it first, then remove it. Nothing was removed.`,
            );
          targets.push(job);
        }
      } else {
        const before = new Date(request.finishedBefore as string).toISOString();
        targets = journal.finishedBefore(before).filter((job) => {
          if (!JOB_ID_PATTERN.test(job.id)) {
            log.warn(`job ${job.id.slice(0, 100)} has an id Roost does not make: it is left alone`);
            return false;
          }
          // A market job stays while its lease may still need it.
          return job.origin === 'private' || marketRemoval(job.id).ok;
        });
      }
    } catch (error) {
      return fail('internal', `the job journal could not be read: ${messageOf(error)}`);
    }

    if (request.dryRun) {
      let bytes = 0;
      try {
        for (const job of targets) bytes += await removeJobFolder(job.id, true);
      } catch (error) {
        return fail('io-error', `the job folders could not be measured: ${messageOf(error)}`);
      }
      return {
        ok: true,
        value: { removed: targets.map((t) => t.id), bytesFreed: bytes, dryRun: true },
      };
    }
    const removed: string[] = [];
    let bytesFreed = 0;
    const report = () => {
      if (removed.length === 0) return;
      const only = removed.length === 1 ? targets.find((t) => t.id === removed[0]) : undefined;
      log.info(
        only
          ? `removed finished ${jobLabel(only.name, only.id)}, freed ${diskWords(bytesFreed)}`
          : `removed ${removed.length} finished jobs, freed ${diskWords(bytesFreed)}`,
      );
      emit({ type: 'job.removed', payload: { ids: [...removed], bytesFreed } });
    };
    for (const job of targets) {
      // A job that just finished may still be closing its worker or copying its outputs.
      await active.get(job.id)?.done;
      let step = `the folder of ${jobLabel(job.name, job.id)} (${join(jobsDir, job.id)})`;
      try {
        // The folder first, then the row. The journal is the truth: killed between the two, the
        // job is still listed (finished, its folder gone or part gone, which show and list
        // never read) and removing it again finishes the work. The other order would leave a
        // folder no row names, that only a sweep of jobs/ could find; nothing would ever say
        // it is there.
        bytesFreed += await removeJobFolder(job.id);
        step = `the journal row of ${jobLabel(job.name, job.id)}`;
        journal.remove(job.id);
        removed.push(job.id);
      } catch (error) {
        report();
        const done =
          removed.length > 0
            ? `Removed ${removed.length} job${removed.length === 1 ? '' : 's'} (freed ${diskWords(bytesFreed)}), then stopped: `
            : 'Nothing was removed: ';
        return fail(
          'io-error',
          `${done}${step} could not be removed: ${messageOf(error)}. Close any program using its files and try again.`,
        );
      }
    }
    report();
    return { ok: true, value: { removed, bytesFreed } };
  }

  async function add(raw: unknown): Promise<JobResult<JobSummary[]>> {
    const parsed = runRequestSchema.safeParse(raw);
    if (!parsed.success) return fail('invalid-spec', describeIssues(parsed.error, raw));
    const request = parsed.data;
    const spec = await specFromFiles(request);
    if (!spec.ok) return spec;
    const exportTo = request.outDir ? resolve(request.outDir) : undefined;
    const base: SubmitOptions = {
      origin: 'private',
      ...(exportTo ? { exportTo } : {}),
      ...(request.device !== undefined ? { device: request.device } : {}),
    };
    if (request.split === undefined) {
      const one = await submit(spec.value, base);
      return one.ok ? { ok: true, value: [one.value] } : one;
    }
    const sets = Array.isArray(spec.value.inputs) ? spec.value.inputs : [spec.value.inputs];
    if (sets.length < 2)
      return fail(
        'invalid-spec',
        'Splitting needs a batch of at least two input sets (a folder of .npy files, or an input given more than once); this job has one.',
      );
    // As even as can be: the first parts take one set more where they do not divide.
    const parts = Math.min(request.split, sets.length);
    const size = Math.floor(sets.length / parts);
    const extra = sets.length % parts;
    const name = spec.value.name ?? 'batch';
    const queued: JobSummary[] = [];
    // All or nothing: the parts already queued go again.
    const rollback = async () => {
      for (const q of queued) {
        await cancel(q.id);
        await wait(q.id);
      }
      if (queued.length > 0) await remove({ ids: queued.map((q) => q.id) });
    };
    let first = 0;
    for (let k = 0; k < parts; k++) {
      const count = size + (k < extra ? 1 : 0);
      const part: JobSpec = {
        ...spec.value,
        name: `${name} (part ${k + 1} of ${parts})`.slice(0, 200),
        inputs: sets.slice(first, first + count),
      };
      const submitted = await submit(part, {
        ...base,
        ...(exportTo ? { exportFirstSet: first } : {}),
      });
      if (!submitted.ok) {
        await rollback();
        return submitted;
      }
      queued.push(submitted.value);
      first += count;
    }
    // The whole batch's sets.csv, once every part is in: a refused batch leaves no file behind.
    if (exportTo) {
      try {
        await writeSetsCsv(exportTo, sets);
      } catch (error) {
        await rollback();
        return fail(
          'io-error',
          `the output folder ${exportTo} could not be written: ${messageOf(error)}; nothing was queued`,
        );
      }
    }
    return { ok: true, value: queued };
  }

  async function run(raw: unknown, opts: RunOptions = {}): Promise<JobResult<RunDetail>> {
    const ids = new Set<string>();
    const unsubscribe = subscribe((event) => {
      if (!opts.onProgress) return;
      if (event.type === 'job.progress' && ids.has(event.payload.jobId)) {
        const record = journal.get(event.payload.jobId);
        if (record) opts.onProgress(event.payload.progress, toSummary(record));
      } else if (event.type === 'job.stateChanged' && ids.has(event.payload.job.id)) {
        opts.onProgress(event.payload.job.progress, event.payload.job);
      }
    });
    try {
      const added = await add(raw);
      if (!added.ok) return added;
      for (const job of added.value) ids.add(job.id);
      const onAbort = () => {
        for (const id of ids) void cancel(id);
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const details: JobDetail[] = [];
        for (const id of ids) {
          const done = await wait(id);
          if (!done.ok) return done;
          details.push(done.value);
        }
        const [head] = details as [JobDetail];
        return { ok: true, value: details.length > 1 ? { ...head, parts: details } : head };
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
      }
    } finally {
      unsubscribe();
    }
  }

  const service: JobService = {
    submit,
    run,
    add,
    counts() {
      const counted = journal.countByState();
      return Object.fromEntries(
        jobStateSchema.options.map((state) => [state, counted[state] ?? 0]),
      ) as JobCounts;
    },
    list(filter = {}) {
      const records = journal.list({
        ...(filter.states ? { states: filter.states } : {}),
        limit: Math.min(Math.max(1, filter.limit ?? 200), 10_000),
      });
      // Queued jobs' places in line, from one read of the queue's order.
      const places = records.some((r) => r.state === 'queued')
        ? new Map(journal.queueOrder().map((id, k) => [id, k + 1]))
        : undefined;
      return records.map((record) => toSummary(record, places));
    },
    runNext,
    async cancelQueued() {
      const cancelled: string[] = [];
      for (const record of journal.queue()) {
        // One taken meanwhile is not "queued" any more: it runs, as the user sees it.
        if (record.origin !== 'private' || active.has(record.id)) continue;
        const r = await cancel(record.id);
        if (r.ok && r.value.state === 'cancelled') cancelled.push(record.id);
      }
      return cancelled;
    },
    show,
    cancel,
    runAgain,
    remove,
    wait,
    subscribe,
    specFromFiles,
    inspectModel: (path) =>
      inspectModel(path, {
        maxModelBytes: Math.min(defaults.maxModelBytes, caps.maxModelBytes),
        maxInputBytes: Math.min(defaults.maxInputBytes, caps.maxInputBytes),
        maxOutputBytes: Math.min(defaults.maxOutputBytes, caps.maxOutputBytes),
      }),
    start() {
      if (started || closed) return;
      started = true;
      pump();
      // The devices (from the probe) say how many jobs to take at once: read them now.
      void currentDevices().catch(() => undefined);
    },
    recovered,
    devicesChanged: () => pool.poke(),
    places: async (executionProviders, origin) => {
      const devices = await currentDevices();
      return placesFor(
        { executionProviders: [...executionProviders], origin },
        devices,
        avoid ? (d, o) => avoid(d, o) : undefined,
      );
    },
    activeWorkers: () => [...active.values()].filter((a) => a.worker).length,
    async close() {
      if (closed) return;
      closed = true;
      pool.close();
      for (const live of active.values()) {
        live.reason ??= 'shutdown';
        live.controller.abort();
      }
      await Promise.all([...active.values()].map((a) => a.done));
      journal.close();
    },
  };
  if (options.autoStart ?? true) service.start();
  return service;
}

export type { SetOutput };
