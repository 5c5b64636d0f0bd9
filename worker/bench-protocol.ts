/**
 * The message protocol between the agent and the benchmark child (worker/bench-entry.ts). Pure:
 * zod only, so the agent (which may import nothing of worker/ but its *-protocol.ts files) and
 * the child share one definition.
 *
 * Transport: one JSON object per line; agent → child on the child's stdin, child → agent on file
 * descriptor 3 (so onnxruntime's and the drivers' own prints on stdout/stderr can never corrupt a
 * message). Each side numbers its messages 1, 2, 3, ... in `seq`.
 *
 * Flow: child `hello` → agent `run` → per workload `workload-started` and `progress` (session),
 * or `workload-failed`; `progress` (warmup) for each; then the measurement in `plan.rounds`
 * rounds, each giving each workload a slice, with `progress` (measure) as it goes and
 * `workload-done` for each as it reaches its end → child `done` → child exits. The agent may send
 * `stop` at any time: the child finishes the run in flight, reports what each workload measured
 * (ended by `stop`) and says `done` with `stopped: true`.
 */
import { z } from 'zod';

export const BENCH_PROTOCOL_VERSION = 2;
/** Timings of a long precise run on a fast device make long lines; nothing else comes close. */
export const BENCH_MAX_LINE_BYTES = 16 * 1024 * 1024;

const seq = z.int().positive();
const text = (max: number) => z.string().max(max);
const ms = z.number().nonnegative();

export const benchEpSchema = z.enum(['cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml']);

export const benchTensorFileSchema = z.object({
  name: text(256),
  dtype: z.enum(['float32', 'float16']),
  dims: z.array(z.int().nonnegative()).max(8),
  /** Raw little-endian values, nothing else. */
  file: text(4096),
});
export type BenchTensorFile = z.infer<typeof benchTensorFileSchema>;

export const benchWorkloadPlanSchema = z.object({
  id: text(100),
  modelFile: text(4096),
  inputs: z.array(benchTensorFileSchema).min(1).max(64),
  outputs: z.array(text(256)).min(1).max(16),
  warmup: z.object({ minMs: ms, minIterations: z.int().nonnegative() }),
  measure: z.object({
    minMs: ms,
    minIterations: z.int().positive(),
    maxMs: z.number().positive(),
    maxIterations: z.int().positive().max(1_000_000),
  }),
});
export type BenchWorkloadPlan = z.infer<typeof benchWorkloadPlanSchema>;

export const benchPlanSchema = z.object({
  ep: benchEpSchema,
  /** CUDA/TensorRT/DirectML device index. */
  deviceIndex: z.int().nonnegative().optional(),
  /** Each workload's measurement is spread over this many rounds (the suite's `measurement`). */
  rounds: z.int().positive().max(1000),
  workloads: z.array(benchWorkloadPlanSchema).min(1).max(64),
});
export type BenchPlan = z.infer<typeof benchPlanSchema>;

export const toBenchSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run'), seq, plan: benchPlanSchema }),
  z.object({ type: z.literal('stop'), seq }),
]);
export type ToBench = z.infer<typeof toBenchSchema>;

export const benchOutputSchema = z.object({
  name: text(256),
  dims: z.array(z.int().nonnegative()).max(8),
  /** float32 values; null for NaN and infinities (JSON has neither). */
  values: z.array(z.number().nullable()).max(1_000_000),
});
export type BenchOutput = z.infer<typeof benchOutputSchema>;

export const benchFailureStageSchema = z.enum(['load', 'session', 'unsupported', 'run']);

export const fromBenchSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    seq,
    protocol: z.literal(BENCH_PROTOCOL_VERSION),
    pid: z.int(),
    node: text(50),
    onnxruntimeVersion: text(100),
  }),
  z.object({ type: z.literal('workload-started'), seq, id: text(100) }),
  z.object({
    type: z.literal('progress'),
    seq,
    id: text(100),
    phase: z.enum(['session', 'warmup', 'measure']),
    iterations: z.int().nonnegative(),
    elapsedMs: ms,
  }),
  z.object({
    type: z.literal('workload-done'),
    seq,
    id: text(100),
    sessionMs: ms,
    warmup: z.object({ iterations: z.int().nonnegative(), ms }),
    /** Every measured run's wall time, in order, in milliseconds. */
    timingsMs: z.array(ms).max(1_000_000),
    /** Outputs of the first and of the last measured run. */
    firstOutputs: z.array(benchOutputSchema).max(16),
    lastOutputs: z.array(benchOutputSchema).max(16),
    endedBy: z.enum(['protocol', 'max-duration', 'max-iterations', 'stop']),
  }),
  z.object({
    type: z.literal('workload-failed'),
    seq,
    id: text(100),
    stage: benchFailureStageSchema,
    error: text(20_000),
  }),
  z.object({
    type: z.literal('done'),
    seq,
    stopped: z.boolean(),
    /** The benchmark process's own CPU time (user + system) since it started, ms. */
    cpuMs: z.number().nonnegative().max(1e10).optional(),
  }),
  z.object({ type: z.literal('fatal'), seq, error: text(20_000) }),
]);
export type FromBench = z.infer<typeof fromBenchSchema>;
