import { describe, expect, it } from 'vitest';
import { marketGpuIds } from './lease-gpus.ts';

const rig = [
  { id: 'pci-0000:01:00.0', name: 'NVIDIA GeForce RTX 3070' },
  { id: 'pci-0000:02:00.0', name: 'NVIDIA GeForce RTX 3070' },
  { id: 'pci-0000:03:00.0', name: 'NVIDIA GeForce RTX 3070' },
  { id: 'pci-0000:04:00.0', name: 'NVIDIA GeForce GTX 1060 6GB' },
];

describe('market leases on a rig', () => {
  it('run on the benchmarked GPU and every other of its model, not on a slower card', () => {
    expect(marketGpuIds(rig, 'pci-0000:02:00.0')).toEqual(
      new Set(['pci-0000:01:00.0', 'pci-0000:02:00.0', 'pci-0000:03:00.0']),
    );
    expect(marketGpuIds(rig, 'pci-0000:04:00.0')).toEqual(new Set(['pci-0000:04:00.0']));
    // Measured on the CPU, or on a GPU no longer here: no GPU is the market's.
    expect(marketGpuIds(rig, null)).toBeNull();
    expect(marketGpuIds(rig, 'pci-0000:09:00.0')).toBeNull();
  });
});
