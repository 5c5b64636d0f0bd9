/**
 * Where the worker path's time goes, part by part, in one process: onnxruntime as bench:worker's
 * baseline runs it, then adding one thing the worker does at a time, each compared with the
 * baseline measured in the same round. Not a test: it prints figures.
 *
 *   node bench/worker-parts.bench.ts [--ep cpu|webgpu] [--sets 150] [--batch 64] [--hidden 4096]
 *     [--rounds 3] [--threads N] [--dir node_modules/.cache/roost-bench]
 *
 * `--threads 1` (onnxruntime's intra-op threads, in every step) makes a CPU run look like a GPU
 * one to the worker: the run holds the calling thread and one core, as a WebGPU run holds the
 * main thread busy-waiting, and leaves the other cores to the worker's other threads. Pick a
 * model (`--hidden`, `--width`, `--classes`) whose run outlasts a set's file calls on their
 * core, or those are what is measured.
 *
 * The steps (each ms a set, warm sets only):
 *   baseline   onnxruntime's default session options, input tensors made before, outputs dropped
 *              (what bench:worker divides by);
 *   spinning   + the worker's `force_spinning_stop` (onnxruntime's CPU threads sleep after a run);
 *   options    + the worker's other session options (the log level): all of `sessionOptions`;
 *   inputs     + each set's input read from its .npy file and decoded, as the worker does;
 *   main-io    the worker's own loop (worker/runner.ts `runPlan`), real files in and out, in this
 *              process, reading and writing on its own thread (the fallback: `ioThread: false`);
 *   runner     the same loop as the worker runs it, its files read and written on its I/O thread
 *              (worker/set-io.ts); no sandbox, no process boundary, no agent.
 * What is left between `runner` and bench:worker's figure is the process: the sandbox, the
 * messages to the agent and the agent's journal.
 */
import type * as OrtModule from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { batchOptions, classifierBatch } from './classifier-batch.ts';
import { decodeNpy, encodeNpy } from '../worker/npy.ts';
import type { NpyHeaderMemo } from '../worker/npy.ts';
import { inputFile } from '../worker/protocol.ts';
import type { RunPlan, WorkerEp } from '../worker/protocol.ts';
import { runPlan, sessionOptions } from '../worker/runner.ts';
import { loadOrt } from '../worker/ort.ts';
import type { Ort } from '../worker/ort.ts';

const { values } = parseArgs({
  options: {
    ...batchOptions,
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string' },
  },
});
const job = classifierBatch(values);
const ep = job.ep as WorkerEp;
const SETS = job.sets;
const BATCH = job.batch;
const WIDTH = job.width;
const ROUNDS = Math.max(1, Number(values.rounds));
const WARMUP = job.warmup;

const STEPS = ['baseline', 'spinning', 'options', 'inputs', 'main-io', 'runner'] as const;
type Step = (typeof STEPS)[number];

const THREADS = values.threads === undefined ? undefined : Number(values.threads);

/** The options with `--threads` added, when given. */
function withThreads(
  options: OrtModule.InferenceSession.SessionOptions,
): OrtModule.InferenceSession.SessionOptions {
  return THREADS === undefined ? options : { ...options, intraOpNumThreads: THREADS };
}

function optionsOf(step: Step): OrtModule.InferenceSession.SessionOptions {
  return withThreads(stepOptions(step));
}

function stepOptions(step: Step): OrtModule.InferenceSession.SessionOptions {
  const worker = sessionOptions(ep);
  if (step === 'baseline') return { executionProviders: [ep], graphOptimizationLevel: 'all' };
  if (step === 'spinning') {
    return {
      executionProviders: [ep],
      graphOptimizationLevel: 'all',
      extra: worker.extra,
    };
  }
  return worker;
}

/** ms a set over the warm sets of a loop made of `session.run` and what `step` adds. */
async function inProcess(
  ort: Ort,
  step: Exclude<Step, 'runner' | 'main-io'>,
  modelFile: string,
  inputsDir: string,
  inputs: Float32Array[],
): Promise<number> {
  const session = await ort.InferenceSession.create(modelFile, optionsOf(step));
  const made = inputs.map((x) => new ort.Tensor('float32', x, [BATCH, WIDTH]));
  const memo: NpyHeaderMemo = {};
  const feed = (set: number): OrtModule.Tensor => {
    if (step !== 'inputs') return made[set] as OrtModule.Tensor;
    const npy = decodeNpy(readFileSync(join(inputsDir, inputFile(set, 0))), memo);
    if (!npy.ok) throw new Error(npy.error);
    return new ort.Tensor('float32', npy.value.data as Float32Array, npy.value.shape);
  };
  let t0 = 0;
  for (let set = 0; set < SETS; set++) {
    if (set === WARMUP) t0 = performance.now();
    const out = await session.run({ x: feed(set) });
    for (const t of Object.values(out)) t.dispose();
  }
  const ms = (performance.now() - t0) / (SETS - WARMUP);
  await session.release();
  return ms;
}

/** ms a set over the warm sets of the worker's own loop, from its set-done messages. */
async function runner(
  ort: Ort,
  modelFile: string,
  inputsDir: string,
  outDir: string,
  ioThread: boolean,
): Promise<number> {
  const plan: RunPlan = {
    jobId: 'parts',
    modelPath: modelFile,
    inputsDir,
    outDir,
    inputNames: ['x'],
    outputs: [{ name: 'probs', file: 'probs.npy' }],
    layout: 'per-set',
    setCount: SETS,
    startSet: 0,
    executionProviders: [ep],
    maxOutputBytes: 2 ** 40,
    outputBytesSoFar: 0,
  };
  const doneAt: number[] = [];
  const record = (m: { type: string }) => {
    if (m.type === 'set-done') doneAt.push(performance.now());
  };
  // The runner's own session options, with `--threads` added.
  const withOptions = {
    ...ort,
    InferenceSession: {
      create: (path: string, options: OrtModule.InferenceSession.SessionOptions) =>
        ort.InferenceSession.create(path, withThreads(options)),
    },
  } as unknown as Ort;
  const outcome = await runPlan(plan, {
    send: record,
    hold: record,
    cancelled: () => false,
    loadOrt: () => Promise.resolve(withOptions),
    ...(ioThread ? {} : { ioThread: false as const }),
  });
  if (!outcome.ok) throw new Error(`the runner failed: ${outcome.error.message}`);
  const first = doneAt[WARMUP - 1] as number;
  return ((doneAt.at(-1) as number) - first) / (SETS - WARMUP);
}

async function main(): Promise<void> {
  await mkdir(resolve(values.dir), { recursive: true });
  const root = await mkdtemp(join(resolve(values.dir), 'parts-'));
  try {
    const model = job.model();
    const modelFile = join(root, 'model.onnx');
    await writeFile(modelFile, model);
    const inputsDir = join(root, 'sets');
    const inputs = Array.from({ length: SETS }, (_, s) => job.input(s));
    for (const [s, x] of inputs.entries()) {
      await mkdir(join(inputsDir, String(s)), { recursive: true });
      await writeFile(join(inputsDir, inputFile(s, 0)), encodeNpy('float32', [BATCH, WIDTH], x));
    }
    console.log(
      `model: ${job.describe}, provider ${ep}, ${SETS} sets (${WARMUP} warm-up), ${ROUNDS} rounds${THREADS === undefined ? '' : `, ${THREADS} intra-op thread(s)`}`,
    );
    const ort = await loadOrt();
    // One pass that does not count: the first session pays for compiling and caches.
    await inProcess(ort, 'baseline', modelFile, inputsDir, inputs);
    const perStep = () =>
      Object.fromEntries(STEPS.map((step) => [step, [] as number[]])) as Record<Step, number[]>;
    const ms = perStep();
    const ratios = perStep();
    for (let round = 0; round < ROUNDS; round++) {
      const before = await inProcess(ort, 'baseline', modelFile, inputsDir, inputs);
      const got: Partial<Record<Step, number>> = {};
      for (const step of STEPS.slice(1)) {
        got[step] =
          step === 'runner' || step === 'main-io'
            ? await runner(
                ort,
                modelFile,
                inputsDir,
                join(root, `${step}-${round}`),
                step === 'runner',
              )
            : await inProcess(ort, step, modelFile, inputsDir, inputs);
      }
      const after = await inProcess(ort, 'baseline', modelFile, inputsDir, inputs);
      got.baseline = (before + after) / 2;
      const line = STEPS.map((step) => {
        const value = got[step] as number;
        ms[step].push(value);
        ratios[step].push(got.baseline ? (got.baseline as number) / value : 0);
        return `${step} ${value.toFixed(3)}`;
      });
      console.log(
        `round ${round + 1} (ms a set): ${line.join(', ')}; baseline before/after ${before.toFixed(3)}/${after.toFixed(3)}`,
      );
    }
    const median = (xs: number[]) =>
      [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const base = median(ms.baseline);
    console.log('\nstep       ms a set   above baseline   baseline ÷ step (median of rounds)');
    for (const step of STEPS) {
      const m = median(ms[step]);
      console.log(
        `${step.padEnd(10)} ${m.toFixed(3).padStart(8)}   ${((m - base) * 1000).toFixed(0).padStart(8)} µs   ${median(ratios[step]).toFixed(3)}`,
      );
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
