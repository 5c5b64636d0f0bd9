/**
 * onnxruntime's own profile of a session (`enableProfiling`), summed per operator and execution
 * provider: where a run's time goes as onnxruntime sees it (each node's kernel time, and the
 * whole `model_run`). For an asynchronous provider (WebGPU) a kernel's time is what it took to
 * record and submit its work, not the GPU's time, and `model_run` includes waiting for the GPU:
 * the gap between the two is the device's share.
 */
import type * as OrtModule from 'onnxruntime-node';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ort } from '../worker/ort.ts';

interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string; provider?: string };
}

export interface ProfileLine {
  /** `Add (WebGpuExecutionProvider)` */
  op: string;
  /** µs a run, all its nodes of that kind together. */
  usPerRun: number;
  nodesPerRun: number;
}

export interface ProfileSummary {
  runs: number;
  /** onnxruntime's `model_run`, µs a run (median). */
  modelRunUs: number;
  /**
   * µs a run (medians) from model_run's start to its first kernel (feeds, uploads), and from its
   * last kernel's end to model_run's end (waiting for the GPU, reading the outputs back).
   */
  leadUs: number;
  tailUs: number;
  /** Largest first. */
  ops: ProfileLine[];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

/**
 * Sums a profile (onnxruntime's Chrome-trace JSON), leaving out everything up to the end of the
 * `skip`-th run (the warm-up: a first WebGPU run compiles its shaders).
 */
export function summarizeProfile(trace: TraceEvent[], skip: number): ProfileSummary {
  const byOp = new Map<string, { us: number; nodes: number }>();
  const allRuns = trace
    .filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .map((e) => ({ start: e.ts ?? 0, dur: e.dur ?? 0 }))
    .sort((a, b) => a.start - b.start);
  const warm = allRuns[skip - 1];
  const after = warm ? warm.start + warm.dur : -Infinity;
  const counted = allRuns.filter((r) => r.start >= after);
  const modelRuns = counted.map((r) => r.dur);
  const runs = modelRuns.length;
  const kernels = trace.filter(
    (e) =>
      e.cat === 'Node' &&
      e.name?.endsWith('_kernel_time') &&
      typeof e.dur === 'number' &&
      (e.ts ?? 0) >= after,
  );
  const leads: number[] = [];
  const tails: number[] = [];
  for (const r of counted) {
    const inside = kernels.filter((e) => (e.ts ?? 0) >= r.start && (e.ts ?? 0) <= r.start + r.dur);
    if (inside.length === 0) continue;
    leads.push(Math.min(...inside.map((e) => e.ts ?? 0)) - r.start);
    tails.push(r.start + r.dur - Math.max(...inside.map((e) => (e.ts ?? 0) + (e.dur ?? 0))));
  }
  for (const e of kernels) {
    if (typeof e.dur !== 'number') continue;
    const op = `${e.args?.op_name ?? '?'} (${e.args?.provider ?? '?'})`;
    const line = byOp.get(op) ?? { us: 0, nodes: 0 };
    line.us += e.dur;
    line.nodes++;
    byOp.set(op, line);
  }
  return {
    runs,
    modelRunUs: median(modelRuns),
    leadUs: median(leads),
    tailUs: median(tails),
    ops: [...byOp.entries()]
      .map(([op, l]) => ({ op, usPerRun: l.us / runs, nodesPerRun: l.nodes / runs }))
      .sort((a, b) => b.usPerRun - a.usPerRun),
  };
}

/** Runs `runs` times in a profiled session of its own, after 3 warm-up runs, and sums them. */
export async function profileRuns(
  ort: Ort,
  model: Uint8Array,
  options: OrtModule.InferenceSession.SessionOptions,
  feeds: Record<string, OrtModule.Tensor>,
  runs: number,
): Promise<ProfileSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'roost-ort-profile-'));
  try {
    // onnxruntime-node profiles from the session's creation (its startProfiling does nothing).
    const session = await ort.InferenceSession.create(model, {
      ...options,
      enableProfiling: true,
      profileFilePrefix: join(dir, 'profile'),
    });
    for (let i = 0; i < 3 + runs; i++) await session.run(feeds);
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error('onnxruntime wrote no profile');
    return summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as TraceEvent[], 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A few lines: model_run and the operators that took the most. */
export function formatProfile(p: ProfileSummary, top = 6): string[] {
  const kernels = p.ops.reduce((s, o) => s + o.usPerRun, 0);
  return [
    `onnxruntime's profile over ${p.runs} runs: model_run ${p.modelRunUs.toFixed(0)} µs (median), kernels ${kernels.toFixed(0)} µs a run; before the first kernel ${p.leadUs.toFixed(0)} µs, after the last ${p.tailUs.toFixed(0)} µs (medians)`,
    ...p.ops
      .slice(0, top)
      .map(
        (o) =>
          `  ${o.op.padEnd(44)} ${o.usPerRun.toFixed(1).padStart(9)} µs a run (${o.nodesPerRun.toFixed(0)} nodes)`,
      ),
  ];
}
