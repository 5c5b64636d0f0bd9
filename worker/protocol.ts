/**
 * The message protocol between the agent and a job worker. Pure: zod only, so the agent (which
 * may import nothing else of worker/) and the worker share one definition.
 *
 * Transport: one JSON object per line, agent → worker on the worker's stdin, worker → agent on
 * file descriptor 3 (Electron's utilityProcess: `parentPort` messages of the same objects).
 * Each side numbers its messages 1, 2, 3, ... in `seq`; a gap, a repeat, a line over
 * MAX_LINE_BYTES or a message that does not parse is a protocol error and the agent kills the
 * worker. Replies carry no `re`: the worker runs exactly one job and its messages are about it.
 *
 * Flow: worker `hello` → agent `run` → worker `status`/`session`/`set-done`/`log`... → worker
 * `done` → worker exits. `heartbeat` comes every HEARTBEAT_MS while the worker's event loop is
 * free; a `status` with `busy: true` announces a blocking onnxruntime call (session creation,
 * `run()`), during which no heartbeat can come and only the job's time limit applies. In a batch,
 * a `set-done` with `busy: true` says the next set's run starts at once (one message a set). A
 * heartbeat may still slip out between the announcement and the call; it does not end it.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
/** The longest line either side accepts; nothing legitimate comes close. */
export const MAX_LINE_BYTES = 1024 * 1024;
export const HEARTBEAT_MS = 1000;

const seqSchema = z.int().positive();
const text = (max: number) => z.string().max(max);

export const workerEpSchema = z.enum(['cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml']);
export type WorkerEp = z.infer<typeof workerEpSchema>;

export const workerDtypeSchema = z.enum([
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

/** Why a worker's job failed; the same words as the agent's job error codes. */
export const workerErrorCodeSchema = z.enum([
  'model-invalid',
  'model-unsupported',
  'input-invalid',
  'output-too-large',
  'no-execution-provider',
  'inference-failed',
  'io-error',
  'cancelled',
  'worker-protocol',
  'internal',
]);
export type WorkerErrorCode = z.infer<typeof workerErrorCodeSchema>;

export const workerErrorSchema = z.object({
  code: workerErrorCodeSchema,
  message: text(4000),
});
export type WorkerError = z.infer<typeof workerErrorSchema>;

// ---------------------------------------------------------------------------------------------
// The job as the worker sees it

/**
 * Where a job's files are. Input set `s`, input `i` (in `inputNames` order) is
 * `<inputsDir>/<s>/<i>.npy`; output `o` of set `s` is `<outDir>/<outputFile(s, o)>`.
 */
export const runPlanSchema = z.object({
  jobId: text(100),
  modelPath: text(4096),
  inputsDir: text(4096),
  outDir: text(4096),
  inputNames: z.array(text(256)).min(1).max(256),
  outputs: z
    .array(z.object({ name: text(256), file: text(255) }))
    .min(1)
    .max(256),
  /** `flat`: outputs straight in outDir (one input set); `per-set`: in `<set>/` folders. */
  layout: z.enum(['flat', 'per-set']),
  setCount: z.int().positive(),
  /** Sets before this one are done already (a resumed job). */
  startSet: z.int().nonnegative(),
  /** Providers to try, in order; the first whose session starts runs the job. */
  executionProviders: z.array(workerEpSchema).min(1).max(6),
  /** The device index of a provider that has one (CUDA, TensorRT, DirectML): which GPU. */
  deviceIndexes: z.partialRecord(workerEpSchema, z.int().nonnegative().max(255)).optional(),
  maxOutputBytes: z.number().int().positive(),
  /** Output bytes already written by earlier sets (a resumed job). */
  outputBytesSoFar: z.number().int().nonnegative(),
});
export type RunPlan = z.infer<typeof runPlanSchema>;

// Where a set's files are: worker/layout.ts, without zod, for the worker's I/O thread.
export { inputFile, outputFile } from './layout.ts';

// ---------------------------------------------------------------------------------------------
// Agent → worker

export const toWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run'), seq: seqSchema, plan: runPlanSchema }),
  /** Stop after the current input set and answer `done` with `cancelled`. */
  z.object({ type: z.literal('cancel'), seq: seqSchema }),
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

// ---------------------------------------------------------------------------------------------
// Worker → agent

export const fallbackSchema = z.object({ ep: workerEpSchema, reason: text(2000) });

export const tensorMetaSchema = z.object({
  name: text(256),
  type: text(40),
  shape: z.array(z.union([z.number(), text(100)])).max(64),
});

export const outputWrittenSchema = z.object({
  name: text(256),
  file: text(600),
  dtype: workerDtypeSchema,
  shape: z.array(z.int().nonnegative()).max(64),
  bytes: z.int().nonnegative(),
});
export type OutputWritten = z.infer<typeof outputWrittenSchema>;

export const workerDoneSchema = z.object({
  ep: workerEpSchema,
  fallbacks: z.array(fallbackSchema).max(6),
  sessionMs: z.number().nonnegative(),
  runMs: z.number().nonnegative(),
  setsDone: z.int().nonnegative(),
});
export type WorkerDone = z.infer<typeof workerDoneSchema>;

export const fromWorkerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    seq: seqSchema,
    protocol: z.literal(PROTOCOL_VERSION),
    node: text(40),
  }),
  z.object({
    type: z.literal('heartbeat'),
    seq: seqSchema,
    rssBytes: z.number().nonnegative(),
  }),
  z.object({
    type: z.literal('status'),
    seq: seqSchema,
    stage: z.enum(['loading', 'session', 'running']),
    /** A blocking onnxruntime call comes next: no heartbeats until the next message. */
    busy: z.boolean(),
    set: z.int().nonnegative().optional(),
    ep: workerEpSchema.optional(),
  }),
  z.object({
    type: z.literal('session'),
    seq: seqSchema,
    ep: workerEpSchema,
    fallbacks: z.array(fallbackSchema).max(6),
    sessionMs: z.number().nonnegative(),
    onnxruntimeVersion: text(40),
    inputs: z.array(tensorMetaSchema).max(256),
    outputs: z.array(tensorMetaSchema).max(256),
  }),
  z.object({
    type: z.literal('set-done'),
    seq: seqSchema,
    set: z.int().nonnegative(),
    /** The model's run alone (onnxruntime's `run()`). */
    runMs: z.number().nonnegative(),
    /**
     * How long the set waited on its files: for its inputs to be read, and for room among the
     * writes under way (the I/O thread behind the runs: a disk slower than the model).
     */
    waitMs: z.number().nonnegative().optional(),
    outputs: z.array(outputWrittenSchema).max(256),
    /** The next set's run starts right away: busy, as a `status` with `busy: true` says. */
    busy: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('log'),
    seq: seqSchema,
    level: z.enum(['debug', 'info', 'warn', 'error']),
    message: text(2000),
  }),
  z.object({
    type: z.literal('done'),
    seq: seqSchema,
    result: z.union([
      z.object({ ok: z.literal(true), value: workerDoneSchema }),
      z.object({
        ok: z.literal(false),
        error: workerErrorSchema,
        fallbacks: z.array(fallbackSchema).max(6).optional(),
      }),
    ]),
  }),
  /** Test-only workers (the escape suite) report what they tried; the real worker never sends it. */
  z.object({
    type: z.literal('probe-report'),
    seq: seqSchema,
    attempts: z
      .array(z.object({ action: text(100), denied: z.boolean(), detail: text(1000) }))
      .max(100),
  }),
]);
export type FromWorker = z.infer<typeof fromWorkerSchema>;

export type ParsedLine<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses one line of the protocol: size cap, JSON, schema. */
export function parseLine<T>(line: string, schema: z.ZodType<T>): ParsedLine<T> {
  if (line.length > MAX_LINE_BYTES) {
    return {
      ok: false,
      error: `a message of ${line.length} bytes (the limit is ${MAX_LINE_BYTES})`,
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, error: 'a message that is not JSON' };
  }
  return parseMessage(raw, schema);
}

/** Parses one message already decoded (Electron's parentPort hands over objects). */
export function parseMessage<T>(raw: unknown, schema: z.ZodType<T>): ParsedLine<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'message';
    return { ok: false, error: `a malformed message (${where}: ${issue?.message ?? 'invalid'})` };
  }
  return { ok: true, value: parsed.data };
}

/**
 * Splits a byte stream into lines, refusing any line over the cap (a worker that floods the
 * pipe is cut off, not buffered without end).
 */
export class LineSplitter {
  #buffer = '';
  readonly #max: number;
  constructor(max = MAX_LINE_BYTES) {
    this.#max = max;
  }
  /** The complete lines in this chunk; throws RangeError when a line passes the cap. */
  push(chunk: string): string[] {
    this.#buffer += chunk;
    const lines = this.#buffer.split('\n');
    this.#buffer = lines.pop() ?? '';
    if (this.#buffer.length > this.#max || lines.some((l) => l.length > this.#max)) {
      this.#buffer = '';
      throw new RangeError(`a message longer than ${this.#max} bytes`);
    }
    return lines.filter((l) => l.length > 0);
  }
}

/** The little of a readable stream that `followJsonLines` needs (Node's Readable fits). */
export interface TextSource {
  setEncoding(encoding: 'utf8'): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
}

/**
 * Follows a child's message pipe: each complete line is JSON-parsed (undefined when it is not
 * JSON, so the caller's zod check refuses it) and handed on; a line over the cap is a protocol
 * error. Shared by the job worker's supervisor and the benchmark child's.
 */
export function followJsonLines(
  source: TextSource,
  splitter: LineSplitter,
  onMessage: (raw: unknown) => void,
  onProtocolError: (reason: string) => void,
): void {
  source.setEncoding('utf8');
  source.on('data', (chunk: string) => {
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch (error) {
      onProtocolError((error as Error).message);
      return;
    }
    for (const line of lines) {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        raw = undefined;
      }
      onMessage(raw);
    }
  });
}
