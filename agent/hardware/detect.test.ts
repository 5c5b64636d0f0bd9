import { describe, expect, it } from 'vitest';
import { acceleratorsForGpu, buildDetectReport, formatBytes, formatDetectTable } from './detect.ts';
import { CUDA_NOT_INSTALLED_REASON, SOFTWARE_ADAPTER_REASON } from './probe.ts';
import { detectReportSchema, gpuNames } from './schema.ts';
import type { Gpu, GpuInventory, ProbeReport } from './schema.ts';

const host = { cpuModel: 'AMD EPYC', cpuCores: 2, platform: 'linux', release: '6.18', arch: 'x64' };

function gpu(id: string, vendor: Gpu['vendor'], extra: Partial<Gpu> = {}): Gpu {
  return {
    id,
    vendor,
    name: `${vendor} card ${id}`,
    pciVendorId: vendor === 'nvidia' ? '10de' : '1002',
    pciDeviceId: '0001',
    busId: id.replace('pci-', ''),
    vramBytes: 8 * 1024 ** 3,
    display: false,
    source: 'pci-sysfs',
    fieldSources: {},
    status: 'ok',
    ...extra,
  };
}

const inventory: GpuInventory = {
  scannedAt: '2026-01-01T00:00:00.000Z',
  problems: [],
  gpus: [
    gpu('pci-0000:01:00.0', 'nvidia', { display: true }),
    gpu('pci-0000:02:00.0', 'nvidia'),
    gpu('pci-0000:03:00.0', 'amd'),
    gpu('pci-0000:04:00.0', 'nvidia', {
      status: 'unreadable',
      problem: { message: 'nvidia-smi\u2019s report was cut off.' },
    }),
  ],
};

function report(results: ProbeReport['results']): ProbeReport {
  return {
    onnxruntimeVersion: '1.30.0',
    platform: 'linux',
    arch: 'x64',
    offered: [],
    results,
    probedAt: '2026-01-01T00:00:00.000Z',
    cached: false,
    cacheKey: 'k',
  };
}

describe('acceleratorsForGpu', () => {
  const probe = report([
    {
      ep: 'cpu',
      ok: true,
      status: 'ok',
      durationMs: 20,
      adapter: { name: 'AMD EPYC', kind: 'cpu', software: false },
    },
    {
      ep: 'webgpu',
      ok: true,
      status: 'ok',
      durationMs: 90,
      adapter: {
        name: 'AMD Radeon (RADV NAVI31)',
        kind: 'discrete',
        software: false,
        gpuId: 'pci-0000:03:00.0',
      },
    },
    { ep: 'cuda', ok: true, status: 'ok', durationMs: 300, deviceIndex: 0 },
    {
      ep: 'cuda',
      ok: false,
      status: 'failed',
      reason: 'CUDA ran out of GPU memory starting the probe',
      durationMs: 300,
      deviceIndex: 1,
    },
  ]);

  it('gives each NVIDIA GPU its own CUDA result, in PCI bus order', () => {
    expect(acceleratorsForGpu(inventory.gpus[0] as Gpu, inventory, probe)).toEqual([
      { ep: 'cuda', ok: true, adapter: 'nvidia card pci-0000:01:00.0' },
      {
        ep: 'webgpu',
        ok: false,
        reason: 'WebGPU runs on AMD Radeon (RADV NAVI31), not on this GPU',
        adapter: 'AMD Radeon (RADV NAVI31)',
      },
    ]);
    expect(acceleratorsForGpu(inventory.gpus[1] as Gpu, inventory, probe)[0]).toEqual({
      ep: 'cuda',
      ok: false,
      reason: 'CUDA ran out of GPU memory starting the probe',
      adapter: 'nvidia card pci-0000:02:00.0',
    });
  });

  it('gives WebGPU to the GPU it landed on and no CUDA to AMD', () => {
    expect(acceleratorsForGpu(inventory.gpus[2] as Gpu, inventory, probe)).toEqual([
      { ep: 'webgpu', ok: true, adapter: 'AMD Radeon (RADV NAVI31)' },
    ]);
  });

  it('says so when the WebGPU adapter was inferred, not reported', () => {
    const inferred = report([
      {
        ep: 'webgpu',
        ok: true,
        status: 'ok',
        durationMs: 90,
        adapter: {
          name: 'nvidia card pci-0000:02:00.0',
          kind: 'discrete',
          software: false,
          gpuId: 'pci-0000:02:00.0',
          inferredFrom: 'vulkan-driver',
        },
      },
    ]);
    const label = 'nvidia card pci-0000:02:00.0 (inferred from the installed Vulkan driver)';
    expect(acceleratorsForGpu(inventory.gpus[1] as Gpu, inventory, inferred)).toEqual([
      { ep: 'webgpu', ok: true, adapter: label },
    ]);
    expect(acceleratorsForGpu(inventory.gpus[0] as Gpu, inventory, inferred)).toEqual([
      {
        ep: 'webgpu',
        ok: false,
        reason: `WebGPU runs on ${label}, not on this GPU`,
        adapter: label,
      },
    ]);
  });

  it('says why an unreadable GPU cannot be used', () => {
    expect(acceleratorsForGpu(inventory.gpus[3] as Gpu, inventory, probe)).toEqual([
      { ep: 'cuda', ok: false, reason: 'nvidia-smi\u2019s report was cut off.' },
      { ep: 'webgpu', ok: false, reason: 'nvidia-smi\u2019s report was cut off.' },
    ]);
  });
});

describe('buildDetectReport and the table', () => {
  it('matches the documented schema on a machine like this one (no GPU, lavapipe, no CUDA)', () => {
    const probe = report([
      {
        ep: 'cpu',
        ok: true,
        status: 'ok',
        durationMs: 20,
        adapter: { name: 'AMD EPYC', kind: 'cpu', software: false },
      },
      {
        ep: 'webgpu',
        ok: false,
        status: 'software-adapter',
        reason: SOFTWARE_ADAPTER_REASON,
        durationMs: 120,
        adapter: { name: 'llvmpipe (LLVM 15.0.6, 256 bits)', kind: 'cpu', software: true },
      },
      {
        ep: 'cuda',
        ok: false,
        status: 'failed',
        reason: CUDA_NOT_INSTALLED_REASON,
        fix: 'roost gpu install-cuda',
        durationMs: 300,
      },
    ]);
    const detect = buildDetectReport({ gpus: [], problems: [], scannedAt: 'x' }, probe, host);
    expect(detectReportSchema.parse(detect)).toEqual(detect);
    expect(detect.cpu).toEqual({
      model: 'AMD EPYC',
      cores: 2,
      accelerators: [{ ep: 'cpu', ok: true, adapter: 'AMD EPYC' }],
    });
    const table = formatDetectTable(detect);
    expect(table).toContain('No GPU found.');
    expect(table).toContain(
      `WebGPU: ${SOFTWARE_ADAPTER_REASON} (llvmpipe (LLVM 15.0.6, 256 bits)).`,
    );
    expect(table.split('\n')[0]).toMatch(
      /^GPU\s+Vendor\s+VRAM\s+Driver\s+Display\s+Usable accelerators\s+Why not$/,
    );
  });

  it('prints one row per GPU with usable accelerators and why not', () => {
    const probe = report([
      { ep: 'cpu', ok: true, status: 'ok', durationMs: 20 },
      { ep: 'cuda', ok: true, status: 'ok', durationMs: 300, deviceIndex: 0 },
      {
        ep: 'cuda',
        ok: false,
        status: 'failed',
        reason: 'CUDA sees no NVIDIA GPU',
        durationMs: 300,
        deviceIndex: 1,
      },
    ]);
    const table = formatDetectTable(buildDetectReport(inventory, probe, host));
    const lines = table.split('\n');
    expect(lines[2]).toMatch(
      /^nvidia card pci-0000:01:00.0 \(0000:01:00.0\)\s+nvidia\s+8\.0 GiB\s+-\s+yes\s+CUDA\s+-$/,
    );
    // Accelerators by the names people know: CUDA, CPU, not cuda, cpu.
    expect(lines[3]).toMatch(/no\s+none\s+CUDA: CUDA sees no NVIDIA GPU$/);
    expect(lines[5]).toMatch(/cut off/);
    expect(lines[6]).toMatch(/^AMD EPYC \(2 threads\)\s+CPU\s+-\s+-\s+-\s+CPU/);
  });

  it('names two cards of one model as the Activity list does: RTX 3070 #1 and #2', () => {
    const twins: GpuInventory = {
      ...inventory,
      gpus: [
        gpu('pci-0000:03:00.0', 'nvidia', { name: 'RTX 3070' }),
        gpu('pci-0000:2d:00.0', 'nvidia', { name: 'RTX 4090' }),
        gpu('pci-0000:41:00.0', 'nvidia', { name: 'RTX 3070' }),
      ],
    };
    const detect = buildDetectReport(twins, report([]), host);
    expect(detectReportSchema.parse(detect)).toEqual(detect);
    expect(detect.gpus.map((g) => [g.name, g.displayName])).toEqual([
      ['RTX 3070', 'RTX 3070 #1'],
      ['RTX 4090', 'RTX 4090'],
      ['RTX 3070', 'RTX 3070 #2'],
    ]);
    // The work policy's lines name them by the same function, over the same list.
    expect([...gpuNames(twins.gpus).values()]).toEqual(detect.gpus.map((g) => g.displayName));
    expect(formatDetectTable(detect).split('\n')[4]).toMatch(/^RTX 3070 #2 \(0000:41:00\.0\)/);
  });

  it('formats sizes', () => {
    expect(formatBytes(null)).toBe('-');
    expect(formatBytes(24 * 1024 ** 3)).toBe('24 GiB');
    expect(formatBytes(1998 * 1024 ** 2)).toBe('2.0 GiB');
    expect(formatBytes(512 * 1024 ** 2)).toBe('512 MiB');
  });
});
