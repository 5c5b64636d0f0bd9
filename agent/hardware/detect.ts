/**
 * `roost detect`: the inventory and the accelerator probe put together per GPU, as the JSON
 * report (`roost detect --json`, schema `detectReportSchema`) and as a table for people.
 */
import { cpus, release } from 'node:os';
import { nvidiaGpus } from './probe.ts';
import { adapterName, executionProviderName, gpuNames } from './schema.ts';
import type {
  AcceleratorProbe,
  DetectReport,
  ExecutionProvider,
  Gpu,
  GpuAccelerator,
  GpuInventory,
  ProbeReport,
} from './schema.ts';

/** Which providers can run on a GPU of each vendor. */
const EPS_FOR_VENDOR: Record<Gpu['vendor'], ExecutionProvider[]> = {
  nvidia: ['cuda', 'tensorrt', 'webgpu', 'dml'],
  amd: ['webgpu', 'dml'],
  intel: ['webgpu', 'dml'],
  apple: ['coreml', 'webgpu'],
  other: ['webgpu', 'dml'],
};

export interface HostFacts {
  cpuModel: string;
  cpuCores: number;
  platform: string;
  release: string;
  arch: string;
}

export function hostFacts(): HostFacts {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() || 'unknown CPU',
    cpuCores: list.length,
    platform: process.platform,
    release: release(),
    arch: process.arch,
  };
}

export function buildDetectReport(
  inventory: GpuInventory,
  probe: ProbeReport,
  host: HostFacts = hostFacts(),
): DetectReport {
  const cpuResult = probe.results.find((r) => r.ep === 'cpu');
  // The names the work policy's Activity lines use: the same list, so the same numbers.
  const names = gpuNames(inventory.gpus);
  return {
    gpus: inventory.gpus.map((gpu) => ({
      ...gpu,
      displayName: names.get(gpu.id) ?? gpu.name,
      accelerators: acceleratorsForGpu(gpu, inventory, probe),
    })),
    accelerators: probe.results,
    cpu: {
      model: host.cpuModel,
      cores: host.cpuCores,
      accelerators: cpuResult ? [summarize(cpuResult, cpuResult.adapter?.name)] : [],
    },
    os: { platform: host.platform, release: host.release, arch: host.arch },
    problems: inventory.problems,
  };
}

/** What each provider means for this one GPU. */
export function acceleratorsForGpu(
  gpu: Gpu,
  inventory: GpuInventory,
  probe: ProbeReport,
): GpuAccelerator[] {
  const out: GpuAccelerator[] = [];
  for (const ep of EPS_FOR_VENDOR[gpu.vendor]) {
    const results = probe.results.filter((r) => r.ep === ep);
    if (results.length === 0) continue;
    if (gpu.status !== 'ok') {
      out.push({ ep, ok: false, reason: gpu.problem?.message ?? `this GPU is ${gpu.status}` });
      continue;
    }
    if (ep === 'cuda' || ep === 'tensorrt') {
      const index = nvidiaGpus(inventory).findIndex((g) => g.id === gpu.id);
      const result =
        results.find((r) => r.deviceIndex === index) ??
        results.find((r) => r.deviceIndex === undefined);
      if (result) out.push(summarize(result, gpu.name));
    } else if (ep === 'webgpu') {
      out.push(webgpuFor(gpu, inventory, results[0] as AcceleratorProbe));
    } else if (ep === 'dml') {
      const result = results[0] as AcceleratorProbe;
      const sole = inventory.gpus.length === 1;
      if (!result.ok || sole || gpu.display) out.push(summarize(result, gpu.name));
      else
        out.push({ ep, ok: false, reason: 'DirectML uses the display GPU unless told otherwise' });
    } else {
      out.push(summarize(results[0] as AcceleratorProbe, gpu.name));
    }
  }
  return out;
}

function webgpuFor(gpu: Gpu, inventory: GpuInventory, result: AcceleratorProbe): GpuAccelerator {
  if (!result.ok) return summarize(result, result.adapter?.name);
  const adapter = result.adapter;
  if (adapter?.gpuId === gpu.id) return summarize(result, adapterName(adapter));
  if (adapter?.gpuId) {
    return {
      ep: 'webgpu',
      ok: false,
      reason: `WebGPU runs on ${adapterName(adapter)}, not on this GPU`,
      adapter: adapterName(adapter),
    };
  }
  if (inventory.gpus.length === 1) return summarize(result, adapter?.name ?? gpu.name);
  return {
    ep: 'webgpu',
    ok: false,
    reason: 'WebGPU works, but its adapter could not be matched to this GPU',
  };
}

function summarize(result: AcceleratorProbe, adapter: string | undefined): GpuAccelerator {
  return {
    ep: result.ep,
    ok: result.ok,
    ...(result.reason ? { reason: result.reason } : {}),
    ...(adapter ? { adapter } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The table `roost detect` prints

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  const gib = bytes / 1024 ** 3;
  return gib >= 1
    ? `${gib.toFixed(gib >= 10 ? 0 : 1)} GiB`
    : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

export function formatDetectTable(report: DetectReport): string {
  const rows: string[][] = [
    ['GPU', 'Vendor', 'VRAM', 'Driver', 'Display', 'Usable accelerators', 'Why not'],
  ];
  for (const gpu of report.gpus) {
    const usable = gpu.accelerators.filter((a) => a.ok).map((a) => executionProviderName(a.ep));
    const whyNot = gpu.accelerators
      .filter((a) => !a.ok)
      .map((a) => `${executionProviderName(a.ep)}: ${a.reason ?? 'failed'}`);
    if (gpu.status !== 'ok' && gpu.problem) whyNot.unshift(gpu.problem.message);
    rows.push([
      `${gpu.displayName}${gpu.busId ? ` (${gpu.busId})` : ''}`,
      gpu.vendor,
      gpu.vramShared && gpu.vramBytes === null ? 'shared' : formatBytes(gpu.vramBytes),
      [gpu.driver, gpu.driverVersion].filter(Boolean).join(' ') || '-',
      gpu.display ? 'yes' : 'no',
      usable.length > 0 ? usable.join(', ') : 'none',
      [...new Set(whyNot)].join('; ') || '-',
    ]);
  }
  const cpuOk = report.cpu.accelerators.filter((a) => a.ok).map((a) => executionProviderName(a.ep));
  rows.push([
    `${report.cpu.model} (${report.cpu.cores} threads)`,
    'CPU',
    '-',
    '-',
    '-',
    cpuOk.length > 0 ? cpuOk.join(', ') : 'none',
    report.cpu.accelerators
      .filter((a) => !a.ok)
      .map((a) => a.reason ?? 'failed')
      .join('; ') || '-',
  ]);
  const widths = rows[0]!.map((_, col) =>
    Math.min(60, Math.max(...rows.map((r) => (r[col] ?? '').length))),
  );
  const lines = rows.map((r) =>
    r
      .map((cell, col) => cell.padEnd(widths[col] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  if (report.gpus.length === 0) lines.push('', 'No GPU found.');
  const software = report.accelerators.find((a) => a.status === 'software-adapter');
  if (software)
    lines.push('', `WebGPU: ${software.reason} (${software.adapter?.name ?? 'unknown adapter'}).`);
  for (const p of report.problems) lines.push(`${p.tool}: ${p.message}${p.fix ? ` ${p.fix}` : ''}`);
  return `${lines.join('\n')}\n`;
}
