/**
 * The hardware service the agent hosts: what `hardware.list`, `hardware.probe`,
 * `hardware.telemetry`, `roost detect` and `roost gpu install-cuda` call. It holds the last
 * inventory and probe, never runs two scans or two probes at once, and owns the telemetry
 * sampler's life (start with the agent, stop with it).
 */
import { join } from 'node:path';
import { buildDetectReport, hostFacts } from './detect.ts';
import type { HostFacts } from './detect.ts';
import { installCuda } from './install-cuda.ts';
import type { InstallCudaOptions } from './install-cuda.ts';
import { listGpus } from './inventory.ts';
import type { HardwareLog } from './log.ts';
import { createLoggedStates, stderrHardwareLog } from './log.ts';
import { probeAccelerators } from './probe.ts';
import type { Spawner } from './run-tool.ts';
import type {
  DetectReport,
  ExecutionProvider,
  GpuInventory,
  InstallCudaProgress,
  InstallCudaResult,
  ProbeReport,
  TelemetrySample,
  ToolProblem,
} from './schema.ts';
import { startTelemetry } from './telemetry.ts';
import type { TelemetrySampler } from './telemetry.ts';

export interface HardwareServiceOptions {
  /** Where the probe cache lives (`<dataDir>/cache`); no cache when absent. */
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
  spawner?: Spawner;
  /** Pass the agent's `logger.child('hardware')`. */
  log?: HardwareLog;
  /** Epoch milliseconds, for telemetry timestamps. */
  now?: () => number;
  /** Node binary for the helper children (Electron: process.execPath + ELECTRON_RUN_AS_NODE). */
  nodePath?: string;
  /** worker/probe-entry.ts or its packaged path. */
  probeEntry?: string;
  /** The agent publishes each sample as the `hardware.telemetry` event. */
  onTelemetry?: (sample: TelemetrySample) => void;
  onTelemetryProblem?: (problem: ToolProblem) => void;
  telemetryIntervalMs?: number;
  /** How long a GPU list is reused before tools are asked again; default 30 s. */
  inventoryMaxAgeMs?: number;
  host?: HostFacts;
  /** What installs the CUDA libraries; tests pass a stand-in for the real download. */
  installer?: (options: InstallCudaOptions) => Promise<InstallCudaResult>;
}

export interface HardwareService {
  /** `hardware.list`: the GPUs (reused for `inventoryMaxAgeMs` unless `refresh`). */
  list(options?: { refresh?: boolean }): Promise<GpuInventory>;
  /** `hardware.probe`: which accelerators work (cached per drivers + onnxruntime unless `force`). */
  probe(options?: { force?: boolean; only?: ExecutionProvider[] }): Promise<ProbeReport>;
  /** `roost detect --json`. */
  detect(options?: { refresh?: boolean; force?: boolean }): Promise<DetectReport>;
  /** `hardware.telemetry`: kept samples, oldest first, for one GPU or all. */
  telemetry(options?: { gpuId?: string; sinceMs?: number }): TelemetrySample[];
  /** Start the 1 Hz sampler for the GPUs found (lists them first if needed). Idempotent. */
  startTelemetry(): Promise<void>;
  /**
   * `roost gpu install-cuda` and the app's Install CUDA libraries: one install at a time (a second
   * call meanwhile gets the same one rather than writing the same library folder twice); once
   * the libraries are in, the accelerators are tested again at once, so the GPU cards show CUDA
   * without a click, and the result carries CUDA's and TensorRT's new answers.
   */
  installCuda(onProgress?: (progress: InstallCudaProgress) => void): Promise<InstallCudaResult>;
  /** Stop the sampler and wait for its processes to exit. */
  stop(): Promise<void>;
}

export function createHardwareService(options: HardwareServiceOptions = {}): HardwareService {
  const log = options.log ?? stderrHardwareLog;
  const now = options.now ?? (() => Date.now());
  const maxAge = options.inventoryMaxAgeMs ?? 30_000;
  let inventory: { value: GpuInventory; at: number } | undefined;
  let listing: Promise<GpuInventory> | undefined;
  let probing: Promise<ProbeReport> | undefined;
  let installing: Promise<InstallCudaResult> | undefined;
  let sampler: TelemetrySampler | undefined;
  let starting: Promise<void> | undefined;
  let stopped = false;

  const common = {
    ...(options.env ? { env: options.env } : {}),
    ...(options.spawner ? { spawner: options.spawner } : {}),
    ...(options.nodePath ? { nodePath: options.nodePath } : {}),
    log,
  };
  // The GPU list and the probe are asked for every 30 s or so: log what changed, not each answer.
  const loggedStates = createLoggedStates();

  const list: HardwareService['list'] = async ({ refresh = false } = {}) => {
    if (!refresh && inventory && now() - inventory.at < maxAge) return inventory.value;
    listing ??= listGpus({ ...common, loggedStates }).then(
      (value) => {
        inventory = { value, at: now() };
        listing = undefined;
        return value;
      },
      (error: unknown) => {
        listing = undefined;
        throw error;
      },
    );
    return listing;
  };

  const probe: HardwareService['probe'] = async ({ force = false, only } = {}) => {
    if (probing) return probing;
    const run = async () => {
      const gpus = await list();
      return probeAccelerators({
        ...common,
        loggedStates,
        inventory: gpus,
        force,
        ...(only ? { only } : {}),
        ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
        ...(options.probeEntry ? { probeEntry: options.probeEntry } : {}),
      });
    };
    probing = run().finally(() => {
      probing = undefined;
    });
    return probing;
  };

  return {
    list,
    probe,
    async detect({ refresh = false, force = false } = {}) {
      const gpus = await list({ refresh });
      const report = await probe({ force });
      return buildDetectReport(gpus, report, options.host ?? hostFacts());
    },
    telemetry({ gpuId, sinceMs } = {}) {
      if (!sampler) return [];
      const ids = gpuId ? [gpuId] : sampler.gpuIds;
      return ids.flatMap((id) => sampler?.history(id, sinceMs) ?? []).sort((a, b) => a.at - b.at);
    },
    async startTelemetry() {
      if (sampler || stopped) return;
      starting ??= (async () => {
        const gpus = await list();
        if (stopped) return;
        sampler = await startTelemetry({
          inventory: gpus,
          ...common,
          now,
          ...(options.telemetryIntervalMs ? { intervalMs: options.telemetryIntervalMs } : {}),
          ...(options.onTelemetry ? { onSample: options.onTelemetry } : {}),
          ...(options.onTelemetryProblem ? { onProblem: options.onTelemetryProblem } : {}),
        });
      })().finally(() => {
        starting = undefined;
      });
      return starting;
    },
    installCuda(onProgress) {
      installing ??= (async (): Promise<InstallCudaResult> => {
        const installOptions: InstallCudaOptions = { ...common };
        if (onProgress) installOptions.onProgress = onProgress;
        const result = await (options.installer ?? installCuda)(installOptions);
        if (!result.ok) return result;
        // The new libraries change the cache key, so this is a real test, not the old answer.
        const report = await probe({ force: true }).catch(() => undefined);
        if (!report) return result;
        const accelerators = report.results.filter((r) => r.ep === 'cuda' || r.ep === 'tensorrt');
        return { ...result, accelerators };
      })().finally(() => {
        installing = undefined;
      });
      return installing;
    },
    async stop() {
      stopped = true;
      await starting?.catch(() => undefined);
      await sampler?.stop();
      sampler = undefined;
    },
  };
}

/** Where the agent keeps the accelerator probe cache inside its data folder. */
export function probeCacheDir(dataDir: string): string {
  return join(dataDir, 'cache', 'hardware');
}
