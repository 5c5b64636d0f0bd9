/**
 * The accelerator probe: which onnxruntime execution providers really start here, on which
 * adapter, and if not, why and how to fix it. Each provider is tried in its own child process
 * (worker/probe-entry.ts) so a native crash in a driver takes down only that child. Results are
 * cached per onnxruntime version + GPU drivers + provider libraries + Vulkan drivers.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { arch as osArch, cpus, release } from 'node:os';
import { basename, isAbsolute, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { HardwareLog, LoggedStates } from './log.ts';
import { createLoggedStates, stderrHardwareLog } from './log.ts';
import { defaultSpawner, runTool } from './run-tool.ts';
import type { Spawner, ToolRun } from './run-tool.ts';
import {
  adapterName,
  EXECUTION_PROVIDER_NAMES,
  executionProviderName,
  probeReportSchema,
} from './schema.ts';
import type {
  AcceleratorAdapter,
  AcceleratorProbe,
  ExecutionProvider,
  Gpu,
  GpuInventory,
  ProbeReport,
} from './schema.ts';
import { withScratchDir } from './scratch-dir.ts';

/**
 * Bump when the probe's method or its words change, so old cache entries are not reused.
 * 3: no `roost gpu install-cuda` advice on a machine without an NVIDIA GPU.
 * 4: a WebGPU adapter inferred from the GPU list (and Vulkan drivers) where Mesa lists none.
 */
export const PROBE_PROTOCOL_VERSION = 4;

export const PROBE_LINE_PREFIX = '@@roost-probe ';

const EP_ORDER: ExecutionProvider[] = ['cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml'];

/** The provider name onnxruntime's profiler records for nodes each EP ran. */
const EP_RUNTIME_NAMES: Record<ExecutionProvider, string> = {
  cpu: 'CPUExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
  cuda: 'CUDAExecutionProvider',
  tensorrt: 'TensorrtExecutionProvider',
  dml: 'DmlExecutionProvider',
  coreml: 'CoreMLExecutionProvider',
};

export const SOFTWARE_ADAPTER_REASON =
  'the WebGPU adapter is a software renderer (lavapipe/llvmpipe/SwiftShader): not a GPU';
export const CUDA_NOT_INSTALLED_REASON =
  'CUDA provider libraries are not installed: run `roost gpu install-cuda`';
/** CUDA or TensorRT failing where the GPU list has no NVIDIA card: installing CUDA would not help. */
export function noNvidiaGpuReason(ep: 'cuda' | 'tensorrt'): string {
  return `no NVIDIA GPU was found, and ${EXECUTION_PROVIDER_NAMES[ep]} runs only on one`;
}

export interface ProbeOptions {
  spawner?: Spawner;
  /** Node binary for the probe children; default process.execPath (Electron: ELECTRON_RUN_AS_NODE). */
  nodePath?: string;
  /** Path of worker/probe-entry.ts (or its packaged .js). */
  probeEntry?: string;
  env?: NodeJS.ProcessEnv;
  /** Folder for the cache file; no caching when absent. */
  cacheDir?: string;
  /** The GPU list: drivers key the cache, NVIDIA GPUs are probed one by one for CUDA. */
  inventory?: GpuInventory;
  /** Probe even when a cached result exists. */
  force?: boolean;
  /** Only these providers (default: all that onnxruntime-node offers here). */
  only?: ExecutionProvider[];
  /** Per child; default 120 s (shader compilation on a software adapter is slow). */
  epTimeoutMs?: number;
  now?: () => Date;
  log?: HardwareLog;
  /** What was logged before: unchanged cached results are logged at debug level. */
  loggedStates?: LoggedStates;
  /** Reads the Vulkan driver manifests (Linux); default node:fs. */
  files?: ProbeFiles;
  /**
   * Decides how a WebGPU adapter Mesa did not list is inferred: from the Vulkan drivers on Linux,
   * from the GPU list on Windows and macOS. Default process.platform.
   */
  platform?: NodeJS.Platform;
}

// ---------------------------------------------------------------------------------------------
// Messages from the child (untrusted input)

const backendsMessage = z.object({
  type: z.literal('backends'),
  onnxruntimeVersion: z.string().max(100),
  backends: z.array(z.object({ name: z.string().max(50), bundled: z.boolean() })).max(50),
  binDir: z.string().max(4096),
  providerFiles: z
    .array(z.object({ name: z.string().max(300), size: z.number(), mtimeMs: z.number() }))
    .max(200),
});

const probeMessage = z.union([
  z.object({
    type: z.literal('probe'),
    ep: z.string(),
    ok: z.literal(true),
    sessionMs: z.number().nonnegative(),
    runMs: z.number().nonnegative(),
    providers: z.array(z.string().max(100)).max(20),
    output: z.array(z.number().nullable()).max(100),
    expected: z.array(z.number()).max(100),
    maxError: z.number().nullable(),
  }),
  z.object({
    type: z.literal('probe'),
    ep: z.string(),
    ok: z.literal(false),
    stage: z.string().max(20),
    error: z.string().max(20_000),
  }),
]);

const errorMessage = z.object({ type: z.literal('error'), stage: z.string(), error: z.string() });

function messagesIn(stdout: string): unknown[] {
  const out: unknown[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    if (!line.startsWith(PROBE_LINE_PREFIX)) continue;
    try {
      out.push(JSON.parse(line.slice(PROBE_LINE_PREFIX.length)));
    } catch {
      // A garbled line is as good as no line.
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// WebGPU adapter: Mesa's device-select layer lists the Vulkan devices Dawn can choose from.

export interface VulkanDevice {
  name: string;
  vendorId: string;
  deviceId: string;
  type: string;
}

/** Lines like `  GPU 0: 10005:0 "llvmpipe (LLVM 15.0.6, 256 bits)" CPU` (MESA_VK_DEVICE_SELECT_DEBUG). */
export function parseMesaDeviceList(stderr: string): VulkanDevice[] {
  const seen = new Map<string, VulkanDevice>();
  const re = /^\s*GPU \d+: ([0-9a-f]+):([0-9a-f]+) "([^"]*)"\s*(.*)$/gim;
  for (const m of stderr.matchAll(re)) {
    const device = {
      vendorId: (m[1] ?? '').toLowerCase(),
      deviceId: (m[2] ?? '').toLowerCase(),
      name: m[3] ?? '',
      type: (m[4] ?? '').trim(),
    };
    seen.set(`${device.vendorId}:${device.deviceId}:${device.name}`, device);
  }
  return [...seen.values()];
}

const typeRank: Record<AcceleratorAdapter['kind'], number> = {
  discrete: 0,
  integrated: 1,
  virtual: 2,
  unknown: 3,
  cpu: 4,
};

function kindOf(type: string): AcceleratorAdapter['kind'] {
  const t = type.toLowerCase();
  if (t.includes('discrete')) return 'discrete';
  if (t.includes('integrated')) return 'integrated';
  if (t.includes('virtual')) return 'virtual';
  if (t === 'cpu') return 'cpu';
  return 'unknown';
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\bwarp\b/i;

export function isSoftwareAdapter(a: {
  name: string;
  vendorId?: string;
  deviceId?: string;
  kind: string;
}): boolean {
  return (
    a.kind === 'cpu' ||
    SOFTWARE_NAMES.test(a.name) ||
    a.vendorId === '10005' || // VK_VENDOR_ID_MESA
    (a.vendorId === '1ae0' && a.deviceId === 'c0de') // SwiftShader
  );
}

/**
 * The adapter Dawn takes: onnxruntime asks for high performance, and Dawn ranks discrete GPUs,
 * then integrated, then virtual, then CPU (software) adapters.
 */
export function dawnAdapter(
  devices: VulkanDevice[],
  inventory?: GpuInventory,
): AcceleratorAdapter | undefined {
  const ranked = devices
    .map((d, i) => ({ d, i, kind: kindOf(d.type) }))
    .sort((a, b) => typeRank[a.kind] - typeRank[b.kind] || a.i - b.i);
  const best = ranked[0];
  if (!best) return undefined;
  const pci = (v: string) => (/^[0-9a-f]{1,4}$/.test(v) ? v.padStart(4, '0') : undefined);
  const vendorId = pci(best.d.vendorId);
  const deviceId = vendorId ? pci(best.d.deviceId) : undefined;
  const adapter: AcceleratorAdapter = {
    name: best.d.name,
    kind: best.kind,
    software: isSoftwareAdapter({
      name: best.d.name,
      vendorId: best.d.vendorId,
      deviceId: best.d.deviceId,
      kind: best.kind,
    }),
  };
  if (vendorId) adapter.vendorId = vendorId;
  if (deviceId) adapter.deviceId = deviceId;
  const gpu = inventory?.gpus.find(
    (g) => vendorId && g.pciVendorId === vendorId && g.pciDeviceId === deviceId,
  );
  if (gpu && !adapter.software) adapter.gpuId = gpu.id;
  return adapter;
}

// ---------------------------------------------------------------------------------------------
// WebGPU adapter without Mesa's list (NVIDIA's Vulkan driver alone, D3D12, Metal): onnxruntime
// does not name it, so it is inferred from the GPU list and, on Linux, the Vulkan drivers.

/** File access for the probe, injectable for tests. Either may reject; the probe never throws. */
export interface ProbeFiles {
  readText(path: string): Promise<string>;
  listDir(path: string): Promise<string[]>;
}

export const nodeProbeFiles: ProbeFiles = {
  readText: (path) => readFile(path, 'utf8'),
  listDir: (path) => readdir(path),
};

export type VulkanDriverVendor = 'nvidia' | 'amd' | 'intel' | 'software' | 'unknown';

/** One installed Vulkan driver (ICD), from its manifest. */
export interface VulkanDriver {
  manifest: string;
  library: string;
  vendor: VulkanDriverVendor;
}

const icdManifestSchema = z.object({ ICD: z.object({ library_path: z.string().max(4096) }) });

const DRIVER_WORDS: [VulkanDriverVendor, Set<string>][] = [
  ['software', new Set(['lvp', 'lavapipe', 'llvmpipe', 'softpipe', 'swiftshader'])],
  ['nvidia', new Set(['nvidia', 'nouveau', 'nvk'])],
  ['amd', new Set(['amd', 'amdvlk', 'radeon', 'radv'])],
  ['intel', new Set(['intel', 'anv', 'hasvk'])],
];

/**
 * Whose driver a manifest is, from its file name and its library's (`nvidia_icd.json` →
 * `libGLX_nvidia.so.0`, `radeon_icd.x86_64.json` → `libvulkan_radeon.so`, `lvp_icd...` →
 * `libvulkan_lvp.so`). A software renderer wins over anything else either name says.
 */
export function vulkanDriverVendor(manifest: string, library: string): VulkanDriverVendor {
  const words = new Set(
    `${basename(manifest)} ${basename(library)}`.toLowerCase().split(/[^a-z]+/),
  );
  for (const [vendor, names] of DRIVER_WORDS) {
    if ([...names].some((n) => words.has(n))) return vendor;
  }
  return 'unknown';
}

/**
 * Where the Vulkan loader looks for driver manifests on Linux, files or folders. VK_DRIVER_FILES
 * (or the older VK_ICD_FILENAMES) replaces the search; otherwise the XDG config and data folders
 * (with the loader's fallbacks), /etc, and the standard share folders, each + `vulkan/icd.d`, then
 * VK_ADD_DRIVER_FILES.
 */
export function vulkanDriverPaths(env: NodeJS.ProcessEnv): string[] {
  const list = (value: string | undefined) =>
    (value ?? '').split(':').filter((p) => p !== '' && isAbsolute(p));
  const explicit = list(env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES);
  if (explicit.length > 0) return [...new Set(explicit)];
  const home = env.HOME && isAbsolute(env.HOME) ? env.HOME : undefined;
  const orDefault = (value: string | undefined, fallback: string | undefined) =>
    list(value).length > 0 ? list(value) : list(fallback);
  const bases = [
    ...orDefault(env.XDG_CONFIG_HOME, home && posix.join(home, '.config')),
    ...orDefault(env.XDG_CONFIG_DIRS, '/etc/xdg'),
    '/usr/local/etc',
    '/etc',
    ...orDefault(env.XDG_DATA_HOME, home && posix.join(home, '.local', 'share')),
    ...orDefault(env.XDG_DATA_DIRS, '/usr/local/share:/usr/share'),
    '/usr/local/share',
    '/usr/share',
  ];
  return [
    ...new Set([
      ...bases.map((b) => posix.join(b, 'vulkan', 'icd.d')),
      ...list(env.VK_ADD_DRIVER_FILES),
    ]),
  ];
}

/**
 * The Vulkan drivers installed here (Linux), read from their manifests. A folder's `.json` files
 * are read in name order; a manifest that cannot be read or is not one is skipped. Never throws.
 */
export async function listVulkanDrivers(
  env: NodeJS.ProcessEnv,
  files: ProbeFiles = nodeProbeFiles,
): Promise<VulkanDriver[]> {
  const manifests: string[] = [];
  for (const path of vulkanDriverPaths(env)) {
    const names = await files.listDir(path).then(
      (n) => n,
      () => undefined,
    );
    if (names === undefined) manifests.push(path);
    else
      manifests.push(
        ...names
          .filter((n) => n.endsWith('.json'))
          .sort()
          .map((n) => posix.join(path, n)),
      );
  }
  const drivers: VulkanDriver[] = [];
  for (const manifest of [...new Set(manifests)]) {
    const text = await files.readText(manifest).then(
      (t) => t,
      () => undefined,
    );
    if (text === undefined || text.length > 1024 * 1024) continue;
    let parsed: z.infer<typeof icdManifestSchema> | undefined;
    try {
      parsed = icdManifestSchema.safeParse(JSON.parse(text)).data;
    } catch {
      parsed = undefined;
    }
    if (!parsed) continue;
    const library = parsed.ICD.library_path;
    drivers.push({ manifest, library, vendor: vulkanDriverVendor(manifest, library) });
  }
  return drivers;
}

/** What kind of GPU the list says this is; `unknown` when it cannot tell. */
function inventoryKind(gpu: Gpu): 'discrete' | 'integrated' | 'unknown' {
  if (gpu.vramShared || gpu.vendor === 'apple') return 'integrated';
  if (gpu.vendor === 'nvidia' || (gpu.vramBytes ?? 0) > 0) return 'discrete';
  return 'unknown';
}

const inferredRank = { discrete: 0, unknown: 1, integrated: 2 };

/**
 * The GPU Dawn most likely took when nothing named it: onnxruntime asks for high performance, so
 * a discrete GPU before an integrated one, then the GPU list's order. `vulkanDrivers`: the Linux
 * drivers, of which a GPU's vendor must have one; none is inferred when a software driver is
 * among them (Dawn may have taken it). Undefined: no Vulkan list to go by (Windows, macOS).
 */
export function inferWebGpuAdapter(
  inventory: GpuInventory | undefined,
  vulkanDrivers: VulkanDriver[] | undefined,
): AcceleratorAdapter | undefined {
  if (!inventory) return undefined;
  if (vulkanDrivers?.some((d) => d.vendor === 'software')) return undefined;
  const vendors = vulkanDrivers && new Set<string>(vulkanDrivers.map((d) => d.vendor));
  const best = inventory.gpus
    .map((gpu, i) => ({ gpu, i, kind: inventoryKind(gpu) }))
    .filter(
      ({ gpu }) =>
        gpu.status !== 'no-driver' &&
        gpu.vendor !== 'other' &&
        (vendors === undefined || vendors.has(gpu.vendor)),
    )
    .sort((a, b) => inferredRank[a.kind] - inferredRank[b.kind] || a.i - b.i)[0];
  if (!best) return undefined;
  return {
    name: best.gpu.name,
    kind: best.kind,
    software: false,
    ...pciOf(best.gpu),
    gpuId: best.gpu.id,
    inferredFrom: vulkanDrivers ? 'vulkan-driver' : 'gpu-list',
  };
}

// ---------------------------------------------------------------------------------------------
// Failure texts → plain words and a fix

interface Diagnosis {
  reason: string;
  fix?: string;
}

/**
 * Why a provider failed, from its error message and everything the child printed.
 * `nvidiaGpu`: whether the GPU list has an NVIDIA card; unknown (no list) keeps CUDA's advice.
 */
export function diagnose(
  ep: ExecutionProvider,
  error: string,
  output: string,
  context: { nvidiaGpu?: boolean } = {},
): Diagnosis {
  const text = `${error}\n${stripAnsi(output)}`;
  const name = EXECUTION_PROVIDER_NAMES[ep];
  if (/backend not found|no available backend/i.test(text)) {
    return {
      reason: `${name} is not available in this onnxruntime-node build on ${process.platform}`,
    };
  }
  if (ep === 'cuda' || ep === 'tensorrt') {
    // Missing libraries or no device, with no NVIDIA card at all: the card is what is missing,
    // and `roost gpu install-cuda` would download several hundred MB for nothing.
    const noNvidia = context.nvidiaGpu === false;
    if (
      /onnxruntime_providers_(shared|cuda|tensorrt)\.(so|dll)[^\n]*(cannot open|no such file|not found|could not be found|error 126)/i.test(
        text,
      ) ||
      (/Failed to load shared library/i.test(error) &&
        !/lib(cudart|cublas|cudnn|nvinfer)/i.test(text))
    ) {
      if (noNvidia) return { reason: noNvidiaGpuReason(ep) };
      return {
        reason:
          ep === 'cuda'
            ? CUDA_NOT_INSTALLED_REASON
            : 'TensorRT provider libraries are not installed: run `roost gpu install-cuda`',
        fix: 'roost gpu install-cuda',
      };
    }
    if (/libnvinfer/i.test(text)) {
      return {
        reason: 'TensorRT itself is not installed (libnvinfer is missing)',
        fix: 'Install TensorRT 10 for CUDA 12 and put its lib folder on the library path',
      };
    }
    if (/libcudnn/i.test(text)) {
      return {
        reason: 'cuDNN 9 is not installed (libcudnn is missing)',
        fix: 'Install cuDNN 9 for CUDA 12 and put it on the library path',
      };
    }
    if (/lib(cudart|cublas|cublasLt|cufft|curand)[^\s]*/i.test(text)) {
      return {
        reason: 'the CUDA 12 runtime libraries are missing (libcudart/libcublas)',
        fix: 'Install the CUDA 12 runtime (toolkit or redistributable libraries) and put it on the library path',
      };
    }
    if (
      /driver version is insufficient|cudaErrorInsufficientDriver|CUDA failure 35\b/i.test(text)
    ) {
      return {
        reason: 'the NVIDIA driver is too old for CUDA 12',
        fix: 'Update the NVIDIA driver (525 or newer)',
      };
    }
    if (/no CUDA-capable device|cudaErrorNoDevice|CUDA failure 100\b/i.test(text)) {
      if (noNvidia) return { reason: noNvidiaGpuReason(ep) };
      return {
        reason: 'CUDA sees no NVIDIA GPU',
        fix: 'Install the NVIDIA driver; `nvidia-smi` must list the GPU',
      };
    }
    if (/invalid device ordinal|CUDA failure 101\b/i.test(text)) {
      return { reason: 'CUDA has no GPU with this index', fix: 'Check CUDA_VISIBLE_DEVICES' };
    }
  }
  if (/out of memory|CUDA failure 2\b|E_OUTOFMEMORY/i.test(text)) {
    return {
      reason: `${name} ran out of GPU memory starting the probe`,
      fix: 'Close programs that use the GPU and try again',
    };
  }
  if (ep === 'webgpu' && /adapter|vulkan|dawn|device lost|WGPU/i.test(text)) {
    return {
      reason: 'no usable WebGPU adapter: the GPU\u2019s Vulkan/D3D12/Metal driver did not start',
      fix:
        process.platform === 'linux'
          ? 'Install the Vulkan driver for your GPU (mesa-vulkan-drivers 23 or newer for AMD and Intel, the NVIDIA driver for NVIDIA)'
          : 'Update the graphics driver',
    };
  }
  const first = firstLine(error) ?? firstLine(stripAnsi(output)) ?? 'no error message';
  return {
    reason: `${name} failed to start: ${first}`,
    fix: 'Update the GPU driver; if that does not help, send the report to Roost support',
  };
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function firstLine(text: string): string | undefined {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find(Boolean);
  return line ? line.slice(0, 300) : undefined;
}

function tail(text: string, max = 2000): string | undefined {
  const t = stripAnsi(text).trim();
  if (!t) return undefined;
  return t.length > max ? `\u2026${t.slice(-max)}` : t;
}

// ---------------------------------------------------------------------------------------------
// One child run → one AcceleratorProbe

export function judgeProbe(
  ep: ExecutionProvider,
  run: ToolRun,
  options: {
    deviceIndex?: number;
    inventory?: GpuInventory;
    timeoutMs: number;
    /** The Vulkan drivers installed (Linux), for a WebGPU adapter Mesa did not list. */
    vulkanDrivers?: VulkanDriver[];
    /** Default process.platform. */
    platform?: NodeJS.Platform;
  },
): AcceleratorProbe {
  const base = {
    ep,
    ...(options.deviceIndex !== undefined ? { deviceIndex: options.deviceIndex } : {}),
  };
  const name = EXECUTION_PROVIDER_NAMES[ep];
  if (run.kind === 'timeout') {
    return {
      ...base,
      ok: false,
      status: 'timeout',
      reason: `${name} did not start within ${Math.round(options.timeoutMs / 1000)} s`,
      fix: 'Update the GPU driver; a hang here usually means a driver problem',
      durationMs: run.durationMs,
      ...optional('detail', tail(run.stderr)),
    };
  }
  if (run.kind !== 'exited') {
    return {
      ...base,
      ok: false,
      status: 'failed',
      reason: `the probe process could not be started: ${run.message}`,
      durationMs: run.durationMs,
    };
  }
  const messages = messagesIn(run.stdout);
  const parsed = messages.map((m) => probeMessage.safeParse(m)).find((r) => r.success)?.data;
  const output = `${run.stderr}\n${run.stdout
    .split('\n')
    .filter((l) => !l.startsWith(PROBE_LINE_PREFIX))
    .join('\n')}`;
  if (!parsed) {
    const crashed = run.signal !== null || (run.code !== null && run.code !== 0);
    return {
      ...base,
      ok: false,
      status: crashed ? 'crashed' : 'failed',
      reason: crashed
        ? `onnxruntime crashed while starting ${name} (${run.signal ?? `exit code ${run.code}`})`
        : `the ${name} probe gave no answer`,
      fix: 'Update the GPU driver; if that does not help, send the report to Roost support',
      durationMs: run.durationMs,
      ...optional('detail', tail(output)),
    };
  }
  if (!parsed.ok) {
    const d = diagnose(
      ep,
      parsed.error,
      output,
      options.inventory
        ? { nvidiaGpu: options.inventory.gpus.some((g) => g.vendor === 'nvidia') }
        : {},
    );
    return {
      ...base,
      ok: false,
      status: 'failed',
      reason: d.reason,
      ...optional('fix', d.fix),
      durationMs: run.durationMs,
      ...optional('detail', tail(`${parsed.error}\n${output}`)),
    };
  }
  const durationMs = parsed.sessionMs + parsed.runMs;
  const expectedRuntime = EP_RUNTIME_NAMES[ep];
  if (parsed.providers.length > 0 && !parsed.providers.includes(expectedRuntime)) {
    return {
      ...base,
      ok: false,
      status: 'failed',
      reason: `onnxruntime ran the probe on ${parsed.providers.join(', ')} instead of ${name}`,
      fix: 'Update the GPU driver',
      durationMs,
    };
  }
  const tolerance = 1e-3 * Math.max(1, ...parsed.expected.map(Math.abs));
  if (
    parsed.maxError === null ||
    parsed.maxError > tolerance ||
    parsed.output.length !== parsed.expected.length
  ) {
    return {
      ...base,
      ok: false,
      status: 'wrong-result',
      reason: `${name} started but computed a wrong answer on the probe model`,
      fix: 'Update the GPU driver; do not run work on this provider until it passes',
      durationMs,
      detail: `expected ${JSON.stringify(parsed.expected)}, got ${JSON.stringify(parsed.output)}`,
    };
  }
  const result: AcceleratorProbe = { ...base, ok: true, status: 'ok', durationMs };
  if (ep === 'cpu') {
    result.adapter = { name: cpus()[0]?.model.trim() || 'CPU', kind: 'cpu', software: false };
  } else if (ep === 'webgpu') {
    const devices = parseMesaDeviceList(run.stderr);
    const adapter =
      devices.length > 0 ? dawnAdapter(devices, options.inventory) : unlistedWebGpuAdapter(options);
    if (adapter) result.adapter = adapter;
    if (adapter?.software) {
      return {
        ...result,
        ok: false,
        status: 'software-adapter',
        reason: SOFTWARE_ADAPTER_REASON,
        fix: 'Install your GPU\u2019s Vulkan driver (Mesa radv/anv for AMD/Intel, the NVIDIA driver for NVIDIA) so WebGPU runs on the GPU',
      };
    }
  } else if ((ep === 'cuda' || ep === 'tensorrt') && options.inventory) {
    const nvidia = nvidiaGpus(options.inventory)[options.deviceIndex ?? 0];
    if (nvidia)
      result.adapter = {
        name: nvidia.name,
        kind: 'discrete',
        software: false,
        gpuId: nvidia.id,
        ...pciOf(nvidia),
      };
  }
  return result;
}

/** The WebGPU adapter when Mesa listed none: inferred where there is something to go by. */
function unlistedWebGpuAdapter(options: {
  inventory?: GpuInventory;
  vulkanDrivers?: VulkanDriver[];
  platform?: NodeJS.Platform;
}): AcceleratorAdapter | undefined {
  const platform = options.platform ?? process.platform;
  if (platform === 'linux') {
    // Without the driver list (not read), nothing says which GPU Vulkan could reach.
    return options.vulkanDrivers
      ? inferWebGpuAdapter(options.inventory, options.vulkanDrivers)
      : undefined;
  }
  if (platform === 'win32' || platform === 'darwin') {
    return inferWebGpuAdapter(options.inventory, undefined);
  }
  return undefined;
}

function pciOf(gpu: GpuInventory['gpus'][number]): { vendorId?: string; deviceId?: string } {
  return {
    ...(gpu.pciVendorId ? { vendorId: gpu.pciVendorId } : {}),
    ...(gpu.pciDeviceId ? { deviceId: gpu.pciDeviceId } : {}),
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: string });
}

/** NVIDIA GPUs in PCI bus order: CUDA's device order with CUDA_DEVICE_ORDER=PCI_BUS_ID. */
export function nvidiaGpus(inventory: GpuInventory): GpuInventory['gpus'] {
  return inventory.gpus
    .filter((g) => g.vendor === 'nvidia' && g.status === 'ok')
    .sort((a, b) => (a.busId ?? a.id).localeCompare(b.busId ?? b.id));
}

// ---------------------------------------------------------------------------------------------
// The whole probe

const ENV_ALLOW =
  /^(PATH|Path|HOME|USER|USERNAME|LOGNAME|LANG|LANGUAGE|LC_\w+|TMPDIR|TEMP|TMP|SystemRoot|SYSTEMROOT|windir|WINDIR|ComSpec|PATHEXT|APPDATA|LOCALAPPDATA|ProgramData|ProgramFiles|ProgramFiles\(x86\)|ProgramW6432|CommonProgramFiles|NUMBER_OF_PROCESSORS|PROCESSOR_ARCHITECTURE|LD_LIBRARY_PATH|DYLD_LIBRARY_PATH|DISPLAY|WAYLAND_DISPLAY|XDG_\w+|VK_\w+|MESA_\w+|DRI_PRIME|__GLX_\w+|__NV_\w+|CUDA_\w+|CUDNN_\w+|NVIDIA_\w+|TENSORRT_\w+|ORT_\w+|HIP_VISIBLE_DEVICES|ROCR_VISIBLE_DEVICES)$/;

/** The probe child's environment: what GPU runtimes need, nothing else (no secrets). */
export function probeEnv(env: NodeJS.ProcessEnv, ep?: ExecutionProvider): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && ENV_ALLOW.test(key)) out[key] = value;
  }
  out.ELECTRON_RUN_AS_NODE = '1';
  out.CUDA_DEVICE_ORDER = 'PCI_BUS_ID';
  if (ep === 'webgpu') out.MESA_VK_DEVICE_SELECT_DEBUG = '1';
  return out;
}

export function defaultProbeEntry(): string {
  return fileURLToPath(new URL('../../worker/probe-entry.ts', import.meta.url));
}

export function probeAccelerators(options: ProbeOptions = {}): Promise<ProbeReport> {
  // The probe children's temp folder is removed afterwards, with whatever onnxruntime or a probe
  // killed at its timeout left in it.
  return withScratchDir('roost-probe-', options.env ?? process.env, (childEnv) =>
    probeWith(options, childEnv),
  );
}

async function probeWith(options: ProbeOptions, childEnv: NodeJS.ProcessEnv): Promise<ProbeReport> {
  const log = options.log ?? stderrHardwareLog;
  const states = options.loggedStates ?? createLoggedStates();
  const now = options.now ?? (() => new Date());
  const spawner = options.spawner ?? defaultSpawner;
  const nodePath = options.nodePath ?? process.execPath;
  const entry = options.probeEntry ?? defaultProbeEntry();
  const env = options.env ?? process.env;
  const epTimeoutMs = options.epTimeoutMs ?? 120_000;

  const listRun = await runTool(spawner, nodePath, [entry, 'list'], {
    timeoutMs: 60_000,
    env: probeEnv(childEnv),
    maxOutputBytes: 1024 * 1024,
  });
  const listed =
    listRun.kind === 'exited'
      ? messagesIn(listRun.stdout)
          .map((m) => backendsMessage.safeParse(m))
          .find((r) => r.success)?.data
      : undefined;
  if (!listed) {
    const loadError =
      listRun.kind === 'exited'
        ? messagesIn(listRun.stdout)
            .map((m) => errorMessage.safeParse(m))
            .find((r) => r.success)?.data?.error
        : undefined;
    const why =
      loadError ??
      (listRun.kind === 'timeout'
        ? 'it did not answer in 60 s'
        : (tail(listRun.kind === 'exited' ? listRun.stderr : listRun.message, 300) ?? 'no answer'));
    const loadFailed = `onnxruntime-node could not be loaded: ${why}`;
    // Nothing is cached after this failure, so every probe tries again: say it once.
    log[states.changed('onnxruntime', loadFailed) ? 'error' : 'debug'](loadFailed);
    return {
      onnxruntimeVersion: 'unknown',
      platform: process.platform,
      arch: osArch(),
      offered: [],
      results: [
        {
          ep: 'cpu',
          ok: false,
          status: listRun.kind === 'exited' && listRun.signal ? 'crashed' : 'failed',
          reason: `onnxruntime could not be loaded: ${why}`,
          fix: 'Reinstall Roost; if that does not help, send the report to Roost support',
          durationMs: listRun.durationMs,
        },
      ],
      probedAt: now().toISOString(),
      cached: false,
      cacheKey: '',
    };
  }

  states.changed('onnxruntime', 'loaded');
  const offered = listed.backends.map((b) => ({ ep: b.name, bundled: b.bundled }));
  const eps = EP_ORDER.filter(
    (ep) => offered.some((o) => o.ep === ep) && (!options.only || options.only.includes(ep)),
  );
  const platform = options.platform ?? process.platform;
  // Only needed to name a WebGPU adapter Mesa does not list; part of the cache key too.
  const vulkanDrivers =
    platform === 'linux' && eps.includes('webgpu')
      ? await listVulkanDrivers(env, options.files)
      : undefined;
  const cacheKey = await computeCacheKey(listed, options, eps, vulkanDrivers);
  const cacheFile = options.cacheDir
    ? join(options.cacheDir, `accelerator-probe-${cacheKey.slice(0, 24)}.json`)
    : undefined;
  if (cacheFile && !options.force) {
    const cached = await readCache(cacheFile, cacheKey);
    if (cached) {
      const line = `accelerators (cached ${cached.probedAt}): ${summary(cached)}`;
      log[states.changed('accelerators', summary(cached)) ? 'info' : 'debug'](line);
      return { ...cached, cached: true };
    }
  }

  const results: AcceleratorProbe[] = [];
  for (const ep of eps) {
    const devices =
      (ep === 'cuda' || ep === 'tensorrt') &&
      options.inventory &&
      nvidiaGpus(options.inventory).length > 0
        ? nvidiaGpus(options.inventory).map((_, i) => i)
        : [undefined];
    for (const deviceIndex of devices) {
      const args = [
        entry,
        'probe',
        ep,
        ...(deviceIndex === undefined ? [] : [String(deviceIndex)]),
      ];
      const run = await runTool(spawner, nodePath, args, {
        timeoutMs: epTimeoutMs,
        env: probeEnv(childEnv, ep),
        maxOutputBytes: 4 * 1024 * 1024,
      });
      const result = judgeProbe(ep, run, {
        timeoutMs: epTimeoutMs,
        ...(deviceIndex !== undefined ? { deviceIndex } : {}),
        ...(options.inventory ? { inventory: options.inventory } : {}),
        ...(vulkanDrivers ? { vulkanDrivers } : {}),
        platform,
      });
      log.info(probeLine(result));
      results.push(result);
    }
  }

  const report: ProbeReport = {
    onnxruntimeVersion: listed.onnxruntimeVersion,
    platform: process.platform,
    arch: osArch(),
    offered,
    results,
    probedAt: now().toISOString(),
    cached: false,
    cacheKey,
  };
  if (cacheFile) await writeCache(cacheFile, report, log);
  // Just logged provider by provider: the same results read back from the cache are no news.
  states.changed('accelerators', summary(report));
  return report;
}

function summary(report: ProbeReport): string {
  return report.results.map((r) => `${r.ep}=${r.status}`).join(', ');
}

async function computeCacheKey(
  listed: z.infer<typeof backendsMessage>,
  options: ProbeOptions,
  eps: ExecutionProvider[],
  vulkanDrivers: VulkanDriver[] | undefined,
): Promise<string> {
  // The Vulkan drivers the loader would find (listVulkanDrivers), each with its manifest's size
  // and time: a driver installed, removed or updated probes again.
  const drivers: string[] = [];
  for (const d of vulkanDrivers ?? []) {
    const info = await stat(d.manifest).catch(() => undefined);
    drivers.push(`${d.manifest}:${d.library}:${info?.size ?? 0}:${Math.round(info?.mtimeMs ?? 0)}`);
  }
  const basis = {
    protocol: PROBE_PROTOCOL_VERSION,
    onnxruntime: listed.onnxruntimeVersion,
    platform: process.platform,
    arch: osArch(),
    kernel: release(),
    eps,
    providerFiles: listed.providerFiles.map((f) => `${f.name}:${f.size}:${f.mtimeMs}`),
    gpus: (options.inventory?.gpus ?? []).map(
      (g) =>
        `${g.busId ?? g.id}:${g.pciVendorId}:${g.pciDeviceId}:${g.driver ?? ''}:${g.driverVersion ?? ''}:${g.status}`,
    ),
    vulkanDrivers: drivers,
  };
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex');
}

async function readCache(file: string, key: string): Promise<ProbeReport | undefined> {
  try {
    const parsed = probeReportSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success && parsed.data.cacheKey === key ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function writeCache(file: string, report: ProbeReport, log: HardwareLog): Promise<void> {
  try {
    await mkdir(join(file, '..'), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(report, null, 2), { mode: 0o600 });
    await rename(temp, file);
  } catch (error) {
    log.warn(`could not write the accelerator cache ${file}: ${(error as Error).message}`);
  }
}

const PROBE_STATUS_WORDS: Record<AcceleratorProbe['status'], string> = {
  ok: 'works',
  'software-adapter': 'runs only on a software renderer',
  failed: 'does not work',
  crashed: 'crashed',
  timeout: 'took too long',
  'wrong-result': 'gave a wrong answer',
};

/**
 * One provider's probe as the log and the Activity list say it: `CUDA (device 0) does not work:
 * CUDA provider libraries are not installed: run \`roost gpu install-cuda\` (checked in 122 ms)`,
 * `CPU works on AMD EPYC (checked in 27 ms)`.
 */
export function probeLine(result: AcceleratorProbe): string {
  const device = result.deviceIndex === undefined ? '' : ` (device ${result.deviceIndex})`;
  const took = `(checked in ${Math.round(result.durationMs)} ms)`;
  if (result.status === 'software-adapter') {
    const adapter = result.adapter ? adapterName(result.adapter) : 'a software adapter';
    return `${executionProviderName(result.ep)}${device} runs only on ${adapter}, a software renderer on the CPU, not a GPU ${took}`;
  }
  const on = result.adapter ? ` on ${adapterName(result.adapter)}` : '';
  const why = result.reason ? `: ${result.reason.replace(/\.$/, '')}` : '';
  return `${executionProviderName(result.ep)}${device} ${PROBE_STATUS_WORDS[result.status]}${on}${why} ${took}`;
}
