import { describe, expect, it } from 'vitest';
import type { TelemetrySample } from '../hardware/schema.ts';
import { clockSwings, summarizeTelemetry, thinSamples, workloadResult } from './report.ts';
import { reportSchema } from './schema.ts';
import { measurementOf, STD_SUITE } from './suite.ts';
import { passingOutcome, REFERENCE, sampleReport, TEST_MACHINE } from './testing/fixtures.ts';

const gemm = STD_SUITE.workloads[0]!;
const SCORE_Q = measurementOf(STD_SUITE).scoreQuantile;
const codes = (r: { warnings: { code: string }[] }) => r.warnings.map((w) => w.code);

function sample(at: number, clock: number, temp = 60, util = 99): TelemetrySample {
  return {
    gpuId: 'pci-0000:01:00.0',
    at,
    utilizationPct: util,
    vramUsedBytes: 1e9,
    vramTotalBytes: 1e10,
    temperatureC: temp,
    powerW: 300,
    graphicsClockMHz: clock,
    memoryClockMHz: 9500,
    fanPct: 60,
    source: 'nvidia-smi',
  };
}

describe('a workload result', () => {
  it('scores a measured run that passes the gate, from the 10th percentile run time', () => {
    const r = workloadResult(gemm, passingOutcome(gemm.id, 100, 11), {
      ep: 'cpu',
      stopped: false,
      started: true,
      reference: REFERENCE,
      scoreQuantile: SCORE_Q,
    });
    expect(r.status).toBe('ok');
    expect(r.timing?.medianMs).toBe(100);
    // Run times 99, 99.5, 100, 100.5, 101 ms repeating: three of eleven at 99 ms.
    expect(r.timing?.p10Ms).toBe(99);
    expect(r.value).toBeCloseTo(gemm.workPerRun / 0.099 / 1e12, 12);
    expect(r.tflops).toBeCloseTo(gemm.flopsPerRun / 0.099 / 1e12, 12);
    expect(r.normalized).toBeCloseTo((r.value ?? 0) / gemm.reference, 12);
    expect(r.valueP90).toBeLessThan(r.value ?? 0);
    expect(r.protocolMet).toBe(true);
    expect(r.accuracy?.passed).toBe(true);
  });

  it('scores nothing and says why when the gate fails', () => {
    const wrong = passingOutcome(gemm.id, 100);
    if (wrong.type !== 'workload-done') throw new Error('x');
    wrong.firstOutputs = [{ name: 'y', dims: [2], values: [1, 3] }];
    const r = workloadResult(gemm, wrong, {
      ep: 'webgpu',
      stopped: false,
      started: true,
      reference: REFERENCE,
      scoreQuantile: SCORE_Q,
    });
    expect(r).toMatchObject({ status: 'failed-accuracy', value: null, normalized: null });
    expect(r.reason).toMatch(/differ from the CPU reference by 4\.5e-1/);
    expect(r.timing?.iterations).toBe(12); // the measurement is kept for support staff
  });

  it.each([
    ['unsupported', 'unsupported', /WebGPU cannot run every operator/],
    ['session', 'failed', /could not prepare this workload on WebGPU/],
    ['run', 'failed', /A run of this workload failed on WebGPU/],
    ['load', 'failed', /could not load onnxruntime/],
  ] as const)('reports a %s failure as %s', (stage, status, why) => {
    const r = workloadResult(
      gemm,
      { type: 'workload-failed', seq: 1, id: gemm.id, stage, error: 'onnxruntime: it broke' },
      { ep: 'webgpu', stopped: false, started: true, reference: REFERENCE, scoreQuantile: SCORE_Q },
    );
    expect(r.status).toBe(status);
    expect(r.reason).toMatch(why);
    expect(r.detail).toBe('onnxruntime: it broke');
  });

  it('tells interrupted, not run and crashed apart', () => {
    const ctx = { ep: 'cpu', reference: REFERENCE, scoreQuantile: SCORE_Q };
    expect(workloadResult(gemm, undefined, { ...ctx, stopped: true, started: true }).status).toBe(
      'interrupted',
    );
    expect(
      workloadResult(gemm, undefined, { ...ctx, stopped: true, started: false }),
    ).toMatchObject({
      status: 'not-run',
      reason: 'Not run: the run was stopped before this workload.',
    });
    expect(
      workloadResult(gemm, undefined, {
        ...ctx,
        stopped: false,
        started: true,
        childFailure: 'the benchmark process ended early (SIGSEGV)',
      }).reason,
    ).toMatch(/failed during this workload: the benchmark process ended early \(SIGSEGV\)/);
    const stoppedMidway = { ...passingOutcome(gemm.id, 100, 4), endedBy: 'stop' as const };
    expect(
      workloadResult(gemm, stoppedMidway, { ...ctx, stopped: true, started: true }),
    ).toMatchObject({
      status: 'interrupted',
      value: null,
    });
  });

  it('keeps the score where it was when a slow spell stretches some runs', () => {
    const steady = passingOutcome(gemm.id, 100, 40);
    const disturbed = {
      ...steady,
      // A quarter of the runs slowed by half by something else on the machine.
      timingsMs: steady.timingsMs.map((t, i) => (i % 4 === 3 ? t * 1.5 : t)),
    };
    const ctx = { ep: 'cpu', stopped: false, started: true, reference: REFERENCE };
    const a = workloadResult(gemm, steady, { ...ctx, scoreQuantile: SCORE_Q });
    const b = workloadResult(gemm, disturbed, { ...ctx, scoreQuantile: SCORE_Q });
    expect(b.value).toBe(a.value);
    // The median would have moved: the quantile is what keeps the score steady.
    const byMedian = workloadResult(gemm, disturbed, { ...ctx, scoreQuantile: 0.5 });
    expect(byMedian.value).toBeLessThan((a.value ?? 0) * 0.999);
  });

  it('flags a workload cut short by the time cap', () => {
    const slow = { ...passingOutcome(gemm.id, 5000, 4), endedBy: 'max-duration' as const };
    const r = workloadResult(gemm, slow, {
      ep: 'webgpu',
      stopped: false,
      started: true,
      reference: REFERENCE,
      scoreQuantile: SCORE_Q,
    });
    expect(r.status).toBe('ok');
    expect(r.protocolMet).toBe(false);
  });
});

describe('the report', () => {
  it('is a valid roost.report/1 with a composite when everything passed', () => {
    const report = sampleReport();
    expect(reportSchema.parse(report)).toEqual(report);
    expect(report.complete).toBe(true);
    expect(report.composite.value).toBeGreaterThan(0);
    expect(report.warnings).toEqual([]);
    expect(report.suite.definition).toEqual(STD_SUITE);
    expect(report.durationMs).toBe(21_500);
  });

  it('marks a stopped run incomplete: partial, no composite, the reason first', () => {
    const report = sampleReport({
      stopped: true,
      outcomes: {
        'gemm-fp32': passingOutcome('gemm-fp32', 90),
        'gemm-fp16': { ...passingOutcome('gemm-fp16', 90, 3), endedBy: 'stop' },
        'memory-bandwidth': undefined,
        cnn: undefined,
        'transformer-encoder': undefined,
        decode: undefined,
      },
      startedIds: ['gemm-fp32', 'gemm-fp16'],
    });
    expect(report.complete).toBe(false);
    expect(report.composite.value).toBeNull();
    expect(report.composite.partial).not.toBeNull();
    expect(report.workloads.map((w) => w.status)).toEqual([
      'ok',
      'interrupted',
      'not-run',
      'not-run',
      'not-run',
      'not-run',
    ]);
    expect(report.warnings[0]).toMatchObject({ code: 'interrupted', severity: 'error' });
  });

  it('warns: software adapter, failed gate, high variation, busy machine, no telemetry', () => {
    const noisy = passingOutcome('cnn', 2);
    if (noisy.type !== 'workload-done') throw new Error('x');
    noisy.timingsMs = [2, 2, 2, 4, 2, 6, 2, 2, 3, 2];
    const wrong = passingOutcome('decode', 10);
    if (wrong.type !== 'workload-done') throw new Error('x');
    wrong.lastOutputs = [{ name: 'y', dims: [2], values: [null, 2] }];
    const software = sampleReport({
      target: {
        ep: 'webgpu',
        adapter: { name: 'llvmpipe (LLVM 15.0.6, 256 bits)', kind: 'cpu', software: true },
        software: true,
      },
      outcomes: { cnn: noisy, decode: wrong },
      machine: { ...TEST_MACHINE, loadAverage: 3.5 },
    });
    expect(codes(software)).toEqual([
      'software-adapter',
      'accuracy-failed',
      'high-variation',
      'busy-machine',
    ]);
    expect(software.warnings[0]?.message).toMatch(/llvmpipe .* software renderer .* not a GPU/);
    expect(software.composite.value).toBeNull();
    expect(software.composite.missing).toEqual(['decode']);
    const cuda = sampleReport({
      target: {
        ep: 'cuda',
        deviceIndex: 0,
        gpuId: 'pci-0000:01:00.0',
        adapter: null,
        software: false,
      },
    });
    expect(codes(cuda)).toEqual(['no-telemetry']);
  });

  it('says the machine was busy from what other programs took during the run, when measured', () => {
    const busy = (machine: Partial<typeof TEST_MACHINE>) =>
      sampleReport({ machine: { ...TEST_MACHINE, ...machine } }).warnings.filter(
        (w) => w.code === 'busy-machine',
      );
    // A high load average at the start (Roost's own probe just before, say) is no longer
    // enough when the run itself measured a quiet machine...
    expect(busy({ loadAverage: 3.5, otherProgramsCores: 0.04 })).toEqual([]);
    // ...and a program that took a core during the run is caught, whatever the start looked like.
    const [warning] = busy({ loadAverage: 0.1, otherProgramsCores: 0.9 });
    expect(warning?.message).toBe(
      `Other programs kept 0.9 of ${TEST_MACHINE.cpu.logicalCores} logical cores busy during the run, on average; numbers may be low and vary.`,
    );
    expect(busy({ otherProgramsCores: 0.25 })).toHaveLength(1);
    expect(busy({ otherProgramsCores: 0.24 })).toEqual([]);
    // Run times that varied on a machine measured quiet are not blamed on other programs.
    const noisy = passingOutcome('cnn', 10);
    if (noisy.type !== 'workload-done') throw new Error('x');
    noisy.timingsMs = [2, 2, 2, 4, 2, 6, 2, 2, 3, 2];
    const variation = (otherProgramsCores: number | null) =>
      sampleReport({
        machine: { ...TEST_MACHINE, otherProgramsCores },
        outcomes: { cnn: noisy },
      }).warnings.find((w) => w.code === 'high-variation')?.message;
    expect(variation(0.02)).toMatch(/though no other program was busy: power saving/);
    // One short sentence: the workload and how much, not every figure of the results table.
    expect(variation(0.9)).toMatch(
      /^Run times of [^,;:]+ varied by up to \d+ %, probably because other programs were running\.$/,
    );
    expect(variation(null)).toMatch(/probably because other programs were running/);
    // Several workloads that varied: one warning naming each, not one copy per workload.
    const alsoNoisy = passingOutcome('decode', 10);
    if (alsoNoisy.type !== 'workload-done') throw new Error('x');
    alsoNoisy.timingsMs = [2, 2, 2, 4, 2, 6, 2, 2, 3, 2];
    const both = sampleReport({
      machine: { ...TEST_MACHINE, otherProgramsCores: 0.02 },
      outcomes: { cnn: noisy, decode: alsoNoisy },
    }).warnings.filter((w) => w.code === 'high-variation');
    expect(both).toHaveLength(1);
    expect(both[0]?.workloadId).toBeUndefined();
    expect(both[0]?.message).toMatch(
      /^Run times of [^,;:]+ and [^,;:]+ varied by up to \d+ %, though no other program was busy/,
    );
    expect(both[0]?.message).not.toMatch(/±/);
    // Unmeasured (the benchmark process did not say its CPU time): the load average decides.
    expect(busy({ loadAverage: 3.5, otherProgramsCores: null })[0]?.message).toMatch(
      /busy when the run started \(load average 3\.5/,
    );
  });

  it('names a GPU clock that swung while the GPU worked as the cause of varied run times', () => {
    // (clock MHz, utilization %) each second of a quick WebGPU run on an NVIDIA H200 (nvidia-smi,
    // 2026-11-26): the first sample is the idle clock before the run; no throttling, 38 °C at most.
    const h200: [number, number][] = [
      [345, 0],
      [1980, 1],
      [1980, 8],
      [1980, 26],
      [1980, 21],
      [1155, 23],
      [1200, 32],
      [1980, 23],
      [1980, 19],
      [1110, 23],
      [1965, 53],
      [1980, 19],
      [1275, 23],
      [1080, 27],
      [1980, 28],
      [1980, 20],
      [1155, 25],
      [975, 26],
      [1980, 24],
      [1980, 19],
      [1155, 26],
      [1050, 62],
      [1980, 24],
      [1980, 20],
      [1170, 20],
      [1785, 55],
      [1980, 22],
      [1290, 22],
      [1110, 29],
      [1980, 43],
      [1980, 22],
      [1320, 25],
      [1140, 28],
    ];
    const samples = h200.map(([clock, util], i) => sample(1000 * i, clock, 38, util));
    expect(clockSwings(samples)).toEqual([
      {
        gpuId: 'pci-0000:01:00.0',
        minMHz: 975,
        maxMHz: 1980,
        // 32 working samples: the 16th of them sorted.
        medianMHz: 1965,
        maxUtilizationPct: 62,
      },
    ]);
    const noisy = passingOutcome('cnn', 10);
    if (noisy.type !== 'workload-done') throw new Error('x');
    noisy.timingsMs = [2, 2, 2, 4, 2, 6, 2, 2, 3, 2];
    const gpu = {
      ep: 'webgpu' as const,
      adapter: { name: 'NVIDIA H200', kind: 'discrete' as const, software: false },
      software: false,
    };
    const variation = (telemetry: TelemetrySample[], otherProgramsCores = 0.01) =>
      sampleReport({
        target: gpu,
        telemetry,
        machine: { ...TEST_MACHINE, otherProgramsCores },
        outcomes: { cnn: noisy },
      }).warnings.find((w) => w.code === 'high-variation');
    const swung = variation(samples);
    expect(swung?.message).toMatch(
      /: the GPU\u2019s power management slowed it between runs \(its clock moved between 975 and 1980 MHz\)\.$/,
    );
    expect(swung?.fix).toMatch(/prefer maximum performance/);
    // A steady clock (the idle sample before the run does not count), a busy machine, or a
    // throttling GPU (which has its own warning) keep the other wordings.
    const steady = h200.map(([, util], i) => sample(1000 * i, i === 0 ? 345 : 1980, 38, util));
    expect(variation(steady)?.message).toMatch(/power saving, heat or a virtual machine/);
    expect(variation(samples, 0.9)?.message).toMatch(
      /probably because other programs were running/,
    );
    const hot = samples.map((s) => ({ ...s, temperatureC: 95 }));
    expect(variation(hot)?.message).toMatch(/power saving, heat or a virtual machine/);
  });

  it('attaches telemetry and flags throttling: clocks falling under load, or the thermal limit', () => {
    const falling = Array.from({ length: 30 }, (_, i) => sample(1000 * i, i < 10 ? 1900 : 1500));
    const throttled = sampleReport({
      target: {
        ep: 'cuda',
        deviceIndex: 0,
        gpuId: 'pci-0000:01:00.0',
        adapter: null,
        software: false,
      },
      telemetry: falling,
    });
    expect(throttled.telemetry.samples).toHaveLength(30);
    expect(throttled.telemetry.summary[0]).toMatchObject({
      samples: 30,
      maxGraphicsClockMHz: 1900,
      minGraphicsClockMHz: 1500,
      throttled: true,
      throttleReason: 'the graphics clock fell from 1900 MHz to 1500 MHz under load',
    });
    expect(codes(throttled)).toEqual(['throttling']);
    // By its name, as support staff know the card.
    expect(throttled.warnings[0]?.message).toMatch(
      /^NVIDIA GeForce RTX 3080 <test> \(pci-0000:01:00\.0\) throttled during the run/,
    );

    const steady = summarizeTelemetry(
      Array.from({ length: 30 }, (_, i) => sample(1000 * i, 1900 - (i % 3))),
    );
    expect(steady[0]?.throttled).toBe(false);
    const hot = summarizeTelemetry([sample(0, 1900, 91)]);
    expect(hot[0]).toMatchObject({
      throttled: true,
      throttleReason: 'the GPU reached 91 °C, at its thermal limit',
    });
    // Idle samples (clocks parked low) are not throttling.
    const idleThenLoad = Array.from({ length: 30 }, (_, i) =>
      sample(1000 * i, i > 20 ? 300 : 1900, 60, i > 20 ? 0 : 99),
    );
    expect(summarizeTelemetry(idleThenLoad)[0]?.throttled).toBe(false);
  });

  it('keeps at most 600 samples per GPU, evenly spaced', () => {
    const many = Array.from({ length: 3000 }, (_, i) => sample(i, 1900));
    const thin = thinSamples(many);
    expect(thin).toHaveLength(600);
    expect(thin[1]!.at - thin[0]!.at).toBe(5);
  });
});
