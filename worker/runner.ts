/**
 * Runs one job's input sets through onnxruntime, inside the worker process: picks the first
 * execution provider whose session starts (recording why the others did not), checks each input
 * tensor against the model before handing it over, and writes each output as .npy beside a temp
 * name, renamed into place only when complete (a crash or kill -9 leaves whole files or none).
 * The agent hashes, fsyncs and signs what this writes; nothing here is trusted by the agent.
 *
 * A batch's files are read and written on an I/O thread (worker/set-io.ts, started beside the
 * session): it reads inputs a few sets ahead and writes the outputs handed to it, so this
 * thread, which `session.run` blocks for each whole run, only decodes headers, makes tensors,
 * runs and hands the outputs over. Where the thread cannot start (a Node without
 * `--allow-worker`, a bundle without io-thread.js) and for a job of one set, files are read
 * and written here, as below; a `log` line says which path ran. Either way the guarantees are
 * the same: set-done in order, once a set's files are in place; a write error fails the job;
 * whatever ends the job waits for the writes under way.
 *
 * On this thread, writes run beside the next sets' runs. Done between runs, a set's files
 * (mkdir, open, write, close, rename: ~0.3 ms on a GPU machine) were a quarter of a short GPU
 * set's time. So they go to libuv's threadpool (node:fs's callback calls) and the next set's
 * run starts at once; only close(2), a few µs, is made here (see `runnerFs`). Up to
 * MAX_IN_FLIGHT sets are on their way, each keeping its output tensors until its files are in
 * place; a set's `set-done` goes out only then, strictly in set order. A failed write fails the
 * job and no later set is reported.
 * Whatever ends the job (success, failure, cancel) first waits for every write under way:
 * nothing is written after the final message. The files are still written to a temp name and
 * renamed (no fsync, as before), so a kill -9 leaves whole files or none, and a resume redoes
 * the sets not reported.
 * `session.run` blocks this thread (onnxruntime-node calls it in a setImmediate), so each file
 * call's completion is taken, and the next call started, in the pause before the next run: a
 * set's files are in place a few runs later. After a long run (LONG_RUN_MS) its writes are
 * awaited at once instead. Inputs are still read synchronously: a read is ~0.05 ms, about what
 * the four calls of an async read would cost this thread.
 * What else this thread does a set is kept to what changes: a batch's inputs of one name share
 * their .npy header, and so do its outputs, so each is parsed or made once (`NpyHeaderMemo`,
 * `headerOf`), not per set.
 */
import type * as OrtModule from 'onnxruntime-node';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { dataBytesOf, decodeNpy, encodeNpyHeader, NPY_ITEM_BYTES } from './npy.ts';
import type { NpyDtype, NpyHeaderMemo } from './npy.ts';
import { inputFile, outputFile } from './layout.ts';
import { runnerFs, writeOutputs } from './out-files.ts';
import type { RunnerFs } from './out-files.ts';
import type { OutputWritten, RunPlan, WorkerEp, WorkerError, WorkerErrorCode } from './protocol.ts';
import { dropThreadStarts, IoThread, ownBytes, threadFs } from './set-io.ts';
import type { InputReply, OutputFile } from './set-io.ts';
import type { Ort } from './ort.ts';
import type { Outgoing } from './transport.ts';

export type { Ort } from './ort.ts';
type Session = OrtModule.InferenceSession;
type Tensor = OrtModule.Tensor;

export interface RunnerIo {
  send(message: Outgoing): void;
  /** Keeps a message to go out with the next `send` (see `HOLD_MS`); default: send it now. */
  hold?(message: Outgoing): void;
  cancelled(): boolean;
  loadOrt(): Promise<Ort>;
  now?: () => number;
  /** The file calls that write outputs on the main thread; default `runnerFs` (tests slow or fail them). */
  fs?: RunnerFs;
  /**
   * Starts the I/O thread (worker/set-io.ts); `false`: read and write on this thread. Default:
   * the io-thread module beside this one (`ioThreadBeside`); one that is not there does not
   * start, and the job runs on this thread.
   */
  ioThread?: (() => Worker) | false;
}

/**
 * Starts the I/O thread whose module lies beside `moduleUrl`: io-thread.ts beside a source
 * module, io-thread.js beside a built one (dist/worker/entry.js).
 */
export function ioThreadBeside(moduleUrl: string): () => Worker {
  const file = `./io-thread${extname(new URL(moduleUrl).pathname)}`;
  return () => new Worker(new URL(file, moduleUrl), { name: 'roost-io' });
}

export type RunnerOutcome =
  | {
      ok: true;
      value: {
        ep: WorkerEp;
        fallbacks: { ep: WorkerEp; reason: string }[];
        sessionMs: number;
        runMs: number;
        setsDone: number;
      };
    }
  | { ok: false; error: WorkerError; fallbacks?: { ep: WorkerEp; reason: string }[] };

const DTYPES = new Set<string>([
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

class JobFailure extends Error {
  readonly code: WorkerErrorCode;
  constructor(code: WorkerErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // onnxruntime's messages carry ANSI colours and source paths of its build; keep the words.
  const plain = text
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*m/g, '')
    // Build paths and C++ frames of onnxruntime say nothing to a user.
    .replace(/\/onnxruntime_src\/\S+:\d+\s*/g, '')
    .replace(/\bonnxruntime::[\w:<>~]+(\([^)]*\))?\s*/g, '');
  return plain.trim().slice(0, 1500);
}

/**
 * Errors that come from the model itself, whatever the provider: trying the next provider
 * would only fail the same way.
 */
export function classifyModelError(message: string): WorkerErrorCode | undefined {
  if (/protobuf parsing failed|INVALID_PROTOBUF|Failed to load model/i.test(message)) {
    return 'model-invalid';
  }
  if (
    /Could not find an implementation|is not a registered function\/op|Unsupported model IR version|opset.*(not supported|is under development)|No opset import for domain|Unrecognized attribute|NOT_IMPLEMENTED/i.test(
      message,
    )
  ) {
    return 'model-unsupported';
  }
  if (
    /INVALID_GRAPH|ShapeInferenceError|TypeInferenceError|Type Error|Type \(.*\) of output arg|cycle|invalid model|Node \(.*\) has input size|This is an invalid model|INVALID_ARGUMENT.*(graph|model)|Load model .* failed|external data|initializer/i.test(
      message,
    )
  ) {
    return 'model-invalid';
  }
  return undefined;
}

/**
 * The session options every job runs with (bench/worker-parts.bench.ts measures them against
 * onnxruntime's defaults).
 */
export function sessionOptions(
  ep: WorkerEp,
  deviceIndex?: number,
): OrtModule.InferenceSession.SessionOptions {
  return {
    // A GPU other than the provider's first is named by its device index (one job per GPU).
    executionProviders: [
      deviceIndex === undefined ? (ep as never) : ({ name: ep, deviceId: deviceIndex } as never),
    ],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // onnxruntime's CPU threads spin for a while after each run. Between runs this process
    // reads and writes files and the agent records the set: with spinning threads holding
    // the cores, both wait for a time slice (measured: ~2 ms a set on 2 cores). Spinning
    // within a run is kept.
    extra: { session: { force_spinning_stop: '1' } },
  };
}

async function createSession(
  ort: Ort,
  plan: RunPlan,
  io: RunnerIo,
): Promise<{ session: Session; ep: WorkerEp; fallbacks: { ep: WorkerEp; reason: string }[] }> {
  const fallbacks: { ep: WorkerEp; reason: string }[] = [];
  for (const ep of plan.executionProviders) {
    io.send({ type: 'status', stage: 'session', busy: true, ep });
    try {
      const session = await ort.InferenceSession.create(
        plan.modelPath,
        sessionOptions(ep, plan.deviceIndexes?.[ep]),
      );
      return { session, ep, fallbacks };
    } catch (error) {
      const message = messageOf(error).split(plan.modelPath).join('the model');
      const modelCode = classifyModelError(message);
      if (modelCode) {
        throw Object.assign(
          new JobFailure(modelCode, `onnxruntime refused the model: ${message}`),
          {
            fallbacks,
          },
        );
      }
      fallbacks.push({ ep, reason: message || 'the session did not start' });
      io.send({
        type: 'log',
        level: 'warn',
        message: `${ep} did not start: ${message}`.slice(0, 2000),
      });
    }
    if (io.cancelled()) throw new JobFailure('cancelled', 'cancelled');
  }
  throw Object.assign(
    new JobFailure(
      'no-execution-provider',
      `none of the execution providers started: ${fallbacks.map((f) => `${f.ep}: ${f.reason}`).join('; ')}`,
    ),
    { fallbacks },
  );
}

interface InputMeta {
  name: string;
  type: string;
  shape: (number | string)[];
}

function metadataOf(session: Session, which: 'input' | 'output'): InputMeta[] {
  const list = (which === 'input' ? session.inputMetadata : session.outputMetadata) as unknown as {
    name: string;
    isTensor: boolean;
    type?: string;
    shape?: (number | string)[];
  }[];
  return list.map((m) => ({
    name: m.name,
    type: m.isTensor ? (m.type ?? 'unknown') : 'non-tensor',
    shape: m.isTensor ? (m.shape ?? []) : [],
  }));
}

/** Checks a decoded .npy against what the model declares for that input. */
export function checkInput(
  meta: InputMeta,
  dtype: NpyDtype,
  shape: number[],
  set: number,
): string | undefined {
  const where = `input "${meta.name}" of set ${set}`;
  if (meta.type === 'non-tensor')
    return `${where}: the model wants a sequence or map, not a tensor`;
  if (meta.type !== dtype) return `${where} is ${dtype}, but the model wants ${meta.type}`;
  if (meta.shape.length !== shape.length) {
    return `${where} has ${shape.length} dimensions (${shape.join('×') || 'a scalar'}), but the model wants ${meta.shape.length} (${meta.shape.join('×') || 'a scalar'})`;
  }
  for (let i = 0; i < shape.length; i++) {
    const want = meta.shape[i];
    if (typeof want === 'number' && want >= 0 && want !== shape[i]) {
      return `${where} has shape ${shape.join('×')}, but the model wants ${meta.shape.join('×')}`;
    }
  }
  return undefined;
}

/**
 * How long a set's result may wait to go out with the next one's. Each message wakes the
 * agent, which then takes a time slice from onnxruntime's threads (measured: ~0.5 ms of CPU a
 * message on a 2-core machine, about 3% of a 17 ms set); batching the sets that finish within
 * this wakes it ~10 times a second instead. A result held this long is at most redone after a
 * crash; the outputs themselves are on disk already.
 */
const HOLD_MS = 100;
/** ...and at most this many results in one write. */
const HOLD_MAX = 64;

type SetDone = Extract<Outgoing, { type: 'set-done' }>;

/**
 * The most sets whose outputs are on their way to disk at once: set N + MAX_IN_FLIGHT's writes
 * start once set N's files are in place and reported. Each of a set's four async calls (mkdir,
 * open, writev, rename) starts in a pause between runs (see the top of this file), so its files
 * take four or five runs: with 4 in flight and five calls the loop stalled on every set
 * (measured: 0.2 ms a set; 6: 0.04). Each set in flight keeps its output tensors.
 */
const MAX_IN_FLIGHT = 6;
/**
 * After a run this long the writes are waited for at once: hiding them would gain under 1%, and
 * the result would wait MAX_IN_FLIGHT runs to go out (to be redone after a crash).
 */
const LONG_RUN_MS = 50;

/** Writes a set's outputs in turn; settles with the failure, if one failed, and never rejects. */
async function writeSet(
  fs: RunnerFs,
  set: number,
  files: { name: string; path: string; parts: Uint8Array[] }[],
): Promise<JobFailure | undefined> {
  const failure = await writeOutputs(fs, files);
  return failure && writeFailure(set, failure.name, failure.error);
}

/** A failed output write as the job's error. */
function writeFailure(set: number, name: string | undefined, error: unknown): JobFailure {
  return new JobFailure(
    'io-error',
    name === undefined
      ? `the outputs of set ${set} could not be written: ${messageOf(error)}`
      : `output "${name}" could not be written: ${messageOf(error)}`,
  );
}

/**
 * The .npy header for an output, made again only when its dtype or shape changes: most
 * batches' sets all give outputs of one shape (measured: ~15 µs a set saved on a 2-core
 * machine). Writes only read it, so the sets in flight share it.
 */
function headerOf(
  last: { dtype?: NpyDtype; shape: number[]; bytes?: Uint8Array },
  dtype: NpyDtype,
  shape: number[],
): Uint8Array {
  if (
    last.bytes === undefined ||
    last.dtype !== dtype ||
    last.shape.length !== shape.length ||
    last.shape.some((d, i) => d !== shape[i])
  ) {
    last.bytes = encodeNpyHeader(dtype, shape);
    last.dtype = dtype;
    last.shape = shape;
  }
  return last.bytes;
}

/** A set's inputs as the I/O thread read them, or the error reading them would have thrown here. */
function inputsOf(reply: InputReply, inputNames: string[]): Uint8Array[] {
  if (reply.ok) return reply.bytes;
  const name = inputNames[reply.index];
  throw new JobFailure(
    'io-error',
    name === undefined
      ? `the inputs of set ${reply.set} could not be read: ${reply.error}`
      : `input "${name}" of set ${reply.set} could not be read: ${messageOf(new Error(reply.error))}`,
  );
}

/**
 * Hands a set's outputs to the I/O thread, with the set's input buffers to reuse. The outputs'
 * buffers go with them (onnxruntime-node's output tensors own theirs: transferred, not copied),
 * so the tensors are done with at once.
 */
function threadWrite(
  thread: IoThread,
  set: number,
  files: OutputFile[],
  inputs: Uint8Array[],
  dispose: () => void,
): Promise<JobFailure | undefined> {
  const reply = thread.write(set, files, inputs);
  dispose();
  return reply.then((r) => (r.ok ? undefined : writeFailure(set, r.name, new Error(r.error))));
}

/** Runs the plan; never throws. */
export async function runPlan(plan: RunPlan, io: RunnerIo): Promise<RunnerOutcome> {
  const now = io.now ?? (() => performance.now());
  let fallbacks: { ep: WorkerEp; reason: string }[] = [];
  let session: Session | undefined;
  const fs = io.fs ?? runnerFs;
  /**
   * Sets whose files are on their way, oldest first: `written` settles once they are in place
   * (with the failure, if one failed; it never rejects), `setMs` is how long the set took.
   */
  const inFlight: { done: SetDone; setMs: number; written: Promise<JobFailure | undefined> }[] = [];
  /** When the oldest held result was held, and how many are held. */
  let heldSince: number | undefined;
  let held = 0;
  const send = (message: Outgoing) => {
    io.send(message);
    heldSince = undefined;
    held = 0;
  };
  /** Waits for the oldest set's files, then reports it; a failed write throws its failure. */
  const reportOldest = async () => {
    const oldest = inFlight[0] as (typeof inFlight)[number];
    const failure = await oldest.written;
    if (failure) throw failure;
    inFlight.shift();
    // Hold it when the next set, taking as long as this one, ends within HOLD_MS of the
    // oldest held result; a long set's result goes out at once.
    const at = now();
    if (
      io.hold &&
      oldest.done.busy &&
      held < HOLD_MAX &&
      at + oldest.setMs - (heldSince ?? at) < HOLD_MS
    ) {
      io.hold(oldest.done);
      heldSince ??= at;
      held++;
    } else {
      send(oldest.done);
    }
  };
  // The I/O thread starts beside onnxruntime's load and the session (worker/set-io.ts); a job
  // of one set has nothing to read ahead or overlap, and keeps to this thread.
  const makeThread = io.ioThread ?? ioThreadBeside(import.meta.url);
  const threadStart =
    makeThread && plan.setCount - plan.startSet > 1
      ? IoThread.start(makeThread, {
          inputsDir: plan.inputsDir,
          inputCount: plan.inputNames.length,
          startSet: plan.startSet,
          setCount: plan.setCount,
        })
      : undefined;
  // Under the permission model, no code in this process may start a thread from here on
  // (agent/jobs/sandbox.ts): onnxruntime and the job's files come after.
  dropThreadStarts();
  let thread: IoThread | undefined;
  try {
    io.send({ type: 'status', stage: 'loading', busy: false });
    let ort: Ort;
    try {
      ort = await io.loadOrt();
      ort.env.logLevel = 'error';
    } catch (error) {
      return {
        ok: false,
        error: {
          code: 'internal',
          message: `onnxruntime could not be loaded: ${messageOf(error)}`,
        },
      };
    }
    const t0 = now();
    const created = await createSession(ort, plan, io);
    session = created.session;
    fallbacks = created.fallbacks;
    const sessionMs = now() - t0;
    const inputs = metadataOf(session, 'input');
    const outputs = metadataOf(session, 'output');
    io.send({
      type: 'session',
      ep: created.ep,
      fallbacks,
      sessionMs,
      onnxruntimeVersion: String(ort.env.versions?.node ?? 'unknown').slice(0, 40),
      inputs: inputs.slice(0, 256).map((m) => ({
        ...m,
        shape: m.shape.slice(0, 64).map((d) => (typeof d === 'string' ? d.slice(0, 100) : d)),
      })),
      outputs: outputs.slice(0, 256).map((m) => ({
        ...m,
        shape: m.shape.slice(0, 64).map((d) => (typeof d === 'string' ? d.slice(0, 100) : d)),
      })),
    });

    const byName = new Map(inputs.map((m) => [m.name, m]));
    for (const name of plan.inputNames) {
      if (!byName.has(name)) {
        throw new JobFailure(
          'input-invalid',
          `the model has no input "${name}" (its inputs: ${inputs.map((m) => m.name).join(', ')})`,
        );
      }
    }
    const missing = inputs.filter((m) => !plan.inputNames.includes(m.name));
    if (missing.length > 0) {
      throw new JobFailure(
        'input-invalid',
        `the job gives no tensor for the model's input ${missing.map((m) => `"${m.name}"`).join(', ')}`,
      );
    }
    const outputNames = new Set(session.outputNames);
    for (const o of plan.outputs) {
      if (!outputNames.has(o.name)) {
        throw new JobFailure(
          'input-invalid',
          `the model has no output "${o.name}" (its outputs: ${session.outputNames.join(', ')})`,
        );
      }
    }

    const started = threadStart ? await threadStart : undefined;
    if (started instanceof IoThread) thread = started;
    // Which path ran goes to the agent's log.
    io.send({
      type: 'log',
      level: 'debug',
      message: (started instanceof IoThread
        ? 'input and output files: on an I/O thread'
        : `input and output files: on the main thread${started ? ` (the I/O thread did not start: ${started.failed})` : ''}`
      ).slice(0, 2000),
    });

    let runMs = 0;
    let outputBytes = plan.outputBytesSoFar;
    const fetches = plan.outputs.map((o) => o.name);
    /**
     * The buffer kept for each input: a batch reads thousands of inputs of one size, and a fresh
     * buffer each time costs an allocation and its page faults. The tensor made on it is done with
     * once run() returns, before the next set is read.
     */
    const inputBuffers: (ArrayBuffer | undefined)[] = [];
    const inputHeaders: NpyHeaderMemo[] = plan.inputNames.map(() => ({}));
    /** Each output's last header: a batch's outputs of one name share dtype and shape. */
    const outputHeaders: { dtype?: NpyDtype; shape: number[]; bytes?: Uint8Array }[] =
      plan.outputs.map(() => ({ shape: [] }));
    for (let set = plan.startSet; set < plan.setCount; set++) {
      const setStart = now();
      if (io.cancelled()) throw new JobFailure('cancelled', 'cancelled');
      const feeds: Record<string, Tensor> = {};
      let readAhead: Uint8Array[] | undefined;
      /** What this set waited on the I/O thread (set-done's `waitMs`). */
      let waitMs = 0;
      if (thread) {
        let reply = thread.inputs(set);
        if (reply instanceof Promise) {
          const w = now();
          reply = await reply;
          waitMs += now() - w;
        }
        readAhead = inputsOf(reply, plan.inputNames);
      }
      for (let i = 0; i < plan.inputNames.length; i++) {
        const name = plan.inputNames[i] as string;
        let bytes: Uint8Array;
        if (readAhead) {
          bytes = readAhead[i] as Uint8Array;
        } else {
          try {
            bytes = threadFs.read(join(plan.inputsDir, inputFile(set, i)), inputBuffers[i]);
            inputBuffers[i] = bytes.buffer as ArrayBuffer;
          } catch (error) {
            throw new JobFailure(
              'io-error',
              `input "${name}" of set ${set} could not be read: ${messageOf(error)}`,
            );
          }
        }
        const npy = decodeNpy(bytes, inputHeaders[i]);
        if (!npy.ok)
          throw new JobFailure('input-invalid', `input "${name}" of set ${set}: ${npy.error}`);
        const problem = checkInput(
          byName.get(name) as InputMeta,
          npy.value.dtype,
          npy.value.shape,
          set,
        );
        if (problem) throw new JobFailure('input-invalid', problem);
        feeds[name] = new ort.Tensor(
          npy.value.dtype as never,
          npy.value.data as never,
          npy.value.shape,
        );
      }
      // After the first set, the set-done before says busy instead: one message a set.
      if (set === plan.startSet) send({ type: 'status', stage: 'running', busy: true, set });
      const t = now();
      let results: Record<string, Tensor>;
      try {
        results = (await session.run(feeds, fetches)) as Record<string, Tensor>;
      } catch (error) {
        const message = messageOf(error);
        throw new JobFailure(
          /invalid dimensions for input|Unexpected input data type|input.*rank/i.test(message)
            ? 'input-invalid'
            : 'inference-failed',
          `set ${set}: ${message}`,
        );
      }
      const runTook = now() - t;
      runMs += runTook;
      const dispose = () => {
        for (const tensor of Object.values(results)) tensor.dispose?.();
      };
      const written: OutputWritten[] = [];
      const files: { name: string; path: string; parts: Uint8Array[] }[] = [];
      const toThread: OutputFile[] = [];
      try {
        for (let k = 0; k < plan.outputs.length; k++) {
          const o = plan.outputs[k] as RunPlan['outputs'][number];
          const tensor = results[o.name];
          if (!tensor || !DTYPES.has(tensor.type)) {
            throw new JobFailure(
              'model-unsupported',
              `output "${o.name}" is ${tensor ? tensor.type : 'missing'}, which .npy outputs cannot hold`,
            );
          }
          const dtype = tensor.type as NpyDtype;
          const shape = [...tensor.dims];
          const data = tensor.data as ArrayBufferView;
          const dataBytes = shape.reduce((a, b) => a * b, 1) * NPY_ITEM_BYTES[dtype];
          if (data.byteLength !== dataBytes) {
            throw new JobFailure(
              'inference-failed',
              `output "${o.name}" has ${data.byteLength} bytes for shape ${shape.join('×')}`,
            );
          }
          if (outputBytes + dataBytes > plan.maxOutputBytes) {
            throw new JobFailure(
              'output-too-large',
              `the outputs pass the limit of ${plan.maxOutputBytes} bytes at set ${set} (output "${o.name}")`,
            );
          }
          const file = outputFile(plan.layout, set, o.file);
          const header = headerOf(outputHeaders[k] as (typeof outputHeaders)[number], dtype, shape);
          const bytes = header.length + dataBytes;
          outputBytes += bytes;
          written.push({ name: o.name, file, dtype, shape, bytes });
          const path = join(plan.outDir, file);
          if (thread) toThread.push({ name: o.name, path, header, data: ownBytes(data) });
          else files.push({ name: o.name, path, parts: [header, dataBytesOf(data)] });
        }
      } catch (error) {
        dispose();
        throw error;
      }
      // Room for this set's writes (see MAX_IN_FLIGHT).
      if (inFlight.length >= MAX_IN_FLIGHT) {
        const w = now();
        while (inFlight.length >= MAX_IN_FLIGHT) await reportOldest();
        waitMs += now() - w;
      }
      inFlight.push({
        done: {
          type: 'set-done',
          set,
          runMs: runTook,
          waitMs,
          outputs: written,
          busy: set + 1 < plan.setCount,
        },
        setMs: now() - setStart,
        written: thread
          ? threadWrite(thread, set, toThread, readAhead ?? [], dispose)
          : // The outputs stay alive until their files are in place.
            writeSet(fs, set, files).finally(dispose),
      });
      // A long run's result goes out now (see LONG_RUN_MS).
      if (runTook >= LONG_RUN_MS) while (inFlight.length > 0) await reportOldest();
    }
    while (inFlight.length > 0) await reportOldest();
    return {
      ok: true,
      value: { ep: created.ep, fallbacks, sessionMs, runMs, setsDone: plan.setCount },
    };
  } catch (caught) {
    // Whatever ends the job waits for the writes under way, so nothing is written after the
    // final message. The sets whose files are in place are reported, in order, up to a failed
    // write: that one came first, so it is the job's error.
    let error = caught;
    while (inFlight.length > 0) {
      try {
        await reportOldest();
      } catch (failure) {
        await Promise.allSettled(inFlight.map((f) => f.written));
        inFlight.length = 0;
        error = failure;
      }
    }
    if (error instanceof JobFailure) {
      const own = (error as JobFailure & { fallbacks?: { ep: WorkerEp; reason: string }[] })
        .fallbacks;
      return {
        ok: false,
        error: { code: error.code, message: error.message },
        fallbacks: own ?? fallbacks,
      };
    }
    return { ok: false, error: { code: 'internal', message: messageOf(error) }, fallbacks };
  } finally {
    try {
      await session?.release();
    } catch {
      // The process exits next; a failed release changes nothing.
    }
    // Every write has answered (above); the reads ahead are dropped.
    if (threadStart) {
      const started = await threadStart;
      if (started instanceof IoThread) await started.close();
    }
  }
}
