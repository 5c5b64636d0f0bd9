/** Builders for the schedule's tests: settings, GPUs and telemetry samples with sane defaults. */
import type { TelemetrySample } from '../../hardware/schema.ts';
import type { GpuRef, WorkFacts } from '../policy.ts';
import type { WorkPolicySettings } from '../schema.ts';
import { defaultWorkExtension } from '../schema.ts';

export function workSettings(over: Partial<WorkPolicySettings> = {}): WorkPolicySettings {
  return {
    mode: 'idle',
    idleMinutes: 10,
    pauseWhileGaming: true,
    avoidDisplayGpu: false,
    maxTemperatureC: 83,
    ...structuredClone(defaultWorkExtension),
    ...over,
  };
}

export const gpuA: GpuRef = { id: 'pci-0000:01:00.0', name: 'RTX 4090', display: true };
export const gpuB: GpuRef = { id: 'pci-0000:02:00.0', name: 'RTX 3090', display: false };

export function sample(gpuId: string, at: number, temperatureC: number | null): TelemetrySample {
  return {
    gpuId,
    at,
    utilizationPct: 50,
    vramUsedBytes: null,
    vramTotalBytes: null,
    temperatureC,
    powerW: 300,
    graphicsClockMHz: null,
    memoryClockMHz: null,
    fanPct: null,
    source: 'nvidia-smi',
  };
}

export function facts(over: Partial<WorkFacts> = {}): WorkFacts {
  return {
    now: Date.parse('2025-06-04T10:00:00Z'),
    timeZone: 'Europe/Berlin',
    settings: workSettings(),
    gpus: [gpuA, gpuB],
    telemetry: {},
    idleSeconds: 3600,
    onBattery: false,
    runningProcesses: [],
    gpuProcesses: [],
    ownPids: [4242],
    leases: [],
    holds: [],
    ...over,
  };
}
