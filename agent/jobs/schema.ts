/**
 * The shapes of Roost jobs: the job spec `roost.job/1` that a lab (or, later, the market) hands the
 * agent, the job records the API returns, the progress events, and the signed result receipt
 * `roost.result/1`. This file imports only zod, so `agent/api/contract.ts` can reuse the schemas for
 * `job.*` and the renderer can import them through the contract.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Errors

/** Every reason a job call or a job can fail; `message` carries the plain words. */
export const jobErrorCodes = [
  /** The spec (or a run request) does not match roost.job/1; the message names the field. */
  'invalid-spec',
  /** No job with this id. */
  'not-found',
  /** The job is in a state that does not allow this (cancel a finished job). */
  'bad-state',
  /** A `file:` URI in a job that is not private, or a scheme other than file/http/https. */
  'uri-not-allowed',
  /** An artifact could not be fetched (network, HTTP status, missing file). */
  'fetch-failed',
  /** An artifact's bytes do not hash to the sha256 the spec declares. */
  'hash-mismatch',
  /** An artifact, the model or the outputs pass a size limit. */
  'too-large',
  /** The model is not a valid ONNX model (truncated, cycles, bad shapes, bad external data). */
  'model-invalid',
  /** A valid model Roost refuses or onnxruntime cannot run (custom ops, unknown ops, opset). */
  'model-unsupported',
  /** An input tensor is not valid .npy or does not fit the model (name, dtype, shape). */
  'input-invalid',
  /** The outputs pass limits.maxOutputBytes. */
  'output-too-large',
  /** None of the preferred execution providers could run the model. */
  'no-execution-provider',
  /** onnxruntime failed while running the model. */
  'inference-failed',
  /** The job ran past limits.maxSeconds and its worker was killed. */
  'timeout',
  /** The job was cancelled. */
  'cancelled',
  /** The worker process died (a native crash, killed by the OS, out of memory). */
  'worker-crashed',
  /** The worker stopped answering heartbeats. */
  'worker-unresponsive',
  /** The worker sent a message that breaks the protocol; it was killed. */
  'worker-protocol',
  /** The worker process could not be started. */
  'worker-spawn-failed',
  /** The agent stopped while the job ran, too many times to try again. */
  'interrupted',
  /** Reading or writing the job's files failed (disk full, permissions). */
  'io-error',
  /** A market job asked to be removed while its lease may still need it (job.remove). */
  'market-job-kept',
  /** The job service is closed. */
  'unavailable',
  /** A bug: the message says where. */
  'internal',
] as const;
export const jobErrorCodeSchema = z.enum(jobErrorCodes);
export type JobErrorCode = z.infer<typeof jobErrorCodeSchema>;

export const jobErrorSchema = z.object({
  code: jobErrorCodeSchema,
  message: z.string().max(4000),
});
export type JobError = z.infer<typeof jobErrorSchema>;

/** Errors are data: every job call answers with one of these. */
export type JobResult<T> = { ok: true; value: T } | { ok: false; error: JobError };

// ---------------------------------------------------------------------------------------------
// The job spec, roost.job/1

export const JOB_SPEC_FORMAT = 'roost.job/1';

export const sha256Schema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be a sha256 in 64 lower-case hex digits')
  .describe('SHA-256 of the bytes, 64 lower-case hex digits');

/** Execution providers, in onnxruntime-node's names. */
export const executionProviderSchema = z.enum([
  'cpu',
  'webgpu',
  'cuda',
  'tensorrt',
  'dml',
  'coreml',
]);
export type ExecutionProvider = z.infer<typeof executionProviderSchema>;

export const artifactUriSchema = z
  .string()
  .max(4096)
  .regex(/^(file|https?):/i, 'must be a file:, http: or https: URI')
  .describe('Where the bytes are: file: (private jobs only), http: or https:');

/** What a spec author reads when a file entry is not an object at all (zod says "expected object"). */
const ARTIFACT_SHAPE = 'must be an object with uri, sha256 and bytes';

/** A file the job needs, by where it is and what it must hash to. */
export const artifactSchema = z.strictObject(
  {
    uri: artifactUriSchema,
    sha256: sha256Schema,
    bytes: z
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .describe('Exact size in bytes; a download that passes it is stopped'),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? ARTIFACT_SHAPE : undefined) },
);
export type Artifact = z.infer<typeof artifactSchema>;

/** A path inside the model's folder: plain segments, no `..`, no absolute paths. */
export const relativePathSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(
    /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/,
    'must be a relative path of letters, digits, ".", "_" and "-" segments, without ".."',
  );

export const externalDataSchema = artifactSchema.extend({
  path: relativePathSchema.describe(
    'The file name the model refers to (its external-data "location"), relative to the model',
  ),
});

export const modelArtifactSchema = artifactSchema.extend({
  externalData: z
    .array(externalDataSchema)
    .max(64)
    .optional()
    .describe('Weight files the model keeps outside itself (ONNX external data)'),
});

export const tensorNameSchema = z
  .string()
  .min(1)
  .max(256)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

/** One set of named input tensors, each a .npy file. */
export const inputSetSchema = z
  .record(tensorNameSchema, artifactSchema)
  .refine((set) => Object.keys(set).length >= 1 && Object.keys(set).length <= 256, {
    message: 'must name between 1 and 256 input tensors',
  })
  .describe('Input name → .npy artifact');
export type InputSet = z.infer<typeof inputSetSchema>;

export const jobLimitsSchema = z.strictObject({
  maxSeconds: z
    .number()
    .positive()
    .max(7 * 24 * 3600)
    .optional()
    .describe('Wall-clock seconds the worker may run (session start and all input sets)'),
  maxOutputBytes: z.int().positive().optional().describe('Total bytes of all output .npy files'),
  maxModelBytes: z.int().positive().optional().describe('Bytes of the model and its external data'),
  maxInputBytes: z.int().positive().optional().describe('Total bytes of all input .npy files'),
});
export type JobLimits = z.infer<typeof jobLimitsSchema>;

/** Input sets one job takes at most. */
export const MAX_INPUT_SETS = 100_000;

export const jobSpecSchema = z
  .strictObject({
    format: z.literal(JOB_SPEC_FORMAT),
    name: z.string().max(200).optional().describe('A label for people; not used by Roost'),
    model: modelArtifactSchema.describe('The ONNX model'),
    inputs: z
      .union([inputSetSchema, z.array(inputSetSchema).min(1).max(MAX_INPUT_SETS)], {
        error:
          'must be an object of named inputs ({"x": {"uri": …, "sha256": …, "bytes": …}}) or a list of them',
      })
      .describe('One set of named input tensors, or a batch of sets run one after another'),
    outputs: z
      .array(tensorNameSchema)
      .min(1)
      .max(256)
      .optional()
      .describe('Output names to keep (default: all of the model’s outputs)'),
    executionProviders: z
      .array(executionProviderSchema)
      .min(1)
      .max(6)
      .refine((eps) => new Set(eps).size === eps.length, { message: 'must not repeat a provider' })
      .optional()
      .describe('Preference order; the first that starts is used (default ["cpu"])'),
    limits: jobLimitsSchema.optional(),
  })
  .describe('A Roost job, format roost.job/1');
export type JobSpec = z.infer<typeof jobSpecSchema>;

/** The JSON Schema of roost.job/1 (what a lab's tooling validates against). */
export function jobSpecJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://roost.dev/schemas/roost.job-1.json',
    ...z.toJSONSchema(jobSpecSchema, { io: 'input', target: 'draft-2020-12' }),
  };
}

/** The input sets of a spec, always as a list. */
export function inputSetsOf(spec: JobSpec): InputSet[] {
  return Array.isArray(spec.inputs) ? spec.inputs : [spec.inputs];
}

// ---------------------------------------------------------------------------------------------
// Jobs as the API shows them

export const jobStateSchema = z.enum([
  'queued',
  'fetching',
  'running',
  'done',
  'failed',
  'cancelled',
]);
export type JobState = z.infer<typeof jobStateSchema>;

export const TERMINAL_STATES: readonly JobState[] = ['done', 'failed', 'cancelled'];

/** Who asked for the job: a lab on its own machines (file: URIs allowed), or the market. */
export const jobOriginSchema = z.enum(['private', 'market']);
export type JobOrigin = z.infer<typeof jobOriginSchema>;

export const jobStageSchema = z.enum([
  'queued',
  'fetching',
  'checking',
  /** Fetched and checked, waiting for its GPU (or the CPU) to be free. */
  'waiting',
  'starting',
  'loading',
  'running',
  'finishing',
  'done',
]);
export type JobStage = z.infer<typeof jobStageSchema>;

export const jobProgressSchema = z.object({
  stage: jobStageSchema,
  /** Input sets finished. */
  setsDone: z.int().nonnegative(),
  setsTotal: z.int().nonnegative(),
  /** Artifact bytes fetched so far and in all (fetching stage). */
  bytesDone: z.number().nonnegative().optional(),
  bytesTotal: z.number().nonnegative().optional(),
  message: z.string().max(500).optional(),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;

/** An execution provider that was passed over, and why. */
export const epFallbackSchema = z.object({
  ep: executionProviderSchema,
  reason: z.string().max(2000),
});
export type EpFallback = z.infer<typeof epFallbackSchema>;

export const sandboxLayersSchema = z.object({
  /** The worker got an allow-listed environment: no secrets, no HOME of the user. */
  scrubbedEnv: z.boolean(),
  /** Node's permission model: reads of the job folder and runtime only, writes of out/ only. */
  permissionModel: z.boolean(),
  /** bubblewrap: no network, read-only binds, its own pid namespace. */
  bwrap: z.boolean(),
  /** Plain words on what did not apply and why (`bwrap not installed`). */
  notes: z.array(z.string()).optional(),
});
export type SandboxLayers = z.infer<typeof sandboxLayersSchema>;

/** The layers that held a job, as the Jobs page and `roost job show` say them. */
export function sandboxWords(s: SandboxLayers): string {
  return (
    [
      s.scrubbedEnv && 'clean environment',
      s.permissionModel && 'file permissions',
      s.bwrap && 'no network, own process space',
    ]
      .filter(Boolean)
      .join(', ') || 'none'
  );
}

// ---------------------------------------------------------------------------------------------
// How long a running job has left (the Jobs page, roost job run's progress lines), from the
// pace its input sets went at while it was watched, not since it started: a job resumed after a
// restart, or one that waited for its GPU, would read as faster or slower than it runs.

/** Where a job's progress stood when the page first saw it run. */
export interface PaceStart {
  at: number;
  setsDone: number;
}

/** Not said before this much was watched: the first sets include the session's warm-up. */
const WATCHED_MS = 5000;

/** Milliseconds left at the pace since `start`, or undefined while that says too little. */
export function remainingMs(
  start: PaceStart,
  now: number,
  progress: { setsDone: number; setsTotal: number },
): number | undefined {
  const sets = progress.setsDone - start.setsDone;
  const ms = now - start.at;
  if (sets <= 0 || ms < WATCHED_MS || progress.setsDone >= progress.setsTotal) return undefined;
  return ((progress.setsTotal - progress.setsDone) * ms) / sets;
}

/** `about 40 s left`, `about 4 min left`, `about 2 h 10 min left`: no more precise than it is. */
export function leftWords(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `about ${Math.max(10, Math.round(s / 10) * 10)} s left`;
  const min = Math.round(s / 60);
  if (min < 60) return `about ${min} min left`;
  const h = Math.floor(min / 60);
  const rest = Math.round((min % 60) / 10) * 10;
  return rest === 0 || rest === 60
    ? `about ${h + (rest === 60 ? 1 : 0)} h left`
    : `about ${h} h ${rest} min left`;
}

/** A queued job's place in line: `next in line`, `2nd in line`, `23rd in line`. */
export function queuePlaceWords(place: number): string {
  if (place <= 1) return 'next in line';
  const teen = place % 100 >= 11 && place % 100 <= 13;
  const suffix = teen
    ? 'th'
    : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[place % 10];
  return `${place}${suffix ?? 'th'} in line`;
}

/**
 * A job in a sentence: `job resnet`, `market job 7` (a name that says "job" itself is used as it
 * is), `job <id>` when it has no name. The log, the CLI, the Jobs page and the GPU cards say it so.
 */
export function jobWords(job: { id: string; name?: string | undefined }): string {
  if (!job.name) return `job ${job.id}`;
  return /\bjob\b/i.test(job.name) ? job.name : `job ${job.name}`;
}

/** A duration for people: `0.4 ms`, `12 ms`, `1.25 s`, `12.5 s`, `3 min 05 s`, `2 h 07 min`. */
export function durationWords(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '\u2014';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  const minutes = Math.round(whole / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** How long a job took, and how much of it was the model running: `359 ms (running the model 1.2 ms)`. */
export function jobTimeWords(t: { totalMs: number; runMs: number }): string {
  return `${durationWords(t.totalMs)} (running the model ${durationWords(t.runMs)})`;
}

/** Where a job runs: a GPU by its inventory id and name, or the CPU (`cpu`). */
export const jobDeviceSchema = z.object({
  id: z.string().max(200),
  /** For people: `NVIDIA GeForce RTX 3070 #2`, `the CPU`. */
  name: z.string().max(300),
});
export type JobDevice = z.infer<typeof jobDeviceSchema>;

/** How many jobs are in each state: the Jobs page's filter says them. */
export const jobCountsSchema = z.object(
  Object.fromEntries(jobStateSchema.options.map((s) => [s, z.int().nonnegative()])) as Record<
    JobState,
    z.ZodInt
  >,
);
export type JobCounts = z.infer<typeof jobCountsSchema>;

export const jobSummarySchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  origin: jobOriginSchema,
  state: jobStateSchema,
  progress: jobProgressSchema,
  /** The provider that ran (or is running) the job. */
  executionProvider: executionProviderSchema.optional(),
  /** The device it runs or ran on (one job per GPU at a time). */
  device: jobDeviceSchema.optional(),
  /** The device it was asked to run on (`--gpu`, the Jobs page's GPU), by id and name. */
  deviceWanted: jobDeviceSchema.optional(),
  /** Worker starts so far (a crash or an agent restart adds one). */
  attempts: z.int().nonnegative(),
  error: jobErrorSchema.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** Bytes of the outputs written so far, as the journal counts them. */
  outputBytes: z.int().nonnegative().optional(),
  /** While queued: its place in line, 1 for the next to be taken (Run next puts it there). */
  queuePlace: z.int().positive().optional(),
  /**
   * job.remove would take it now: finished, and private or a market job whose lease is done
   * with it (paid, ended or given up; the lease and its earnings stay).
   */
  removable: z.boolean(),
});
export type JobSummary = z.infer<typeof jobSummarySchema>;

export const jobHistoryEntrySchema = z.object({
  at: z.string(),
  state: jobStateSchema,
  message: z.string(),
});
export type JobHistoryEntry = z.infer<typeof jobHistoryEntrySchema>;

export const npyDtypeSchema = z.enum([
  'float32',
  'float16',
  'float64',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
]);
export type NpyDtype = z.infer<typeof npyDtypeSchema>;

export const outputFileSchema = z.object({
  /** Index of the input set this output belongs to. */
  set: z.int().nonnegative(),
  name: tensorNameSchema,
  /** Path relative to the job's output folder, `/`-separated. */
  file: z.string(),
  dtype: npyDtypeSchema,
  shape: z.array(z.int().nonnegative()),
  bytes: z.int().nonnegative(),
  sha256: sha256Schema,
});
export type OutputFile = z.infer<typeof outputFileSchema>;

// ---------------------------------------------------------------------------------------------
// The result receipt, roost.result/1

export const RESULT_FORMAT = 'roost.result/1';

export const receiptSchema = z.object({
  format: z.literal(RESULT_FORMAT),
  jobId: z.string(),
  /** SHA-256 of the spec as submitted (canonical JSON). */
  specSha256: sha256Schema,
  modelSha256: sha256Schema,
  inputs: z.array(z.object({ set: z.int().nonnegative(), name: z.string(), sha256: sha256Schema })),
  outputs: z.array(outputFileSchema),
  executionProvider: executionProviderSchema,
  fallbacks: z.array(epFallbackSchema),
  adapter: z.object({ name: z.string(), software: z.boolean() }).optional(),
  timings: z.object({
    fetchMs: z.number().nonnegative(),
    sessionMs: z.number().nonnegative(),
    runMs: z.number().nonnegative(),
    totalMs: z.number().nonnegative(),
  }),
  sandbox: sandboxLayersSchema,
  roostVersion: z.string(),
  onnxruntimeVersion: z.string(),
  /** Address of the key that signed this receipt. */
  provider: z.string(),
  finishedAt: z.string(),
});
export type Receipt = z.infer<typeof receiptSchema>;

/** result.json: the receipt and an EIP-191 signature over its canonical JSON. */
export const signedReceiptSchema = z.object({
  receipt: receiptSchema,
  signature: z.object({
    scheme: z.literal('eip191-canonical-json'),
    signer: z.string(),
    value: z.string().regex(/^0x[0-9a-fA-F]+$/),
  }),
});
export type SignedReceipt = z.infer<typeof signedReceiptSchema>;

/**
 * A file the agent hands to the page for saving (`job.download`, `market.postedJobResults`,
 * `diagnostics.supportBundleFile`): its bytes as base64, so it travels through IPC, HTTP and the
 * CLI alike, capped at DOWNLOAD_MAX_BYTES (larger ones are refused, saying where the files are);
 * or, asked `as: 'link'` on `roost serve`, a one-use link the browser downloads it from, streamed
 * from disk at any size (agent/api/download-links.ts).
 */
export const DOWNLOAD_MAX_BYTES = 64 * 1024 * 1024;
/** How the page takes a download: the bytes in the answer (default), or a link. */
export const downloadAsSchema = z.enum(['content', 'link']);
const downloadFacts = {
  /** A name to save it under: `roost-job-matmul.zip`, `c.npy`. */
  fileName: z.string(),
  mediaType: z.string(),
  bytes: z.int().nonnegative(),
};
export const downloadSchema = z.union([
  z.object({
    ...downloadFacts,
    /** The bytes, base64. */
    content: z.string(),
  }),
  z.object({
    ...downloadFacts,
    /** Where on the Roost that answered to GET it: `/download/<ticket>`; works once. */
    link: z.string().regex(/^\/download\/[A-Za-z0-9_-]{43}$/),
    /** When the link stops working. */
    expiresAt: z.string(),
  }),
]);
export type Download = z.infer<typeof downloadSchema>;

/**
 * Files chosen on the browser dashboard, on their way to the machine Roost runs on: each one's
 * name (no folders) and exact size.
 */
export const uploadFilesParamsSchema = z
  .object({
    files: z
      .array(
        z.object({
          name: z.string().min(1).max(255),
          bytes: z
            .int()
            .nonnegative()
            .max(2 ** 50),
        }),
      )
      .min(1)
      .max(10_000),
  })
  .strict();

/** Where each chosen file will be, and the one-use link to PUT its bytes to. */
export const uploadFilesResultSchema = z.object({
  folder: z.string(),
  files: z.array(
    z.object({
      name: z.string(),
      /** Its full path on the machine Roost runs on, once it is in. */
      path: z.string(),
      /** `/upload/<ticket>`: PUT exactly the file's bytes to it, once. */
      link: z.string().regex(/^\/upload\/[A-Za-z0-9_-]{43}$/),
    }),
  ),
  /** When the links lapse unless an upload begins (each one that ends gives the rest as long again). */
  expiresAt: z.string(),
});

/** The answer to a PUT of an upload link: the file as it landed. */
export const uploadedFileSchema = z.object({
  path: z.string(),
  bytes: z.int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type UploadedFile = z.infer<typeof uploadedFileSchema>;

export const jobDownloadParamsSchema = z
  .object({
    id: z.string().min(1).max(200),
    /**
     * One file: an output's `file` as the receipt names it, `result.json` or `spec.json`.
     * Absent: a zip of the outputs, result.json and spec.json.
     */
    file: z.string().min(1).max(1000).optional(),
    as: downloadAsSchema.optional(),
  })
  .strict();

export const jobOutputPreviewParamsSchema = z
  .object({
    id: z.string().min(1).max(200),
    /** The output's `file` as the job's receipt names it. */
    file: z.string().min(1).max(1000),
  })
  .strict();

/** What an output holds at a glance (`job.outputPreview`): a check without numpy at hand. */
export const outputPreviewSchema = z.object({
  file: z.string(),
  dtype: npyDtypeSchema,
  shape: z.array(z.int().nonnegative()),
  /** How many values. */
  count: z.int().nonnegative(),
  /** Over the finite values; null when there is none. */
  min: z.number().nullable(),
  max: z.number().nullable(),
  mean: z.number().nullable(),
  /** Values that are NaN, and that are +/- infinity (floats only; 0 otherwise). */
  nan: z.int().nonnegative(),
  infinite: z.int().nonnegative(),
  /** The first values in file order, written out ("0.125", "NaN", "-inf", "true"). */
  first: z.array(z.string()),
});
export type OutputPreview = z.infer<typeof outputPreviewSchema>;

/** A value of an output as numpy prints a float32: six significant digits. */
function previewValue(n: number): string {
  return String(Number(n.toPrecision(6)));
}

/**
 * An output preview in words, for the Jobs page and `roost job show --preview`: what is wrong
 * with its values (NaN, infinity), or null, and the summary ("1,000 values · min -0.5 · max 2 ·
 * mean 0.31 · first: 0.1, 0.2, …").
 */
export function previewWords(p: OutputPreview): { problem: string | null; summary: string } {
  const many = (n: number, one: string, more: string) =>
    `${n.toLocaleString('en-US')} ${n === 1 ? one : more}`;
  const problems = [
    p.nan === 0
      ? ''
      : p.nan === p.count
        ? 'every value is NaN'
        : `${many(p.nan, 'value is', 'values are')} NaN`,
    p.infinite === 0 ? '' : `${many(p.infinite, 'is', 'are')} infinite`,
  ].filter(Boolean);
  const parts = [many(p.count, 'value', 'values')];
  if (p.min !== null && p.max !== null && p.mean !== null)
    parts.push(
      `min ${previewValue(p.min)}`,
      `max ${previewValue(p.max)}`,
      `mean ${previewValue(p.mean)}`,
    );
  if (p.first.length > 0)
    parts.push(`first: ${p.first.join(', ')}${p.count > p.first.length ? ', …' : ''}`);
  return {
    problem: problems.length > 0 ? `${problems.join('; ')}.` : null,
    summary: parts.join(' · '),
  };
}

export const jobDetailSchema = jobSummarySchema.extend({
  spec: jobSpecSchema,
  /** The folder holding out/ and result.json. */
  jobDir: z.string(),
  /** Where `run` copied the outputs, when it was given an output folder. */
  exportedTo: z.string().optional(),
  fallbacks: z.array(epFallbackSchema),
  sandbox: sandboxLayersSchema.optional(),
  result: signedReceiptSchema.optional(),
  history: z.array(jobHistoryEntrySchema),
});
export type JobDetail = z.infer<typeof jobDetailSchema>;

// ---------------------------------------------------------------------------------------------
// What a model takes and gives (`job.inspectModel`, `roost job inspect`)

/** One input or output of a model, as its graph declares it. */
export const modelTensorSchema = z.object({
  name: z.string(),
  /** The .npy dtype it takes (`float32`), or the ONNX type name .npy cannot carry (`bfloat16`). */
  dtype: z.string(),
  /** Fixed sizes as numbers; symbolic dimensions by their name (`batch`), unnamed ones as `?`. */
  shape: z.array(z.union([z.int().nonnegative(), z.string()])),
  /** False for sequences, maps and optionals, which no .npy file carries. */
  isTensor: z.boolean(),
});
export type ModelTensor = z.infer<typeof modelTensorSchema>;

export const modelInspectionSchema = z.object({
  /** The model's full path on the machine Roost runs on. */
  model: z.string(),
  /** Size of the model file itself (external data not counted). */
  bytes: z.int().nonnegative(),
  inputs: z.array(modelTensorSchema),
  outputs: z.array(modelTensorSchema),
  /** Operator sets it imports; `''` is ONNX's own (ai.onnx). */
  opsets: z.array(z.object({ domain: z.string(), version: z.int() })),
  /** Weight files it keeps beside itself (ONNX external data), relative to its folder. */
  externalFiles: z.array(z.string()),
  nodeCount: z.int().nonnegative(),
});
export type ModelInspection = z.infer<typeof modelInspectionSchema>;

// ---------------------------------------------------------------------------------------------
// Events

/** Payload of the `job.stateChanged` event. */
export const jobStateChangedSchema = z.object({ job: jobSummarySchema });
/** Payload of the `job.progress` event. */
export const jobProgressEventSchema = z.object({ jobId: z.string(), progress: jobProgressSchema });

/** Payload of the `job.removed` event: jobs whose folders and journal rows are gone. */
export const jobRemovedSchema = z.object({
  ids: z.array(z.string()),
  bytesFreed: z.int().nonnegative(),
});

export type JobEvent =
  | { type: 'job.stateChanged'; payload: z.infer<typeof jobStateChangedSchema> }
  | { type: 'job.progress'; payload: z.infer<typeof jobProgressEventSchema> }
  | { type: 'job.removed'; payload: z.infer<typeof jobRemovedSchema> };

// ---------------------------------------------------------------------------------------------
// Removing finished jobs (`roost job remove`, the Jobs page's Remove)

/**
 * A job id as the service makes them (`job-<time>-<random>`): a plain folder name under jobs/,
 * never `cache`, `..` or a path. Removal touches no folder whose name does not match.
 */
export const JOB_ID_PATTERN = /^job-[A-Za-z0-9_-]{1,100}$/;

/** Which finished jobs to remove: these ids, or every one that finished before a time. */
export const jobRemoveParamsSchema = z
  .strictObject({
    /**
     * Jobs by id; all must be finished, and a market job's lease done with it (paid or ended),
     * else nothing is removed.
     */
    ids: z.array(z.string().min(1).max(200)).min(1).max(1000).optional(),
    /**
     * Every finished job that finished before this time (ISO 8601), but market jobs whose lease
     * may still need them.
     */
    finishedBefore: z.iso.datetime({ offset: true }).optional(),
    /** Say what would go and the space it would free, with the same checks; remove nothing. */
    dryRun: z.boolean().optional(),
  })
  .refine((p) => (p.ids === undefined) !== (p.finishedBefore === undefined), {
    message: 'needs ids or finishedBefore: one of them, not both',
  });
export type JobRemoveParams = z.input<typeof jobRemoveParamsSchema>;

export const jobRemoveResultSchema = z.object({
  /** The jobs removed, folders and journal rows (with dryRun: the jobs that would be). */
  removed: z.array(z.string()),
  /** True when nothing was removed because the call asked only what would be. */
  dryRun: z.boolean().optional(),
  /**
   * Disk space given back: the files that went with their last name. An input Roost linked from
   * its download cache (jobs/cache/) stays there, so it does not count.
   */
  bytesFreed: z.int().nonnegative(),
});
export type JobRemoveResult = z.infer<typeof jobRemoveResultSchema>;

/** Bytes for people, as the log, the CLI and the Jobs page say them: `0 bytes`, `12 KB`, `340 MB`, `1.2 GB`. */
export function diskWords(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '\u2014';
  if (bytes < 1024) return `${Math.round(bytes)} ${Math.round(bytes) === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB', 'TB'] as const;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  // One decimal below 10 (1.2 GB), whole numbers above (340 MB); 9.96 rounds to 10, not 10.0.
  const text = value < 9.95 ? value.toFixed(1).replace(/\.0$/, '') : String(Math.round(value));
  return `${text} ${units[unit]}`;
}

// ---------------------------------------------------------------------------------------------
// Run-now requests (`roost job run`)

/** `roost job run --model m.onnx --input x=x.npy ... --out dir --ep webgpu,cpu`: local paths. */
export const runRequestSchema = z.strictObject({
  model: z.string().min(1).max(4096),
  /** Input name → .npy path; a list for a batch. */
  inputs: z.union([
    z.record(tensorNameSchema, z.string().min(1).max(4096)),
    z.array(z.record(tensorNameSchema, z.string().min(1).max(4096))).min(1),
  ]),
  outputs: z.array(tensorNameSchema).min(1).optional(),
  executionProviders: z.array(executionProviderSchema).min(1).optional(),
  limits: jobLimitsSchema.optional(),
  /** A folder to copy the outputs and result.json into when the job is done. */
  outDir: z.string().min(1).max(4096).optional(),
  name: z.string().max(200).optional(),
  /** Run it on this device only: a GPU's id (as `roost detect` shows it) or `cpu`. */
  device: z.string().min(1).max(200).optional(),
  /**
   * Split the batch into this many jobs, which run at once on as many GPUs (one job per GPU);
   * with outDir, their outputs land in it numbered as one batch.
   */
  split: z.int().min(2).max(64).optional(),
});
export type RunRequest = z.infer<typeof runRequestSchema>;
