/**
 * agent/hardware: find every GPU, probe which accelerators really work, stream telemetry.
 * The agent uses createHardwareService(); the pieces are exported for the CLI and tests.
 */
export { createHardwareService, probeCacheDir } from './service.ts';
export type { HardwareService, HardwareServiceOptions } from './service.ts';
export { listGpus, hardwarePaths } from './inventory.ts';
export type { InventoryOptions, HardwarePaths } from './inventory.ts';
export {
  probeAccelerators,
  defaultProbeEntry,
  CUDA_NOT_INSTALLED_REASON,
  SOFTWARE_ADAPTER_REASON,
} from './probe.ts';
export type { ProbeOptions } from './probe.ts';
export { startTelemetry, TelemetryRing } from './telemetry.ts';
export type { TelemetryOptions, TelemetrySampler } from './telemetry.ts';
export { installCuda } from './install-cuda.ts';
export type { InstallCudaOptions } from './install-cuda.ts';
export { buildDetectReport, formatDetectTable, hostFacts } from './detect.ts';
export type { HostFacts } from './detect.ts';
export type { HardwareLog } from './log.ts';
export * from './schema.ts';
