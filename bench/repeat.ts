/**
 * `npm run bench:repeat` — a figure, not a test: the quick preset of roost-std/1, 5 times in a
 * row through the real bench service, and the coefficient of variation of the composite (the
 * goal is ≤ 1 % on an idle machine), with each workload's CV across the runs.
 *
 *   node bench/repeat.ts [--runs 5] [--preset quick] [--ep cpu] [--data-dir <dir>] [--wait-idle]
 *
 * Reports go to a temporary data folder (its own signing key) unless --data-dir is given. On
 * Linux each run also prints how many cores OTHER programs kept busy meanwhile (from /proc/stat,
 * less this process and its benchmark children), since that, not Roost, is what moves the figure
 * on a shared machine; --wait-idle waits (up to 5 min) for 3 quiet seconds before each run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createBenchService } from '../agent/bench/service.ts';
import type { PresetName } from '../agent/bench/schema.ts';
import { coefficientOfVariation } from '../agent/bench/stats.ts';
import { createHardwareService, probeCacheDir } from '../agent/hardware/index.ts';
import type { ExecutionProvider } from '../agent/hardware/schema.ts';
import { createLogger, stderrSink } from '../agent/log.ts';
import { loadOrCreateLocalSigner } from '../agent/wallet/signer.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    preset: { type: 'string', default: 'quick' },
    ep: { type: 'string', default: 'cpu' },
    'data-dir': { type: 'string' },
    'wait-idle': { type: 'boolean', default: false },
  },
});

/** Busy and total jiffies of the machine, and the jiffies of this process and its reaped children. */
function cpuTicks(): { busy: number; total: number; ours: number } | undefined {
  if (!existsSync('/proc/stat')) return undefined;
  const cpu =
    readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ??
    [];
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const self = readFileSync('/proc/self/stat', 'utf8');
  const fields = self
    .slice(self.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // utime, stime, cutime, cstime are fields 14-17 of /proc/<pid>/stat (11-14 after the name).
  const ours = (fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0);
  return { busy: total - idle, total, ours };
}

/** Cores kept busy by other programs between two readings. */
function othersCores(
  a: ReturnType<typeof cpuTicks>,
  b: ReturnType<typeof cpuTicks>,
): number | undefined {
  if (!a || !b || b.total === a.total) return undefined;
  const cores = cpus().length;
  return (cores * (b.busy - a.busy - (b.ours - a.ours))) / (b.total - a.total);
}

async function waitIdle(): Promise<void> {
  const deadline = Date.now() + 300_000;
  let quiet = 0;
  while (quiet < 3 && Date.now() < deadline) {
    const a = cpuTicks();
    await new Promise((r) => setTimeout(r, 1000));
    const busy = othersCores(a, cpuTicks()) ?? 0;
    quiet = busy < 0.1 * cpus().length ? quiet + 1 : 0;
  }
}
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

const composites: number[] = [];
const perWorkload = new Map<string, number[]>();
try {
  for (let i = 1; i <= runs; i++) {
    if (values['wait-idle']) await waitIdle();
    const load = loadavg()[0] ?? 0;
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
    composites.push(r.composite.value);
    for (const w of r.workloads) {
      if (w.value !== null) perWorkload.set(w.id, [...(perWorkload.get(w.id) ?? []), w.value]);
    }
    console.log(
      `run ${i}: composite ${r.composite.value.toFixed(2)} ${r.composite.unit} in ${seconds.toFixed(1)} s (load average ${load.toFixed(2)} at start${others === undefined ? '' : `; other programs kept ${others.toFixed(2)} of ${cpus().length} cores busy`})`,
    );
  }
  console.log(`\n${values.preset} preset on ${values.ep}, ${composites.length} runs:`);
  for (const [id, list] of perWorkload) {
    console.log(`  ${id.padEnd(20)} CV ${(coefficientOfVariation(list) * 100).toFixed(2)} %`);
  }
  const mean = composites.reduce((a, b) => a + b, 0) / Math.max(1, composites.length);
  console.log(
    `  composite mean ${mean.toFixed(2)} RCS, coefficient of variation ${(coefficientOfVariation(composites) * 100).toFixed(2)} %  (goal: <= 1 % on an idle machine)`,
  );
} finally {
  await hardware.stop();
  if (!values['data-dir']) rmSync(dataDir, { recursive: true, force: true });
}
