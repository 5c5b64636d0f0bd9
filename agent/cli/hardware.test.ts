import { describe, expect, it } from 'vitest';
import type { AcceleratorProbe } from '../hardware/schema.ts';
import { installedText } from './hardware.ts';

const installed = {
  ok: true as const,
  installed: ['libcudnn.so.9'],
  message: 'Installed the CUDA provider libraries into /x/bin.',
};

describe('roost gpu install-cuda, once the libraries are in', () => {
  it('says what CUDA answered when tested again, in the words of roost detect', () => {
    const cuda: AcceleratorProbe = {
      ep: 'cuda',
      ok: true,
      status: 'ok',
      deviceIndex: 0,
      adapter: { name: 'NVIDIA GeForce RTX 3060', kind: 'discrete', software: false },
      durationMs: 812.4,
    };
    expect(installedText({ ...installed, accelerators: [cuda] })).toBe(
      [
        'Installed the CUDA provider libraries into /x/bin.',
        'Tested again:',
        '  CUDA (device 0) works on NVIDIA GeForce RTX 3060 (checked in 812 ms)',
      ].join('\n'),
    );
  });

  it('sends to roost detect when the test could not run, or found no GPU to offer CUDA on', () => {
    expect(installedText(installed)).toBe(
      'Installed the CUDA provider libraries into /x/bin.\nRun roost detect --force-probe to see whether CUDA works now.',
    );
    expect(installedText({ ...installed, accelerators: [] })).toContain(
      'CUDA was not tested: this onnxruntime offers it on no GPU here (roost detect shows why).',
    );
  });
});
