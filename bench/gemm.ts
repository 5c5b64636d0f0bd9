/**
 * `npm run bench:gemm` — a figure, not a test: Roost's CPU GEMM throughput (the gemm-fp32 workload
 * of roost-std/4 on onnxruntime's CPU provider, measured by the real benchmark child) divided by
 * numpy's sgemm doing the same work (X ← X·W eight times, 1024×1024 float32) on this machine, in
 * the same run. The two alternate in rounds so that a change of load hits both.
 *
 *   node bench/gemm.ts [--rounds 5] [--seconds 2] [--python /usr/bin/python3] [--idle]
 *
 * Each round gives each side's median run time. The figure is the ratio of the best rounds (the
 * least disturbed by other programs: on a shared machine the load changes within seconds); the
 * ratio of the median rounds is printed beside it, and so are the cores other programs kept busy
 * during each side's round. --idle waits for 3 quiet seconds before each side.
 *
 * numpy is Debian's python3-numpy (ROOST_PYTHON or --python picks another interpreter); which BLAS
 * it uses is printed, since that decides the figure (reference BLAS is ~20x slower than OpenBLAS).
 * So is the OpenBLAS kernel: where OpenBLAS does not know this CPU and falls back to an older
 * kernel than the CPU's flags allow, numpy runs with OPENBLAS_CORETYPE set to the best one
 * (see blas-core.ts); set OPENBLAS_CORETYPE yourself to choose.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareWorkload, suiteCacheDir } from '../agent/bench/artifacts.ts';
import { createNodeBenchSpawner, defaultBenchEntry, runBenchChild } from '../agent/bench/child.ts';
import { STD_SUITE, suiteHash } from '../agent/bench/suite.ts';
import { quantileSorted } from '../agent/bench/stats.ts';
import { probeEnv } from '../agent/hardware/probe.ts';
import { blasChoice } from './blas-core.ts';
import { cpuTicks, othersCores, waitIdle } from './cpu-load.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '2' },
    python: { type: 'string', default: process.env.ROOST_PYTHON ?? '/usr/bin/python3' },
    idle: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const python = values.python;

const definition = STD_SUITE.workloads.find((w) => w.id === 'gemm-fp32');
if (!definition || definition.params.kind !== 'gemm') throw new Error('gemm-fp32 is missing');
const { n, chain } = definition.params;
const flops = definition.flopsPerRun;

const blas = blasChoice(python);
const numpyEnv = blas.override ? { ...process.env, OPENBLAS_CORETYPE: blas.override } : process.env;

const NUMPY = `
import json, sys, time
import numpy as np
n, chain, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(1)
x = rng.uniform(-1, 1, (n, n)).astype(np.float32)
w = (rng.uniform(-1, 1, (n, n)) * (3 / n) ** 0.5).astype(np.float32)
def run():
    h = x
    for _ in range(chain):
        h = h @ w
    return h.sum(axis=1)
for _ in range(2):
    run()
times, start = [], time.perf_counter()
while len(times) < 10 or time.perf_counter() - start < seconds:
    t = time.perf_counter(); run(); times.append((time.perf_counter() - t) * 1000)
print(json.dumps({'timings': times, 'numpy': np.__version__}))
`;

function blasLibrary(): string {
  // Debian's numpy links libblas.so.3, an alternative: reference BLAS, OpenBLAS or BLIS.
  const r = spawnSync('readlink', ['-f', '/usr/lib/x86_64-linux-gnu/libblas.so.3'], {
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

function numpyRound(): { median: number; numpy: string } {
  const r = spawnSync(python, ['-c', NUMPY, String(n), String(chain), String(seconds)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: numpyEnv,
  });
  if (r.status !== 0) {
    console.error(
      `numpy did not run with ${python}: ${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}\nInstall Debian's python3-numpy (apt-get install python3-numpy), or pass --python.`,
    );
    process.exit(2);
  }
  const parsed = JSON.parse(r.stdout) as { timings: number[]; numpy: string };
  return {
    median: quantileSorted(
      [...parsed.timings].sort((a, b) => a - b),
      0.5,
    ),
    numpy: parsed.numpy,
  };
}

async function roostRound(prepared: Awaited<ReturnType<typeof prepareWorkload>>): Promise<number> {
  const outcome = await runBenchChild({
    spawn: createNodeBenchSpawner(),
    launch: { entry: defaultBenchEntry(), env: probeEnv(process.env) },
    plan: {
      ep: 'cpu',
      // One workload, one block: the same schedule as numpy's loop beside it.
      rounds: 1,
      workloads: [
        {
          ...prepared.plan,
          warmup: { minMs: 500, minIterations: 2 },
          measure: {
            minMs: seconds * 1000,
            minIterations: 10,
            maxMs: 120_000,
            maxIterations: 100_000,
          },
        },
      ],
    },
  });
  const result = outcome.results.get('gemm-fp32');
  if (result?.type !== 'workload-done') {
    throw new Error(`the benchmark child failed: ${outcome.failure ?? JSON.stringify(result)}`);
  }
  return quantileSorted(
    [...result.timingsMs].sort((a, b) => a - b),
    0.5,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'roost-bench-gemm-'));
try {
  const prepared = await prepareWorkload(
    STD_SUITE,
    definition,
    suiteCacheDir(dir, STD_SUITE, suiteHash(STD_SUITE)),
    {
      name: 'gemm',
      warmup: { minMs: 0, minIterations: 1 },
      measure: { minMs: 0, minIterations: 1, maxMs: 1, maxIterations: 1 },
    },
  );
  const ours: number[] = [];
  const theirs: number[] = [];
  let info = { numpy: '?' };
  for (let round = 1; round <= rounds; round++) {
    if (values.idle) await waitIdle();
    const t0 = cpuTicks();
    const a = await roostRound(prepared);
    const t1 = cpuTicks();
    if (values.idle) await waitIdle();
    const t2 = cpuTicks();
    const b = numpyRound();
    const t3 = cpuTicks();
    const busy = [othersCores(t0, t1), othersCores(t2, t3)].map((c) => c?.toFixed(2) ?? '?');
    info = b;
    ours.push(a);
    theirs.push(b.median);
    console.log(
      `round ${round}: roost ${(flops / a / 1e6).toFixed(1)} GFLOP/s (median ${a.toFixed(1)} ms), numpy ${(flops / b.median / 1e6).toFixed(1)} GFLOP/s (median ${b.median.toFixed(1)} ms); other programs kept ${busy[0]} / ${busy[1]} cores busy`,
    );
  }
  const gflops = (ms: number) => flops / ms / 1e6;
  const median = (list: number[]) =>
    quantileSorted(
      [...list].sort((x, y) => x - y),
      0.5,
    );
  const best = { ours: gflops(Math.min(...ours)), theirs: gflops(Math.min(...theirs)) };
  const typical = { ours: gflops(median(ours)), theirs: gflops(median(theirs)) };
  console.log(
    `\nGEMM fp32 ${n}×${n}, chain of ${chain} (${(flops / 1e9).toFixed(2)} GFLOP per run), ${rounds} rounds, load average ${loadavg()[0]?.toFixed(2)}:`,
  );
  console.log(
    `  Roost (onnxruntime CPU)  best ${best.ours.toFixed(1)} GFLOP/s, median round ${typical.ours.toFixed(1)} GFLOP/s`,
  );
  console.log(
    `  numpy ${info.numpy} sgemm     best ${best.theirs.toFixed(1)} GFLOP/s, median round ${typical.theirs.toFixed(1)} GFLOP/s  (libblas.so.3 -> ${blasLibrary()})`,
  );
  if (blas.override) {
    console.log(
      `  OpenBLAS picked its ${blas.chosen} kernel (it does not know this CPU); numpy ran with OPENBLAS_CORETYPE=${blas.override}, the best kernel this CPU's flags allow`,
    );
  } else if (blas.chosen) {
    console.log(`  OpenBLAS kernel: ${blas.chosen}`);
  }
  console.log(
    `  ratio Roost / numpy      ${(best.ours / best.theirs).toFixed(3)} (best rounds), ${(typical.ours / typical.theirs).toFixed(3)} (median rounds)  (goal: >= 0.9)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
