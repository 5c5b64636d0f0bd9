/**
 * The benchmark child. The agent spawns one per benchmark run (inference never runs in the
 * agent's process) and speaks worker/bench-protocol.ts with it: it sends the plan (model files,
 * input files, the protocol of each workload) and reads back timings and outputs.
 *
 * For each workload: load the inputs and create the session on the chosen execution provider
 * (with CPU fallback disabled, so an operator the provider lacks is reported, never silently run
 * on the CPU); warm each up; then measure them in `plan.rounds` rounds, each round running every
 * workload in turn for its slice (its minimum duration / rounds, at least one run), until each
 * reaches both its minimum duration and minimum number of runs (or a cap), timing each `run()`
 * call. Statistics, the accuracy gate and scores are the agent's business; this process only
 * measures.
 */
import type * as OrtModule from 'onnxruntime-node';
import { writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { BENCH_MAX_LINE_BYTES, BENCH_PROTOCOL_VERSION, toBenchSchema } from './bench-protocol.ts';
import type { BenchOutput, BenchPlan, BenchWorkloadPlan, FromBench } from './bench-protocol.ts';
import { LineSplitter } from './protocol.ts';
import { loadOrt } from './ort.ts';
import type { Ort } from './ort.ts';

type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;
type Outgoing = FromBench extends infer M ? (M extends unknown ? Omit<M, 'seq'> : never) : never;

const PROGRESS_EVERY_MS = 250;
const OUT_FD = 3;

// ---------------------------------------------------------------------------------------------
// The pipe to the agent: lines on stdin and fd 3, or Electron's parentPort

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  on(event: 'close', listener: () => void): void;
}

let outSeq = 0;
const port = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: Outgoing): void {
  const full = { ...message, seq: ++outSeq };
  if (port) {
    port.postMessage(full);
    return;
  }
  const bytes = Buffer.from(`${JSON.stringify(full)}\n`, 'utf8');
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(OUT_FD, bytes, offset, bytes.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2); // a full pipe: wait
    }
  }
}

function listen(onMessage: (raw: unknown) => void, onClose: () => void): void {
  if (port) {
    port.on('message', (event) => onMessage(event.data));
    port.on('close', onClose);
    // A utility process exits when its event loop is empty: stay for the agent's run message.
    setInterval(() => undefined, 60_000);
    return;
  }
  const splitter = new LineSplitter(BENCH_MAX_LINE_BYTES);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch {
      fatal('a message from the agent was too long');
      return;
    }
    for (const line of lines) {
      try {
        onMessage(JSON.parse(line));
      } catch {
        onMessage(undefined);
      }
    }
  });
  process.stdin.on('end', onClose);
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 20_000);
}

function fatal(error: string): never {
  send({ type: 'fatal', error });
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// onnxruntime

function onnxruntimeVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const file = join(dirname(require.resolve('onnxruntime-node/package.json')), 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function providerOption(plan: BenchPlan): string | Record<string, unknown> {
  return plan.deviceIndex === undefined ? plan.ep : { name: plan.ep, deviceId: plan.deviceIndex };
}

async function loadInputs(
  ort: Ort,
  w: BenchWorkloadPlan,
): Promise<Record<string, OrtModule.Tensor>> {
  const feeds: Record<string, OrtModule.Tensor> = {};
  for (const input of w.inputs) {
    const bytes = new Uint8Array(await readFile(input.file)); // a copy: aligned, owned
    const count = input.dims.reduce((a, b) => a * b, 1);
    const width = input.dtype === 'float16' ? 2 : 4;
    if (bytes.byteLength !== count * width) {
      throw new Error(
        `${input.name}: ${input.file} holds ${bytes.byteLength} bytes, ${count * width} expected`,
      );
    }
    const data =
      input.dtype === 'float16' ? new Uint16Array(bytes.buffer) : new Float32Array(bytes.buffer);
    feeds[input.name] = new ort.Tensor(input.dtype, data, input.dims);
  }
  return feeds;
}

function outputsOf(result: Record<string, OrtModule.Tensor>, names: string[]): BenchOutput[] {
  return names.map((name) => {
    const tensor = result[name];
    if (!tensor) return { name, dims: [], values: [] };
    const data = tensor.data as Float32Array;
    const values: (number | null)[] = new Array<number | null>(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i] ?? NaN;
      values[i] = Number.isFinite(v) ? v : null;
    }
    return { name, dims: [...tensor.dims], values };
  });
}

// ---------------------------------------------------------------------------------------------
// The measurement

let stopRequested = false;

type EndedBy = 'protocol' | 'max-duration' | 'max-iterations' | 'stop';

/** A workload whose session is open: warmed up, then measured slice by slice. */
interface Measuring {
  plan: BenchWorkloadPlan;
  session: Session;
  feeds: Record<string, OrtModule.Tensor>;
  sessionMs: number;
  warmup: { iterations: number; ms: number };
  timings: number[];
  /** Wall time of its slices so far: what the minimum and maximum durations count. */
  measuredMs: number;
  firstOutputs: BenchOutput[];
  last: Record<string, OrtModule.Tensor> | undefined;
  lastProgress: number;
}

/** Load the inputs and open the session; undefined (and the failure said) when it can't. */
async function openWorkload(
  ort: Ort,
  plan: BenchPlan,
  w: BenchWorkloadPlan,
): Promise<Measuring | undefined> {
  send({ type: 'workload-started', id: w.id });
  let feeds: Record<string, OrtModule.Tensor>;
  try {
    feeds = await loadInputs(ort, w);
  } catch (error) {
    send({ type: 'workload-failed', id: w.id, stage: 'load', error: errorText(error) });
    return undefined;
  }
  send({ type: 'progress', id: w.id, phase: 'session', iterations: 0, elapsedMs: 0 });
  const sessionStart = performance.now();
  try {
    const session = await ort.InferenceSession.create(w.modelFile, {
      executionProviders: [providerOption(plan) as never],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      extra: {
        session: {
          // Each session has its own CPU threads, which spin for a while after a run. With the
          // workloads taking turns, the one just left would spin on the cores the next one
          // needs: measured, the first run of every slice took 1.4-3.8 times as long. Within
          // a slice the runs follow each other closely, so stopping costs nothing there.
          force_spinning_stop: '1',
          // A node the provider cannot run would otherwise run on the CPU: a GPU score that
          // is not.
          ...(plan.ep === 'cpu' ? {} : { disable_cpu_ep_fallback: '1' }),
        },
      },
    });
    return {
      plan: w,
      session,
      feeds,
      sessionMs: performance.now() - sessionStart,
      warmup: { iterations: 0, ms: 0 },
      timings: [],
      measuredMs: 0,
      firstOutputs: [],
      last: undefined,
      lastProgress: 0,
    };
  } catch (error) {
    const message = errorText(error);
    const unsupported = /fallback to CPU EP has been explicitly disabled/i.test(message);
    send({
      type: 'workload-failed',
      id: w.id,
      stage: unsupported ? 'unsupported' : 'session',
      error: message,
    });
    return undefined;
  }
}

/** Warm-up: not measured. Shader compilation, allocator growth and caches happen here. */
async function warmUp(m: Measuring): Promise<void> {
  const w = m.plan;
  const start = performance.now();
  let lastProgress = start;
  for (;;) {
    const elapsed = performance.now() - start;
    const done = m.warmup.iterations >= w.warmup.minIterations && elapsed >= w.warmup.minMs;
    if (done || stopRequested || elapsed >= w.measure.maxMs) break;
    await m.session.run(m.feeds);
    m.warmup.iterations += 1;
    if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = performance.now();
      send({
        type: 'progress',
        id: w.id,
        phase: 'warmup',
        iterations: m.warmup.iterations,
        elapsedMs: lastProgress - start,
      });
    }
  }
  m.warmup.ms = performance.now() - start;
}

/** Why this workload's measurement is over, or undefined while it goes on. */
function endOf(m: Measuring): EndedBy | undefined {
  const { measure } = m.plan;
  const n = m.timings.length;
  if (stopRequested) return 'stop';
  if (n >= measure.minIterations && m.measuredMs >= measure.minMs) return 'protocol';
  if (n >= measure.maxIterations) return 'max-iterations';
  if (m.measuredMs >= measure.maxMs) return 'max-duration';
  return undefined;
}

function sendProgress(m: Measuring): void {
  m.lastProgress = performance.now();
  send({
    type: 'progress',
    id: m.plan.id,
    phase: 'measure',
    iterations: m.timings.length,
    elapsedMs: m.measuredMs,
  });
}

/** One slice: runs until `sliceMs` passed (at least one run) or the measurement is over. */
async function measureSlice(m: Measuring, sliceMs: number): Promise<void> {
  const start = performance.now();
  let before = 0;
  do {
    if (endOf(m) !== undefined) break;
    const t0 = performance.now();
    const result = await m.session.run(m.feeds);
    const t1 = performance.now();
    m.timings.push(Math.round((t1 - t0) * 1000) / 1000);
    if (m.timings.length === 1) m.firstOutputs = outputsOf(result, m.plan.outputs);
    m.last = result;
    m.measuredMs += t1 - start - before;
    before = t1 - start;
    if (t1 - m.lastProgress >= PROGRESS_EVERY_MS) sendProgress(m);
  } while (performance.now() - start < sliceMs);
  sendProgress(m);
}

function finish(m: Measuring, endedBy: EndedBy): void {
  send({
    type: 'workload-done',
    id: m.plan.id,
    sessionMs: m.sessionMs,
    warmup: m.warmup,
    timingsMs: m.timings,
    firstOutputs: m.firstOutputs,
    lastOutputs: m.last ? outputsOf(m.last, m.plan.outputs) : [],
    endedBy,
  });
}

/** This process's CPU time so far: the agent subtracts it from the machine's busy time. */
function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function run(plan: BenchPlan): Promise<void> {
  let ort: Ort;
  try {
    ort = await loadOrt();
  } catch (error) {
    for (const w of plan.workloads) {
      send({ type: 'workload-failed', id: w.id, stage: 'load', error: errorText(error) });
    }
    send({ type: 'done', stopped: false, cpuMs: ownCpuMs() });
    process.exit(0);
  }
  // Every session stays open for the whole measurement, so the rounds can go round them.
  let measuring: Measuring[] = [];
  for (const w of plan.workloads) {
    if (stopRequested) break;
    const m = await openWorkload(ort, plan, w);
    if (m) measuring.push(m);
  }
  const fail = (m: Measuring, error: unknown) => {
    send({ type: 'workload-failed', id: m.plan.id, stage: 'run', error: errorText(error) });
    void m.session.release().catch(() => undefined);
    measuring = measuring.filter((x) => x !== m);
  };
  for (const m of [...measuring]) {
    if (stopRequested) break;
    await warmUp(m).catch((error: unknown) => fail(m, error));
  }
  // The rounds: each gives every workload still measuring one slice, in suite order.
  while (measuring.length > 0) {
    for (const m of [...measuring]) {
      try {
        await measureSlice(m, m.plan.measure.minMs / plan.rounds);
      } catch (error) {
        fail(m, error);
        continue;
      }
      const endedBy = endOf(m);
      if (endedBy !== undefined) {
        finish(m, endedBy);
        await m.session.release().catch(() => undefined);
        measuring = measuring.filter((x) => x !== m);
      }
    }
  }
  send({ type: 'done', stopped: stopRequested, cpuMs: ownCpuMs() });
  // A GPU runtime may leave threads behind; everything is said, so leave now.
  process.exit(0);
}

let started = false;
let inSeq = 0;
listen(
  (raw) => {
    const parsed = toBenchSchema.safeParse(raw);
    if (!parsed.success) fatal(`a message from the agent does not parse: ${parsed.error.message}`);
    const message = parsed.data;
    if (message.seq !== inSeq + 1) fatal(`message ${message.seq} came after ${inSeq}`);
    inSeq = message.seq;
    if (message.type === 'stop') {
      stopRequested = true;
    } else if (!started) {
      started = true;
      void run(message.plan).catch((error: unknown) => fatal(errorText(error)));
    } else {
      fatal('a second plan');
    }
  },
  // The agent is gone: nobody will read the results.
  () => process.exit(0),
);

send({
  type: 'hello',
  protocol: BENCH_PROTOCOL_VERSION,
  pid: process.pid,
  node: process.versions.node,
  onnxruntimeVersion: onnxruntimeVersion(),
});
