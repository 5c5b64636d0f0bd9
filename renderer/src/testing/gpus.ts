/**
 * A detected NVIDIA card for the renderer's tests: an RTX 3060 with the accelerators a test
 * gives it. `CUDA_MISSING` is the probe's reason when onnxruntime's CUDA libraries are not there.
 */
import type { ResultOf } from '../../../agent/api/contract.ts';

type DetectedGpu = ResultOf<'hardware.detect'>['gpus'][number];

export const CUDA_MISSING =
  'CUDA provider libraries are not installed: run `roost gpu install-cuda`';

export function rtx3060(accelerators: DetectedGpu['accelerators']): DetectedGpu {
  return {
    id: 'pci-0000:01:00.0',
    vendor: 'nvidia',
    name: 'NVIDIA GeForce RTX 3060',
    displayName: 'NVIDIA GeForce RTX 3060',
    pciVendorId: '10de',
    pciDeviceId: '2504',
    vramBytes: 12 * 1024 ** 3,
    driver: 'nvidia',
    driverVersion: '570.124.04',
    display: false,
    source: 'nvidia-smi',
    fieldSources: {},
    status: 'ok',
    accelerators,
  };
}
