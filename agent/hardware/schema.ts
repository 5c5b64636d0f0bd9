/**
 * The shapes that leave `agent/hardware/`: the GPU inventory, the accelerator probe, telemetry
 * samples and the `roost gpu install-cuda` progress. This file imports only zod, so
 * `agent/api/contract.ts` (zod only) can copy or re-export these schemas for `hardware.list`,
 * `hardware.probe`, `hardware.telemetry` and `roost detect --json` without pulling in node code.
 */
import { z } from 'zod';

/** Four lower-case hex digits, as PCI ids are written by `lspci -nn` (`10de`, `1002`, `8086`). */
export const pciIdSchema = z.string().regex(/^[0-9a-f]{4}$/, 'must be 4 lower-case hex digits');

/**
 * A PCI address in the kernel's form, `dddd:bb:dd.f`, lower case (`0000:01:00.0`). nvidia-smi's
 * 8-digit domain (`00000000:01:00.0`) is normalised to this.
 */
export const busIdSchema = z
  .string()
  .regex(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/, 'must look like 0000:01:00.0');

export const gpuVendorSchema = z.enum(['nvidia', 'amd', 'intel', 'apple', 'other']);
export type GpuVendor = z.infer<typeof gpuVendorSchema>;

/** Where a fact about a GPU came from. */
export const gpuSourceSchema = z.enum([
  'nvidia-smi',
  'amdgpu-sysfs',
  'intel-sysfs',
  'pci-sysfs',
  'lspci',
  'rocm-smi',
  'amd-smi',
  'wmi',
  'systeminformation',
  'pci-ids',
]);
export type GpuSource = z.infer<typeof gpuSourceSchema>;

/**
 * `ok`: read completely. `unreadable`: the GPU is there but its tool's output was garbage,
 * truncated or failed; `problem` says why. `no-driver`: the PCI device exists but no driver
 * that Roost can use is bound to it (for example nouveau, or the NVIDIA module not loaded).
 */
export const gpuStatusSchema = z.enum(['ok', 'unreadable', 'no-driver']);
export type GpuStatus = z.infer<typeof gpuStatusSchema>;

export const gpuProblemSchema = z.object({
  /** Plain words for the user and support staff. */
  message: z.string(),
  /** What to do about it, when there is something to do. */
  fix: z.string().optional(),
});
export type GpuProblem = z.infer<typeof gpuProblemSchema>;

export const gpuClocksSchema = z.object({
  graphicsMHz: z.number().nonnegative().optional(),
  memoryMHz: z.number().nonnegative().optional(),
  maxGraphicsMHz: z.number().nonnegative().optional(),
  maxMemoryMHz: z.number().nonnegative().optional(),
});

export const gpuSchema = z.object({
  /** Stable across runs: `pci-<busId>` when the bus address is known, else a vendor-scoped id. */
  id: z.string().min(1),
  vendor: gpuVendorSchema,
  /** Marketing name; from the tool, else the PCI id table, else `"<Vendor> GPU 10de:2204"`. */
  name: z.string().min(1),
  /** The chip's own PCI vendor/device id. Never the board partner's subsystem id. */
  pciVendorId: pciIdSchema.nullable(),
  pciDeviceId: pciIdSchema.nullable(),
  /** Board partner's subsystem vendor + device, 8 hex digits (`1da2e387`): informative only. */
  subsystemId: z
    .string()
    .regex(/^[0-9a-f]{8}$/)
    .optional(),
  busId: busIdSchema.optional(),
  uuid: z.string().optional(),
  /** Dedicated memory in bytes; null when unknown (integrated GPUs share system memory). */
  vramBytes: z.number().int().nonnegative().nullable(),
  /** True when the GPU has no memory of its own (integrated, Apple silicon). */
  vramShared: z.boolean().optional(),
  /** Kernel driver name (`nvidia`, `amdgpu`, `i915`, `xe`, `nouveau`, ...). */
  driver: z.string().optional(),
  driverVersion: z.string().optional(),
  /** Highest CUDA version the NVIDIA driver supports (nvidia-smi `cuda_version`). */
  cudaVersion: z.string().optional(),
  vbiosVersion: z.string().optional(),
  powerLimitW: z.number().nonnegative().optional(),
  clocks: gpuClocksSchema.optional(),
  /** True when this GPU drives a display: jobs on it make the desktop stutter. */
  display: z.boolean(),
  /** Why `display` is what it is, in plain words (`display active`, `monitor on DP-1`, ...). */
  displayEvidence: z.string().optional(),
  /** The source that identified this GPU. */
  source: gpuSourceSchema,
  /** Which source gave each field (`{ name: 'nvidia-smi', vramBytes: 'nvidia-smi', ... }`). */
  fieldSources: z.record(z.string(), gpuSourceSchema),
  status: gpuStatusSchema,
  problem: gpuProblemSchema.optional(),
  /** Facts worth knowing that change nothing by themselves (`MIG is enabled`, `WDDM driver`). */
  notes: z.array(z.string()).optional(),
});
export type Gpu = z.infer<typeof gpuSchema>;

/** A tool that was asked and could not answer, for the report (`nvidia-smi: driver not loaded`). */
export const toolProblemSchema = z.object({
  tool: z.string(),
  code: z.enum([
    'not-installed',
    'timeout',
    'driver-not-loaded',
    'driver-mismatch',
    'no-devices',
    'permission',
    'garbage',
    'failed',
  ]),
  message: z.string(),
  fix: z.string().optional(),
});
export type ToolProblem = z.infer<typeof toolProblemSchema>;

export const gpuInventorySchema = z.object({
  gpus: z.array(gpuSchema),
  /** Tools that failed or gave garbage; a missing optional tool is not listed unless it matters. */
  problems: z.array(toolProblemSchema),
  /** ISO time of the scan. */
  scannedAt: z.string(),
});
export type GpuInventory = z.infer<typeof gpuInventorySchema>;

// ---------------------------------------------------------------------------------------------
// Accelerator probe

export const executionProviderSchema = z.enum([
  'cpu',
  'webgpu',
  'cuda',
  'tensorrt',
  'dml',
  'coreml',
]);
export type ExecutionProvider = z.infer<typeof executionProviderSchema>;

/** What users call each execution provider: the CLI, the reports and the UI all say these. */
export const EXECUTION_PROVIDER_NAMES: Readonly<Record<ExecutionProvider, string>> = {
  cpu: 'CPU',
  webgpu: 'WebGPU',
  cuda: 'CUDA',
  tensorrt: 'TensorRT',
  dml: 'DirectML',
  coreml: 'Core ML',
};

/** The name of a provider; an id this Roost does not know (an old report's, say) as it is. */
export function executionProviderName(ep: string): string {
  return Object.hasOwn(EXECUTION_PROVIDER_NAMES, ep)
    ? EXECUTION_PROVIDER_NAMES[ep as ExecutionProvider]
    : ep;
}

export const adapterKindSchema = z.enum(['discrete', 'integrated', 'virtual', 'cpu', 'unknown']);

/** The device an execution provider ran the probe model on. */
export const acceleratorAdapterSchema = z.object({
  name: z.string(),
  vendorId: pciIdSchema.optional(),
  deviceId: pciIdSchema.optional(),
  kind: adapterKindSchema,
  /** A software renderer (lavapipe/llvmpipe, SwiftShader, WARP): runs on the CPU, not a GPU. */
  software: z.boolean(),
  /** The GPU from the inventory this adapter is, when it could be matched. */
  gpuId: z.string().optional(),
  /**
   * Set when the provider did not name its adapter and Roost inferred it, so it is the likeliest
   * device rather than a reported one. `vulkan-driver`: the GPU list's GPUs whose vendor has a
   * Vulkan driver installed (Linux without Mesa's device list). `gpu-list`: the GPU list alone
   * (Windows, macOS). Absent: reported (Mesa's device list, the CUDA device index).
   */
  inferredFrom: z.enum(['vulkan-driver', 'gpu-list']).optional(),
});
export type AcceleratorAdapter = z.infer<typeof acceleratorAdapterSchema>;

/**
 * An adapter's name as people read it: an inferred one says so
 * (`NVIDIA H200 (inferred from the installed Vulkan driver)`).
 */
export function adapterName(adapter: Pick<AcceleratorAdapter, 'name' | 'inferredFrom'>): string {
  if (adapter.inferredFrom === 'vulkan-driver')
    return `${adapter.name} (inferred from the installed Vulkan driver)`;
  if (adapter.inferredFrom === 'gpu-list') return `${adapter.name} (inferred from the GPU list)`;
  return adapter.name;
}

export const probeStatusSchema = z.enum([
  'ok',
  'software-adapter',
  'failed',
  'crashed',
  'timeout',
  'wrong-result',
]);

export const acceleratorProbeSchema = z.object({
  ep: executionProviderSchema,
  /** True when this provider runs real work here; false for failures and software adapters. */
  ok: z.boolean(),
  status: probeStatusSchema,
  /** Plain words, with the fix: `CUDA provider libraries are not installed: run ...`. */
  reason: z.string().optional(),
  /** The fix alone (`roost gpu install-cuda`), for a button or a link. */
  fix: z.string().optional(),
  adapter: acceleratorAdapterSchema.optional(),
  /** CUDA/TensorRT device index (PCI bus order) when probed per GPU. */
  deviceIndex: z.number().int().nonnegative().optional(),
  /** Wall time to create the session and run the probe model once. */
  durationMs: z.number().nonnegative(),
  /** The provider's own error text (trimmed), for support staff. */
  detail: z.string().optional(),
});
export type AcceleratorProbe = z.infer<typeof acceleratorProbeSchema>;

export const probeReportSchema = z.object({
  onnxruntimeVersion: z.string(),
  platform: z.string(),
  arch: z.string(),
  /** Providers this onnxruntime-node build offers on this OS, and whether they ship with it. */
  offered: z.array(z.object({ ep: z.string(), bundled: z.boolean() })),
  results: z.array(acceleratorProbeSchema),
  probedAt: z.string(),
  /** True when read from the cache instead of probed now. */
  cached: z.boolean(),
  /** What the cache entry is keyed on (driver versions + onnxruntime version + libraries). */
  cacheKey: z.string(),
});
export type ProbeReport = z.infer<typeof probeReportSchema>;

/** One accelerator as listed under a GPU in `roost detect --json`. */
export const gpuAcceleratorSchema = z.object({
  ep: executionProviderSchema,
  ok: z.boolean(),
  reason: z.string().optional(),
  adapter: z.string().optional(),
});
export type GpuAccelerator = z.infer<typeof gpuAcceleratorSchema>;

/**
 * Each GPU's name for people, by id: its model, as the Dashboard's cards and the log's Activity
 * lines name it (`RTX 4090`, `CPU`), not its id (`pci-0000:2d:00.0`). Cards of one model are told
 * apart by their place in the list (`RTX 3070 #1`, `RTX 3070 #2`), the order `roost detect` lists
 * them in.
 */
export function gpuNames(
  gpus: readonly { readonly id: string; readonly name: string }[],
): Map<string, string> {
  const count = new Map<string, number>();
  for (const g of gpus) count.set(g.name, (count.get(g.name) ?? 0) + 1);
  const seen = new Map<string, number>();
  return new Map(
    gpus.map((g) => {
      if ((count.get(g.name) ?? 0) < 2) return [g.id, g.name];
      const n = (seen.get(g.name) ?? 0) + 1;
      seen.set(g.name, n);
      return [g.id, `${g.name} #${n}`];
    }),
  );
}

/** `roost detect --json`: every GPU with the accelerators it can use, the CPU and the OS. */
export const detectReportSchema = z.object({
  gpus: z.array(
    gpuSchema.extend({
      /**
       * The GPU's name for people (gpuNames): the model, numbered where two are the same
       * (`RTX 3070 #2`), so a card on the Dashboard reads as the Activity list names it.
       */
      displayName: z.string().min(1),
      accelerators: z.array(gpuAcceleratorSchema),
    }),
  ),
  /** Providers that are not tied to one GPU (cpu; webgpu on a software adapter). */
  accelerators: z.array(acceleratorProbeSchema),
  cpu: z.object({
    model: z.string(),
    cores: z.number().int().nonnegative(),
    accelerators: z.array(gpuAcceleratorSchema),
  }),
  os: z.object({ platform: z.string(), release: z.string(), arch: z.string() }),
  problems: z.array(toolProblemSchema),
});
export type DetectReport = z.infer<typeof detectReportSchema>;

// ---------------------------------------------------------------------------------------------
// Telemetry

/** One reading of one GPU; the payload of the `hardware.telemetry` event. Null: not reported. */
export const telemetrySampleSchema = z.object({
  gpuId: z.string(),
  /** Epoch milliseconds. */
  at: z.number(),
  utilizationPct: z.number().min(0).max(100).nullable(),
  vramUsedBytes: z.number().nonnegative().nullable(),
  vramTotalBytes: z.number().nonnegative().nullable(),
  temperatureC: z.number().nullable(),
  powerW: z.number().nonnegative().nullable(),
  graphicsClockMHz: z.number().nonnegative().nullable(),
  memoryClockMHz: z.number().nonnegative().nullable(),
  fanPct: z.number().min(0).max(100).nullable(),
  source: gpuSourceSchema,
});
export type TelemetrySample = z.infer<typeof telemetrySampleSchema>;

// ---------------------------------------------------------------------------------------------
// roost gpu install-cuda

export const installCudaProgressSchema = z.object({
  phase: z.enum([
    'checking',
    'resolving',
    'downloading',
    'extracting',
    'verifying',
    'rolling-back',
  ]),
  message: z.string(),
});
export type InstallCudaProgress = z.infer<typeof installCudaProgressSchema>;

export const installCudaResultSchema = z.union([
  z.object({
    ok: z.literal(true),
    installed: z.array(z.string()),
    message: z.string(),
    /** CUDA and TensorRT as tested again once the libraries were in; absent if the test failed. */
    accelerators: z.array(acceleratorProbeSchema).optional(),
  }),
  z.object({
    ok: z.literal(false),
    code: z.enum(['unsupported-platform', 'unreachable', 'timeout', 'failed', 'verify-failed']),
    message: z.string(),
    /** True when every file in onnxruntime-node's library folder is as it was before. */
    unchanged: z.boolean(),
  }),
]);
export type InstallCudaResult = z.infer<typeof installCudaResultSchema>;
