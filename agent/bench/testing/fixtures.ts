/**
 * Realistic reports for tests, built through the real report code from synthetic measurements:
 * a quick CPU run of roost-std/4 where every workload passes, unless told otherwise.
 */
import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import type { WorkloadOutcome } from '../child.ts';
import type { GpuInventory, ProbeReport, TelemetrySample } from '../../hardware/schema.ts';
import type { ProviderSigner } from '../../wallet/signer.ts';
import { PRESETS } from '../protocol.ts';
import { buildReport, workloadResult } from '../report.ts';
import type { ReportInput } from '../report.ts';
import type { Machine, Report, ReportTarget, SuiteDefinition } from '../schema.ts';
import { suiteDefinitionSchema } from '../schema.ts';
import { checksFirstItems, outputValueCount } from '../reference.ts';
import { measurementOf, STD_SUITE, suiteHash } from '../suite.ts';

/** A fixed key: reports signed in tests always show the same signer. */
export const TEST_PRIVATE_KEY = `0x${'4c'.repeat(32)}`;

export function testSigner(privateKey = TEST_PRIVATE_KEY): ProviderSigner {
  const wallet = new Wallet(privateKey);
  return { address: wallet.address, signMessage: (m) => wallet.signMessage(m) };
}

export const TEST_MACHINE: Machine = {
  os: {
    platform: 'linux',
    release: '6.1.0-test',
    version: '#1 SMP Debian',
    arch: 'x64',
    distribution: 'Debian GNU/Linux 12 (bookworm)',
  },
  cpu: { model: 'AMD EPYC (test)', logicalCores: 2, speedMHz: 2450 },
  memory: { totalBytes: 24 * 1024 ** 3 },
  loadAverage: 0.2,
  node: '24.21.0',
};

export const TEST_GPUS: GpuInventory = {
  gpus: [
    {
      id: 'pci-0000:01:00.0',
      vendor: 'nvidia',
      name: 'NVIDIA GeForce RTX 3080 <test>',
      pciVendorId: '10de',
      pciDeviceId: '2206',
      busId: '0000:01:00.0',
      vramBytes: 10 * 1024 ** 3,
      driver: 'nvidia',
      driverVersion: '550.54.14',
      display: false,
      source: 'nvidia-smi',
      fieldSources: { name: 'nvidia-smi' },
      status: 'ok',
    },
  ],
  problems: [],
  scannedAt: '2026-01-01T00:00:00.000Z',
};

export const TEST_PROBE: ProbeReport = {
  onnxruntimeVersion: '1.30.0',
  platform: 'linux',
  arch: 'x64',
  offered: [
    { ep: 'cpu', bundled: true },
    { ep: 'webgpu', bundled: true },
    { ep: 'cuda', bundled: false },
  ],
  results: [
    {
      ep: 'cpu',
      ok: true,
      status: 'ok',
      durationMs: 20,
      adapter: { name: 'AMD EPYC (test)', kind: 'cpu', software: false },
    },
    {
      ep: 'webgpu',
      ok: false,
      status: 'software-adapter',
      reason:
        'the WebGPU adapter is a software renderer (lavapipe/llvmpipe/SwiftShader): not a GPU',
      durationMs: 900,
      adapter: { name: 'llvmpipe (LLVM 15.0.6, 256 bits)', kind: 'cpu', software: true },
    },
    {
      ep: 'cuda',
      ok: true,
      status: 'ok',
      deviceIndex: 0,
      durationMs: 300,
      adapter: {
        name: 'NVIDIA GeForce RTX 3080 <test>',
        kind: 'discrete',
        software: false,
        gpuId: 'pci-0000:01:00.0',
        vendorId: '10de',
        deviceId: '2206',
      },
    },
    {
      ep: 'tensorrt',
      ok: false,
      status: 'failed',
      reason: 'TensorRT itself is not installed',
      durationMs: 5,
    },
  ],
  probedAt: '2026-01-01T00:00:00.000Z',
  cached: false,
  cacheKey: 'test',
};

export const CPU_TARGET: ReportTarget = {
  ep: 'cpu',
  adapter: { name: 'AMD EPYC (test)', kind: 'cpu', software: false },
  software: false,
};

/**
 * Outputs equal to the reference (so the gate passes) and plausible timings. `size`: the whole
 * output's length where the reference covers only its first items (the rest is zeros).
 */
export function passingOutcome(
  id: string,
  medianMs: number,
  n = 12,
  size = checkedSize(STD_SUITE.workloads.find((w) => w.id === id)),
): Extract<WorkloadOutcome, { type: 'workload-done' }> {
  const values = Array.from({ length: Math.max(2, size) }, (_, i) => (i < 2 ? i + 1 : 0));
  return {
    type: 'workload-done',
    seq: 1,
    id,
    sessionMs: 12,
    warmup: { iterations: 2, ms: 300 },
    timingsMs: Array.from({ length: n }, (_, i) => medianMs * (1 + ((i % 5) - 2) / 200)),
    firstOutputs: [{ name: 'y', dims: [values.length], values }],
    lastOutputs: [{ name: 'y', dims: [values.length], values }],
    endedBy: 'protocol',
  };
}

/** A workload the provider could not run (`unsupported`) or that broke, with onnxruntime's words. */
export function failedOutcome(
  id: string,
  error: string,
  stage: Extract<WorkloadOutcome, { type: 'workload-failed' }>['stage'] = 'unsupported',
): Extract<WorkloadOutcome, { type: 'workload-failed' }> {
  return { type: 'workload-failed', seq: 1, id, stage, error };
}

/** How many values a passing outcome of this workload gives: see `passingOutcome`. */
function checkedSize(w: SuiteDefinition['workloads'][number] | undefined): number {
  return w && checksFirstItems(w.params) ? outputValueCount(w.params) : 2;
}

export const REFERENCE = new Map([['y', Float64Array.from([1, 2])]]);

/**
 * Median run times of a quick CPU run of roost-std/4 (a 2-core VM's roost-std/2 figures scaled by
 * /4's work per run: the same throughput, so the composite stays 114.9, the score the market
 * tests pay for).
 */
const MEDIANS: Record<string, number> = {
  'gemm-fp32': 360,
  'gemm-fp16': 356,
  // /4 streams the tensor through 32 operations (66 tensor-sized reads and writes, 18 in /2).
  'memory-bandwidth': (71 * 66) / 18,
  cnn: 33.6,
  'transformer-encoder': 40,
  decode: 43.2,
};

export interface SampleOptions {
  suite?: SuiteDefinition;
  outcomes?: Record<string, WorkloadOutcome | undefined>;
  target?: ReportTarget;
  stopped?: boolean;
  childFailure?: string;
  telemetry?: TelemetrySample[];
  machine?: Machine;
  startedIds?: string[];
}

export function sampleReport(options: SampleOptions = {}): Report {
  const suite = options.suite ?? STD_SUITE;
  const target = options.target ?? CPU_TARGET;
  const workloads = suite.workloads.map((w) => {
    const outcome =
      options.outcomes && w.id in options.outcomes
        ? options.outcomes[w.id]
        : passingOutcome(w.id, MEDIANS[w.id] ?? 1, 12, checkedSize(w));
    return workloadResult(w, outcome, {
      ep: target.ep,
      stopped: options.stopped ?? false,
      started: options.startedIds ? options.startedIds.includes(w.id) : outcome !== undefined,
      ...(options.childFailure ? { childFailure: options.childFailure } : {}),
      reference: REFERENCE,
      scoreQuantile: measurementOf(suite).scoreQuantile,
    });
  });
  const input: ReportInput = {
    id: '3b1f6f0e-8d8a-4c1e-9a57-0d6f2b4c9a11',
    suite,
    suiteHash: suiteHash(suite),
    protocol: PRESETS.quick,
    target,
    machine: options.machine ?? TEST_MACHINE,
    gpus: TEST_GPUS,
    probe: TEST_PROBE,
    roostVersion: '0.1.0',
    onnxruntimeVersion: '1.30.0',
    startedAt: new Date('2026-01-01T12:00:00.000Z'),
    finishedAt: new Date('2026-01-01T12:00:21.500Z'),
    workloads,
    telemetry: options.telemetry ?? [],
    stopped: options.stopped ?? false,
    ...(options.childFailure ? { childFailure: options.childFailure } : {}),
  };
  return buildReport(input);
}

/** A retired suite as it was (roost-std-N.json, written from its suite.ts before N+1 replaced it). */
function retiredSuite(n: 2 | 3): SuiteDefinition {
  return suiteDefinitionSchema.parse(
    JSON.parse(readFileSync(new URL(`./roost-std-${n}.json`, import.meta.url), 'utf8')),
  );
}

/** `roost-std/2` as it was. */
export function stdSuite2(): SuiteDefinition {
  return retiredSuite(2);
}

/** `roost-std/1` as it was: /2's workloads, no `measurement` (one block, scored at the median). */
export function retiredStdSuite(): SuiteDefinition {
  const { measurement: _measurement, ...rest } = stdSuite2();
  return { ...rest, id: 'roost-std/1', title: 'Roost standard benchmark, version 1' };
}

/**
 * A report as Roost made it with a retired suite: `roost-std/1` (its median scores, no p10
 * recorded), `roost-std/2` or `roost-std/3`.
 */
export function retiredReport(
  id: 'roost-std/1' | 'roost-std/2' | 'roost-std/3' = 'roost-std/1',
): Report {
  if (id === 'roost-std/2') {
    return { ...sampleReport({ suite: stdSuite2() }), id: '5b1e0d2c-3a4f-4e6d-9c8b-7a6f5e4d3c2b' };
  }
  if (id === 'roost-std/3') {
    return {
      ...sampleReport({ suite: retiredSuite(3) }),
      id: '8e4f2a1b-6c3d-4b5a-9e8f-1d2c3b4a5e6f',
    };
  }
  const report = sampleReport({ suite: retiredStdSuite() });
  for (const w of report.workloads) {
    if (w.timing) delete w.timing.p10Ms;
  }
  return { ...report, id: '0c7d5a3e-1f2b-4c6d-8e9f-a0b1c2d3e4f5' };
}
