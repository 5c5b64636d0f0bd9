/**
 * How each workload of the standard suite scales with the work in one run, on one provider: a
 * figure for choosing a suite's sizes, not a test. On a fast GPU a run of roost-std/2 lasted 1–5
 * ms, and what a run costs besides the device's work (uploading the inputs, waiting for the
 * answer, onnxruntime's own time) may be most of it; the GPU then idles between runs and its
 * power management moves the clock, which moves the score from run to run.
 *
 *   node bench/scaling.bench.ts [--ep webgpu] [--k 1,4] [--blocks 6] [--block-ms 600] [--only gemm-fp32,...]
 *     [--variant 'label:{"validationMode":"disabled"}' ...] [--profile 20] [--bandwidth-by rows|pairs]
 *     [--threads] [--waits] [--compare '{"packed":true}']
 *
 * For each workload, at its size in the standard suite (k = 1) and with k times the work per run
 * (`scaled` below), each with each set of execution-provider options given (`--variant`), the
 * runs are measured in `blocks` interleaved blocks; it prints each one's throughput (from the
 * blocks' median run time), the spread of the blocks, and its throughput over the first one's:
 * between sizes, near 1 when a run is all device work, near k when a run is all overhead. Where nvidia-smi exists, the GPU's utilization and graphics clock during each size's
 * blocks (sampled every 100 ms) are printed beside it. `--profile N` adds onnxruntime's own
 * profile of N runs of each size (bench/ort-profile.ts): which operators, on which provider.
 * `--threads` adds the CPU each thread of this process used a run through each size's blocks,
 * `--waits` what the main thread was doing (bench/thread-waits.ts): working, or asleep in which
 * call. `--bandwidth-by pairs` scales memory bandwidth by more passes over the same tensor
 * instead of a bigger tensor. `--compare <json>` measures each size twice, the second time with
 * these workload parameters changed (for a suite change: the same workload built another way).
 */
import type * as OrtModule from 'onnxruntime-node';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { generateWorkload } from '../agent/bench/models.ts';
import type { WorkloadParams } from '../agent/bench/schema.ts';
import { coefficientOfVariation, quantileSorted } from '../agent/bench/stats.ts';
import { STD_SUITE, unitOf, unitScale, workPerRun } from '../agent/bench/suite.ts';
import { loadOrt } from '../worker/ort.ts';
import { formatProfile, profileRuns } from './ort-profile.ts';
import { formatUse, threadTimes, usedByName } from './thread-cpu.ts';
import type { ThreadTime } from './thread-cpu.ts';
import { formatWaits, sampleWaits } from './thread-waits.ts';
import type { WaitTally } from './thread-waits.ts';

const { values } = parseArgs({
  options: {
    ep: { type: 'string', default: 'webgpu' },
    k: { type: 'string', default: '1,4' },
    /** `label:{json}`: execution-provider options to compare (repeatable); default onnxruntime's. */
    variant: { type: 'string', multiple: true },
    blocks: { type: 'string', default: '6' },
    'block-ms': { type: 'string', default: '600' },
    only: { type: 'string' },
    /** onnxruntime's own profile of each size, over this many runs (0: none). */
    profile: { type: 'string', default: '0' },
    'bandwidth-by': { type: 'string', default: 'rows' },
    threads: { type: 'boolean', default: false },
    waits: { type: 'boolean', default: false },
    /** Workload parameters to measure beside the suite's own, as JSON. */
    compare: { type: 'string' },
  },
});
const PROFILE_RUNS = Number(values.profile);
const KS = values.k.split(',').map(Number);
const VARIANTS = (values.variant ?? ['default:{}']).map((v) => {
  const at = v.indexOf(':');
  return { label: v.slice(0, at), options: JSON.parse(v.slice(at + 1)) as Record<string, unknown> };
});
const BLOCKS = Math.max(2, Number(values.blocks));
const BLOCK_MS = Number(values['block-ms']);
const only = values.only?.split(',');
const COMPARE = values.compare
  ? (JSON.parse(values.compare) as Record<string, unknown>)
  : undefined;

/** The same workload with k times the device work in one run. */
function scaled(p: WorkloadParams, k: number): WorkloadParams {
  switch (p.kind) {
    case 'gemm':
      return { ...p, chain: p.chain * k };
    case 'bandwidth':
      // By default a bigger tensor, not more operators: each operator is a dispatch with its
      // own cost. `--bandwidth-by pairs`: more passes over the same tensor.
      return values['bandwidth-by'] === 'pairs'
        ? { ...p, pairs: Math.round(p.pairs * k) }
        : { ...p, rows: p.rows * k };
    case 'cnn':
    case 'transformer':
    case 'decode':
      return { ...p, batch: p.batch * k };
  }
}

interface Sample {
  at: number;
  util: number;
  clock: number;
}

/** nvidia-smi every 100 ms, or nothing where there is none. */
function sampleGpu(): { samples: Sample[]; stop: () => void } {
  const samples: Sample[] = [];
  const child = spawn(
    'nvidia-smi',
    ['--query-gpu=utilization.gpu,clocks.gr', '--format=csv,noheader,nounits', '-lms', '100'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  child.on('error', () => undefined);
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const [util, clock] = line.split(',').map((v) => Number(v.trim()));
      if (Number.isFinite(util) && Number.isFinite(clock)) {
        samples.push({ at: performance.now(), util: util as number, clock: clock as number });
      }
    }
  });
  return { samples, stop: () => child.kill() };
}

interface Size {
  label: string;
  k: number;
  params: WorkloadParams;
  model: Uint8Array;
  options: OrtModule.InferenceSession.SessionOptions;
  session: OrtModule.InferenceSession;
  feeds: Record<string, OrtModule.Tensor>;
  blockMedians: number[];
  windows: [number, number][];
  runs: number;
  threads: ThreadTime[][];
  waits: WaitTally[];
}

/** Two tallies as one. */
function addTallies(tallies: WaitTally[]): WaitTally {
  const counts: Record<string, number> = {};
  let samples = 0;
  for (const t of tallies) {
    samples += t.samples;
    for (const [label, n] of Object.entries(t.counts)) counts[label] = (counts[label] ?? 0) + n;
  }
  return { samples, counts };
}

async function main(): Promise<void> {
  const ort = await loadOrt();
  const gpu = sampleGpu();
  console.log(
    `provider ${values.ep}, k = ${KS.join(', ')}, options: ${VARIANTS.map((v) => v.label).join(', ')}; ${BLOCKS} blocks of ${BLOCK_MS} ms each, interleaved`,
  );
  for (const w of STD_SUITE.workloads) {
    if (only && !only.includes(w.id)) continue;
    const sizes: Size[] = [];
    for (const k of KS) {
      const base = k === 1 ? w.params : scaled(w.params, k);
      const builds: [WorkloadParams, string][] = [[base, '']];
      if (COMPARE) builds.push([{ ...base, ...COMPARE } as WorkloadParams, ` ${values.compare}`]);
      for (const [params, built] of builds) {
        const generated = generateWorkload(STD_SUITE.seed, w.id, params);
        for (const variant of VARIANTS) {
          const options: OrtModule.InferenceSession.SessionOptions = {
            executionProviders: [
              (Object.keys(variant.options).length > 0
                ? { name: values.ep, ...variant.options }
                : values.ep) as never,
            ],
            graphOptimizationLevel: 'all',
          };
          const session = await ort.InferenceSession.create(generated.model, options);
          const feeds: Record<string, OrtModule.Tensor> = {};
          for (const input of generated.inputs) {
            const copy = new Uint8Array(input.bytes);
            const data =
              input.dtype === 'float16'
                ? new Uint16Array(copy.buffer)
                : new Float32Array(copy.buffer);
            feeds[input.name] = new ort.Tensor(input.dtype, data, input.dims);
          }
          // Warm-up: a few runs and at least half a block.
          const t = performance.now();
          for (let i = 0; i < 3 || performance.now() - t < BLOCK_MS / 2; i++) {
            await session.run(feeds);
          }
          const label = `k=${k}${built}${VARIANTS.length > 1 ? ` ${variant.label}` : ''}`;
          sizes.push({
            label,
            k,
            params,
            model: generated.model,
            options,
            session,
            feeds,
            blockMedians: [],
            windows: [],
            runs: 0,
            threads: [],
            waits: [],
          });
        }
      }
    }
    for (let b = 0; b < BLOCKS; b++) {
      for (const size of sizes) {
        const times: number[] = [];
        const threads0 = values.threads ? threadTimes(process.pid) : [];
        const sampler = values.waits ? sampleWaits(process.pid, process.pid) : undefined;
        const start = performance.now();
        while (performance.now() - start < BLOCK_MS || times.length < 3) {
          const t = performance.now();
          await size.session.run(size.feeds);
          times.push(performance.now() - t);
        }
        size.windows.push([start, performance.now()]);
        size.runs += times.length;
        if (values.threads) size.threads.push(threads0, threadTimes(process.pid));
        if (sampler) size.waits.push(await sampler.stop());
        times.sort((a, c) => a - c);
        size.blockMedians.push(quantileSorted(times, 0.5));
      }
    }
    const unit = unitOf(w.params);
    const throughput = (size: Size, ms: number) =>
      workPerRun(size.params) / (ms / 1000) / unitScale(unit);
    console.log(`${w.id}:`);
    const first = sizes[0] as Size;
    let firstValue = 0;
    for (const size of sizes) {
      const sorted = [...size.blockMedians].sort((a, c) => a - c);
      const ms = quantileSorted(sorted, 0.5);
      const value = throughput(size, ms);
      if (size === first) firstValue = value;
      const inWindows = gpu.samples.filter((s) =>
        size.windows.some(([a, c]) => s.at >= a && s.at <= c),
      );
      const clocks = inWindows.map((s) => s.clock).sort((a, c) => a - c);
      const utils = inWindows.map((s) => s.util).sort((a, c) => a - c);
      const gpuText =
        inWindows.length > 0
          ? `; GPU busy ${quantileSorted(utils, 0.5)} %, clock ${clocks[0]}–${clocks.at(-1)} MHz (median ${quantileSorted(clocks, 0.5)})`
          : '';
      const versus =
        size === first
          ? ''
          : ` (${(value / firstValue).toFixed(2)}× ${first.label}${size.k !== first.k ? `: 1 = a run is all device work, ${size.k / first.k} = all overhead` : ''})`;
      console.log(
        `  ${size.label.padEnd(14)} ${ms.toFixed(3).padStart(8)} ms a run, ${value.toPrecision(4)} ${unit}${versus}, blocks CV ${(coefficientOfVariation(size.blockMedians.map((m) => throughput(size, m))) * 100).toFixed(2)} %${gpuText}`,
      );
      if (values.threads) {
        // Each block's use, by thread name, summed over the blocks.
        const byName = new Map<
          string,
          { name: string; threads: number; ns: number; slices: number }
        >();
        for (let i = 0; i + 1 < size.threads.length; i += 2) {
          for (const u of usedByName(size.threads[i] ?? [], size.threads[i + 1] ?? [])) {
            const sum = byName.get(u.name) ?? { ...u, ns: 0, slices: 0 };
            sum.threads = Math.max(sum.threads, u.threads);
            sum.ns += u.ns;
            sum.slices += u.slices;
            byName.set(u.name, sum);
          }
        }
        const uses = [...byName.values()].sort((a, c) => c.ns - a.ns);
        console.log(`    CPU by thread: ${formatUse(uses, size.runs, 'a run')}`);
      }
      if (values.waits) {
        console.log(`    main thread: ${formatWaits(addTallies(size.waits))}`);
      }
    }
    for (const size of sizes) await size.session.release();
    if (PROFILE_RUNS > 0) {
      for (const size of sizes) {
        const profile = await profileRuns(ort, size.model, size.options, size.feeds, PROFILE_RUNS);
        console.log(`  ${size.label}: ${formatProfile(profile).join('\n    ')}`);
      }
    }
  }
  gpu.stop();
}

await main();
process.exit(0);
