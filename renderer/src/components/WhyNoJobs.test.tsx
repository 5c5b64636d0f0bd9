import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { WhyNoJobs } from './WhyNoJobs.tsx';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';

afterEach(cleanup);

/** The agent's answer on the tour's headless server: no wallet, an empty market, no GPU. */
const answer = {
  answer: 'blocked',
  headline: '2 things keep jobs away, the most basic first.',
  blockers: [
    {
      id: 'wallet-missing',
      code: 'wallet-missing',
      severity: 'error',
      blocksJobs: true,
      gpuId: null,
      title: 'No wallet',
      message: 'Jobs are claimed and paid through a wallet, and this computer has none yet.',
      fix: 'Create a wallet, or import one with its recovery phrase, on the Wallet page.',
      action: { kind: 'method', method: 'wallet.create' },
    },
    {
      id: 'market-empty',
      code: 'market-empty',
      severity: 'info',
      blocksJobs: true,
      gpuId: null,
      title: 'No open jobs',
      message: 'No job is waiting on the market right now.',
      fix: 'Nothing to do: Roost takes the next job that fits as soon as one is posted.',
      action: null,
    },
  ],
  warnings: [
    {
      id: 'no-gpu',
      code: 'no-gpu',
      severity: 'warning',
      blocksJobs: false,
      gpuId: null,
      title: 'No GPU found',
      message:
        'Roost found no graphics card on this computer (onnxruntime sees only llvmpipe (LLVM 15.0.6, 256 bits), which runs on the CPU): it takes only jobs that run on the CPU, and jobs that need a GPU pass it by.',
      fix: 'If this computer has a graphics card, check that it is seated and powered and that its driver is installed, then check again (Check again on the Dashboard, or `roost detect`).',
      action: { kind: 'command', command: 'roost detect' },
    },
  ],
  checkedAt: '2025-06-04T12:00:00.000Z',
};

describe('WhyNoJobs', () => {
  it('leaves no GPU to the Hardware section, which says it with its Check again button', async () => {
    // The agent still says it (the CLI's JSON, the support bundle); the Dashboard says it once.
    const { client } = fakeAgentClient((method) =>
      method === 'diagnostics.whyNoJobs' ? ok(answer) : unavailable(),
    );
    render(
      <AgentProvider client={client}>
        <WhyNoJobs />
      </AgentProvider>,
    );
    const card = await screen.findByTestId('why-no-jobs');
    await screen.findByText('No wallet');
    const codes = [...card.querySelectorAll('li')].map((li) => li.dataset.code);
    expect(codes).toEqual(['wallet-missing', 'market-empty']);
    expect(card.textContent).not.toMatch(/No GPU found|roost detect|llvmpipe/);
  });
});

describe('WhyNoJobs: the headline', () => {
  const show = async (shown: typeof answer) => {
    const { client } = fakeAgentClient((method) =>
      method === 'diagnostics.whyNoJobs' ? ok(shown) : unavailable(),
    );
    render(
      <AgentProvider client={client}>
        <WhyNoJobs />
      </AgentProvider>,
    );
    const card = await screen.findByTestId('why-no-jobs');
    await waitFor(() => expect(card.querySelector('.why-headline')).not.toBeNull());
    return card;
  };

  it('counts several reasons, and lists each once', async () => {
    const card = await show(answer);
    expect(card.querySelector('.why-headline')?.textContent).toBe(
      '2 things keep jobs away, the most basic first.',
    );
    expect([...card.querySelectorAll('li')].map((li) => li.dataset.code)).toEqual([
      'wallet-missing',
      'market-empty',
    ]);
  });

  it('says one reason as the headline, with why and where to fix it, and not again below', async () => {
    const alone = {
      ...answer,
      headline:
        'No wallet. Create a wallet, or import one with its recovery phrase, on the Wallet page.',
      blockers: answer.blockers.slice(0, 1),
    };
    const card = await show(alone);
    expect(card.querySelector('.why-headline')?.textContent).toBe(alone.headline);
    // Said once: no list item repeats it (the only warning, no GPU, is the Hardware section's).
    expect(card.querySelectorAll('li')).toHaveLength(0);
    expect(card.textContent?.match(/Create a wallet/g)).toHaveLength(1);
    const detail = card.querySelector('.why-detail')!;
    expect(detail.textContent).toContain('this computer has none yet.');
    expect(within(card).getByRole('link', { name: 'Open Wallet' })).toBeDefined();
  });
});

describe('WhyNoJobs: CUDA libraries missing', () => {
  it('offers the install itself, and asks again once it is done', async () => {
    const cuda = {
      ...answer,
      headline: 'No jobs: CUDA libraries missing.',
      blockers: [
        {
          id: 'cuda-libraries-missing',
          code: 'cuda-libraries-missing',
          severity: 'error',
          blocksJobs: true,
          gpuId: null,
          title: 'CUDA libraries missing',
          message: "CUDA can't run on this NVIDIA GPU: CUDA provider libraries are not installed.",
          fix: 'Install them with the Install CUDA libraries button on the GPU card, or `roost gpu install-cuda`: it downloads the libraries onnxruntime needs for CUDA.',
          action: { kind: 'method', method: 'hardware.installCuda' },
        },
      ],
      warnings: [],
    };
    let asked = 0;
    const { client } = fakeAgentClient((method) => {
      if (method === 'diagnostics.whyNoJobs') {
        asked++;
        return ok(cuda);
      }
      if (method === 'hardware.installCuda')
        return ok({ ok: true, installed: [], message: 'CUDA 12 libraries installed' });
      return unavailable();
    });
    render(
      <AgentProvider client={client}>
        <WhyNoJobs />
      </AgentProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Install CUDA libraries' }));
    await screen.findByText('CUDA 12 libraries installed.');
    await waitFor(() => expect(asked).toBe(2));
  });
});

describe('WhyNoJobs: a fix done on the command line', () => {
  it('says where its command goes, not a command alone after the fix', async () => {
    const software = {
      ...answer,
      headline: 'Only a software GPU.',
      blockers: [],
      warnings: [
        {
          id: 'software-adapter-only',
          code: 'software-adapter-only',
          severity: 'warning',
          blocksJobs: false,
          gpuId: null,
          title: 'Only a software GPU',
          message:
            'The only graphics adapter onnxruntime can use is llvmpipe, which runs on the CPU.',
          fix: 'Install the driver of your GPU with Vulkan (Linux) or DirectX 12 (Windows) support.',
          action: { kind: 'command', command: 'roost detect' },
        },
      ],
    };
    const { client } = fakeAgentClient((method) =>
      method === 'diagnostics.whyNoJobs' ? ok(software) : unavailable(),
    );
    render(
      <AgentProvider client={client}>
        <WhyNoJobs />
      </AgentProvider>,
    );
    const item = await screen.findByText('Only a software GPU', { selector: 'strong' });
    const fix = item.parentElement!.querySelector('.fix')!;
    expect(fix.textContent).toBe(
      'Install the driver of your GPU with Vulkan (Linux) or DirectX 12 (Windows) support. In a terminal: roost detect',
    );
    expect(fix.querySelector('code')?.textContent).toBe('roost detect');
  });
});
