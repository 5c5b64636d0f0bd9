import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import { benchmarkedGpuOf, createEarningRate, grossPerHour } from './earning-rate.ts';

describe('the earning rate', () => {
  it('is price × score less the fee, exactly', () => {
    expect(grossPerHour(0.05, 120, 0)).toBe('6');
    expect(grossPerHour(0.05, 120, 100)).toBe('5.94');
    expect(grossPerHour('0.0001', 3, 250)).toBe('0.0002925');
  });

  it('reuses the benchmark and the fee for a while, and reads the price each time', async () => {
    const clock = { now: 0 };
    let lookups = 0;
    let price = 0.05;
    let fee: number | null = 100;
    const rate = createEarningRate({
      latest: async () => {
        lookups += 1;
        return { score: 120, gpuId: 'pci-0000:01:00.0' };
      },
      price: () => price,
      feeBps: async () => {
        if (fee === null) throw new Error('the chain is not answering');
        return fee;
      },
      now: () => clock.now,
      ttlMs: 60_000,
    });
    expect(await rate()).toEqual({
      score: 120,
      gpuId: 'pci-0000:01:00.0',
      grossPerHour: '5.94',
      feeBps: 100,
    });
    price = 0.1;
    clock.now = 30_000;
    expect((await rate()).grossPerHour).toBe('11.88');
    expect(lookups).toBe(1);
    fee = null;
    clock.now = 60_000;
    // A fee that can't be read counts as none until it can.
    expect(await rate()).toMatchObject({ grossPerHour: '12', feeBps: null });
    expect(lookups).toBe(2);
  });

  it('forgets what it kept when told (a benchmark just ended)', async () => {
    let latest: { score: number; gpuId: null } | null = null;
    const rate = createEarningRate({
      latest: async () => latest,
      price: () => 0.05,
      feeBps: async () => 0,
      now: () => 0,
      ttlMs: 60_000,
    });
    expect((await rate()).score).toBeNull();
    latest = { score: 147, gpuId: null };
    expect((await rate()).score).toBeNull(); // kept
    rate.forget();
    expect((await rate()).score).toBe(147);
  });

  it('is null without a benchmark', async () => {
    const rate = createEarningRate({
      latest: async () => null,
      price: () => 0.05,
      feeBps: async () => 0,
    });
    expect(await rate()).toEqual({ score: null, gpuId: null, grossPerHour: null, feeBps: 0 });
  });
});

describe('the benchmarked GPU', () => {
  it('is read from the saved report file; the CPU, junk or no file give null', async () => {
    const dir = await tempDir();
    try {
      const file = (name: string, body: string) => {
        const path = join(dir.path, name);
        return writeFile(path, body).then(() => path);
      };
      const gpu = await file(
        'gpu.json',
        JSON.stringify({
          report: { target: { ep: 'cuda', adapter: { name: 'RTX', gpuId: 'pci-0000:01:00.0' } } },
        }),
      );
      const cpu = await file(
        'cpu.json',
        JSON.stringify({
          report: { target: { ep: 'cpu', adapter: { name: 'EPYC', kind: 'cpu' } } },
        }),
      );
      expect(await benchmarkedGpuOf(gpu)).toBe('pci-0000:01:00.0');
      expect(await benchmarkedGpuOf(cpu)).toBeNull();
      expect(await benchmarkedGpuOf(await file('junk.json', '{not json'))).toBeNull();
      expect(await benchmarkedGpuOf(join(dir.path, 'missing.json'))).toBeNull();
    } finally {
      await dir.remove();
    }
  });
});
