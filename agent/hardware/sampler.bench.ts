/**
 * Benchmark, not a test: what the telemetry sampler costs in CPU, as a ratio against an idle
 * baseline measured in the same run, and against spawning nvidia-smi once per sample.
 *
 *   node agent/hardware/sampler.bench.ts [--seconds 10]
 *
 * NVIDIA: the nvidia-smi on ROOST_NVIDIA_SMI if set, else a fake that replays the H100 capture
 * from shared/fixtures (so the child's cost is the fake's, not nvidia-smi's). AMD: the RX 580
 * sysfs dump. Children's CPU comes from /proc/self/stat (cutime + cstime, Linux only).
 */
import { readFileSync } from 'node:fs';
import { silentHardwareLog } from './log.ts';
import { TELEMETRY_FIELDS } from './nvidia-smi-csv.ts';
import { defaultSpawner, runTool } from './run-tool.ts';
import type { Gpu, GpuInventory } from './schema.ts';
import { startTelemetry } from './telemetry.ts';
import { amdCardsSysfs } from './testing/fake-sysfs.ts';
import { fakeNvidiaSmiStream, fakeTools } from './testing/fake-tools.ts';
import { fixture, replayLines } from './testing/fixtures.ts';

const secondsArg = process.argv.indexOf('--seconds');
const seconds = Number(
  secondsArg >= 0 ? process.argv[secondsArg + 1] : (process.env.ROOST_BENCH_SECONDS ?? 10),
);
const phaseMs = Math.max(1, seconds) * 1000;

/** Children's CPU (ms) the kernel has charged to this process: reaped children only. */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is [0], so utime..cstime are [11]..[14].
    const ticks = Number(fields[13]) + Number(fields[14]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux.
  } catch {
    return undefined;
  }
}

function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Phase {
  name: string;
  ownMsPerS: number;
  childMsPerS: number | undefined;
  samples: number;
}

async function measure(name: string, run: (ms: number) => Promise<number>): Promise<Phase> {
  const own0 = ownCpuMs();
  const child0 = childrenCpuMs();
  const t0 = performance.now();
  const samples = await run(phaseMs);
  const elapsedS = (performance.now() - t0) / 1000;
  const own1 = ownCpuMs();
  const child1 = childrenCpuMs();
  return {
    name,
    ownMsPerS: (own1 - own0) / elapsedS,
    childMsPerS:
      child0 === undefined || child1 === undefined ? undefined : (child1 - child0) / elapsedS,
    samples,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const tools = fakeTools();
const sysfs = amdCardsSysfs(['amdgpu-sysfs-rs_rx580']);
const lines = replayLines(
  fixture('nvidia-smi-csv/h100-80gb-hbm3_590.48.01_linux_query-gpu-allfields_idle.csv'),
  TELEMETRY_FIELDS,
);
const realSmi = process.env.ROOST_NVIDIA_SMI;
const stream = fakeNvidiaSmiStream(tools, lines);
const oneShot = fakeNvidiaSmiStream(tools, lines, { maxTicks: 1, name: 'nvidia-smi-once' });
const nvidiaSmi = realSmi ?? stream.path;
const env = {
  PATH: process.env.PATH ?? '',
  ROOST_NVIDIA_SMI: nvidiaSmi,
  ROOST_SYSFS_ROOT: sysfs.root,
};

const gpu = (id: string, vendor: Gpu['vendor'], source: Gpu['source']): Gpu => ({
  id,
  vendor,
  name: id,
  pciVendorId: null,
  pciDeviceId: null,
  busId: id.replace('pci-', ''),
  vramBytes: 1,
  display: false,
  source,
  fieldSources: { vramBytes: source },
  status: 'ok',
});
const inventory: GpuInventory = {
  scannedAt: new Date().toISOString(),
  problems: [],
  gpus: [
    gpu('pci-0000:00:09.0', 'nvidia', 'nvidia-smi'),
    gpu('pci-0000:09:00.0', 'amd', 'amdgpu-sysfs'),
  ],
};

try {
  console.log(
    `sampler CPU cost: ${seconds} s per phase, 1 Hz, 1 NVIDIA GPU (${realSmi ? `nvidia-smi at ${realSmi}` : 'fake nvidia-smi replaying the H100 capture'}) + 1 AMD GPU (RX 580 sysfs dump)`,
  );
  // Warm up (module loading, JIT, the first child spawn) so the phases compare like with like.
  const warm = await startTelemetry({ inventory, env, log: silentHardwareLog });
  await sleep(2000);
  await warm.stop();
  await sleep(500);
  const idle = await measure('idle baseline', async (ms) => {
    await sleep(ms);
    return 0;
  });
  const sampler = await measure('long-lived sampler', async (ms) => {
    let samples = 0;
    const s = await startTelemetry({
      inventory,
      env,
      log: silentHardwareLog,
      onSample: () => samples++,
    });
    await sleep(ms);
    await s.stop(); // reaps nvidia-smi, so its CPU shows in the children's total
    return samples;
  });
  const perSpawn = await measure('spawn per sample', async (ms) => {
    let samples = 0;
    const args = [`--query-gpu=${TELEMETRY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const tick = Date.now();
      const run = await runTool(
        defaultSpawner,
        realSmi ?? oneShot.path,
        [...args, '-lms', '1000'],
        {
          timeoutMs: 10_000,
          env,
        },
      );
      if (run.kind === 'exited') samples += run.stdout.split('\n').filter(Boolean).length;
      await sleep(Math.max(0, 1000 - (Date.now() - tick)));
    }
    return samples;
  });

  const fmt = (n: number | undefined) => (n === undefined ? 'n/a' : `${n.toFixed(2)} ms/s`);
  const ratio = (n: number) =>
    idle.ownMsPerS > 0 ? `${(n / idle.ownMsPerS).toFixed(1)}x idle` : 'idle was 0';
  for (const phase of [idle, sampler, perSpawn]) {
    console.log(
      `${phase.name.padEnd(20)} agent ${fmt(phase.ownMsPerS).padStart(12)} (${ratio(phase.ownMsPerS)})` +
        `   children ${fmt(phase.childMsPerS).padStart(12)}   samples ${phase.samples}`,
    );
  }
  const total = (p: Phase) => p.ownMsPerS + (p.childMsPerS ?? 0);
  console.log(
    `ratio sampler/idle (agent process): ${(sampler.ownMsPerS / Math.max(idle.ownMsPerS, 1e-9)).toFixed(1)}; ` +
      `sampler incl. children: ${(total(sampler) / 10).toFixed(3)} % of one core; ` +
      `spawn-per-sample costs ${(total(perSpawn) / Math.max(total(sampler), 1e-9)).toFixed(1)}x the long-lived sampler`,
  );
} finally {
  tools.remove();
  sysfs.remove();
}
