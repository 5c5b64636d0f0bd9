import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { AgentProvider } from '../AgentContext.tsx';
import { GpuCards } from './GpuCards.tsx';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';
import { CUDA_MISSING, rtx3060 } from '../testing/gpus.ts';

afterEach(cleanup);

type Detect = ResultOf<'hardware.detect'>;

/** The tour's headless server: no GPU, the CPU, and WebGPU on Mesa's software renderer. */
const cpuOnly: Detect = {
  gpus: [],
  accelerators: [
    { ep: 'cpu', ok: true, status: 'ok', durationMs: 26 },
    {
      ep: 'webgpu',
      ok: false,
      status: 'software-adapter',
      reason:
        'the WebGPU adapter is a software renderer (lavapipe/llvmpipe/SwiftShader): not a GPU',
      fix: 'Install your GPU\u2019s Vulkan driver (Mesa radv/anv for AMD/Intel, the NVIDIA driver for NVIDIA) so WebGPU runs on the GPU',
      adapter: { name: 'llvmpipe (LLVM 15.0.6, 256 bits)', kind: 'cpu', software: true },
      durationMs: 80,
    },
  ],
  cpu: {
    model: 'AMD EPYC',
    cores: 2,
    accelerators: [{ ep: 'cpu', ok: true, adapter: 'AMD EPYC' }],
  },
  os: { platform: 'linux', release: '6', arch: 'x64' },
  problems: [],
};

function renderWith(answers: Record<string, unknown>, ui: ReactNode) {
  const { client } = fakeAgentClient((method) =>
    method in answers ? ok(answers[method]) : unavailable(),
  );
  return render(<AgentProvider client={client}>{ui}</AgentProvider>);
}

describe('GpuCards without a GPU', () => {
  it('says it once, with Check again as the one action, and keeps the software renderer under Details', async () => {
    renderWith(
      { 'hardware.detect': cpuOnly, 'schedule.status': { decisions: [], holds: [] } },
      <GpuCards />,
    );
    const note = await screen.findByTestId('no-gpu');
    const lead = note.querySelector('p');
    // The words of setup's first step, then what to do: the button beside the heading.
    expect(lead?.textContent).toBe(
      'No GPU found: Roost can still run jobs on the CPU. If this computer has a graphics card, install its driver, then press Check again.',
    );
    expect(screen.getByRole('button', { name: 'Check again' })).toBeTruthy();
    expect(screen.getAllByText(/No GPU found/)).toHaveLength(1);
    // No command line in the app, and the technical words are secondary: under Details.
    expect(note.textContent).not.toMatch(/roost detect/);
    const details = note.querySelector('details');
    expect(details?.querySelector('summary')?.textContent).toBe('Details');
    expect(within(details as HTMLElement).getByRole('listitem').textContent).toBe(
      'WebGPU\u2019s only adapter is llvmpipe (LLVM 15.0.6, 256 bits). The WebGPU adapter is a software renderer (lavapipe/llvmpipe/SwiftShader): not a GPU. Install your GPU\u2019s Vulkan driver (Mesa radv/anv for AMD/Intel, the NVIDIA driver for NVIDIA) so WebGPU runs on the GPU.',
    );
  });

  it('makes a sentence of each of the agent\u2019s phrases, so a message and its fix keep their full stop', async () => {
    renderWith(
      {
        'hardware.detect': {
          ...cpuOnly,
          problems: [
            {
              tool: 'rocm-smi',
              code: 'failed',
              message: 'the tool stopped with code 9',
              fix: 'Run `rocm-smi` by hand; if it also fails, reinstall ROCm',
            },
          ],
        },
        'schedule.status': { decisions: [], holds: [] },
      },
      <GpuCards />,
    );
    await screen.findByTestId('no-gpu');
    expect(screen.getByText(/stopped with code 9/).closest('li')?.textContent).toBe(
      'rocm-smi: The tool stopped with code 9. Run rocm-smi by hand; if it also fails, reinstall ROCm.',
    );
  });
});

describe('GpuCards heading and the CPU card', () => {
  it('is Hardware, as it lists the CPU too, and the CPU is Ready for jobs until one runs', async () => {
    const headless = {
      gpuId: 'cpu',
      state: 'working',
      cause: 'headless',
      reason:
        'Working: no desktop session to watch for idle time (headless), so the machine counts as idle',
      heldBy: 'policy',
      until: null,
      since: '2025-06-04T12:00:00.000Z',
      alsoApplies: [],
      lease: null,
    };
    renderWith(
      {
        'hardware.detect': cpuOnly,
        'schedule.status': { decisions: [headless], holds: [] },
        'job.list': { jobs: [] },
      },
      <GpuCards />,
    );
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Hardware');
    const cpu = await screen.findByTestId('cpu-card');
    const state = await within(cpu).findByTestId('work-state');
    expect(state.querySelector('.state-pill')?.textContent).toBe('Ready for jobs');
  });
});

describe('GpuCards: two cards of one model', () => {
  it('names each as the Activity list does, numbered (the agent says how)', async () => {
    const twin = (id: string, displayName: string) => ({
      ...rtx3060([{ ep: 'cuda' as const, ok: true }]),
      id,
      name: 'NVIDIA GeForce RTX 3070',
      displayName,
    });
    renderWith(
      {
        'hardware.detect': {
          ...cpuOnly,
          gpus: [
            twin('pci-0000:03:00.0', 'NVIDIA GeForce RTX 3070 #1'),
            twin('pci-0000:41:00.0', 'NVIDIA GeForce RTX 3070 #2'),
          ],
        },
        'schedule.status': { decisions: [], holds: [] },
      },
      <GpuCards />,
    );
    const cards = await screen.findAllByTestId('gpu-card');
    expect(cards.map((c) => c.querySelector('h3')?.textContent)).toEqual([
      'NVIDIA GeForce RTX 3070 #1',
      'NVIDIA GeForce RTX 3070 #2',
    ]);
    expect(screen.getByRole('article', { name: 'NVIDIA GeForce RTX 3070 #2' })).toBe(cards[1]);
  });
});

describe('GpuCards: an NVIDIA card without the CUDA libraries', () => {
  const withGpu = (cudaOk: boolean): Detect => ({
    ...cpuOnly,
    gpus: [
      rtx3060(
        cudaOk
          ? [{ ep: 'cuda', ok: true, adapter: 'NVIDIA GeForce RTX 3060' }]
          : [
              { ep: 'cuda', ok: false, reason: CUDA_MISSING },
              { ep: 'tensorrt', ok: false, reason: CUDA_MISSING },
            ],
      ),
    ],
  });

  it('installs them from a button, with progress, and shows the card tested again', async () => {
    let detects = 0;
    let finish: (value: unknown) => void = () => undefined;
    const { client, emit } = fakeAgentClient((method) => {
      if (method === 'hardware.detect') return ok(withGpu(detects++ > 0));
      if (method === 'hardware.installCuda') return new Promise((resolve) => (finish = resolve));
      if (method === 'schedule.status') return ok({ decisions: [], holds: [] });
      if (method === 'job.list') return ok({ jobs: [] });
      return unavailable();
    });
    render(
      <AgentProvider client={client}>
        <GpuCards />
      </AgentProvider>,
    );
    // One button for the card, though CUDA and TensorRT both miss the same libraries.
    const buttons = await screen.findAllByRole('button', { name: 'Install CUDA libraries' });
    expect(buttons).toHaveLength(1);
    fireEvent.click(buttons[0]!);
    await screen.findByRole('button', { name: 'Installing CUDA libraries…' });
    emit({
      event: 'hardware.installCudaProgress',
      payload: { phase: 'downloading', message: 'Downloading the CUDA 12 libraries (412 MB)' },
    });
    expect(screen.getByTestId('install-cuda').textContent).toContain(
      'Downloading the CUDA 12 libraries (412 MB)',
    );
    finish(ok({ ok: true, installed: ['libcudnn.so.9'], message: 'CUDA 12 libraries installed' }));
    // Tested again: the card now shows CUDA working, and the button is gone.
    await waitFor(() => expect(screen.queryByTestId('install-cuda')).toBeNull());
    expect(detects).toBe(2);
    expect(screen.getByText('on NVIDIA GeForce RTX 3060')).toBeTruthy();
  });

  it('says why an install failed, and that nothing was changed', async () => {
    const { client } = fakeAgentClient((method) => {
      if (method === 'hardware.detect') return ok(withGpu(false));
      if (method === 'hardware.installCuda')
        return ok({
          ok: false,
          code: 'unreachable',
          message: 'the download server could not be reached',
          unchanged: true,
        });
      return unavailable();
    });
    render(
      <AgentProvider client={client}>
        <GpuCards />
      </AgentProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Install CUDA libraries' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'The download server could not be reached. Nothing was changed.',
    );
  });
});
