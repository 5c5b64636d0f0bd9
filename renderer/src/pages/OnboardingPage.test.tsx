import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { SetupProvider } from '../components/SetupContext.tsx';
import { SetupEntry } from '../components/SetupEntry.tsx';
import { defaultSettings, type Settings } from '../../../agent/api/contract.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';
import { CUDA_MISSING, rtx3060 } from '../testing/gpus.ts';

afterEach(cleanup);

const detect = {
  gpus: [],
  accelerators: [{ ep: 'cpu', ok: true, status: 'ok', durationMs: 40 }],
  cpu: { model: 'Test CPU', cores: 4, accelerators: [{ ep: 'cpu', ok: true }] },
  os: { platform: 'linux', release: '6', arch: 'x64' },
  problems: [],
};

const estimate = {
  gpuId: 'cpu',
  token: 'tokens',
  currency: 'EUR',
  compositeScore: 40,
  pricePerUnitHour: '0.05',
  grossPerHour: '2',
  feePerHour: '0',
  earnedPerHour: '2',
  earnedPerHourInCurrency: '2',
  chargedPowerW: null,
  electricityPerHour: '0',
  netPerHour: '2',
  hoursPerDay: 24,
  occupancy: 1,
  netPerDay: '48',
  profitable: true,
  explanation: '',
  // A network whose tokens are worth something, unless a test says otherwise.
  testNetwork: false,
};

/** Only what setup reads of a report. */
const report = {
  composite: { value: 40.2, unit: 'RCS', missing: [] },
  target: { ep: 'cpu', adapter: null },
  workloads: [],
  warnings: [],
};

/** A fake agent: the answers setup needs, every call recorded, a benchmark the test finishes. */
function fakeAgent(
  walletState = 'none',
  {
    scored: scoredAtStart = false,
    network,
    estimate: estimateOver = {},
  }: { scored?: boolean; network?: object; estimate?: object } = {},
) {
  const calls: { method: string; params: unknown }[] = [];
  let settings: Settings = structuredClone(defaultSettings);
  let scored = scoredAtStart;
  let finishBench: () => void = () => undefined;
  const { client, emit } = fakeAgentClient(async (method, params) => {
    calls.push({ method, params });
    switch (method) {
      case 'settings.get':
        return ok(settings);
      case 'settings.update': {
        const patch = params as Record<string, object>;
        const next = structuredClone(settings) as unknown as Record<string, object>;
        for (const [k, v] of Object.entries(patch)) next[k] = { ...next[k], ...v };
        settings = next as unknown as Settings;
        return ok(settings);
      }
      case 'wallet.status':
        return ok({ state: walletState, address: null, workSigning: false });
      case 'bench.history':
        return ok({ reports: [] });
      case 'hardware.detect':
        return ok(detect);
      case 'bench.targets':
        return ok({ targets: [{ ep: 'cpu', adapter: null, software: false, label: 'cpu' }] });
      case 'bench.run':
        emit({
          event: 'bench.progress',
          payload: {
            runId: 'r',
            phase: 'measure',
            fraction: 0.5,
            workloadCount: 5,
            message: 'GEMM',
          },
        });
        await new Promise<void>((resolve) => (finishBench = resolve));
        scored = true;
        return ok({ report: { report }, file: 'r.json' });
      case 'yield.estimate':
        return ok(
          scored
            ? { estimates: [{ ...estimate, ...estimateOver }], missing: null }
            : { estimates: [], missing: 'No benchmark yet' },
        );
      case 'wallet.network':
        return network ? ok(network) : unavailable();
      case 'market.register':
        return ok({});
      case 'wallet.create':
        return ok({ creationId: 'c', mnemonic: 'one two three', positions: [2] });
      default:
        return unavailable();
    }
  });
  return {
    client,
    calls,
    updates: () => calls.filter((c) => c.method === 'settings.update').map((c) => c.params),
    finishBench: () => finishBench(),
  };
}

function renderSetup(agent: ReturnType<typeof fakeAgent>, route = 'dashboard') {
  return render(
    <AgentProvider client={agent.client}>
      <SetupProvider route={route}>
        <SetupEntry />
      </SetupProvider>
    </AgentProvider>,
  );
}

const next = (name = 'Continue') => fireEvent.click(screen.getByRole('button', { name }));

/** From step 1 to step 4 (when and for how much), leaving the score and the wallet for later. */
async function toStepFour(agent: ReturnType<typeof fakeAgent>) {
  renderSetup(agent);
  await screen.findByTestId('setup-hardware-headline');
  next();
  next('Skip for now');
  next('Skip for now');
}

describe('first-run setup', () => {
  it('goes through the four steps and saves what the user chose', async () => {
    const agent = fakeAgent();
    renderSetup(agent);
    await screen.findByRole('heading', { name: 'Set up Roost' });
    expect((await screen.findByTestId('setup-hardware-headline')).textContent).toBe(
      'No GPU found: Roost can still run jobs on the CPU.',
    );
    next();

    // The step's title takes the focus, for keyboard and screen-reader users.
    await waitFor(() =>
      expect(document.activeElement?.textContent).toBe('Step 2 of 4: Your score'),
    );
    expect(screen.getByText(/the market sends you no jobs: it needs a score first/)).toBeTruthy();
    await waitFor(() =>
      expect(
        (screen.getByRole('button', { name: 'Run the benchmark' }) as HTMLButtonElement).disabled,
      ).toBe(false),
    );
    next('Run the benchmark');
    const bar = await screen.findByRole('progressbar', { name: 'Benchmark progress' });
    expect(bar.getAttribute('value')).toBe('0.5');
    expect(screen.getByRole('status').textContent).toContain('50 % · GEMM');
    agent.finishBench();
    expect((await screen.findByTestId('setup-score')).textContent).toBe('40.2 RCS');
    // The accelerator by its name, as the Benchmark page says it, not its id (`cpu`).
    expect(screen.getByText(/^Your Roost compute score, measured on/).textContent).toBe(
      'Your Roost compute score, measured on CPU. Higher is faster.',
    );
    expect(agent.calls.find((c) => c.method === 'bench.run')?.params).toEqual({
      preset: 'quick',
      ep: 'cpu',
    });
    next();

    await screen.findByRole('heading', { name: 'Create a wallet', level: 4 });
    expect(screen.getByText(/Roost can.t be paid, so the market sends you no jobs/)).toBeTruthy();
    next('Skip for now');

    const earnings = await screen.findByTestId('setup-earnings');
    await waitFor(() => expect(earnings.textContent).toContain('earns about 2 tokens an hour'));
    expect(earnings.textContent).toContain('(about 2 EUR)');
    // Starting to earn takes the stake (market.stake) from the wallet: setup says so first.
    expect(screen.getByTestId('setup-stake').textContent).toBe(
      "Starting to earn puts 100 tokens from your wallet into the market, as a deposit (your stake) for the jobs Roost takes. When you stop, press Take it back on the Wallet page: after the market's wait it is yours to withdraw.",
    );
    fireEvent.change(screen.getByLabelText('Price per unit-hour'), { target: { value: '0.1' } });
    expect(earnings.textContent).toContain('earns about 4 tokens an hour');
    await screen.findByText(/no jobs until you create a wallet/);
    fireEvent.click(screen.getByLabelText('Always, even while I use it'));
    expect(screen.queryByLabelText(/minutes without you/)).toBeNull();
    next('Start earning');

    await screen.findByRole('link', { name: 'Set up Roost' });
    expect(screen.queryByTestId('setup')).toBeNull();
    expect(agent.updates()).toEqual([
      {
        general: { onboarded: true },
        work: { mode: 'always' },
        pricing: { pricePerUnitHour: 0.1 },
        market: { enabled: true, practice: true },
      },
    ]);
    // No wallet: there is nothing to register yet.
    expect(agent.calls.some((c) => c.method === 'market.register')).toBe(false);
  });

  it('refuses a price that is not a number, in words, and saves nothing', async () => {
    const agent = fakeAgent();
    await toStepFour(agent);
    fireEvent.change(await screen.findByLabelText('Price per unit-hour'), {
      target: { value: 'cheap' },
    });
    fireEvent.change(screen.getByLabelText(/minutes without you/), { target: { value: '0' } });
    next('Start earning');
    await screen.findByText('Enter a price of 0 or more, such as 0.05 (at most 1,000,000).');
    expect(screen.getByText('Enter whole minutes from 1 to 240.')).toBeTruthy();
    expect(screen.getByLabelText('Price per unit-hour').getAttribute('aria-invalid')).toBe('true');
    expect(agent.updates()).toEqual([]);
    expect(screen.getByTestId('setup-earnings').textContent).toBe(
      'Run the benchmark (step 2) to see what this price earns per hour.',
    );

    // Each error goes as soon as its field is valid, before the next press.
    fireEvent.change(screen.getByLabelText(/minutes without you/), { target: { value: '15' } });
    expect(screen.queryByText('Enter whole minutes from 1 to 240.')).toBeNull();
    expect(screen.getByLabelText(/minutes without you/).getAttribute('aria-invalid')).toBeNull();
    expect(screen.getByText(/Enter a price of 0 or more/)).toBeTruthy();
    // A decimal comma is a decimal point.
    fireEvent.change(screen.getByLabelText('Price per unit-hour'), { target: { value: '0,05' } });
    expect(screen.queryByText(/Enter a price of 0 or more/)).toBeNull();
    next('Start earning');
    await waitFor(() => expect(agent.updates().length).toBe(1));
    expect(agent.updates()[0]).toMatchObject({
      work: { mode: 'idle', idleMinutes: 15 },
      pricing: { pricePerUnitHour: 0.05 },
    });
  });

  it('never turns test money into a currency, as the Earnings card does', async () => {
    // The agent says the network is test money; the estimate alone does not (an older agent).
    const agent = fakeAgent('none', {
      scored: true,
      network: { name: 'local', chainId: 31337, test: true, tokensDecidedBy: 'devnet' },
      estimate: { token: 'rUSD', earnedPerHourInCurrency: null },
    });
    await toStepFour(agent);
    const earnings = await screen.findByTestId('setup-earnings');
    await waitFor(() => expect(earnings.textContent).toContain('(test money, no value)'));
    expect(earnings.textContent).toBe(
      'At this price and your score of 40, this computer earns about 2 rUSD an hour while it works (test money, no value).',
    );
    expect(earnings.textContent).not.toContain('EUR');
    expect(screen.getByTestId('setup-stake').textContent).toBe(
      "Starting to earn puts 100 rUSD of test money from your wallet into the market, as a deposit (your stake) for the jobs Roost takes. When you stop, press Take it back on the Wallet page: after the market's wait it is yours to withdraw.",
    );
  });

  it('says so when only the estimate knows the network is test money', async () => {
    const agent = fakeAgent('none', { scored: true, estimate: { testNetwork: true } });
    await toStepFour(agent);
    const earnings = await screen.findByTestId('setup-earnings');
    await waitFor(() => expect(earnings.textContent).toContain('(test money, no value)'));
    expect(earnings.textContent).not.toContain('EUR');
  });

  it('shows no error before the first press, and then only while the field is wrong', async () => {
    const agent = fakeAgent();
    await toStepFour(agent);
    fireEvent.change(await screen.findByLabelText('Price per unit-hour'), {
      target: { value: '-1' },
    });
    expect(screen.queryByText(/Enter a price of 0 or more/)).toBeNull();
    next('Start earning');
    await screen.findByText(/Enter a price of 0 or more/);
    fireEvent.change(screen.getByLabelText('Price per unit-hour'), { target: { value: '0.2' } });
    expect(screen.queryByText(/Enter a price of 0 or more/)).toBeNull();
    fireEvent.change(screen.getByLabelText('Price per unit-hour'), { target: { value: 'x' } });
    expect(screen.getByText(/Enter a price of 0 or more/)).toBeTruthy();
  });

  it('keeps every way out of the wallet step closed while new recovery words are out', async () => {
    const agent = fakeAgent();
    renderSetup(agent);
    await screen.findByTestId('setup-hardware-headline');
    next();
    next('Skip for now');
    fireEvent.change(await screen.findByLabelText('Password (8 characters or more)'), {
      target: { value: 'a good long password' },
    });
    fireEvent.change(screen.getByLabelText('Password again'), {
      target: { value: 'a good long password' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Create wallet' }));
    await screen.findByTestId('mnemonic');
    const setup = screen.getByTestId('setup');
    for (const name of ['Back', 'Skip for now', 'Skip setup'])
      expect(within(setup).queryByRole('button', { name })).toBeNull();
    expect(screen.getByTestId('setup-wallet-words-note').textContent).toContain(
      'Finish the check to go on',
    );
    fireEvent.click(screen.getByRole('button', { name: 'I wrote them down' }));
    expect(screen.queryByTestId('mnemonic')).toBeNull();
    expect(screen.getByLabelText('Word 2')).toBeTruthy();
    expect(within(setup).queryByRole('button', { name: 'Back' })).toBeNull();
  });

  it('with a wallet and a score, sends the chosen price to the market once it is saved', async () => {
    const agent = fakeAgent('unlocked');
    renderSetup(agent, 'setup');
    await screen.findByTestId('setup-hardware-headline');
    next();
    await waitFor(() =>
      expect(
        (screen.getByRole('button', { name: 'Run the benchmark' }) as HTMLButtonElement).disabled,
      ).toBe(false),
    );
    next('Run the benchmark');
    await screen.findByRole('progressbar', { name: 'Benchmark progress' });
    agent.finishBench();
    await screen.findByTestId('setup-score');
    next();
    await screen.findByText(/Your wallet is ready/);
    next();
    const earnings = await screen.findByTestId('setup-earnings');
    await waitFor(() => expect(earnings.textContent).toContain('earns about'));
    fireEvent.change(screen.getByLabelText('Price per unit-hour'), { target: { value: '0.3' } });
    next('Start earning');
    await waitFor(() => expect(agent.calls.some((c) => c.method === 'market.register')).toBe(true));
    // The record on the market gets the price the user chose: saved first, then registered.
    const order = agent.calls
      .map((c) => c.method)
      .filter((m) => m === 'settings.update' || m === 'market.register');
    expect(order).toEqual(['settings.update', 'market.register']);
    expect(agent.updates()[0]).toMatchObject({ pricing: { pricePerUnitHour: 0.3 } });
  });

  it('can be skipped at once, which is remembered', async () => {
    const agent = fakeAgent();
    renderSetup(agent);
    const setup = await screen.findByTestId('setup');
    fireEvent.click(within(setup).getByRole('button', { name: 'Skip setup' }));
    await screen.findByRole('link', { name: 'Set up Roost' });
    expect(agent.updates()).toEqual([{ general: { onboarded: true } }]);
  });

  it('does not show by itself once there is a wallet, but opens from its link', async () => {
    const agent = fakeAgent('locked');
    const { unmount } = renderSetup(agent);
    await screen.findByRole('link', { name: 'Set up Roost' });
    await waitFor(() => expect(agent.calls.some((c) => c.method === 'bench.history')).toBe(true));
    expect(screen.queryByTestId('setup')).toBeNull();
    unmount();
    renderSetup(agent, 'setup');
    const setup = await screen.findByTestId('setup');
    expect(within(setup).getByRole('button', { name: 'Close setup' })).toBeTruthy();
  });
});

describe('setup, step 1, on an NVIDIA card without the CUDA libraries', () => {
  it('offers to install them there, not only a command to type', async () => {
    const withGpu = {
      ...detect,
      gpus: [rtx3060([{ ep: 'cuda', ok: false, reason: CUDA_MISSING }])],
    };
    const installs: unknown[] = [];
    const { client } = fakeAgentClient((method, params) => {
      if (method === 'settings.get') return ok(defaultSettings);
      if (method === 'wallet.status')
        return ok({ state: 'none', address: null, workSigning: false });
      if (method === 'bench.history') return ok({ reports: [] });
      if (method === 'hardware.detect') return ok(withGpu);
      if (method === 'hardware.installCuda') {
        installs.push(params);
        return ok({ ok: true, installed: [], message: 'CUDA 12 libraries installed' });
      }
      return unavailable();
    });
    render(
      <AgentProvider client={client}>
        <SetupProvider route="dashboard">
          <SetupEntry />
        </SetupProvider>
      </AgentProvider>,
    );
    const device = await screen.findByTestId('setup-hardware');
    fireEvent.click(within(device).getByRole('button', { name: 'Install CUDA libraries' }));
    await waitFor(() => expect(installs).toHaveLength(1));
    expect((await within(device).findByRole('status')).textContent).toBe(
      'CUDA 12 libraries installed.',
    );
  });
});
