import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { silentHardwareLog } from './log.ts';
import { TELEMETRY_FIELDS } from './nvidia-smi-csv.ts';
import { defaultSpawner } from './run-tool.ts';
import type { Spawner } from './run-tool.ts';
import type { Gpu, GpuInventory, TelemetrySample, ToolProblem } from './schema.ts';
import { telemetrySampleSchema } from './schema.ts';
import { startTelemetry, TelemetryRing } from './telemetry.ts';
import type { TelemetrySampler } from './telemetry.ts';
import type { FakeSysfs } from './testing/fake-sysfs.ts';
import { amdCardsSysfs, vegaIntelSysfs } from './testing/fake-sysfs.ts';
import type { FakeTools } from './testing/fake-tools.ts';
import { fakeNvidiaSmiStream, fakeTools } from './testing/fake-tools.ts';
import { fixture, replayLines } from './testing/fixtures.ts';

let tools: FakeTools | undefined;
let sysfs: FakeSysfs | undefined;
let sampler: TelemetrySampler | undefined;
afterEach(async () => {
  await sampler?.stop();
  tools?.remove();
  sysfs?.remove();
  sampler = undefined;
  tools = undefined;
  sysfs = undefined;
});

function nvidiaGpu(busId: string): Gpu {
  return {
    id: `pci-${busId}`,
    vendor: 'nvidia',
    name: 'NVIDIA',
    pciVendorId: '10de',
    pciDeviceId: null,
    busId,
    vramBytes: 1,
    display: false,
    source: 'nvidia-smi',
    fieldSources: { vramBytes: 'nvidia-smi' },
    status: 'ok',
  };
}

function inventoryOf(...gpus: Gpu[]): GpuInventory {
  return { gpus, problems: [], scannedAt: '2026-01-01T00:00:00.000Z' };
}

const h100Lines = () =>
  replayLines(
    fixture('nvidia-smi-csv/h100-80gb-hbm3_590.48.01_linux_query-gpu-allfields_idle.csv'),
    TELEMETRY_FIELDS,
  );
const v100Lines = () =>
  replayLines(
    fixture(
      'nvidia-smi-csv/8x-tesla-v100-sxm2-32gb_query-index-name-memtotal-memused-util-temp.csv',
    ),
    TELEMETRY_FIELDS,
  );

function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (check()) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(poll);
        reject(new Error('timed out waiting'));
      }
    }, 10);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('NVIDIA telemetry from one long-lived nvidia-smi', () => {
  it('streams samples replayed from a real H100 capture, from one process, and stops it', async () => {
    tools = fakeTools();
    const fake = fakeNvidiaSmiStream(tools, h100Lines());
    let spawns = 0;
    const spawner: Spawner = (command, args, options) => {
      spawns++;
      return defaultSpawner(command, args, options);
    };
    const samples: TelemetrySample[] = [];
    sampler = await startTelemetry({
      inventory: inventoryOf(nvidiaGpu('0000:00:09.0')),
      env: { PATH: process.env.PATH ?? '', ROOST_NVIDIA_SMI: fake.path },
      spawner,
      intervalMs: 50,
      log: silentHardwareLog,
      onSample: (s) => samples.push(s),
    });
    await until(() => samples.length >= 6);
    expect(spawns).toBe(1);
    expect(sampler.nvidiaSmiStarts).toBe(1);
    expect(JSON.parse(readFileSync(fake.argvFile, 'utf8'))).toEqual([
      '--query-gpu=index,pci.bus_id,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw,clocks.sm,clocks.mem,fan.speed',
      '--format=csv,noheader,nounits',
      '-lms',
      '50',
    ]);
    for (const s of samples) expect(telemetrySampleSchema.parse(s)).toEqual(s);
    expect(samples[0]).toMatchObject({
      gpuId: 'pci-0000:00:09.0',
      utilizationPct: 0,
      vramUsedBytes: 0,
      vramTotalBytes: 81559 * 1024 * 1024,
      temperatureC: 41,
      powerW: 69.85,
      graphicsClockMHz: 345,
      memoryClockMHz: 2619,
      fanPct: null,
      source: 'nvidia-smi',
    });
    expect(sampler.history('pci-0000:00:09.0').length).toBeGreaterThanOrEqual(6);
    expect(sampler.latest('pci-0000:00:09.0')).toEqual(sampler.history('pci-0000:00:09.0').at(-1));

    const pid = Number(readFileSync(fake.pidFile, 'utf8').trim());
    expect(alive(pid)).toBe(true);
    await sampler.stop();
    expect(alive(pid)).toBe(false);
    const count = samples.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(samples.length).toBe(count);
  });

  it('keeps eight GPUs apart (8x V100 capture)', async () => {
    tools = fakeTools();
    const lines = v100Lines();
    const fake = fakeNvidiaSmiStream(tools, lines, { perTick: 8 });
    const gpus = lines.map((_, i) =>
      nvidiaGpu(`0000:${(i + 1).toString(16).padStart(2, '0')}:00.0`),
    );
    const said: string[] = [];
    sampler = await startTelemetry({
      inventory: inventoryOf(...gpus),
      env: { PATH: process.env.PATH ?? '', ROOST_NVIDIA_SMI: fake.path },
      intervalMs: 50,
      log: { ...silentHardwareLog, info: (m) => said.push(m) },
    });
    expect(said).toContain(
      'reading temperature, power and load of 8 GPUs every 50 ms (one nvidia-smi process)',
    );
    const s = sampler;
    await until(() => gpus.every((g) => s.history(g.id).length >= 2));
    expect(s.latest('pci-0000:07:00.0')).toMatchObject({
      utilizationPct: 100,
      temperatureC: 51,
      vramUsedBytes: 13928 * 1024 * 1024,
    });
    expect(s.latest('pci-0000:06:00.0')).toMatchObject({ vramTotalBytes: 32764 * 1024 * 1024 });
    expect(s.latest('pci-0000:01:00.0')?.powerW).toBeNull();
  });

  it('skips garbage lines, reports them, and keeps sampling', async () => {
    tools = fakeTools();
    const [good] = h100Lines();
    const fake = fakeNvidiaSmiStream(tools, [
      good ?? '',
      'garbage, line',
      good?.replace(', 0, 0,', ', 250, 0,') ?? '',
    ]);
    const samples: TelemetrySample[] = [];
    const problems: ToolProblem[] = [];
    sampler = await startTelemetry({
      inventory: inventoryOf(nvidiaGpu('0000:00:09.0')),
      env: { PATH: process.env.PATH ?? '', ROOST_NVIDIA_SMI: fake.path },
      intervalMs: 30,
      log: silentHardwareLog,
      onSample: (s) => samples.push(s),
      onProblem: (p) => problems.push(p),
    });
    await until(() => samples.length >= 3);
    expect(problems[0]).toMatchObject({ tool: 'nvidia-smi', code: 'garbage' });
    expect(problems).toHaveLength(1); // reported once a minute, not once a line
    expect(samples.every((s) => s.utilizationPct === 0)).toBe(true);
    expect(sampler.nvidiaSmiStarts).toBe(1);
  });

  it('restarts a dying nvidia-smi with backoff and tells why', async () => {
    tools = fakeTools();
    const fake = fakeNvidiaSmiStream(tools, h100Lines(), { maxTicks: 2, exitCode: 3 });
    const problems: ToolProblem[] = [];
    sampler = await startTelemetry({
      inventory: inventoryOf(nvidiaGpu('0000:00:09.0')),
      env: { PATH: process.env.PATH ?? '', ROOST_NVIDIA_SMI: fake.path },
      intervalMs: 30,
      restartDelayMs: { first: 50, max: 200 },
      log: silentHardwareLog,
      onProblem: (p) => problems.push(p),
    });
    const s = sampler;
    await until(() => s.nvidiaSmiStarts >= 3);
    expect(problems[0]?.message).toMatch(/exited \(code 3\)\. Restarting telemetry in 0\.1 s/);
    expect(s.history('pci-0000:00:09.0').length).toBeGreaterThanOrEqual(4);
  });

  it('restarts an nvidia-smi that stalls', async () => {
    tools = fakeTools();
    const fake = fakeNvidiaSmiStream(tools, h100Lines(), { silent: true });
    const problems: ToolProblem[] = [];
    sampler = await startTelemetry({
      inventory: inventoryOf(nvidiaGpu('0000:00:09.0')),
      env: { PATH: process.env.PATH ?? '', ROOST_NVIDIA_SMI: fake.path },
      intervalMs: 30,
      stallMs: 200,
      restartDelayMs: { first: 20, max: 50 },
      log: silentHardwareLog,
      onProblem: (p) => problems.push(p),
    });
    const s = sampler;
    await until(() => s.nvidiaSmiStarts >= 2);
    expect(problems[0]).toMatchObject({
      code: 'timeout',
      message: expect.stringMatching(/printed nothing/),
    });
    const pids = readFileSync(fake.pidFile, 'utf8').trim().split('\n').map(Number);
    await until(() => !alive(pids[0] ?? 0));
  });

  it('says when nvidia-smi is missing, without crashing', async () => {
    const problems: ToolProblem[] = [];
    sampler = await startTelemetry({
      inventory: inventoryOf(nvidiaGpu('0000:00:09.0')),
      env: { PATH: process.env.PATH ?? '', ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi' },
      intervalMs: 30,
      restartDelayMs: { first: 10_000, max: 10_000 },
      log: silentHardwareLog,
      onProblem: (p) => problems.push(p),
    });
    await until(() => problems.length > 0);
    expect(problems[0]).toMatchObject({ code: 'not-installed' });
  });
});

describe('AMD telemetry from sysfs', () => {
  it('reads busy %, VRAM, hwmon temperature, power, clocks and fan every interval', async () => {
    sysfs = amdCardsSysfs();
    const amd: Gpu = {
      ...nvidiaGpu('0000:09:00.0'),
      vendor: 'amd',
      pciVendorId: '1002',
      source: 'amdgpu-sysfs',
      fieldSources: { vramBytes: 'amdgpu-sysfs' },
    };
    const samples: TelemetrySample[] = [];
    let clock = 1_000_000;
    sampler = await startTelemetry({
      inventory: inventoryOf(amd),
      env: { ROOST_SYSFS_ROOT: sysfs.root },
      intervalMs: 30,
      now: () => clock,
      log: silentHardwareLog,
      onSample: (s) => samples.push(s),
    });
    await until(() => samples.length >= 1);
    expect(samples[0]).toEqual({
      gpuId: 'pci-0000:09:00.0',
      at: 1_000_000,
      utilizationPct: 11,
      vramUsedBytes: 536870912,
      vramTotalBytes: 4294967296,
      temperatureC: 44,
      powerW: 41.045,
      graphicsClockMHz: 798.08,
      memoryClockMHz: 1750,
      fanPct: 13.7,
      source: 'amdgpu-sysfs',
    });
    sysfs.write('class/drm/card0/device/gpu_busy_percent', '97\n');
    sysfs.write('class/drm/card0/device/hwmon/hwmon4/temp1_input', '71000\n');
    clock += 1000;
    await until(() => samples.at(-1)?.utilizationPct === 97);
    expect(samples.at(-1)).toMatchObject({ temperatureC: 71, at: 1_001_000 });
    expect(sampler.nvidiaSmiStarts).toBe(0);
  });
});

describe('Intel telemetry from sysfs', () => {
  it('reads the i915 GT frequency and says nothing it does not know', async () => {
    sysfs = vegaIntelSysfs();
    sysfs.write('class/drm/card1/gt_act_freq_mhz', '350\n');
    const intel: Gpu = {
      ...nvidiaGpu('0000:00:02.0'),
      vendor: 'intel',
      pciVendorId: '8086',
      source: 'intel-sysfs',
    };
    const samples: TelemetrySample[] = [];
    sampler = await startTelemetry({
      inventory: inventoryOf(intel),
      env: { ROOST_SYSFS_ROOT: sysfs.root },
      intervalMs: 30,
      log: silentHardwareLog,
      onSample: (s) => samples.push(s),
    });
    await until(() => samples.length >= 1);
    expect(samples[0]).toMatchObject({
      gpuId: 'pci-0000:00:02.0',
      graphicsClockMHz: 350,
      utilizationPct: null,
      temperatureC: null,
      powerW: null,
      source: 'intel-sysfs',
    });
  });
});

describe('TelemetryRing', () => {
  const sample = (at: number): TelemetrySample => ({
    gpuId: 'g',
    at,
    utilizationPct: null,
    vramUsedBytes: null,
    vramTotalBytes: null,
    temperatureC: null,
    powerW: null,
    graphicsClockMHz: null,
    memoryClockMHz: null,
    fanPct: null,
    source: 'nvidia-smi',
  });

  it('keeps the newest samples, oldest first', () => {
    const ring = new TelemetryRing(3);
    expect(ring.latest()).toBeUndefined();
    for (let i = 1; i <= 5; i++) ring.push(sample(i));
    expect(ring.toArray().map((s) => s.at)).toEqual([3, 4, 5]);
    expect(ring.toArray(4).map((s) => s.at)).toEqual([4, 5]);
    expect(ring.latest()?.at).toBe(5);
    expect(ring.size).toBe(3);
  });

  it('holds an hour at 1 Hz and answers from it', async () => {
    let clock = 0;
    const samples: TelemetrySample[] = [];
    const s = await startTelemetry({
      inventory: inventoryOf(),
      now: () => clock,
      log: silentHardwareLog,
      onSample: (x) => samples.push(x),
    });
    expect(s.gpuIds).toEqual([]);
    expect(s.history('x')).toEqual([]);
    await s.stop();
    const ring = new TelemetryRing(3610);
    for (clock = 0; clock < 2 * 3_600_000; clock += 1000) ring.push(sample(clock));
    expect(ring.toArray(clock - 3_600_000)).toHaveLength(3600);
  });
});
