/**
 * The shapes that leave `agent/bench/`: the suite definition, the signed report `roost.report/1`,
 * run progress, history entries and the verdict of `verify`. Zod only, so `agent/api/contract.ts`
 * (and through it the renderer) can import these for `bench.run`, `bench.history`,
 * `bench.export` and `roost report verify`. The JSON Schema file `report.schema.json` is generated
 * from `signedReportSchema` (see json-schema.ts).
 */
import { z } from 'zod';
import {
  executionProviderSchema,
  gpuInventorySchema,
  probeReportSchema,
  telemetrySampleSchema,
  acceleratorAdapterSchema,
} from '../hardware/schema.ts';

export const REPORT_FORMAT = 'roost.report/1';

// ---------------------------------------------------------------------------------------------
// The suite

export const workloadKindSchema = z.enum(['gemm', 'bandwidth', 'cnn', 'transformer', 'decode']);
export type WorkloadKind = z.infer<typeof workloadKindSchema>;

export const benchDtypeSchema = z.enum(['float32', 'float16']);
export type BenchDtype = z.infer<typeof benchDtypeSchema>;

/** Physical units of a sub-score. */
export const benchUnitSchema = z.enum(['TFLOP/s', 'GB/s', 'inferences/s']);
export type BenchUnit = z.infer<typeof benchUnitSchema>;

const positiveInt = z.int().positive();

export const gemmParamsSchema = z.object({
  kind: z.literal('gemm'),
  dtype: benchDtypeSchema,
  /** Square matrices n×n. */
  n: positiveInt,
  /** X ← X·W repeated `chain` times in one run (operands cross to the device once per run). */
  chain: positiveInt,
  /**
   * W is part of the model (an initializer, on the device once the session is made) instead of
   * an input sent every run. X stays an input, so nothing can be computed before the run. A
   * candidate for a later suite: on NVIDIA's Vulkan driver each WebGPU input costs ~0.6 ms plus
   * its bytes, and a GEMM run spent 5.8 of 9 ms before its first kernel.
   */
  wInModel: z.boolean().optional(),
});

export const bandwidthParamsSchema = z.object({
  kind: z.literal('bandwidth'),
  /** The streamed tensor is rows×cols float32, tiled on the device from seedRows×cols. */
  rows: positiveInt,
  cols: positiveInt,
  seedRows: positiveInt,
  /** Pairs of element-wise `Mul` then `Add` by runtime scalars over the whole tensor. */
  pairs: positiveInt,
  /**
   * The pairs' scalars arrive in one input (`coefficients`: the scales, then the shifts), picked
   * out in the graph, instead of one input each (`a0`, `b0`, …). On an H100 through NVIDIA's
   * Vulkan driver, each WebGPU input took ~0.6 ms to upload: eight scalars were most of a run.
   */
  packed: z.boolean().optional(),
});

export const cnnParamsSchema = z.object({
  kind: z.literal('cnn'),
  batch: positiveInt,
  /** Square RGB images size×size. */
  size: positiveInt,
  /** 3×3 convolutions (+ ReLU): output channels and stride of each. */
  layers: z.array(z.object({ channels: positiveInt, stride: positiveInt })).min(1),
  classes: positiveInt,
  /**
   * Items of the batch (the first ones) the float64 CPU reference computes and the accuracy gate
   * compares; the whole batch when absent. Each item is computed alone, so the first items are
   * as good a check as all of them, and the reference stays seconds on any machine.
   */
  checked: positiveInt.optional(),
});

export const transformerParamsSchema = z.object({
  kind: z.literal('transformer'),
  batch: positiveInt,
  seq: positiveInt,
  dim: positiveInt,
  heads: positiveInt,
  ffn: positiveInt,
  /**
   * Items of the batch (the first ones) the float64 CPU reference computes and the accuracy gate
   * compares; the whole batch when absent. Each item is computed alone, so the first items are
   * as good a check as all of them, and the reference stays seconds on any machine.
   */
  checked: positiveInt.optional(),
});

export const decodeParamsSchema = z.object({
  kind: z.literal('decode'),
  /** Sequences decoded together: each run is one new token for each. */
  batch: positiveInt,
  dim: positiveInt,
  heads: positiveInt,
  ffn: positiveInt,
  /** Tokens already in the key/value cache. */
  context: positiveInt,
  layers: positiveInt,
  /**
   * Items of the batch (the first ones) the float64 CPU reference computes and the accuracy gate
   * compares; the whole batch when absent. Each item is computed alone, so the first items are
   * as good a check as all of them, and the reference stays seconds on any machine.
   */
  checked: positiveInt.optional(),
});

export const workloadParamsSchema = z.discriminatedUnion('kind', [
  gemmParamsSchema,
  bandwidthParamsSchema,
  cnnParamsSchema,
  transformerParamsSchema,
  decodeParamsSchema,
]);
export type WorkloadParams = z.infer<typeof workloadParamsSchema>;
export type GemmParams = z.infer<typeof gemmParamsSchema>;
export type BandwidthParams = z.infer<typeof bandwidthParamsSchema>;
export type CnnParams = z.infer<typeof cnnParamsSchema>;
export type TransformerParams = z.infer<typeof transformerParamsSchema>;
export type DecodeParams = z.infer<typeof decodeParamsSchema>;

export const workloadDefinitionSchema = z.object({
  /** Stable id within the suite: `gemm-fp32`, `memory-bandwidth`, ... */
  id: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string(),
  /** What it measures, in plain words, for support staff. */
  description: z.string(),
  params: workloadParamsSchema,
  unit: benchUnitSchema,
  /** What one inference is, for `inferences/s` units (`one 64×64 image`). */
  unitNote: z.string().optional(),
  /**
   * Work per run in the unit's base quantity: FLOPs for TFLOP/s, bytes for GB/s, inferences for
   * inferences/s. The sub-score is workPerRun / the scored run time (see `measurement`).
   */
  workPerRun: z.number().positive(),
  /** Nominal floating-point operations per run (all workloads), for the record. */
  flopsPerRun: z.number().nonnegative(),
  /** Throughput of the reference machine in `unit`: the normalisation of the composite. */
  reference: z.number().positive(),
  /** Weight in the composite; the weights of a suite sum to 1. */
  weight: z.number().positive().max(1),
  /** The accuracy gate: relative RMS error of the outputs against the float64 CPU reference. */
  tolerance: z.number().positive(),
  /** sha256 (hex) of the generated ONNX model and of its generated inputs, in input order. */
  modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
  inputsSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type WorkloadDefinition = z.infer<typeof workloadDefinitionSchema>;

export const measurementSchema = z.object({
  /**
   * Every workload's measured time is spread over this many rounds; each round gives each
   * workload one slice (the preset's minimum duration / rounds, at least one run) in suite
   * order. A background task or a slow spell of the machine then falls on all workloads alike
   * instead of on whichever happened to be running.
   */
  rounds: positiveInt,
  /**
   * The sub-score is the throughput at this quantile of the measured run times (0.1: the 10th
   * percentile, the time nine runs in ten take at least). Below the median, so that runs slowed
   * by something else on the machine do not move the score, above the minimum, so that one
   * lucky run does not either.
   */
  scoreQuantile: z.number().gt(0).lt(1),
  /** The above in plain words, for the report and support staff. */
  description: z.string(),
});
export type Measurement = z.infer<typeof measurementSchema>;

/** The standard suite this build runs (suite.ts defines it; here for the contract and the UI). */
export const STD_SUITE_ID = 'roost-std/4';

export const suiteDefinitionSchema = z.object({
  /** `roost-std/4`: the name and the version; any change to anything below is a new version. */
  id: z.string().regex(/^[a-z0-9-]+\/\d+$/),
  title: z.string(),
  /** The seed of every input and weight (see prng.ts). */
  seed: z.int().nonnegative(),
  generator: z.string(),
  onnx: z.object({ irVersion: positiveInt, opset: positiveInt }),
  /** How the accuracy gate measures error. */
  accuracyMetric: z.string(),
  composite: z.object({
    name: z.string(),
    unit: z.string(),
    /** The composite of a machine exactly at every reference value. */
    scale: z.number().positive(),
    formula: z.string(),
  }),
  /**
   * How the runs are scheduled and which run time a sub-score is computed from. Absent in
   * `roost-std/1` (retired; its reports still read and verify): each workload in one block,
   * scored at the median run time.
   */
  measurement: measurementSchema.optional(),
  workloads: z.array(workloadDefinitionSchema).min(1),
});
export type SuiteDefinition = z.infer<typeof suiteDefinitionSchema>;

// ---------------------------------------------------------------------------------------------
// The protocol

export const presetNameSchema = z.enum(['quick', 'standard', 'precise']);
export type PresetName = z.infer<typeof presetNameSchema>;

export const protocolSchema = z.object({
  /** `quick`, `standard`, `precise` (and `test`, for Roost's own tests only). */
  name: z.string(),
  warmup: z.object({ minMs: z.number().nonnegative(), minIterations: z.int().nonnegative() }),
  measure: z.object({
    minMs: z.number().nonnegative(),
    minIterations: positiveInt,
    /** A workload stops here even below minIterations (then flagged), so a slow device ends. */
    maxMs: z.number().positive(),
    maxIterations: positiveInt,
  }),
});
export type Protocol = z.infer<typeof protocolSchema>;

// ---------------------------------------------------------------------------------------------
// Results

export const timingStatsSchema = z.object({
  iterations: z.int().nonnegative(),
  /** Run times in milliseconds; percentiles interpolate linearly between ranks. */
  medianMs: z.number().nonnegative(),
  /** Absent in reports of `roost-std/1`, which did not record it. */
  p10Ms: z.number().nonnegative().optional(),
  p90Ms: z.number().nonnegative(),
  minMs: z.number().nonnegative(),
  maxMs: z.number().nonnegative(),
  meanMs: z.number().nonnegative(),
  stddevMs: z.number().nonnegative(),
  /** Coefficient of variation: sample standard deviation / mean. */
  cv: z.number().nonnegative(),
  /** Wall time of the measured runs. */
  totalMs: z.number().nonnegative(),
});
export type TimingStats = z.infer<typeof timingStatsSchema>;

export const accuracySchema = z.object({
  passed: z.boolean(),
  /** Relative RMS error of the first measured run against the reference. */
  error: z.number().nonnegative().nullable(),
  /** The same for the last measured run (a device that drifts while hot fails here). */
  lastRunError: z.number().nonnegative().nullable(),
  tolerance: z.number().positive(),
  /** Why it failed, in plain words. */
  reason: z.string().optional(),
});
export type Accuracy = z.infer<typeof accuracySchema>;

export const workloadStatusSchema = z.enum([
  /** Measured, passed the accuracy gate: it scores. */
  'ok',
  /** Ran, but its outputs are wrong: it scores nothing. */
  'failed-accuracy',
  /** The execution provider cannot run every operator of it. */
  'unsupported',
  /** Session creation or a run failed, or the benchmark process died. */
  'failed',
  /** Stopped by the user or the agent before it finished. */
  'interrupted',
  /** Never started (the run was stopped earlier). */
  'not-run',
]);
export type WorkloadStatus = z.infer<typeof workloadStatusSchema>;

export const workloadResultSchema = z.object({
  id: z.string(),
  title: z.string(),
  status: workloadStatusSchema,
  /** Why it does not score, in plain words. */
  reason: z.string().optional(),
  /** onnxruntime's own words, trimmed, for support staff. */
  detail: z.string().optional(),
  unit: benchUnitSchema,
  /**
   * Throughput in `unit` at the scored run time (the suite's `measurement.scoreQuantile` of the
   * run times); null when the workload does not score.
   */
  value: z.number().nonnegative().nullable(),
  /** Throughput at the p90 run time (a slower, pessimistic figure). */
  valueP90: z.number().nonnegative().nullable(),
  /** value / the suite's reference value. */
  normalized: z.number().nonnegative().nullable(),
  /** Achieved TFLOP/s at the scored run time (all workloads, for comparison). */
  tflops: z.number().nonnegative().nullable(),
  timing: timingStatsSchema.nullable(),
  warmup: z.object({ iterations: z.int().nonnegative(), ms: z.number().nonnegative() }).nullable(),
  sessionMs: z.number().nonnegative().nullable(),
  /** True when both the minimum duration and the minimum iterations were met. */
  protocolMet: z.boolean(),
  /** Run times in order, bucketed to at most 120 points (bucket medians), for the chart. */
  series: z.array(z.number().nonnegative()).max(120),
  accuracy: accuracySchema.nullable(),
});
export type WorkloadResult = z.infer<typeof workloadResultSchema>;

export const compositeSchema = z.object({
  /** The weighted geometric mean; null unless every workload scored. */
  value: z.number().nonnegative().nullable(),
  /** Same formula over the workloads that scored, weights renormalised: information only. */
  partial: z.number().nonnegative().nullable(),
  unit: z.string(),
  formula: z.string(),
  weights: z.record(z.string(), z.number()),
  /** Workloads that did not score, so the composite is null. */
  missing: z.array(z.string()),
});
export type Composite = z.infer<typeof compositeSchema>;

export const warningCodeSchema = z.enum([
  'throttling',
  'high-variation',
  'software-adapter',
  'accuracy-failed',
  'workload-failed',
  'interrupted',
  'protocol-not-met',
  'busy-machine',
  'no-telemetry',
]);
export type WarningCode = z.infer<typeof warningCodeSchema>;

export const reportWarningSchema = z.object({
  code: warningCodeSchema,
  severity: z.enum(['info', 'warning', 'error']),
  message: z.string(),
  fix: z.string().optional(),
  workloadId: z.string().optional(),
});
export type ReportWarning = z.infer<typeof reportWarningSchema>;

export const telemetrySummarySchema = z.object({
  gpuId: z.string(),
  samples: z.int().nonnegative(),
  maxTemperatureC: z.number().nullable(),
  maxPowerW: z.number().nullable(),
  meanPowerW: z.number().nullable(),
  minGraphicsClockMHz: z.number().nullable(),
  maxGraphicsClockMHz: z.number().nullable(),
  maxUtilizationPct: z.number().nullable(),
  /** Clocks fell well below their peak under load, or the GPU ran at its thermal limit. */
  throttled: z.boolean(),
  throttleReason: z.string().optional(),
});
export type TelemetrySummary = z.infer<typeof telemetrySummarySchema>;

export const machineSchema = z.object({
  os: z.object({
    platform: z.string(),
    release: z.string(),
    version: z.string(),
    arch: z.string(),
    /** Linux: PRETTY_NAME of /etc/os-release. */
    distribution: z.string().optional(),
  }),
  cpu: z.object({
    model: z.string(),
    logicalCores: z.int().nonnegative(),
    speedMHz: z.number().nonnegative().nullable(),
  }),
  memory: z.object({ totalBytes: z.number().nonnegative() }),
  /** 1-minute load average when the run started (Linux and macOS). */
  loadAverage: z.number().nonnegative().nullable(),
  /**
   * CPU cores other programs kept busy during the run, on average (the machine's busy time less
   * Roost's own); null when it could not be measured. Absent in reports before it was recorded.
   */
  otherProgramsCores: z.number().nonnegative().nullable().optional(),
  node: z.string(),
});
export type Machine = z.infer<typeof machineSchema>;

export const reportTargetSchema = z.object({
  ep: executionProviderSchema,
  /** CUDA/TensorRT device index the benchmark asked for. */
  deviceIndex: z.int().nonnegative().optional(),
  /** The GPU of the inventory it ran on, when known. */
  gpuId: z.string().optional(),
  adapter: acceleratorAdapterSchema.nullable(),
  /** True for a software adapter (lavapipe, llvmpipe, WARP...): the CPU, not a GPU. */
  software: z.boolean(),
});
export type ReportTarget = z.infer<typeof reportTargetSchema>;

export const reportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  id: z.string().regex(/^[0-9a-f-]{36}$/),
  /** False when the run was interrupted: a partial report. */
  complete: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number().nonnegative(),
  roost: z.object({ version: z.string() }),
  onnxruntime: z.object({ version: z.string() }),
  suite: z.object({
    id: z.string(),
    /** `sha256:<hex>` of the canonical JSON of `definition`. */
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    definition: suiteDefinitionSchema,
  }),
  protocol: protocolSchema,
  target: reportTargetSchema,
  machine: machineSchema,
  gpus: gpuInventorySchema,
  probe: probeReportSchema.nullable(),
  workloads: z.array(workloadResultSchema),
  composite: compositeSchema,
  telemetry: z.object({
    /** Samples of the benchmarked GPU (or of every GPU, for CPU runs), at most 600 per GPU. */
    samples: z.array(telemetrySampleSchema),
    summary: z.array(telemetrySummarySchema),
  }),
  warnings: z.array(reportWarningSchema),
});
export type Report = z.infer<typeof reportSchema>;

export const signatureSchema = z.object({
  /** EIP-191 personal_sign (secp256k1) of the message below. */
  scheme: z.literal('eip191-personal-sign'),
  /** RFC 8785 (JCS) canonical JSON of `report`, UTF-8, then sha256. */
  canonicalization: z.literal('jcs-rfc8785'),
  /** `sha256:<hex>` of the canonical report: the report's hash, as registered on the market. */
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** Checksummed address of the provider key that signed. */
  signer: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  value: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
});
export type ReportSignature = z.infer<typeof signatureSchema>;

/** What is written to disk and exported as JSON. */
export const signedReportSchema = z.object({
  report: reportSchema,
  signature: signatureSchema,
});
export type SignedReport = z.infer<typeof signedReportSchema>;

// ---------------------------------------------------------------------------------------------
// Service shapes for the API

export const benchRunParamsSchema = z
  .object({
    preset: presetNameSchema.default('quick'),
    ep: executionProviderSchema.default('cpu'),
    /** A GPU id from the inventory or a CUDA device index (`0`); omitted: the provider's default. */
    device: z.string().max(200).optional(),
  })
  .strict();
export type BenchRunParams = z.infer<typeof benchRunParamsSchema>;

export const benchPhaseSchema = z.enum([
  'preparing',
  'starting',
  'session',
  'warmup',
  'measure',
  'checking',
  'signing',
  'done',
]);

/** The `bench.progress` event. */
export const benchProgressSchema = z.object({
  runId: z.string(),
  phase: benchPhaseSchema,
  /** 0..1 for the whole run. */
  fraction: z.number().min(0).max(1),
  workloadId: z.string().optional(),
  workloadIndex: z.int().nonnegative().optional(),
  workloadCount: z.int().positive(),
  iterations: z.int().nonnegative().optional(),
  message: z.string(),
});
export type BenchProgress = z.infer<typeof benchProgressSchema>;

export const benchHistoryEntrySchema = z.object({
  id: z.string(),
  file: z.string(),
  startedAt: z.string(),
  suiteId: z.string(),
  /**
   * Made with the suite this Roost runs: its score compares with new runs and is what the market
   * is told. False for reports of a retired version (`roost-std/1`).
   */
  current: z.boolean(),
  preset: z.string(),
  ep: executionProviderSchema,
  adapter: z.string().nullable(),
  software: z.boolean(),
  complete: z.boolean(),
  composite: z.number().nullable(),
  compositeUnit: z.string(),
  /** Sub-scores by workload id (null: did not score). */
  values: z.record(z.string(), z.number().nullable()),
  warnings: z.int().nonnegative(),
  signer: z.string(),
  digest: z.string(),
});
export type BenchHistoryEntry = z.infer<typeof benchHistoryEntrySchema>;

export const verifyFailureSchema = z.enum(['json', 'schema', 'suite', 'signature', 'html']);

/**
 * `roost report verify`: which check failed, in order json → schema → suite → signature → html
 * (an exported HTML page whose visible content is not what its embedded report renders to).
 */
export const verifyResultSchema = z.union([
  z.object({
    ok: z.literal(true),
    signer: z.string(),
    digest: z.string(),
    suiteId: z.string(),
    /** False for a retired suite version: genuine, but its score is not in today's units. */
    suiteCurrent: z.boolean(),
    complete: z.boolean(),
    composite: z.number().nullable(),
  }),
  z.object({
    ok: z.literal(false),
    failed: verifyFailureSchema,
    message: z.string(),
    /** For schema failures: the first problems, `path: message`. */
    issues: z.array(z.string()).optional(),
  }),
]);
export type VerifyResult = z.infer<typeof verifyResultSchema>;

export const benchExportFormatSchema = z.enum(['json', 'html', 'pdf']);
export type BenchExportFormat = z.infer<typeof benchExportFormatSchema>;

/** What one can benchmark here: `roost bench --ep <ep> --device <device>`. */
export const benchTargetSchema = z.object({
  ep: executionProviderSchema,
  /** Pass as `device` (a CUDA device index, or the GPU id); absent: the provider's only device. */
  device: z.string().optional(),
  adapter: z.string().nullable(),
  software: z.boolean(),
  /** What people read: `CPU on AMD EPYC`, `WebGPU on llvmpipe, a software renderer`, `CUDA (device 0) on NVIDIA GeForce RTX 3080`. */
  label: z.string(),
});
export type BenchTarget = z.infer<typeof benchTargetSchema>;

export const benchRunResultSchema = z.object({
  report: signedReportSchema,
  /** Where the signed report was saved in the data folder. */
  file: z.string(),
});
export type BenchRunResult = z.infer<typeof benchRunResultSchema>;

export const benchExportParamsSchema = z
  .object({
    /** A report from the history, or a report file. */
    id: z.string().max(100).optional(),
    file: z.string().max(4096).optional(),
    format: benchExportFormatSchema,
    /** Where to write; absent: the content comes back in the result. */
    out: z.string().max(4096).optional(),
  })
  .strict()
  .refine((p) => (p.id === undefined) !== (p.file === undefined), {
    message: 'give either id or file',
  });
export type BenchExportParams = z.infer<typeof benchExportParamsSchema>;

export const benchExportResultSchema = z.object({
  format: benchExportFormatSchema,
  /** The file written, or null when the content is returned. */
  file: z.string().nullable(),
  bytes: z.int().nonnegative(),
  /** JSON and HTML as text, PDF as base64; only when no `out` was given. */
  content: z.string().optional(),
  /** The verdict of verify at export time (the HTML and PDF show it too). */
  verify: verifyResultSchema,
});
export type BenchExportResult = z.infer<typeof benchExportResultSchema>;

/** Error codes the bench service throws (BenchError.code), for the contract's error union. */
export const benchErrorCodes = [
  'BENCH_BUSY',
  'BENCH_INVALID_TARGET',
  'BENCH_SUITE_MISMATCH',
  'REPORT_NOT_FOUND',
  'REPORT_INVALID',
  'PDF_UNAVAILABLE',
  'PDF_FAILED',
] as const;
export type BenchErrorCode = (typeof benchErrorCodes)[number];
