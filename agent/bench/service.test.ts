import { describe, expect, it } from 'vitest';
import { BenchError, benchTargets, reportForMarket, resolveTarget } from './service.ts';
import { historyEntry } from './testing/history.ts';
import { TEST_PROBE } from './testing/fixtures.ts';

describe('benchmark targets', () => {
  it('lists what the probe found working, software adapters flagged', () => {
    expect(benchTargets(TEST_PROBE)).toEqual([
      { ep: 'cpu', adapter: 'AMD EPYC (test)', software: false, label: 'CPU on AMD EPYC (test)' },
      {
        ep: 'webgpu',
        adapter: 'llvmpipe (LLVM 15.0.6, 256 bits)',
        software: true,
        label: 'WebGPU on llvmpipe (LLVM 15.0.6, 256 bits), a software renderer',
      },
      {
        ep: 'cuda',
        device: '0',
        adapter: 'NVIDIA GeForce RTX 3080 <test>',
        software: false,
        label: 'CUDA (device 0) on NVIDIA GeForce RTX 3080 <test>',
      },
    ]);
  });

  it('resolves a provider and a device, by index or by GPU id', () => {
    expect(resolveTarget(TEST_PROBE, 'cuda', undefined).target).toMatchObject({
      ep: 'cuda',
      deviceIndex: 0,
      gpuId: 'pci-0000:01:00.0',
      software: false,
    });
    expect(resolveTarget(TEST_PROBE, 'cuda', 'pci-0000:01:00.0').target.deviceIndex).toBe(0);
    expect(resolveTarget(TEST_PROBE, 'webgpu', undefined).target).toMatchObject({
      ep: 'webgpu',
      software: true,
    });
    expect(resolveTarget(TEST_PROBE, 'cpu', 'cpu').target.ep).toBe('cpu');
  });

  it('refuses anything else with the valid choices in the message', () => {
    const fail = (ep: string, device?: string) => {
      try {
        resolveTarget(TEST_PROBE, ep, device);
      } catch (error) {
        expect(error).toBeInstanceOf(BenchError);
        expect((error as BenchError).code).toBe('BENCH_INVALID_TARGET');
        return (error as Error).message;
      }
      throw new Error('no error');
    };
    expect(fail('tensorrt')).toBe(
      'The execution provider "tensorrt" does not work here (TensorRT itself is not installed). Valid: cpu (AMD EPYC (test)), webgpu (llvmpipe (LLVM 15.0.6, 256 bits), software), cuda:0 (NVIDIA GeForce RTX 3080 <test>).',
    );
    expect(fail('rocm')).toMatch(/^Unknown execution provider "rocm"\. Valid: cpu/);
    expect(fail('cuda', '1')).toBe(
      'Unknown device "1" for cuda. Valid: cuda:0 (NVIDIA GeForce RTX 3080 <test>).',
    );
    expect(fail('cpu', 'pci-0000:01:00.0')).toMatch(/^Unknown device "pci-0000:01:00.0" for cpu/);
  });
});

describe('the report the market is told about', () => {
  const entry = historyEntry;

  it('is the newest complete one of the suite this Roost runs, its score rounded', () => {
    expect(
      reportForMarket([
        entry({ digest: 'sha256:retired', suiteId: 'roost-std/1', current: false, composite: 900 }),
        entry({ digest: 'sha256:partial', complete: false, composite: null }),
        entry({ digest: 'sha256:good' }),
        entry({ digest: 'sha256:older', composite: 50 }),
      ]),
    ).toEqual({ hash: 'sha256:good', score: 147 });
  });

  it('is none when only a retired version scored', () => {
    expect(reportForMarket([entry({ current: false, suiteId: 'roost-std/1' })])).toBeNull();
    expect(reportForMarket([])).toBeNull();
    expect(reportForMarket([entry({ composite: 0.2 })])).toMatchObject({ score: 1 });
  });
});
