import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentHardwareLog } from './log.ts';
import type { HardwareLog } from './log.ts';
import { TELEMETRY_FIELDS } from './nvidia-smi-csv.ts';
import { defaultSpawner } from './run-tool.ts';
import type { Spawner } from './run-tool.ts';
import { detectReportSchema } from './schema.ts';
import type { InstallCudaProgress, InstallCudaResult, TelemetrySample } from './schema.ts';
import type { InstallCudaOptions } from './install-cuda.ts';
import { createHardwareService } from './service.ts';
import type { HardwareService } from './service.ts';
import type { FakeSysfs } from './testing/fake-sysfs.ts';
import { addPciDevice, emptySysfs } from './testing/fake-sysfs.ts';
import type { FakeTools } from './testing/fake-tools.ts';
import { fakeNvidiaSmiStream, fakeTools } from './testing/fake-tools.ts';
import { fixture, fixturesDir, replayLines } from './testing/fixtures.ts';

let sysfs: FakeSysfs | undefined;
let tools: FakeTools | undefined;
let service: HardwareService | undefined;
const dirs: string[] = [];
/** A log that keeps every line with its level. */
function recordingLog(): HardwareLog & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

afterEach(async () => {
  await service?.stop();
  sysfs?.remove();
  tools?.remove();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  service = undefined;
  sysfs = undefined;
  tools = undefined;
});

describe('createHardwareService', () => {
  it('detects this machine: no GPU, the CPU works, WebGPU is software, CUDA is not installed', async () => {
    sysfs = emptySysfs();
    const cacheDir = mkdtempSync(join(tmpdir(), 'roost-hw-cache-'));
    dirs.push(cacheDir);
    const log = recordingLog();
    service = createHardwareService({
      env: {
        ...process.env,
        ROOST_SYSFS_ROOT: sysfs.root,
        ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi',
      },
      cacheDir,
      log,
      inventoryMaxAgeMs: 0,
    });
    const detect = await service.detect();
    expect(detectReportSchema.parse(detect)).toEqual(detect);
    expect(detect.gpus).toEqual([]);
    expect(detect.cpu.accelerators).toEqual([expect.objectContaining({ ep: 'cpu', ok: true })]);
    if (process.platform === 'linux' && process.arch === 'x64') {
      // No NVIDIA card: CUDA's libraries are not what is missing, so no install-cuda advice.
      const cuda = detect.accelerators.find((a) => a.ep === 'cuda');
      expect(cuda?.reason).toBe('no NVIDIA GPU was found, and CUDA runs only on one');
      expect(cuda?.fix).toBeUndefined();
    }
    expect((await service.probe()).cached).toBe(true);
    // Polled again and again, the unchanged state goes to debug, not to the activity log.
    for (let i = 0; i < 3; i++) await Promise.all([service.list(), service.probe()]);
    const info = log.lines.filter((l) => l.level !== 'debug').map((l) => l.message);
    expect(info.filter((m) => m === 'no GPU found')).toHaveLength(1);
    expect(info.filter((m) => m.startsWith('accelerators (cached'))).toEqual([]);
    expect(info.filter((m) => m.startsWith('CPU works'))).toHaveLength(1);
    const debug = log.lines.filter((l) => l.level === 'debug').map((l) => l.message);
    expect(debug.filter((m) => m === 'no GPU found').length).toBeGreaterThanOrEqual(3);
    expect(debug.filter((m) => m.startsWith('accelerators (cached')).length).toBe(4);
  }, 60_000);

  it('logs the GPU list and tool problems when found or changed, at debug when repeated', async () => {
    sysfs = emptySysfs();
    const log = recordingLog();
    service = createHardwareService({
      env: {
        PATH: process.env.PATH ?? '',
        ROOST_SYSFS_ROOT: sysfs.root,
        ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi',
      },
      log,
      inventoryMaxAgeMs: 0,
    });
    const shown = () => log.lines.filter((l) => l.level !== 'debug').map((l) => l.message);
    await service.list();
    await service.list();
    expect(shown()).toEqual(['no GPU found']);
    // A card appears (without nvidia-smi to read it): news, and so is its tool problem.
    addPciDevice(sysfs, '0000:01:00.0', {
      vendor: '10de',
      device: '1f02',
      class: '0x030000',
      driver: 'nvidia',
    });
    await service.list();
    await service.list();
    const after = shown().slice(1);
    expect(after).toHaveLength(2);
    expect(after[0]).toMatch(/^nvidia-smi: /);
    expect(after[1]).toMatch(/^found 1 GPU: .*0000:01:00\.0/);
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(log.lines.filter((l) => l.level === 'debug').map((l) => l.message)).toEqual([
      'no GPU found',
      after[0],
      after[1],
    ]);
    // Back to no GPU: a change, logged again.
    rmSync(join(sysfs.root, 'bus/pci/devices/0000:01:00.0'), { recursive: true, force: true });
    await service.list();
    expect(shown().at(-1)).toBe('no GPU found');
  });

  it('lists once for many callers, and again on refresh', async () => {
    sysfs = emptySysfs();
    tools = fakeTools();
    addPciDevice(sysfs, '0000:01:00.0', {
      vendor: '10de',
      device: '1f02',
      class: '0x030000',
      driver: 'nvidia',
    });
    addPciDevice(sysfs, '0000:02:00.0', {
      vendor: '10de',
      device: '1f02',
      class: '0x030000',
      driver: 'nvidia',
    });
    const smi = tools.tool('nvidia-smi', {
      stdoutFile: join(fixturesDir, 'nvidia-smi-xml/dual-geforce-rtx-2070_590.44.01_multi-gpu.xml'),
    });
    let spawns = 0;
    const spawner: Spawner = (c, a, o) => {
      spawns++;
      return defaultSpawner(c, a, o);
    };
    service = createHardwareService({
      env: { PATH: process.env.PATH ?? '', ROOST_SYSFS_ROOT: sysfs.root, ROOST_NVIDIA_SMI: smi },
      spawner,
      log: silentHardwareLog,
    });
    const [a, b] = await Promise.all([service.list(), service.list()]);
    expect(a).toBe(b);
    expect(a.gpus).toHaveLength(2);
    await service.list();
    expect(spawns).toBe(1);
    await service.list({ refresh: true });
    expect(spawns).toBe(2);
  });

  it('streams telemetry for the GPUs it found and stops cleanly', async () => {
    sysfs = emptySysfs();
    tools = fakeTools();
    addPciDevice(sysfs, '0000:00:09.0', {
      vendor: '10de',
      device: '2330',
      class: '0x030200',
      driver: 'nvidia',
    });
    const xml = fixture('nvidia-smi-xml/tesla-t4_515.105.01_linux.xml').replaceAll(
      '00000000:00:1E.0',
      '00000000:00:09.0',
    );
    const xmlPath = join(tools.dir, 'q.xml');
    writeFileSync(xmlPath, xml);
    const lines = replayLines(
      fixture('nvidia-smi-csv/h100-80gb-hbm3_590.48.01_linux_query-gpu-allfields_idle.csv'),
      TELEMETRY_FIELDS,
    );
    const stream = fakeNvidiaSmiStream(tools, lines, { name: 'nvidia-smi-stream' });
    // One fake that answers -q -x with the XML and --query-gpu with the stream.
    const smi = tools.tool('nvidia-smi', {});
    writeFileSync(
      smi,
      `#!/bin/sh\nif [ "$1" = "-q" ]; then cat '${xmlPath}'; exit 0; fi\nexec '${stream.path}' "$@"\n`,
    );
    const events: TelemetrySample[] = [];
    service = createHardwareService({
      env: { PATH: process.env.PATH ?? '', ROOST_SYSFS_ROOT: sysfs.root, ROOST_NVIDIA_SMI: smi },
      log: silentHardwareLog,
      telemetryIntervalMs: 40,
      onTelemetry: (s) => events.push(s),
    });
    await service.startTelemetry();
    await service.startTelemetry();
    const started = Date.now();
    while (events.length < 3 && Date.now() - started < 5000)
      await new Promise((r) => setTimeout(r, 20));
    expect(events[0]).toMatchObject({
      gpuId: 'pci-0000:00:09.0',
      temperatureC: 41,
      source: 'nvidia-smi',
    });
    expect(service.telemetry({ gpuId: 'pci-0000:00:09.0' }).length).toBeGreaterThanOrEqual(3);
    expect(service.telemetry().length).toBeGreaterThanOrEqual(3);
    await service.stop();
    const count = events.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(events.length).toBe(count);
  });
});

describe('installCuda', () => {
  /** An installer that says one step, then waits to be released with `result`. */
  function heldInstaller(result: InstallCudaResult) {
    const calls: InstallCudaOptions[] = [];
    let release: () => void = () => undefined;
    const installer = async (options: InstallCudaOptions) => {
      calls.push(options);
      options.onProgress?.({ phase: 'checking', message: 'checking onnxruntime-node' });
      await new Promise<void>((resolve) => (release = resolve));
      return result;
    };
    return { installer, calls, release: () => release() };
  }
  function serviceWith(installer: (o: InstallCudaOptions) => Promise<InstallCudaResult>) {
    sysfs = emptySysfs();
    const cacheDir = mkdtempSync(join(tmpdir(), 'roost-hw-cache-'));
    dirs.push(cacheDir);
    return createHardwareService({
      env: {
        ...process.env,
        ROOST_SYSFS_ROOT: sysfs.root,
        ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi',
      },
      cacheDir,
      log: silentHardwareLog,
      installer,
    });
  }
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('runs one install for two callers, then tests the accelerators again for real', async () => {
    const ok: InstallCudaResult = { ok: true, installed: ['libcudnn.so.9'], message: 'Installed.' };
    const held = heldInstaller(ok);
    service = serviceWith(held.installer);
    const before = await service.probe();
    const progress: InstallCudaProgress[] = [];
    const first = service.installCuda((p) => progress.push(p));
    const second = service.installCuda();
    await tick();
    held.release();
    const [a, b] = await Promise.all([first, second]);
    expect(held.calls).toHaveLength(1);
    expect(progress).toEqual([{ phase: 'checking', message: 'checking onnxruntime-node' }]);
    expect(a).toBe(b);
    // Tested again, not read from the cache: CUDA's answer is today's, and so is the probe's.
    const after = await service.probe();
    expect(after.cached).toBe(true);
    expect(after.probedAt > before.probedAt).toBe(true);
    if (!a.ok) throw new Error('expected the install to succeed');
    const eps = a.accelerators?.map((r) => r.ep) ?? [];
    expect(eps.length).toBeGreaterThan(0);
    expect(eps.every((ep) => ep === 'cuda' || ep === 'tensorrt')).toBe(true);
    expect(a.accelerators).toEqual(
      after.results.filter((r) => r.ep === 'cuda' || r.ep === 'tensorrt'),
    );
  }, 60_000);

  it('does not test again after a failed install, and a later call installs again', async () => {
    const failed: InstallCudaResult = {
      ok: false,
      code: 'unreachable',
      message: 'The download server could not be reached.',
      unchanged: true,
    };
    const held = heldInstaller(failed);
    service = serviceWith(held.installer);
    const before = await service.probe();
    const first = service.installCuda();
    await tick();
    held.release();
    expect(await first).toEqual(failed);
    expect((await service.probe()).probedAt).toBe(before.probedAt);
    const again = service.installCuda();
    await tick();
    held.release();
    await again;
    expect(held.calls).toHaveLength(2);
  }, 60_000);
});
