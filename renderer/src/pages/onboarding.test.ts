import { describe, expect, it } from 'vitest';
import type { ResultOf } from '../../../agent/api/contract.ts';
import {
  checkStart,
  describeHardware,
  earnedPerHourAt,
  formatFigure,
  isFirstRun,
  pickBenchTarget,
} from './onboarding.ts';

type Detect = ResultOf<'hardware.detect'>;
type Gpu = Detect['gpus'][number];

const cpuOnly: Detect = {
  gpus: [],
  accelerators: [
    { ep: 'cpu', ok: true, status: 'ok', durationMs: 40 },
    {
      ep: 'webgpu',
      ok: false,
      status: 'software-adapter',
      reason: 'the WebGPU adapter is a software renderer (llvmpipe): not a GPU',
      fix: 'Install your GPU’s Vulkan driver',
      durationMs: 1000,
    },
  ],
  cpu: {
    model: 'AMD EPYC',
    cores: 8,
    accelerators: [{ ep: 'cpu', ok: true, adapter: 'AMD EPYC' }],
  },
  os: { platform: 'linux', release: '6', arch: 'x64' },
  problems: [],
};

function gpu(accelerators: Gpu['accelerators'], name = 'NVIDIA GeForce RTX 3060'): Gpu {
  return {
    id: `pci-${name}`,
    vendor: 'nvidia',
    name,
    displayName: name,
    pciVendorId: '10de',
    pciDeviceId: '2504',
    vramBytes: 12 * 1024 ** 3,
    display: true,
    source: 'nvidia-smi',
    fieldSources: {},
    status: 'ok',
    accelerators,
  };
}

describe('isFirstRun', () => {
  it('is a first run with no wallet, no report and setup never finished', () => {
    expect(isFirstRun({ onboarded: false, walletState: 'none', reports: 0 })).toBe(true);
    expect(isFirstRun({ onboarded: false, walletState: 'pending', reports: 0 })).toBe(true);
  });
  it('is not once setup was done, a wallet exists or a benchmark was run', () => {
    expect(isFirstRun({ onboarded: true, walletState: 'none', reports: 0 })).toBe(false);
    expect(isFirstRun({ onboarded: false, walletState: 'locked', reports: 0 })).toBe(false);
    expect(isFirstRun({ onboarded: false, walletState: 'damaged', reports: 0 })).toBe(false);
    expect(isFirstRun({ onboarded: false, walletState: 'none', reports: 1 })).toBe(false);
  });
});

describe('describeHardware', () => {
  it('says a machine without a GPU still runs jobs on the CPU, and why WebGPU is no use', () => {
    const s = describeHardware(cpuOnly);
    expect(s.headline).toBe('No GPU found: Roost can still run jobs on the CPU.');
    expect(s.tone).toBe('warn');
    expect(s.devices).toEqual([
      { kind: 'cpu', name: 'AMD EPYC', facts: 'CPU · 8 threads', works: ['CPU'], problems: [] },
    ]);
    expect(s.notes[0]).toMatch(
      /^WebGPU: the WebGPU adapter is a software renderer.*Vulkan driver\.$/,
    );
  });

  it('names a GPU that works, and with what', () => {
    const s = describeHardware({
      ...cpuOnly,
      gpus: [
        gpu([
          { ep: 'cuda', ok: true },
          { ep: 'webgpu', ok: true },
        ]),
      ],
    });
    expect(s.tone).toBe('ok');
    expect(s.headline).toBe(
      'Ready: your NVIDIA GeForce RTX 3060 can run jobs with CUDA and WebGPU.',
    );
    expect(s.devices[0]).toMatchObject({ facts: '12 GiB · drives your display', problems: [] });
    expect(s.notes).toEqual([]);
  });

  it('says why a GPU cannot work yet, with the fix, and that the CPU can meanwhile', () => {
    const s = describeHardware({
      ...cpuOnly,
      gpus: [
        gpu([
          {
            ep: 'cuda',
            ok: false,
            reason: 'CUDA provider libraries are not installed: run `roost gpu install-cuda`',
          },
        ]),
      ],
    });
    expect(s.tone).toBe('warn');
    expect(s.headline).toBe(
      'Found your NVIDIA GeForce RTX 3060, but it cannot run jobs yet: CUDA provider libraries are not installed: run `roost gpu install-cuda`. Roost can run jobs on the CPU meanwhile.',
    );
    expect(s.devices[0]!.works).toEqual([]);
  });

  it('tells apart GPUs that work from those that do not', () => {
    const s = describeHardware({
      ...cpuOnly,
      gpus: [gpu([{ ep: 'cuda', ok: true }], 'GPU A'), gpu([{ ep: 'cuda', ok: false }], 'GPU B')],
    });
    expect(s.headline).toBe('Ready: GPU A can run jobs; GPU B cannot yet (see below).');
    expect(s.devices[1]!.problems).toEqual(['CUDA does not work on it.']);
  });
});

describe('pickBenchTarget', () => {
  const t = (ep: 'cpu' | 'webgpu' | 'cuda' | 'tensorrt', software = false) => ({
    ep,
    adapter: null,
    software,
    label: ep,
  });
  it('prefers a real GPU accelerator, then the CPU', () => {
    expect(pickBenchTarget([t('cpu'), t('tensorrt'), t('cuda')])).toBe(2);
    expect(pickBenchTarget([t('cpu'), t('webgpu', true)])).toBe(0);
    expect(pickBenchTarget([t('webgpu', true)])).toBe(0);
    expect(pickBenchTarget([])).toBe(-1);
  });
});

describe('earnedPerHourAt', () => {
  const estimate = {
    gpuId: 'cpu',
    token: 'tokens',
    currency: 'EUR',
    compositeScore: 40,
    pricePerUnitHour: '0.05',
    grossPerHour: '2',
    feePerHour: '0.02',
    earnedPerHour: '1.98',
    earnedPerHourInCurrency: '1.98',
    chargedPowerW: null,
    electricityPerHour: '0',
    netPerHour: '1.98',
    hoursPerDay: 24,
    occupancy: 1,
    netPerDay: '47.52',
    profitable: true,
    explanation: '',
  };
  it('scales the estimate to another price, keeping the market fee', () => {
    expect(earnedPerHourAt(estimate, 0.05)).toBeCloseTo(1.98, 10);
    expect(earnedPerHourAt(estimate, 0.1)).toBeCloseTo(3.96, 10);
    expect(earnedPerHourAt({ ...estimate, grossPerHour: '0', feePerHour: '0' }, 0.1)).toBe(4);
  });
  it('formats figures for people', () => {
    expect(formatFigure(3.9612)).toBe('3.96');
    expect(formatFigure(0.000123456)).toBe('0.000123');
    expect(formatFigure(1234.5)).toBe('1,235');
  });
});

describe('checkStart', () => {
  const draft = { mode: 'idle' as const, idleMinutes: '15', price: '0,02', practice: true };
  it('saves setup done, the work policy, the price, market jobs on and practice', () => {
    expect(checkStart(draft, true)).toEqual({
      errors: {},
      patch: {
        general: { onboarded: true },
        work: { mode: 'idle', idleMinutes: 15 },
        pricing: { pricePerUnitHour: 0.02 },
        market: { enabled: true, practice: true },
      },
    });
  });
  it('leaves practice alone off the local network, and idle minutes unless idle', () => {
    expect(checkStart({ ...draft, mode: 'always', idleMinutes: 'x' }, false).patch).toEqual({
      general: { onboarded: true },
      work: { mode: 'always' },
      pricing: { pricePerUnitHour: 0.02 },
      market: { enabled: true },
    });
  });
  it('refuses minutes and prices out of range, in words, and saves nothing', () => {
    const c = checkStart({ ...draft, idleMinutes: '0', price: '-1' }, true);
    expect(c.patch).toBeUndefined();
    expect(c.errors).toEqual({
      idleMinutes: 'Enter whole minutes from 1 to 240.',
      price: 'Enter a price of 0 or more, such as 0.05 (at most 1,000,000).',
    });
    expect(checkStart({ ...draft, idleMinutes: '241' }, true).errors.idleMinutes).toBeDefined();
    expect(checkStart({ ...draft, price: '2000000' }, true).errors.price).toBeDefined();
  });
});
