/**
 * listGpus(): every GPU in the machine, merged from every source that knows something about it,
 * with the source of each field recorded.
 *
 * Linux: the PCI bus and DRM cards in sysfs are the ground truth for what is plugged in (a card
 * with no driver or a broken driver is still listed); nvidia-smi and rocm-smi add names, memory
 * and driver versions, matched by PCI bus address. Windows: Win32_VideoController (chip ids from
 * PNPDeviceID) plus nvidia-smi, plus systeminformation for memory above 4 GiB. macOS:
 * system_profiler. Anything else: systeminformation. Every tool runs with a timeout; a tool that
 * fails or prints garbage marks the GPUs it was about `unreadable` and the rest are still listed.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRocmSmiJson } from './amd-tools.ts';
import type { RocmSmiGpu } from './amd-tools.ts';
import {
  gpusFromSystemInformation,
  gpusFromSystemProfiler,
  gpusFromWmi,
  SYSTEM_PROFILER_COMMAND,
  WMI_COMMAND,
} from './desktop-sources.ts';
import type { DesktopGpu } from './desktop-sources.ts';
import type { HardwareLog, LoggedStates } from './log.ts';
import { createLoggedStates, stderrHardwareLog } from './log.ts';
import { parseNvidiaSmiXml } from './nvidia-smi-xml.ts';
import type { NvidiaSmiGpu } from './nvidia-smi-xml.ts';
import {
  fallbackGpuName,
  PCI_VENDOR,
  pciDeviceName,
  pciVendorName,
  vendorFromName,
  vendorFromPciId,
} from './pci-ids.ts';
import { parseLspci } from './lspci.ts';
import type { LspciDevice } from './lspci.ts';
import { defaultSpawner, runTool } from './run-tool.ts';
import type { Spawner } from './run-tool.ts';
import type { Gpu, GpuInventory, GpuSource, ToolProblem } from './schema.ts';
import { readText, scanSysfs } from './sysfs.ts';
import type { SysfsGpu, SysfsScan } from './sysfs.ts';
import { classifyAmdToolText, classifyNvidiaSmiText, problemFromRun } from './tool-errors.ts';

export interface InventoryOptions {
  spawner?: Spawner;
  /** Read for ROOST_NVIDIA_SMI and ROOST_SYSFS_ROOT; default process.env. */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  now?: () => Date;
  log?: HardwareLog;
  /** What was logged before: an unchanged GPU list or tool problem is logged at debug level. */
  loggedStates?: LoggedStates;
  /** Per tool; default 15 s. */
  toolTimeoutMs?: number;
  /** Node binary for the systeminformation helper child; default process.execPath. */
  nodePath?: string;
}

/** Where to find the outside world, after ROOST_* overrides. */
export interface HardwarePaths {
  sysfsRoot: string;
  nvidiaSmi: string;
  rocmSmi: string;
}

export function hardwarePaths(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): HardwarePaths {
  return {
    sysfsRoot: env.ROOST_SYSFS_ROOT || '/sys',
    nvidiaSmi: env.ROOST_NVIDIA_SMI || (platform === 'win32' ? 'nvidia-smi.exe' : 'nvidia-smi'),
    rocmSmi: env.ROOST_ROCM_SMI || 'rocm-smi',
  };
}

export const NVIDIA_SMI_INVENTORY_ARGS = ['-q', '-x'] as const;
export const ROCM_SMI_INVENTORY_ARGS = [
  '--showid',
  '--showproductname',
  '--showbus',
  '--showmeminfo',
  'vram',
  '--showdriverversion',
  '--json',
] as const;

interface NvidiaOutcome {
  problem?: ToolProblem;
  gpus: NvidiaSmiGpu[];
  driverVersion?: string;
  cudaVersion?: string;
  warnings: string[];
}

export async function listGpus(options: InventoryOptions = {}): Promise<GpuInventory> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const log = options.log ?? stderrHardwareLog;
  const now = options.now ?? (() => new Date());
  const paths = hardwarePaths(env, platform);
  const problems: ToolProblem[] = [];
  let gpus: Gpu[];

  if (platform === 'linux' || env.ROOST_SYSFS_ROOT) {
    gpus = await linuxInventory(paths, options, problems);
  } else if (platform === 'win32') {
    gpus = await windowsInventory(paths, options, problems);
  } else if (platform === 'darwin') {
    gpus = await macosInventory(options, problems);
  } else {
    gpus = await siInventory(options, problems);
  }

  const states = options.loggedStates ?? createLoggedStates();
  const problemLines = problems.map((p) => `${p.tool}: ${p.message}`);
  const problemsChanged = states.changed('tool-problems', problemLines.join('\n'));
  for (const line of problemLines) log[problemsChanged ? 'warn' : 'debug'](line);
  const found =
    gpus.length === 0
      ? 'no GPU found'
      : `found ${gpus.length} GPU${gpus.length === 1 ? '' : 's'}: ${gpus
          .map((g) => `${g.name} (${g.busId ?? g.id}${g.status === 'ok' ? '' : `, ${g.status}`})`)
          .join('; ')}`;
  log[states.changed('gpus', found) ? 'info' : 'debug'](found);
  return { gpus, problems, scannedAt: now().toISOString() };
}

// ---------------------------------------------------------------------------------------------
// Linux

async function linuxInventory(
  paths: HardwarePaths,
  options: InventoryOptions,
  problems: ToolProblem[],
): Promise<Gpu[]> {
  const timeoutMs = options.toolTimeoutMs ?? 15_000;
  const scan = await withTimeout(scanSysfs(paths.sysfsRoot), timeoutMs, {
    gpus: [],
    available: false,
  } satisfies SysfsScan);
  const sysfsNvidia = scan.gpus.filter((g) => g.vendorId === PCI_VENDOR.nvidia);
  const sysfsAmd = scan.gpus.filter((g) => g.vendorId === PCI_VENDOR.amd && g.driver === 'amdgpu');

  const [nvidia, rocm] = await Promise.all([
    runNvidiaSmi(paths, options),
    sysfsAmd.length > 0 ? runRocmSmi(paths, options) : Promise.resolve(undefined),
  ]);
  if (nvidia.problem) {
    // A missing or failing nvidia-smi matters only when there is an NVIDIA card to read.
    const relevant =
      sysfsNvidia.length > 0 ||
      (!scan.available &&
        nvidia.problem.code !== 'not-installed' &&
        nvidia.problem.code !== 'no-devices');
    if (relevant) problems.push(nvidia.problem);
  }
  for (const w of nvidia.warnings) {
    problems.push({ tool: 'nvidia-smi', code: 'garbage', message: w });
  }
  if (rocm && !rocm.ok && rocm.problem.code !== 'not-installed') problems.push(rocm.problem);

  const drafts = new Map<string, Draft>();
  for (const s of scan.gpus) drafts.set(s.busId, await draftFromSysfs(s, paths.sysfsRoot));
  if (!scan.available) {
    // No readable /sys (a container or sandbox): lspci still names what is on the bus.
    for (const d of await runLspci(options)) drafts.set(d.busId, draftFromLspci(d));
  }

  nvidia.gpus.forEach((rec, index) => {
    const existing = rec.busId ? drafts.get(rec.busId) : undefined;
    const draft = existing ?? newDraft('nvidia', 'nvidia-smi', rec.busId, `nvidia-${index}`);
    mergeNvidia(draft, rec, nvidia.driverVersion, nvidia.cudaVersion);
    if (!existing) drafts.set(rec.busId ?? `nvidia-${index}`, draft);
  });
  for (const s of sysfsNvidia) {
    const draft = drafts.get(s.busId);
    if (!draft || draft.fromNvidiaSmi) continue;
    if (s.driver === 'nvidia') {
      draft.status = 'unreadable';
      draft.problem = nvidia.problem
        ? {
            message: nvidia.problem.message,
            ...(nvidia.problem.fix ? { fix: nvidia.problem.fix } : {}),
          }
        : {
            message: 'nvidia-smi did not list this GPU.',
            fix: 'Restart the computer; if it persists, reinstall the NVIDIA driver.',
          };
    }
  }
  if (rocm?.ok) {
    for (const rec of rocm.gpus) {
      const draft = rec.busId ? drafts.get(rec.busId) : undefined;
      if (draft) mergeRocm(draft, rec, rocm.driverVersion);
    }
  }
  for (const draft of drafts.values()) applyDriverStatus(draft);
  return [...drafts.values()].map(finishDraft).sort(byBus);
}

async function runNvidiaSmi(
  paths: HardwarePaths,
  options: InventoryOptions,
): Promise<NvidiaOutcome> {
  const run = await runTool(
    options.spawner ?? defaultSpawner,
    paths.nvidiaSmi,
    NVIDIA_SMI_INVENTORY_ARGS,
    {
      timeoutMs: options.toolTimeoutMs ?? 15_000,
      ...(options.env ? { env: options.env } : {}),
    },
  );
  const failed = problemFromRun('nvidia-smi', run, classifyNvidiaSmiText);
  if (failed) return { problem: failed, gpus: [], warnings: [] };
  if (run.kind !== 'exited') return { gpus: [], warnings: [] };
  const parsed = parseNvidiaSmiXml(run.stdout);
  if (!parsed.ok) return { problem: parsed.problem, gpus: [], warnings: [] };
  return {
    gpus: parsed.gpus,
    warnings: [
      ...parsed.warnings,
      ...(run.truncated ? ['nvidia-smi printed more than Roost reads; the rest was dropped.'] : []),
    ],
    ...(parsed.driverVersion ? { driverVersion: parsed.driverVersion } : {}),
    ...(parsed.cudaVersion ? { cudaVersion: parsed.cudaVersion } : {}),
  };
}

async function runLspci(options: InventoryOptions): Promise<LspciDevice[]> {
  const run = await runTool(options.spawner ?? defaultSpawner, 'lspci', ['-vmmnnk'], {
    timeoutMs: options.toolTimeoutMs ?? 15_000,
    ...(options.env ? { env: options.env } : {}),
  });
  return run.kind === 'exited' && run.code === 0 ? parseLspci(run.stdout) : [];
}

function draftFromLspci(d: LspciDevice): Draft {
  const vendor = d.vendorId ? vendorFromPciId(d.vendorId) : vendorFromName(d.vendorName);
  const draft = newDraft(vendor, 'lspci', d.busId, `pci-${d.busId}`);
  draft.set('pciVendorId', d.vendorId, 'lspci');
  draft.set('pciDeviceId', d.deviceId, 'lspci');
  draft.set('subsystemId', d.subsystemId, 'lspci');
  draft.set('driver', d.driver, 'lspci');
  if (!pciDeviceName(d.vendorId, d.deviceId) && d.deviceName) {
    const shortVendor: Partial<Record<Gpu['vendor'], string>> = {
      nvidia: 'NVIDIA',
      amd: 'AMD',
      intel: 'Intel',
      apple: 'Apple',
    };
    const prefix = pciVendorName(d.vendorId) ?? shortVendor[vendor] ?? d.vendorName;
    draft.set('name', `${prefix} ${d.deviceName}`, 'lspci');
  }
  if (d.poweredOff) {
    draft.fields.notes.push(
      'The GPU was powered off when listed (lspci rev ff); it wakes when used.',
    );
  }
  draft.set('display', false, 'lspci');
  return draft;
}

async function runRocmSmi(paths: HardwarePaths, options: InventoryOptions) {
  const run = await runTool(
    options.spawner ?? defaultSpawner,
    paths.rocmSmi,
    ROCM_SMI_INVENTORY_ARGS,
    {
      timeoutMs: options.toolTimeoutMs ?? 15_000,
      ...(options.env ? { env: options.env } : {}),
    },
  );
  const failed = problemFromRun('rocm-smi', run, (t) => classifyAmdToolText('rocm-smi', t));
  if (failed) return { ok: false as const, problem: failed };
  if (run.kind !== 'exited') return undefined;
  return parseRocmSmiJson(run.stdout);
}

// ---------------------------------------------------------------------------------------------
// Windows, macOS, others

async function windowsInventory(
  paths: HardwarePaths,
  options: InventoryOptions,
  problems: ToolProblem[],
): Promise<Gpu[]> {
  const spawner = options.spawner ?? defaultSpawner;
  const timeoutMs = options.toolTimeoutMs ?? 15_000;
  const [wmiRun, nvidia, si] = await Promise.all([
    runTool(spawner, WMI_COMMAND.command, WMI_COMMAND.args, { timeoutMs }),
    runNvidiaSmi(paths, options),
    runSiChild(options),
  ]);
  const wmiProblem = problemFromRun('Win32_VideoController', wmiRun, () => undefined);
  if (wmiProblem) problems.push(wmiProblem);
  const wmi = wmiRun.kind === 'exited' && !wmiProblem ? gpusFromWmi(wmiRun.stdout) : [];
  const siGpus = si.ok ? si.gpus : [];
  const listed = wmi.length > 0 ? wmi : siGpus;
  if (nvidia.problem && listed.some((g) => g.vendor === 'nvidia')) problems.push(nvidia.problem);

  const used = new Set<NvidiaSmiGpu>();
  return listed.map((d, index) => {
    const draft = draftFromDesktop(d, wmi.length > 0 ? 'wmi' : 'systeminformation', `gpu-${index}`);
    const siMatch = siGpus.find((s) => s.name === d.name && s.vramBytes !== null);
    if (siMatch?.vramBytes && (d.vramBytes === null || siMatch.vramBytes > d.vramBytes)) {
      draft.set('vramBytes', siMatch.vramBytes, 'systeminformation');
    }
    if (d.vendor === 'nvidia') {
      const rec = nvidia.gpus.find(
        (g) =>
          !used.has(g) &&
          (d.pciDeviceId === null ||
            g.pciDeviceId === undefined ||
            g.pciDeviceId === d.pciDeviceId),
      );
      if (rec) {
        used.add(rec);
        mergeNvidia(draft, rec, nvidia.driverVersion, nvidia.cudaVersion);
      }
    }
    if (/basic display|basic render/i.test(d.name)) {
      draft.status = 'no-driver';
      draft.problem = {
        message: 'Windows is using its basic display driver for this GPU.',
        fix: 'Install the graphics driver from the GPU maker (NVIDIA, AMD or Intel).',
      };
    }
    return finishDraft(draft);
  });
}

async function macosInventory(options: InventoryOptions, problems: ToolProblem[]): Promise<Gpu[]> {
  const run = await runTool(
    options.spawner ?? defaultSpawner,
    SYSTEM_PROFILER_COMMAND.command,
    SYSTEM_PROFILER_COMMAND.args,
    { timeoutMs: options.toolTimeoutMs ?? 20_000 },
  );
  const failed = problemFromRun('system_profiler', run, () => undefined);
  const parsed = run.kind === 'exited' && !failed ? gpusFromSystemProfiler(run.stdout) : undefined;
  if (parsed?.ok) {
    return parsed.gpus.map((d, i) =>
      finishDraft(draftFromDesktop(d, 'systeminformation', `gpu-${i}`)),
    );
  }
  problems.push(
    failed ?? { tool: 'system_profiler', code: 'garbage', message: parsed?.message ?? 'no output' },
  );
  return siInventory(options, problems);
}

async function siInventory(options: InventoryOptions, problems: ToolProblem[]): Promise<Gpu[]> {
  const si = await runSiChild(options);
  if (!si.ok) {
    problems.push({ tool: 'systeminformation', code: 'failed', message: si.message });
    return [];
  }
  return si.gpus.map((d, i) => finishDraft(draftFromDesktop(d, 'systeminformation', `gpu-${i}`)));
}

async function runSiChild(
  options: InventoryOptions,
): Promise<{ ok: true; gpus: DesktopGpu[] } | { ok: false; message: string }> {
  const entry = fileURLToPath(new URL('./si-graphics-child.ts', import.meta.url));
  const run = await runTool(
    options.spawner ?? defaultSpawner,
    options.nodePath ?? process.execPath,
    [entry],
    {
      timeoutMs: options.toolTimeoutMs ?? 20_000,
      env: { ...(options.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' },
    },
  );
  const failed = problemFromRun('systeminformation', run, () => undefined);
  if (failed) return { ok: false, message: failed.message };
  if (run.kind !== 'exited') return { ok: false, message: 'no output' };
  return gpusFromSystemInformation(run.stdout);
}

// ---------------------------------------------------------------------------------------------
// Drafts: a GPU being assembled, with the source of every field.

interface Draft {
  fields: Partial<Gpu> & { notes: string[] };
  sources: Record<string, GpuSource>;
  source: GpuSource;
  status: Gpu['status'];
  problem?: Gpu['problem'];
  fromNvidiaSmi: boolean;
  fallbackId: string;
  set<K extends keyof Gpu>(key: K, value: Gpu[K] | undefined, source: GpuSource): void;
  setIfMissing<K extends keyof Gpu>(key: K, value: Gpu[K] | undefined, source: GpuSource): void;
}

function newDraft(
  vendor: Gpu['vendor'],
  source: GpuSource,
  busId: string | undefined,
  fallbackId: string,
): Draft {
  const draft: Draft = {
    fields: { vendor, notes: [], display: false },
    sources: { vendor: source },
    source,
    status: 'ok',
    fromNvidiaSmi: false,
    fallbackId,
    set(key, value, from) {
      if (value === undefined) return;
      this.fields[key] = value as never;
      this.sources[key] = from;
    },
    setIfMissing(key, value, from) {
      if (this.fields[key] === undefined || this.fields[key] === null) this.set(key, value, from);
    },
  };
  if (busId) draft.set('busId', busId, source);
  return draft;
}

async function draftFromSysfs(s: SysfsGpu, sysfsRoot: string): Promise<Draft> {
  const vendor = vendorFromPciId(s.vendorId);
  const source: GpuSource =
    s.driver === 'amdgpu'
      ? 'amdgpu-sysfs'
      : s.driver === 'i915' || s.driver === 'xe'
        ? 'intel-sysfs'
        : 'pci-sysfs';
  const draft = newDraft(vendor, source, s.busId, `pci-${s.busId}`);
  draft.set('pciVendorId', s.vendorId, 'pci-sysfs');
  draft.set('pciDeviceId', s.deviceId, 'pci-sysfs');
  draft.set('subsystemId', s.subsystemId, 'pci-sysfs');
  draft.set('driver', s.driver, 'pci-sysfs');
  if (s.driver) {
    const version = await readText(join(sysfsRoot, 'module', s.driver, 'version'));
    draft.set('driverVersion', version || undefined, source);
  }
  draft.set('vramBytes', s.vramTotalBytes, source);
  draft.set('vbiosVersion', s.vbiosVersion, source);
  draft.set('name', s.productName, source);
  if (s.hwmon?.powerCapW !== undefined) draft.set('powerLimitW', s.hwmon.powerCapW, source);
  const clocks = {
    ...(s.graphicsClockMHz !== undefined ? { graphicsMHz: s.graphicsClockMHz } : {}),
    ...(s.memoryClockMHz !== undefined ? { memoryMHz: s.memoryClockMHz } : {}),
    ...(s.maxGraphicsClockMHz !== undefined ? { maxGraphicsMHz: s.maxGraphicsClockMHz } : {}),
    ...(s.maxMemoryClockMHz !== undefined ? { maxMemoryMHz: s.maxMemoryClockMHz } : {}),
  };
  if (Object.keys(clocks).length > 0) draft.set('clocks', clocks, source);
  if (vendor === 'intel' && s.vramTotalBytes === undefined && /^0000:00:02\.0$/.test(s.busId)) {
    draft.set('vramShared', true, 'pci-sysfs');
  }
  // A monitor on one of its connectors is the best evidence; a card that exposes no connector
  // information falls back to "the firmware booted on it" (boot_vga).
  if (s.connectedOutputs && s.connectedOutputs.length > 0) {
    draft.set('display', true, source);
    draft.set('displayEvidence', `monitor on ${s.connectedOutputs.join(', ')}`, source);
  } else if (s.connectedOutputs === undefined && s.bootVga) {
    draft.set('display', true, 'pci-sysfs');
    draft.set('displayEvidence', 'boot display device (boot_vga)', 'pci-sysfs');
  } else {
    draft.set('display', false, s.connectedOutputs ? source : 'pci-sysfs');
  }
  return draft;
}

function draftFromDesktop(d: DesktopGpu, source: GpuSource, fallbackId: string): Draft {
  const draft = newDraft(d.vendor, source, undefined, fallbackId);
  draft.set('name', d.name, source);
  draft.set('pciVendorId', d.pciVendorId, source);
  draft.set('pciDeviceId', d.pciDeviceId, source);
  draft.set('subsystemId', d.subsystemId, source);
  draft.set('vramBytes', d.vramBytes, source);
  draft.set('vramShared', d.vramShared, source);
  draft.set('driverVersion', d.driverVersion, source);
  draft.set('display', d.display, source);
  draft.set('displayEvidence', d.displayEvidence, source);
  draft.fields.notes.push(...d.notes);
  return draft;
}

function mergeNvidia(
  draft: Draft,
  rec: NvidiaSmiGpu,
  driverVersion: string | undefined,
  cudaVersion: string | undefined,
): void {
  draft.fromNvidiaSmi = true;
  draft.fields.notes.push(...rec.notes);
  if (rec.status === 'unreadable') {
    draft.status = 'unreadable';
    if (rec.problem) draft.problem = rec.problem;
    draft.setIfMissing('busId', rec.busId, 'nvidia-smi');
    draft.setIfMissing('pciVendorId', PCI_VENDOR.nvidia, 'nvidia-smi');
    return;
  }
  draft.source = 'nvidia-smi';
  draft.set('name', rec.name, 'nvidia-smi');
  draft.setIfMissing('busId', rec.busId, 'nvidia-smi');
  draft.setIfMissing('pciVendorId', PCI_VENDOR.nvidia, 'nvidia-smi');
  draft.setIfMissing('pciDeviceId', rec.pciDeviceId, 'nvidia-smi');
  draft.setIfMissing('subsystemId', rec.subsystemId, 'nvidia-smi');
  draft.set('uuid', rec.uuid, 'nvidia-smi');
  draft.set('vramBytes', rec.vramBytes, 'nvidia-smi');
  draft.setIfMissing('driver', 'nvidia', 'nvidia-smi');
  draft.set('driverVersion', driverVersion, 'nvidia-smi');
  draft.set('cudaVersion', cudaVersion, 'nvidia-smi');
  draft.set('vbiosVersion', rec.vbiosVersion, 'nvidia-smi');
  draft.set('powerLimitW', rec.powerLimitW, 'nvidia-smi');
  const clocks = {
    ...(rec.graphicsClockMHz !== undefined ? { graphicsMHz: rec.graphicsClockMHz } : {}),
    ...(rec.memoryClockMHz !== undefined ? { memoryMHz: rec.memoryClockMHz } : {}),
    ...(rec.maxGraphicsClockMHz !== undefined ? { maxGraphicsMHz: rec.maxGraphicsClockMHz } : {}),
    ...(rec.maxMemoryClockMHz !== undefined ? { maxMemoryMHz: rec.maxMemoryClockMHz } : {}),
  };
  if (Object.keys(clocks).length > 0) draft.set('clocks', clocks, 'nvidia-smi');
  if (rec.display) {
    // Either source saying "display" wins: using the display GPU for work is the worse mistake.
    draft.set('display', true, 'nvidia-smi');
    const before = draft.fields.displayEvidence;
    draft.set(
      'displayEvidence',
      before ? `${before}; ${rec.displayEvidence ?? ''}` : rec.displayEvidence,
      'nvidia-smi',
    );
  } else {
    draft.setIfMissing('display', false, 'nvidia-smi');
  }
}

function mergeRocm(draft: Draft, rec: RocmSmiGpu, driverVersion: string | undefined): void {
  if (rec.status !== 'ok') {
    draft.fields.notes.push(`rocm-smi: ${rec.problem?.message ?? 'unreadable'}`);
    return;
  }
  draft.setIfMissing('name', rec.name, 'rocm-smi');
  draft.setIfMissing('vramBytes', rec.vramBytes, 'rocm-smi');
  draft.setIfMissing('vbiosVersion', rec.vbiosVersion, 'rocm-smi');
  draft.setIfMissing('driverVersion', driverVersion, 'rocm-smi');
  if (rec.powerCapW !== undefined) draft.setIfMissing('powerLimitW', rec.powerCapW, 'rocm-smi');
  if (rec.deviceId && draft.fields.pciDeviceId && rec.deviceId !== draft.fields.pciDeviceId) {
    draft.fields.notes.push(
      `rocm-smi reports device id ${rec.deviceId} where the PCI bus says ${draft.fields.pciDeviceId}.`,
    );
  }
}

/** A GPU whose kernel driver cannot run work, whatever the tools said. */
function applyDriverStatus(draft: Draft): void {
  const driver = draft.fields.driver;
  const vendor = draft.fields.vendor;
  if (draft.status !== 'ok' || (vendor !== 'nvidia' && vendor !== 'amd' && vendor !== 'intel'))
    return;
  if (driver === undefined && draft.sources.driver === undefined && draft.source !== 'nvidia-smi') {
    if (
      draft.sources.pciVendorId === 'pci-sysfs' ||
      (draft.sources.driver === undefined && draft.sources.pciVendorId === 'lspci')
    ) {
      draft.status = 'no-driver';
      draft.problem = {
        message: 'No kernel driver is loaded for this GPU.',
        fix:
          vendor === 'nvidia'
            ? 'Install the NVIDIA driver and restart the computer.'
            : 'Install the graphics driver for this GPU and restart the computer.',
      };
    }
  } else if (driver === 'nouveau') {
    draft.status = 'no-driver';
    draft.problem = {
      message: 'The open-source nouveau driver is in use; CUDA needs NVIDIA\u2019s own driver.',
      fix: 'Install the NVIDIA driver and restart the computer.',
    };
  } else if (driver === 'vfio-pci' || driver === 'pci-stub') {
    draft.status = 'no-driver';
    draft.problem = {
      message: `This GPU is reserved for a virtual machine (${driver}).`,
      fix: 'Give the GPU back to the host (unbind vfio-pci) if Roost should use it.',
    };
  } else if (driver === 'radeon') {
    draft.status = 'no-driver';
    draft.problem = {
      message: 'The old radeon driver is in use; compute needs the amdgpu driver.',
      fix: 'Enable amdgpu for this card (amdgpu.si_support=1 or amdgpu.cik_support=1) and restart.',
    };
  }
}

function finishDraft(draft: Draft): Gpu {
  const f = draft.fields;
  const pciVendorId = f.pciVendorId ?? null;
  const pciDeviceId = f.pciDeviceId ?? null;
  if (f.name === undefined) {
    const tableName = pciDeviceName(pciVendorId, pciDeviceId);
    if (tableName) draft.set('name', fallbackGpuName(pciVendorId, pciDeviceId), 'pci-ids');
  }
  const gpu: Gpu = {
    id: f.busId ? `pci-${f.busId}` : f.uuid ? `${f.vendor}-${f.uuid}` : draft.fallbackId,
    vendor: f.vendor ?? 'other',
    name: f.name ?? fallbackGpuName(pciVendorId, pciDeviceId),
    pciVendorId,
    pciDeviceId,
    vramBytes: f.vramBytes ?? null,
    display: f.display ?? false,
    source: draft.source,
    fieldSources: { ...draft.sources },
    status: draft.status,
  };
  if (f.name === undefined) gpu.fieldSources.name = 'pci-ids';
  const optional = [
    'subsystemId',
    'busId',
    'uuid',
    'vramShared',
    'driver',
    'driverVersion',
    'cudaVersion',
    'vbiosVersion',
    'powerLimitW',
    'clocks',
    'displayEvidence',
  ] as const;
  for (const key of optional) {
    if (f[key] !== undefined) (gpu as Record<string, unknown>)[key] = f[key];
  }
  if (draft.problem) gpu.problem = draft.problem;
  if (f.notes.length > 0) gpu.notes = [...new Set(f.notes)];
  return gpu;
}

function byBus(a: Gpu, b: Gpu): number {
  return (a.busId ?? a.id).localeCompare(b.busId ?? b.id);
}

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}
