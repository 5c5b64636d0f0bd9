/**
 * Turns what the benchmark child measured into the report `roost.report/1`: each workload's
 * statistics, accuracy verdict and sub-score, the composite, the telemetry summary and the
 * warnings support staff read first. Pure functions: tests feed them synthetic outcomes.
 */
import { readFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem, version } from 'node:os';
import type { TelemetrySample, GpuInventory, ProbeReport } from '../hardware/schema.ts';
import { executionProviderName } from '../hardware/schema.ts';
import type { WorkloadOutcome } from './child.ts';
import { accuracyGate } from './gate.ts';
import { checksFirstItems, outputValueCount } from './reference.ts';
import type {
  Machine,
  Protocol,
  Report,
  ReportTarget,
  ReportWarning,
  SuiteDefinition,
  TelemetrySummary,
  WorkloadDefinition,
  WorkloadResult,
} from './schema.ts';
import { REPORT_FORMAT } from './schema.ts';
import { achievedTflops, composite, throughput } from './score.ts';
import { bucketSeries, quantileSorted, timingStats } from './stats.ts';

/** Above this coefficient of variation of run times, the report warns. */
export const HIGH_VARIATION_CV = 0.05;
/**
 * From this many cores kept busy by other programs during a run (on average), the report warns:
 * a quarter of a core taken from onnxruntime's threads moved CPU scores by a few percent on a
 * 2-core machine. Roost's own work is not counted.
 */
export const BUSY_OTHER_CORES = 0.25;
/** At or above this temperature a GPU is at or near its thermal limit. */
export const THERMAL_LIMIT_C = 90;

/** A provider's name in a sentence ("ran on the CPU", "ran on CUDA"). */
export function epName(ep: string): string {
  return ep === 'cpu' ? 'the CPU' : executionProviderName(ep);
}

function trim(text: string, max = 2000): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}\u2026` : t;
}

export interface WorkloadContext {
  ep: string;
  /** The run as a whole was stopped (user, agent shutdown). */
  stopped: boolean;
  /** The benchmark child failed as a whole (crash, hang). */
  childFailure?: string;
  /** The child began this workload. */
  started: boolean;
  reference?: ReadonlyMap<string, Float64Array>;
  /** The suite's `measurement.scoreQuantile`: which run time the sub-score uses. */
  scoreQuantile: number;
}

function emptyResult(
  definition: WorkloadDefinition,
  status: WorkloadResult['status'],
  reason: string,
  detail?: string,
): WorkloadResult {
  return {
    id: definition.id,
    title: definition.title,
    status,
    reason,
    ...(detail ? { detail: trim(detail) } : {}),
    unit: definition.unit,
    value: null,
    valueP90: null,
    normalized: null,
    tflops: null,
    timing: null,
    warmup: null,
    sessionMs: null,
    protocolMet: false,
    series: [],
    accuracy: null,
  };
}

/** One workload's result from what the child said about it (or did not). */
export function workloadResult(
  definition: WorkloadDefinition,
  outcome: WorkloadOutcome | undefined,
  context: WorkloadContext,
): WorkloadResult {
  const provider = epName(context.ep);
  if (!outcome) {
    if (context.started) {
      return context.stopped
        ? emptyResult(definition, 'interrupted', 'The run was stopped during this workload.')
        : emptyResult(
            definition,
            'failed',
            `The benchmark process failed during this workload: ${context.childFailure ?? 'no answer'}.`,
          );
    }
    return emptyResult(
      definition,
      'not-run',
      context.stopped
        ? 'Not run: the run was stopped before this workload.'
        : `Not run: ${context.childFailure ?? 'the benchmark process ended before it'}.`,
    );
  }
  if (outcome.type === 'workload-failed') {
    switch (outcome.stage) {
      case 'unsupported':
        return emptyResult(
          definition,
          'unsupported',
          `${provider} cannot run every operator of this workload (onnxruntime would have run part of it on the CPU, which would not be a ${provider} number).`,
          outcome.error,
        );
      case 'session':
        return emptyResult(
          definition,
          'failed',
          `onnxruntime could not prepare this workload on ${provider}.`,
          outcome.error,
        );
      case 'load':
        return emptyResult(
          definition,
          'failed',
          'The benchmark process could not load onnxruntime or the workload\u2019s files.',
          outcome.error,
        );
      case 'run':
        return emptyResult(
          definition,
          'failed',
          `A run of this workload failed on ${provider}.`,
          outcome.error,
        );
    }
  }

  const timing = timingStats(outcome.timingsMs) ?? null;
  const base = {
    id: definition.id,
    title: definition.title,
    unit: definition.unit,
    timing,
    warmup: outcome.warmup,
    sessionMs: outcome.sessionMs,
    // Reaching maxIterations first leaves plenty of runs for the statistics: it counts as met.
    protocolMet: outcome.endedBy === 'protocol' || outcome.endedBy === 'max-iterations',
    series: bucketSeries(outcome.timingsMs),
  };
  const noScore = { value: null, valueP90: null, normalized: null, tflops: null };
  if (outcome.endedBy === 'stop') {
    return {
      ...base,
      ...noScore,
      status: 'interrupted',
      reason: `The run was stopped during this workload after ${outcome.timingsMs.length} measured runs.`,
      accuracy: null,
    };
  }
  if (!timing) {
    return {
      ...base,
      ...noScore,
      status: 'failed',
      reason: 'No run was measured.',
      accuracy: null,
    };
  }
  if (!context.reference) {
    return {
      ...base,
      ...noScore,
      status: 'failed',
      reason: 'The CPU reference for the accuracy check could not be computed.',
      accuracy: null,
    };
  }
  // A reference of a batch's first items covers the leading values of an answer that must
  // still hold the whole batch.
  const partial = checksFirstItems(definition.params);
  const size = outputValueCount(definition.params);
  const accuracy = accuracyGate(
    outcome.firstOutputs,
    outcome.lastOutputs,
    context.reference,
    definition.tolerance,
    partial ? new Map([...context.reference.keys()].map((name) => [name, size])) : undefined,
  );
  if (!accuracy.passed) {
    return {
      ...base,
      ...noScore,
      status: 'failed-accuracy',
      reason: accuracy.reason ?? 'Wrong result.',
      accuracy,
    };
  }
  const scoredMs = quantileSorted(
    [...outcome.timingsMs].sort((a, b) => a - b),
    context.scoreQuantile,
  );
  const value = throughput(definition, scoredMs);
  return {
    ...base,
    status: 'ok',
    value,
    valueP90: throughput(definition, timing.p90Ms),
    normalized: value / definition.reference,
    tflops: achievedTflops(definition, scoredMs),
    accuracy,
  };
}

// ---------------------------------------------------------------------------------------------
// Telemetry

/** Per-GPU summary, with throttling flagged. */
export function summarizeTelemetry(samples: readonly TelemetrySample[]): TelemetrySummary[] {
  const byGpu = new Map<string, TelemetrySample[]>();
  for (const s of samples) byGpu.set(s.gpuId, [...(byGpu.get(s.gpuId) ?? []), s]);
  return [...byGpu.entries()].map(([gpuId, list]) => {
    const nums = (pick: (s: TelemetrySample) => number | null) =>
      list.map(pick).filter((v): v is number => v !== null);
    const temps = nums((s) => s.temperatureC);
    const power = nums((s) => s.powerW);
    const clocks = nums((s) => s.graphicsClockMHz);
    const util = nums((s) => s.utilizationPct);
    const max = (v: number[]) => (v.length ? Math.max(...v) : null);
    const min = (v: number[]) => (v.length ? Math.min(...v) : null);
    const maxTemperatureC = max(temps);
    let throttled = false;
    let throttleReason: string | undefined;
    if (maxTemperatureC !== null && maxTemperatureC >= THERMAL_LIMIT_C) {
      throttled = true;
      throttleReason = `the GPU reached ${maxTemperatureC} \u00b0C, at its thermal limit`;
    }
    // Under load, clocks that sink well below the run's early peak mean the GPU slowed itself.
    const loaded = list.filter(
      (s) => s.graphicsClockMHz !== null && (s.utilizationPct ?? 100) >= 50,
    );
    if (!throttled && loaded.length >= 6) {
      const third = Math.floor(loaded.length / 3);
      const early = Math.max(...loaded.slice(0, third).map((s) => s.graphicsClockMHz ?? 0));
      const late = loaded
        .slice(-third)
        .map((s) => s.graphicsClockMHz ?? 0)
        .sort((a, b) => a - b);
      const lateMedian = late[Math.floor(late.length / 2)] ?? 0;
      if (early > 0 && lateMedian < 0.9 * early) {
        throttled = true;
        throttleReason = `the graphics clock fell from ${early} MHz to ${lateMedian} MHz under load`;
      }
    }
    return {
      gpuId,
      samples: list.length,
      maxTemperatureC,
      maxPowerW: max(power),
      meanPowerW: power.length ? power.reduce((a, b) => a + b, 0) / power.length : null,
      minGraphicsClockMHz: min(clocks),
      maxGraphicsClockMHz: max(clocks),
      maxUtilizationPct: max(util),
      throttled,
      ...(throttleReason ? { throttleReason } : {}),
    };
  });
}

/** A clock swing at least this wide (max ÷ min) while the GPU worked is worth naming. */
export const WANDERING_CLOCK_RATIO = 1.25;

export interface ClockSwing {
  gpuId: string;
  minMHz: number;
  maxMHz: number;
  /** The median clock of those samples (the lower middle of an even count). */
  medianMHz: number;
  maxUtilizationPct: number;
}

/**
 * Each GPU's graphics clock range and median over the samples in which it was working
 * (utilization above zero): the idle clock before the first run says nothing about the run.
 */
export function clockSwings(samples: readonly TelemetrySample[]): ClockSwing[] {
  const byGpu = new Map<string, { clocks: number[]; maxUtilizationPct: number }>();
  for (const s of samples) {
    if (s.graphicsClockMHz === null || s.utilizationPct === null || s.utilizationPct <= 0) continue;
    const seen = byGpu.get(s.gpuId) ?? { clocks: [], maxUtilizationPct: 0 };
    seen.clocks.push(s.graphicsClockMHz);
    seen.maxUtilizationPct = Math.max(seen.maxUtilizationPct, s.utilizationPct);
    byGpu.set(s.gpuId, seen);
  }
  return [...byGpu].map(([gpuId, { clocks, maxUtilizationPct }]) => {
    clocks.sort((a, b) => a - b);
    return {
      gpuId,
      minMHz: clocks[0] as number,
      maxMHz: clocks.at(-1) as number,
      medianMHz: clocks[Math.floor((clocks.length - 1) / 2)] as number,
      maxUtilizationPct,
    };
  });
}

/** At most `max` samples per GPU, evenly spaced, oldest first. */
export function thinSamples(samples: readonly TelemetrySample[], max = 600): TelemetrySample[] {
  const byGpu = new Map<string, TelemetrySample[]>();
  for (const s of samples) byGpu.set(s.gpuId, [...(byGpu.get(s.gpuId) ?? []), s]);
  const out: TelemetrySample[] = [];
  for (const list of byGpu.values()) {
    if (list.length <= max) out.push(...list);
    else
      for (let i = 0; i < max; i++) {
        const sample = list[Math.floor((i * list.length) / max)];
        if (sample) out.push(sample);
      }
  }
  return out.sort((a, b) => a.at - b.at);
}

// ---------------------------------------------------------------------------------------------
// Machine

function distribution(): string | undefined {
  if (platform() !== 'linux') return undefined;
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return m?.[1] || undefined;
  } catch {
    return undefined;
  }
}

/** OS, CPU, memory and load of this machine now. */
export function machineFacts(): Machine {
  const cpuList = cpus();
  const distro = distribution();
  return {
    os: {
      platform: platform(),
      release: release(),
      version: version(),
      arch: arch(),
      ...(distro ? { distribution: distro } : {}),
    },
    cpu: {
      model: cpuList[0]?.model.trim() || 'unknown',
      logicalCores: cpuList.length,
      speedMHz: cpuList[0]?.speed || null,
    },
    memory: { totalBytes: totalmem() },
    loadAverage: platform() === 'win32' ? null : Math.round((loadavg()[0] ?? 0) * 100) / 100,
    node: process.versions.node,
  };
}

// ---------------------------------------------------------------------------------------------
// Warnings

/** `NVIDIA GeForce RTX 3080 (pci-0000:01:00.0)`, or `GPU pci-…` when the list lacks it. */
function gpuLabel(gpus: GpuInventory | undefined, gpuId: string): string {
  const gpu = gpus?.gpus.find((g) => g.id === gpuId);
  return gpu ? `${gpu.name} (${gpuId})` : `GPU ${gpuId}`;
}

export function buildWarnings(input: {
  target: ReportTarget;
  workloads: WorkloadResult[];
  complete: boolean;
  telemetry: TelemetrySummary[];
  /** The raw samples, for the clock while the GPU worked (the summary includes idle samples). */
  samples?: readonly TelemetrySample[];
  machine: Machine;
  /** The GPUs, to name a throttled one by its name, not only its bus id. */
  gpus?: GpuInventory;
  childFailure?: string;
}): ReportWarning[] {
  const warnings: ReportWarning[] = [];
  const { target } = input;
  /** Measured: other programs took next to nothing during the run. */
  const quiet =
    typeof input.machine.otherProgramsCores === 'number' &&
    input.machine.otherProgramsCores < BUSY_OTHER_CORES;
  if (target.software) {
    warnings.push({
      code: 'software-adapter',
      severity: 'warning',
      message: `${epName(target.ep)} ran on ${target.adapter?.name ?? 'a software adapter'}, a software renderer that runs on the CPU: these numbers are not a GPU\u2019s.`,
      fix: 'Install the Vulkan (Linux), Direct3D 12 (Windows) or Metal driver of your GPU so WebGPU runs on the GPU, then benchmark again.',
    });
  }
  if (!input.complete) {
    warnings.push({
      code: 'interrupted',
      severity: 'error',
      message: input.childFailure
        ? `The run did not finish: ${input.childFailure}. This report is partial and has no composite score.`
        : 'The run was stopped before it finished. This report is partial and has no composite score.',
      fix: 'Run the benchmark again and let it finish.',
    });
  }
  const varied: { id: string; title: string; cv: number }[] = [];
  for (const w of input.workloads) {
    if (w.status === 'failed-accuracy') {
      warnings.push({
        code: 'accuracy-failed',
        severity: 'error',
        workloadId: w.id,
        message: `${w.title}: ${w.reason ?? 'wrong result'} It scores nothing.`,
        fix: 'Update the GPU driver. Do not run jobs on this execution provider until this passes: its results would be rejected.',
      });
    } else if (w.status === 'failed' || w.status === 'unsupported') {
      warnings.push({
        code: 'workload-failed',
        severity: 'error',
        workloadId: w.id,
        message: `${w.title}: ${w.reason ?? 'failed'} It scores nothing.`,
        ...(w.status === 'unsupported'
          ? { fix: 'Try another execution provider, or update onnxruntime and the GPU driver.' }
          : {
              fix: 'Update the GPU driver; if it keeps failing, send this report to Roost support.',
            }),
      });
    }
    if (w.timing && w.status === 'ok' && !w.protocolMet) {
      warnings.push({
        code: 'protocol-not-met',
        severity: 'warning',
        workloadId: w.id,
        message: `${w.title}: only ${w.timing.iterations} runs fitted in the time limit; the protocol asks for more, so this number is less certain.`,
      });
    }
    if (w.timing && w.status === 'ok' && w.timing.cv > HIGH_VARIATION_CV) {
      varied.push({ id: w.id, title: w.title, cv: w.timing.cv });
    }
  }
  // One warning for all the workloads whose run times varied: the same cause slows them all,
  // and six copies of one sentence bury the other warnings.
  if (varied.length > 0) {
    // A GPU that is not throttling, yet whose clock swings while it works, is being slowed by
    // its own power management between runs (seen on an H200 under WebGPU: 975-1980 MHz at
    // 20-60 % busy; the run-to-run spread followed).
    const wanderingClock = target.software
      ? undefined
      : clockSwings(input.samples ?? []).find(
          (c) =>
            !input.telemetry.some((t) => t.gpuId === c.gpuId && t.throttled) &&
            c.maxMHz >= WANDERING_CLOCK_RATIO * c.minMHz,
        );
    // One short sentence: which workloads and the largest spread (the coefficient of variation:
    // the typical distance of a run from the average run). Each workload's own figure is in the
    // results table beside it.
    const titles = varied.map((v) => v.title);
    const names =
      titles.length <= 1
        ? titles.join('')
        : `${titles.slice(0, -1).join(', ')} and ${titles[titles.length - 1]!}`;
    const most = Math.max(...varied.map((v) => v.cv));
    const what = `Run times of ${names} varied by up to ${Math.round(most * 100)} %`;
    warnings.push({
      code: 'high-variation',
      severity: 'warning',
      ...(varied.length === 1 ? { workloadId: varied[0]!.id } : {}),
      ...(quiet && wanderingClock
        ? {
            message: `${what}: the GPU\u2019s power management slowed it between runs (its clock moved between ${wanderingClock.minMHz} and ${wanderingClock.maxMHz} MHz).`,
            fix: 'Set the GPU to prefer maximum performance (NVIDIA: PowerMizer in NVIDIA Settings or the Control Panel\u2019s power management mode; AMD: the performance profile), then run the benchmark again.',
          }
        : quiet
          ? {
              message: `${what}, though no other program was busy: power saving, heat or a virtual machine\u2019s host slowed some runs.`,
              fix: 'Set the power plan to high performance, check the cooling, and run the benchmark again; on a virtual machine, expect this.',
            }
          : {
              message: `${what}, probably because other programs were running.`,
              fix: 'Close other programs (games, miners, browsers playing video) and run the benchmark again.',
            }),
    });
  }
  for (const t of input.telemetry) {
    if (t.throttled) {
      warnings.push({
        code: 'throttling',
        severity: 'warning',
        message: `${gpuLabel(input.gpus, t.gpuId)} throttled during the run: ${t.throttleReason ?? 'clocks fell under load'}. Its numbers are lower than it can do when cool.`,
        fix: 'Clean the fans and heatsink, improve the case airflow, or lower the power limit; then benchmark again.',
      });
    }
  }
  const cores = input.machine.cpu.logicalCores;
  const others = input.machine.otherProgramsCores;
  if (typeof others === 'number') {
    if (others >= BUSY_OTHER_CORES) {
      warnings.push({
        code: 'busy-machine',
        severity: 'warning',
        message: `Other programs kept ${others} of ${cores} logical cores busy during the run, on average; numbers may be low and vary.`,
        fix: 'Close other programs (games, browsers, miners, video) and benchmark again.',
      });
    }
  } else if (
    input.machine.loadAverage !== null &&
    cores > 0 &&
    input.machine.loadAverage > cores / 2
  ) {
    // Not measured during the run: the load average at the start is all there is.
    warnings.push({
      code: 'busy-machine',
      severity: 'warning',
      message: `The machine was busy when the run started (load average ${input.machine.loadAverage} on ${cores} logical cores); numbers may be low and vary.`,
      fix: 'Close other programs and benchmark again when the machine is idle.',
    });
  }
  if (!target.software && target.ep !== 'cpu' && input.telemetry.length === 0) {
    warnings.push({
      code: 'no-telemetry',
      severity: 'info',
      message:
        'No GPU telemetry (temperature, clocks, power) was available during the run, so throttling could not be checked.',
    });
  }
  return warnings;
}

// ---------------------------------------------------------------------------------------------
// The report

export interface ReportInput {
  id: string;
  suite: SuiteDefinition;
  suiteHash: string;
  protocol: Protocol;
  target: ReportTarget;
  machine: Machine;
  gpus: GpuInventory;
  probe: ProbeReport | null;
  roostVersion: string;
  onnxruntimeVersion: string;
  startedAt: Date;
  finishedAt: Date;
  workloads: WorkloadResult[];
  telemetry: TelemetrySample[];
  stopped: boolean;
  childFailure?: string;
}

export function buildReport(input: ReportInput): Report {
  const complete =
    !input.stopped &&
    !input.childFailure &&
    input.workloads.every((w) => w.status !== 'interrupted' && w.status !== 'not-run');
  const values = new Map(input.workloads.map((w) => [w.id, w.value]));
  const summary = summarizeTelemetry(input.telemetry);
  const result = composite(input.suite, values);
  return {
    format: REPORT_FORMAT,
    id: input.id,
    complete,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    durationMs: Math.max(0, input.finishedAt.getTime() - input.startedAt.getTime()),
    roost: { version: input.roostVersion },
    onnxruntime: { version: input.onnxruntimeVersion },
    suite: { id: input.suite.id, hash: input.suiteHash, definition: input.suite },
    protocol: input.protocol,
    target: input.target,
    machine: input.machine,
    gpus: input.gpus,
    probe: input.probe,
    workloads: input.workloads,
    composite: complete ? result : { ...result, value: null },
    telemetry: { samples: thinSamples(input.telemetry), summary },
    warnings: buildWarnings({
      target: input.target,
      workloads: input.workloads,
      complete,
      telemetry: summary,
      samples: input.telemetry,
      machine: input.machine,
      gpus: input.gpus,
      ...(input.childFailure ? { childFailure: input.childFailure } : {}),
    }),
  };
}
