/**
 * Runs one job's input sets through onnxruntime, inside the worker process: picks the first
 * execution provider whose session starts (recording why the others did not), checks each input
 * tensor against the model before handing it over, and writes each output as .npy beside a temp
 * name, renamed into place only when complete (a crash or kill -9 leaves whole files or none).
 * The agent hashes, fsyncs and signs what this writes; nothing here is trusted by the agent.
 */
import type * as OrtModule from 'onnxruntime-node';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { dataBytesOf, decodeNpy, encodeNpyHeader, NPY_ITEM_BYTES } from './npy.ts';
import type { NpyDtype } from './npy.ts';
import { inputFile, outputFile } from './protocol.ts';
import type { OutputWritten, RunPlan, WorkerEp, WorkerError, WorkerErrorCode } from './protocol.ts';
import type { Outgoing } from './transport.ts';

export type Ort = typeof OrtModule;
type Session = OrtModule.InferenceSession;
type Tensor = OrtModule.Tensor;

export interface RunnerIo {
  send(message: Outgoing): void;
  /** Keeps a message to go out with the next `send` (see `HOLD_MS`); default: send it now. */
  hold?(message: Outgoing): void;
  cancelled(): boolean;
  loadOrt(): Promise<Ort>;
  now?: () => number;
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

function providerOption(ep: WorkerEp): string {
  return ep;
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
      const session = await ort.InferenceSession.create(plan.modelPath, {
        executionProviders: [providerOption(ep) as never],
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
        // onnxruntime's CPU threads spin for a while after each run. Between runs this process
        // reads and writes files and the agent records the set: with spinning threads holding
        // the cores, both wait for a time slice (measured: ~2 ms a set on 2 cores). Spinning
        // within a run is kept.
        extra: { session: { force_spinning_stop: '1' } },
      });
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

/** Folders already made in this process: a batch writes thousands of outputs into few. */
const madeDirs = new Set<string>();

function writeNpyAtomic(
  path: string,
  dtype: NpyDtype,
  shape: number[],
  data: ArrayBufferView,
): number {
  const dir = dirname(path);
  if (!madeDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
  }
  const temp = `${path}.${process.pid}.tmp`;
  const header = encodeNpyHeader(dtype, shape);
  const body = dataBytesOf(data);
  const fd = openSync(temp, 'w', 0o644);
  try {
    for (const part of [header, body]) {
      let offset = 0;
      while (offset < part.length) offset += writeSync(fd, part, offset, part.length - offset);
    }
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  return header.length + body.length;
}

/**
 * Reads a file into the buffer kept for its input: a batch reads thousands of inputs of one
 * size, and a fresh buffer each time costs an allocation and its page faults. The tensor made
 * on it is done with once run() returns, before the next set is read.
 */
function readReusing(path: string, buffers: Uint8Array[], index: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let buffer = buffers[index];
    if (!buffer || buffer.length < size) buffer = buffers[index] = new Uint8Array(size);
    let offset = 0;
    while (offset < size) {
      const n = readSync(fd, buffer, offset, size - offset, offset);
      if (n === 0) break;
      offset += n;
    }
    return buffer.subarray(0, offset);
  } finally {
    closeSync(fd);
  }
}

/** Runs the plan; never throws. */
export async function runPlan(plan: RunPlan, io: RunnerIo): Promise<RunnerOutcome> {
  const now = io.now ?? (() => performance.now());
  let fallbacks: { ep: WorkerEp; reason: string }[] = [];
  let session: Session | undefined;
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

    let runMs = 0;
    let outputBytes = plan.outputBytesSoFar;
    const fetches = plan.outputs.map((o) => o.name);
    const inputBuffers: Uint8Array[] = [];
    /** When the oldest held result was held, and how many are held. */
    let heldSince: number | undefined;
    let held = 0;
    const send = (message: Outgoing) => {
      io.send(message);
      heldSince = undefined;
      held = 0;
    };
    for (let set = plan.startSet; set < plan.setCount; set++) {
      const setStart = now();
      if (io.cancelled()) throw new JobFailure('cancelled', 'cancelled');
      const feeds: Record<string, Tensor> = {};
      for (let i = 0; i < plan.inputNames.length; i++) {
        const name = plan.inputNames[i] as string;
        let bytes: Uint8Array;
        try {
          bytes = readReusing(join(plan.inputsDir, inputFile(set, i)), inputBuffers, i);
        } catch (error) {
          throw new JobFailure(
            'io-error',
            `input "${name}" of set ${set} could not be read: ${messageOf(error)}`,
          );
        }
        const npy = decodeNpy(bytes);
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
      runMs += now() - t;
      const written: OutputWritten[] = [];
      try {
        for (const o of plan.outputs) {
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
          let bytes: number;
          try {
            bytes = writeNpyAtomic(join(plan.outDir, file), dtype, shape, data);
          } catch (error) {
            throw new JobFailure(
              'io-error',
              `output "${o.name}" could not be written: ${messageOf(error)}`,
            );
          }
          outputBytes += bytes;
          written.push({ name: o.name, file, dtype, shape, bytes });
        }
      } finally {
        for (const tensor of Object.values(results)) tensor.dispose?.();
      }
      const done: Outgoing = {
        type: 'set-done',
        set,
        runMs: now() - t,
        outputs: written,
        busy: set + 1 < plan.setCount,
      };
      // Hold it when the next set, taking as long as this one, ends within HOLD_MS of the
      // oldest held result; a long set's result goes out at once.
      const end = now();
      if (
        io.hold &&
        set + 1 < plan.setCount &&
        held < HOLD_MAX &&
        end + (end - setStart) - (heldSince ?? end) < HOLD_MS
      ) {
        io.hold(done);
        heldSince ??= end;
        held++;
      } else {
        send(done);
      }
    }
    return {
      ok: true,
      value: { ep: created.ep, fallbacks, sessionMs, runMs, setsDone: plan.setCount },
    };
  } catch (error) {
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
  }
}
