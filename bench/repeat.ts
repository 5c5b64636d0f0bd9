/**
 * `npm run bench:repeat` — a figure, not a test: the quick preset of roost-std/4, 5 times in a
 * row through the real bench service, and the coefficient of variation of the composite (the
 * goal is ≤ 1 % on an idle machine), with each workload's CV across the runs.
 *
 *   node bench/repeat.ts [--runs 5] [--preset quick] [--ep cpu] [--data-dir <dir>] [--idle]
 *
 * Reports go to a temporary data folder (its own signing key) unless --data-dir is given. On
 * Linux each run also prints how many cores OTHER programs kept busy meanwhile (from /proc/stat,
 * less this process and its benchmark children), since that, not Roost, is what moves the figure
 * on a shared machine. --idle is for such machines: wait for 3 quiet seconds before each run and
 * keep going (up to 4 × runs) until `runs` runs were undisturbed (others < 0.05 cores); the
 * figure is then the CV of the undisturbed runs, printed beside the CV of all of them.
 *
 * Before each run it also times a plain 64 MiB memcpy (bench/mem-probe.ts): on a VM whose memory
 * bus other tenants share, the memory-bound workloads follow the machine, and that line shows it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createBenchService } from '../agent/bench/service.ts';
import type { PresetName } from '../agent/bench/schema.ts';
import { clockSwings } from '../agent/bench/report.ts';
import { coefficientOfVariation } from '../agent/bench/stats.ts';
import { composite, throughput } from '../agent/bench/score.ts';
import { STD_SUITE } from '../agent/bench/suite.ts';
import { createHardwareService, probeCacheDir } from '../agent/hardware/index.ts';
import type { ExecutionProvider } from '../agent/hardware/schema.ts';
import { createLogger, stderrSink } from '../agent/log.ts';
import { cpuTicks, othersCores, waitIdle } from './cpu-load.ts';
import { memcpyGBs } from './mem-probe.ts';
import { loadOrCreateLocalSigner } from '../agent/wallet/signer.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    preset: { type: 'string', default: 'quick' },
    ep: { type: 'string', default: 'cpu' },
    'data-dir': { type: 'string' },
    idle: { type: 'boolean', default: false },
  },
});

const runs = Number(values.runs);
const dataDir = values['data-dir'] ?? mkdtempSync(join(tmpdir(), 'roost-bench-repeat-'));
const log = createLogger({ sink: stderrSink('warn') });
const hardware = createHardwareService({
  cacheDir: probeCacheDir(dataDir),
  log: log.child('hardware'),
});
const bench = createBenchService({
  dataDir,
  signer: () => loadOrCreateLocalSigner(dataDir),
  hardware,
  log: log.child('bench'),
});

interface Run {
  composite: number;
  values: Map<string, number>;
  quiet: boolean;
  /** The machine's own memory speed (memcpy, GB/s) before the run. */
  memcpy: number;
  /** How long the run took, fresh data folder's first run included. */
  seconds: number;
  /** The composite (RCS) as it would be if every workload scored at another statistic of its runs. */
  scoredAt: Record<Statistic, number>;
}

const STATISTICS = ['medianMs', 'p10Ms', 'minMs'] as const;
type Statistic = (typeof STATISTICS)[number];

/** The suite's own composite, each workload's throughput taken at `statistic` of its run times. */
function compositeAt(
  workloads: readonly { id: string; timing: Partial<Record<Statistic, number>> | null }[],
  statistic: Statistic,
): number {
  const values = new Map<string, number | null>();
  for (const definition of STD_SUITE.workloads) {
    // A report without this statistic (p10 came with roost-std/2) has no composite at it.
    const ms = workloads.find((w) => w.id === definition.id)?.timing?.[statistic];
    values.set(definition.id, ms === undefined ? null : throughput(definition, ms));
  }
  return composite(STD_SUITE, values).value ?? NaN;
}
const QUIET_CORES = 0.05;

function summary(title: string, list: Run[]): void {
  console.log(`\n${title}: ${list.length} runs`);
  if (list.length === 0) return;
  for (const id of list[0]?.values.keys() ?? []) {
    const v = list.map((r) => r.values.get(id) ?? NaN);
    console.log(
      `  ${id.padEnd(20)} CV ${(coefficientOfVariation(v) * 100).toFixed(2).padStart(6)} %   ${v.map((x) => x.toPrecision(4)).join('  ')}`,
    );
  }
  const memcpy = list.map((r) => r.memcpy);
  console.log(
    `  ${'(machine memcpy)'.padEnd(20)} CV ${(coefficientOfVariation(memcpy) * 100).toFixed(2).padStart(6)} %   ${memcpy.map((x) => x.toPrecision(4)).join('  ')}`,
  );
  const composites = list.map((r) => r.composite);
  const mean = composites.reduce((a, b) => a + b, 0) / composites.length;
  console.log(
    `  composite mean ${mean.toFixed(2)} RCS, coefficient of variation ${(coefficientOfVariation(composites) * 100).toFixed(2)} %  (goal: <= 1 % on an idle machine)`,
  );
  const seconds = list.map((r) => r.seconds);
  console.log(
    `  run time ${Math.min(...seconds).toFixed(1)}–${Math.max(...seconds).toFixed(1)} s${values.preset === 'quick' ? '  (goal: the quick preset <= 60 s on a 2-core CPU machine)' : ''}`,
  );
  // Would another statistic of the run times have spread less? (The suite scores one; changing
  // it is a new suite version, so this is evidence for that, not a setting.)
  console.log(
    `  composite's CV if every workload scored at its ${STATISTICS.map((s) => `${s.replace('Ms', '')} run ${(coefficientOfVariation(list.map((r) => r.scoredAt[s])) * 100).toFixed(2)} %`).join(', ')}`,
  );
}

const all: Run[] = [];
try {
  const attempts = values.idle ? 4 * runs : runs;
  for (let i = 1; i <= attempts; i++) {
    if (values.idle && all.filter((r) => r.quiet).length >= runs) break;
    if (values.idle) await waitIdle();
    const load = loadavg()[0] ?? 0;
    const memcpy = memcpyGBs().median;
    const before = cpuTicks();
    const started = performance.now();
    const { report } = await bench.run({
      preset: values.preset as PresetName,
      ep: values.ep as ExecutionProvider,
    });
    const seconds = (performance.now() - started) / 1000;
    const others = othersCores(before, cpuTicks());
    const r = report.report;
    if (r.composite.value === null) {
      console.log(`run ${i}: no composite (${r.warnings.map((w) => w.code).join(', ')})`);
      continue;
    }
    all.push({
      composite: r.composite.value,
      values: new Map(r.workloads.map((w) => [w.id, w.value ?? NaN])),
      quiet: others !== undefined && others < QUIET_CORES,
      memcpy,
      seconds,
      scoredAt: Object.fromEntries(
        STATISTICS.map((s) => [s, compositeAt(r.workloads, s)]),
      ) as Record<Statistic, number>,
    });
    const warnings = r.warnings.map((w) => (w.workloadId ? `${w.code} ${w.workloadId}` : w.code));
    console.log(
      `run ${i}: composite ${r.composite.value.toFixed(2)} ${r.composite.unit} in ${seconds.toFixed(1)} s (memcpy ${memcpy.toFixed(1)} GB/s before; load average ${load.toFixed(2)} at start${others === undefined ? '' : `; other programs kept ${others.toFixed(2)} of ${cpus().length} cores busy`})${warnings.length ? `; warnings: ${warnings.join(', ')}` : ''}`,
    );
    // On a GPU, its clock while it worked: a clock that wanders between runs moves the score.
    for (const c of clockSwings(r.telemetry.samples)) {
      console.log(
        `  ${c.gpuId}: clock ${c.minMHz}–${c.maxMHz} MHz while working (median ${c.medianMHz}), at most ${c.maxUtilizationPct} % busy`,
      );
    }
  }
  summary(`${values.preset} preset on ${values.ep}, all runs`, all);
  if (values.idle) {
    summary(
      `undisturbed runs (other programs < ${QUIET_CORES} cores)`,
      all.filter((r) => r.quiet),
    );
  }
} finally {
  await hardware.stop();
  if (!values['data-dir']) rmSync(dataDir, { recursive: true, force: true });
}
