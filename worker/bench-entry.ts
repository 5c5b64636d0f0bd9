/**
 * The benchmark child. The agent spawns one per benchmark run (inference never runs in the
 * agent's process) and speaks worker/bench-protocol.ts with it: it sends the plan (model files,
 * input files, the protocol of each workload) and reads back timings and outputs.
 *
 * For each workload: load the inputs, create the session on the chosen execution provider (with
 * CPU fallback disabled, so an operator the provider lacks is reported, never silently run on
 * the CPU), warm up, then run until both the minimum duration and the minimum number of runs are
 * reached (or the caps), timing each `run()` call. Statistics, the accuracy gate and scores are
 * the agent's business; this process only measures.
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

type Ort = typeof OrtModule;
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

async function loadOrt(): Promise<Ort> {
  // Node 24 has Float16Array; onnxruntime-common then wraps float16 data in one, and the native
  // binding of onnxruntime-node 1.30 reads such a view as zero bytes ("not enough space"). With
  // it hidden, float16 tensors travel as Uint16Array bit patterns, which the binding reads.
  delete (globalThis as { Float16Array?: unknown }).Float16Array;
  const mod = (await import('onnxruntime-node')) as Ort & { default?: Ort };
  const ort = mod.default ?? mod;
  ort.env.logLevel = 'error';
  return ort;
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

async function runWorkload(ort: Ort, plan: BenchPlan, w: BenchWorkloadPlan): Promise<void> {
  send({ type: 'workload-started', id: w.id });
  let feeds: Record<string, OrtModule.Tensor>;
  try {
    feeds = await loadInputs(ort, w);
  } catch (error) {
    send({ type: 'workload-failed', id: w.id, stage: 'load', error: errorText(error) });
    return;
  }

  send({ type: 'progress', id: w.id, phase: 'session', iterations: 0, elapsedMs: 0 });
  const sessionStart = performance.now();
  let session: Session;
  try {
    session = await ort.InferenceSession.create(w.modelFile, {
      executionProviders: [providerOption(plan) as never],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // A node the provider cannot run would otherwise run on the CPU: a GPU score that is not.
      ...(plan.ep === 'cpu' ? {} : { extra: { session: { disable_cpu_ep_fallback: '1' } } }),
    });
  } catch (error) {
    const message = errorText(error);
    const unsupported = /fallback to CPU EP has been explicitly disabled/i.test(message);
    send({
      type: 'workload-failed',
      id: w.id,
      stage: unsupported ? 'unsupported' : 'session',
      error: message,
    });
    return;
  }
  const sessionMs = performance.now() - sessionStart;

  try {
    // Warm-up: not measured. Shader compilation, allocator growth and caches happen here.
    const warmStart = performance.now();
    let warmIterations = 0;
    let lastProgress = warmStart;
    for (;;) {
      const elapsed = performance.now() - warmStart;
      const done = warmIterations >= w.warmup.minIterations && elapsed >= w.warmup.minMs;
      if (done || stopRequested || elapsed >= w.measure.maxMs) break;
      await session.run(feeds);
      warmIterations += 1;
      if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = performance.now();
        send({
          type: 'progress',
          id: w.id,
          phase: 'warmup',
          iterations: warmIterations,
          elapsedMs: lastProgress - warmStart,
        });
      }
    }
    const warmMs = performance.now() - warmStart;

    const timings: number[] = [];
    let firstOutputs: BenchOutput[] = [];
    let last: Record<string, OrtModule.Tensor> | undefined;
    let endedBy: 'protocol' | 'max-duration' | 'max-iterations' | 'stop';
    const start = performance.now();
    lastProgress = start;
    for (;;) {
      const elapsed = performance.now() - start;
      const n = timings.length;
      if (stopRequested) {
        endedBy = 'stop';
        break;
      }
      if (n >= w.measure.minIterations && elapsed >= w.measure.minMs) {
        endedBy = 'protocol';
        break;
      }
      if (n >= w.measure.maxIterations) {
        endedBy = 'max-iterations';
        break;
      }
      if (elapsed >= w.measure.maxMs) {
        endedBy = 'max-duration';
        break;
      }
      const t0 = performance.now();
      const result = await session.run(feeds);
      timings.push(Math.round((performance.now() - t0) * 1000) / 1000);
      if (n === 0) firstOutputs = outputsOf(result, w.outputs);
      last = result;
      if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = performance.now();
        send({
          type: 'progress',
          id: w.id,
          phase: 'measure',
          iterations: timings.length,
          elapsedMs: lastProgress - start,
        });
      }
    }
    send({
      type: 'workload-done',
      id: w.id,
      sessionMs,
      warmup: { iterations: warmIterations, ms: warmMs },
      timingsMs: timings,
      firstOutputs,
      lastOutputs: last ? outputsOf(last, w.outputs) : [],
      endedBy,
    });
  } catch (error) {
    send({ type: 'workload-failed', id: w.id, stage: 'run', error: errorText(error) });
  } finally {
    await session.release().catch(() => undefined);
  }
}

async function run(plan: BenchPlan): Promise<void> {
  let ort: Ort;
  try {
    ort = await loadOrt();
  } catch (error) {
    for (const w of plan.workloads) {
      send({ type: 'workload-failed', id: w.id, stage: 'load', error: errorText(error) });
    }
    send({ type: 'done', stopped: false });
    process.exit(0);
  }
  for (const w of plan.workloads) {
    if (stopRequested) break;
    await runWorkload(ort, plan, w);
  }
  send({ type: 'done', stopped: stopRequested });
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
