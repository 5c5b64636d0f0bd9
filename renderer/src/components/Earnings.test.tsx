import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { Earnings } from './Earnings.tsx';
import { PriceSuggestion } from './PriceSuggestion.tsx';
import { SettingsPage } from '../pages/SettingsPage.tsx';
import { WhyNoJobs } from './WhyNoJobs.tsx';
import {
  defaultSettings,
  methods,
  type AgentEvent,
  type ResultOf,
  type Settings,
} from '../../../agent/api/contract.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';
import { addAppStyles } from '../testing/styles.ts';
import { marketStatus } from '../../../agent/market/testing/market-status.ts';

afterEach(cleanup);

type Report = ResultOf<'yield.earnings'>;

function bucket(label: string, predicted: string, actual: string, hour: number) {
  const start = new Date(Date.UTC(2025, 5, 4, hour)).toISOString();
  const end = new Date(Date.UTC(2025, 5, 4, hour + 1)).toISOString();
  return { start, end, label, predicted, actual, electricity: '0.000000', net: actual };
}

function report(range: Report['chart']['range']): Report {
  const buckets = Array.from({ length: range === '24h' ? 24 : range === '7d' ? 7 : 30 }, (_, i) =>
    bucket(
      range === '24h'
        ? `${String(i).padStart(2, '0')}:00`
        : `2025-06-${String(i + 1).padStart(2, '0')}`,
      i === 0 ? '0.500000' : '0.000000',
      i === 1 ? '2.970000' : i === 2 ? '-0.300000' : '0.000000',
      i % 20,
    ),
  );
  const totals = {
    predicted: '0.500000',
    actual: '2.670000',
    electricity: '0.000000',
    net: '2.67',
  };
  return methods['yield.earnings'].result.parse({
    chart: { range, token: 'rUSD', currency: 'EUR', gpuId: null, buckets, totals },
    today: { ...totals, hoursWorked: 0.25 },
    last7d: { ...totals, hoursWorked: 1.5 },
    last30d: { ...totals, hoursWorked: 12 },
    grossPerHour: '2',
    notes: [],
  });
}

function fakeClient(answers: Record<string, (params: unknown) => unknown>) {
  const calls: { method: string; params: unknown }[] = [];
  let settings: Settings = structuredClone(defaultSettings);
  const { client, emit } = fakeAgentClient((method, params) => {
    calls.push({ method, params });
    if (method === 'settings.get') return ok(settings);
    if (method === 'settings.update') {
      const patch = params as { pricing?: object };
      settings = { ...settings, pricing: { ...settings.pricing, ...patch.pricing } };
      return ok(settings);
    }
    const answer = answers[method];
    if (answer) return ok(answer(params));
    return unavailable();
  });
  return { client, calls, emit };
}

const notEnough = {
  price: null,
  count: 1,
  since: '2025-05-28T10:00:00.000Z',
  low: null,
  median: null,
  high: null,
  reason:
    'Not enough jobs seen yet: 1 job a GPU scoring 1 qualifies for posted in the last 7 days (at least 3 are needed for a suggestion).',
  currentPrice: '0.05',
  token: 'rUSD',
  score: 1,
};

describe('Earnings on the Dashboard', () => {
  it('says a few seconds of work in a few words, so the Worked column stays narrow', async () => {
    const { client } = fakeClient({
      'yield.estimate': () => ({ estimates: [], missing: 'No benchmark yet: run one.' }),
      'yield.earnings': () => ({
        ...report('24h'),
        today: { ...report('24h').today, hoursWorked: 0.005 },
      }),
      'yield.suggestPrice': () => notEnough,
    });
    render(
      <AgentProvider client={client}>
        <Earnings />
      </AgentProvider>,
    );
    const rows = within(await screen.findByTestId('earnings-totals')).getAllByRole('row');
    expect(rows[1]!.querySelectorAll('td')[0]!.textContent).toBe('under 1 min');
  });

  it('shows today, 7 and 30 days predicted beside actual, and a chart per range', async () => {
    addAppStyles();
    const { client, calls } = fakeClient({
      'yield.estimate': () => ({ estimates: [], missing: 'No benchmark yet: run one.' }),
      'yield.earnings': (p) => report((p as { range: Report['chart']['range'] }).range),
      'yield.suggestPrice': () => notEnough,
    });
    render(
      <AgentProvider client={client}>
        <Earnings />
      </AgentProvider>,
    );
    const totals = await screen.findByTestId('earnings-totals');
    const rows = within(totals).getAllByRole('row');
    expect(rows.map((r) => r.textContent)).toEqual([
      'WorkedPredictedActual',
      'Today15 min0.5 rUSD2.67 rUSD',
      '7 days1.5 h0.5 rUSD2.67 rUSD',
      '30 days12 h0.5 rUSD2.67 rUSD',
    ]);
    // In a Dashboard column an amount keeps its unit on its line, and a row's name too.
    for (const cell of totals.querySelectorAll('tbody td:nth-child(n+3)'))
      expect(getComputedStyle(cell.firstElementChild!).whiteSpace).toBe('nowrap');
    for (const name of totals.querySelectorAll('tbody th'))
      expect(getComputedStyle(name).whiteSpace).toBe('nowrap');
    expect(screen.getAllByTestId('earnings-bucket')).toHaveLength(24);
    // The paid hour has the tallest actual bar; the slashed one goes below the line.
    const bars = screen.getAllByTestId('earnings-bucket');
    expect(bars[1]?.querySelector('title')?.textContent).toBe(
      '01:00: predicted 0, actual 2.97 rUSD',
    );
    const actual = (i: number) => bars[i]?.querySelector('.bar-actual');
    expect(Number(actual(1)?.getAttribute('height'))).toBeGreaterThan(50);
    expect(Number(actual(2)?.getAttribute('y'))).toBeGreaterThanOrEqual(
      Number(actual(1)?.getAttribute('y')) + Number(actual(1)?.getAttribute('height')) - 0.01,
    );
    expect(screen.getByTestId('price-suggestion').textContent).toBe(
      'No suggested price yet: not enough jobs seen yet (1 job in the last 7 days).',
    );

    fireEvent.click(screen.getByRole('button', { name: '30 d' }));
    await waitFor(() => expect(screen.getAllByTestId('earnings-bucket')).toHaveLength(30));
    // Days as people write them (not "06-08"), in letters big enough to read once the chart
    // shrinks to a Dashboard column.
    const axis = screen.getAllByTestId('earnings-axis-label');
    expect(axis.map((t) => t.textContent)).toEqual([
      'Jun 1',
      'Jun 8',
      'Jun 15',
      'Jun 22',
      'Jun 29',
    ]);
    expect(parseFloat(axis[0]!.style.fontSize)).toBeGreaterThanOrEqual(14);
    // Its key wraps a whole entry to the next line, not each entry within itself.
    expect(screen.getByTestId('earnings-chart-key').style.flexWrap).toBe('wrap');
    expect(screen.getByRole('button', { name: '30 d' }).getAttribute('aria-pressed')).toBe('true');
    expect(calls.filter((c) => c.method === 'yield.earnings').map((c) => c.params)).toEqual([
      { range: '24h' },
      { range: '30d' },
    ]);
  });

  it('follows a finished benchmark and the wallet: the score shows, and the reasons name the wallet', async () => {
    let scored = false;
    let wallet: 'none' | 'locked' = 'none';
    const estimate = {
      gpuId: 'cpu',
      token: 'rUSD',
      currency: 'EUR',
      compositeScore: 111,
      pricePerUnitHour: '0.05',
      grossPerHour: '5.55',
      feePerHour: '0',
      earnedPerHour: '5.55',
      earnedPerHourInCurrency: '5.55',
      chargedPowerW: null,
      electricityPerHour: '0',
      netPerHour: '5.55',
      hoursPerDay: 24,
      occupancy: 1,
      netPerDay: '133.2',
      profitable: true,
      explanation: '',
    };
    const { client, emit } = fakeClient({
      'yield.estimate': () =>
        scored
          ? { estimates: [estimate], missing: null }
          : { estimates: [], missing: 'No benchmark yet: run one.' },
      'yield.earnings': () => ({
        ...report('24h'),
        notes: [
          wallet === 'none'
            ? 'No wallet yet: create a wallet (Wallet page) to be paid.'
            : 'The wallet is locked: unlock the wallet to take jobs.',
        ],
      }),
      'yield.suggestPrice': () => ({
        ...notEnough,
        reason:
          wallet === 'none'
            ? 'No wallet yet: create a wallet.'
            : 'The wallet is locked: unlock the wallet to take jobs.',
      }),
    });
    render(
      <AgentProvider client={client}>
        <Earnings />
      </AgentProvider>,
    );
    const card = await screen.findByTestId('earnings');
    await within(card).findByText('No benchmark yet: run one.');
    // The page it names is a link to it (AgentText).
    await within(card).findByRole('link', { name: 'Wallet page' });
    expect(card.textContent).toContain('No wallet yet: create a wallet (Wallet page) to be paid.');

    scored = true;
    emit({
      event: 'bench.progress',
      payload: { runId: 'r', phase: 'done', fraction: 1, workloadCount: 5, message: 'Done' },
    });
    expect((await within(card).findByTestId('earnings-score')).textContent).toBe('111');
    expect(card.textContent).not.toContain('No benchmark yet');

    wallet = 'locked';
    emit({
      event: 'wallet.changed',
      payload: { state: 'locked', address: `0x${'1'.repeat(40)}`, workSigning: false },
    } as AgentEvent);
    await within(card).findByText('The wallet is locked: unlock the wallet to take jobs.');
    await waitFor(() =>
      expect(within(card).getByTestId('price-suggestion').textContent).toContain(
        'unlock the wallet to take jobs',
      ),
    );
    expect(card.textContent).not.toMatch(/not connected|create a wallet/i);
  });

  it('offers the suggested price beside the price in Settings, and takes it into the form', async () => {
    const { client, calls } = fakeClient({
      'yield.suggestPrice': () => ({
        ...notEnough,
        price: '0.03',
        count: 5,
        low: '0.03',
        median: '0.03',
        high: '0.05',
        reason: 'The median price of 5 posted jobs …',
        score: 100,
      }),
    });
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    const hint = await screen.findByTestId('price-suggestion');
    expect(hint.textContent).toMatch(
      /^Suggested: 0.03 rUSD per unit-hour, the median of 5 jobs seen in the last 7 days at your score of 100\./,
    );
    fireEvent.click(within(hint).getByRole('button', { name: 'Use 0.03' }));
    expect((screen.getByLabelText('Price per unit-hour') as HTMLInputElement).value).toBe('0.03');
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByText('Settings saved.');
    expect(calls.filter((c) => c.method === 'settings.update').map((c) => c.params)).toEqual([
      { pricing: { pricePerUnitHour: 0.03 } },
    ]);
  });
});

describe("Earnings in the agent's words", () => {
  const suggestion = (reason: string) => ({ ...notEnough, count: 0, reason });

  it("says the agent's reason for no suggested price once, as its own sentence", async () => {
    const { client } = fakeClient({
      'yield.estimate': () => ({ estimates: [], missing: 'No benchmark yet: run one.' }),
      'yield.earnings': () => report('24h'),
      'yield.suggestPrice': () =>
        suggestion(
          'No wallet yet: create a wallet (Wallet page) so Roost joins the market and sees what jobs pay.',
        ),
    });
    render(
      <AgentProvider client={client}>
        <Earnings />
      </AgentProvider>,
    );
    const hint = await screen.findByTestId('price-suggestion');
    expect(hint.textContent).toBe(
      'No suggested price yet. No wallet yet: create a wallet (Wallet page) so Roost joins the market and sees what jobs pay.',
    );
    expect(within(hint).getByRole('link', { name: 'Wallet page' }).getAttribute('href')).toBe(
      '#/wallet',
    );
  });

  it('asks again once the market is ready: no stale "not connected"', async () => {
    let ready = false;
    const { client, emit, calls } = fakeClient({
      'yield.estimate': () => ({ estimates: [], missing: 'No benchmark yet: run one.' }),
      'yield.earnings': () => ({
        ...report('24h'),
        notes: ready ? [] : ['Not connected to the market: actual earnings show once it is.'],
      }),
      'yield.suggestPrice': () =>
        ready
          ? notEnough
          : suggestion('Not connected to the market yet, so no jobs have been seen.'),
    });
    render(
      <AgentProvider client={client}>
        <Earnings />
      </AgentProvider>,
    );
    const card = await screen.findByTestId('earnings');
    await waitFor(() =>
      expect(within(card).getByTestId('price-suggestion').textContent).toBe(
        'No suggested price yet. Not connected to the market yet, so no jobs have been seen.',
      ),
    );
    await within(card).findByText('Not connected to the market: actual earnings show once it is.');

    ready = true;
    emit({ event: 'market.changed', payload: marketStatus() });
    await waitFor(() =>
      expect(within(card).getByTestId('price-suggestion').textContent).toBe(
        'No suggested price yet: not enough jobs seen yet (1 job in the last 7 days).',
      ),
    );
    await waitFor(() => expect(card.textContent).not.toMatch(/not connected/i));

    // The follower moving on, in the same state, is not asked about again.
    const asked = () =>
      calls.filter((c) => c.method === 'yield.suggestPrice' || c.method === 'yield.earnings')
        .length;
    const before = asked();
    emit({
      event: 'market.changed',
      payload: marketStatus({
        follower: { checkpoint: 2, head: 2, lagBlocks: 0, lastError: null },
      }),
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(asked()).toBe(before);
  });

  it("shows the agent's notes with commands as code and pages as links", async () => {
    const { client } = fakeClient({
      'yield.estimate': () => ({
        estimates: [],
        missing:
          'No benchmark yet: run one (Benchmark page, or `roost bench`) so Roost knows what this computer earns.',
      }),
      'yield.earnings': () => ({
        ...report('24h'),
        notes: [
          'No work recorded yet: Roost records the hours each GPU may work while the app or `roost serve` runs.',
          'Actual earnings show once your wallet is set up.',
        ],
      }),
      'yield.suggestPrice': () => notEnough,
    });
    render(
      <AgentProvider client={client}>
        <Earnings />
      </AgentProvider>,
    );
    const card = await screen.findByTestId('earnings');
    await within(card).findByText('Actual earnings show once your wallet is set up.');
    expect(card.textContent).not.toContain('`');
    expect([...card.querySelectorAll('code')].map((c) => c.textContent)).toEqual([
      'roost bench',
      'roost serve',
    ]);
    expect(within(card).getByRole('link', { name: 'Benchmark page' }).getAttribute('href')).toBe(
      '#/benchmark',
    );
  });
});

describe('Why no jobs', () => {
  it('shows each blocker with its fix, and applies a suggested price or registers in one click', async () => {
    const priceFix = {
      id: 'price-too-high',
      code: 'price-too-high',
      severity: 'warning',
      blocksJobs: true,
      gpuId: null,
      title: 'Price above the market',
      message: 'Your price of 0.2 rUSD per unit-hour is above what all 3 jobs … paid.',
      fix: 'Lower your price to 0.06 rUSD per unit-hour or less.',
      action: { kind: 'settings', section: 'pricing', field: 'pricePerUnitHour', suggested: 0.06 },
    };
    const register = {
      ...priceFix,
      id: 'not-registered',
      code: 'not-registered',
      severity: 'error',
      title: 'Not registered on the market',
      message: 'This machine is not registered as a provider yet.',
      fix: 'Roost registers by itself while it runs.',
      action: { kind: 'method', method: 'market.register' },
    };
    const { client, calls } = fakeClient({
      'diagnostics.whyNoJobs': () => ({
        answer: 'blocked',
        headline: 'No jobs: not registered on the market. Roost registers by itself while it runs.',
        blockers: [register, priceFix],
        warnings: [],
        checkedAt: '2025-06-04T10:00:00.000Z',
      }),
      'market.register': () => ({}),
    });
    render(
      <AgentProvider client={client}>
        <WhyNoJobs />
      </AgentProvider>,
    );
    const card = await screen.findByTestId('why-no-jobs');
    await within(card).findByText('Price above the market');
    fireEvent.click(within(card).getByRole('button', { name: 'Use 0.06' }));
    fireEvent.click(within(card).getByRole('button', { name: 'Register now' }));
    await waitFor(() =>
      expect(calls.filter((c) => c.method === 'diagnostics.whyNoJobs').length).toBeGreaterThan(2),
    );
    expect(calls.find((c) => c.method === 'settings.update')?.params).toEqual({
      pricing: { pricePerUnitHour: 0.06 },
    });
    expect(calls.some((c) => c.method === 'market.register')).toBe(true);
  });
});

describe('Why no jobs, in words', () => {
  it("shows the agent's commands as code and the pages it names as links", async () => {
    const { client } = fakeClient({
      'diagnostics.whyNoJobs': () => ({
        answer: 'blocked',
        headline:
          'No jobs: not registered on the market. To retry now, run `roost market register`.',
        blockers: [
          {
            id: 'not-registered',
            code: 'not-registered',
            severity: 'error',
            blocksJobs: true,
            gpuId: null,
            title: 'Not registered on the market',
            message:
              'There is no wallet yet: create or import one (Wallet page, or `roost wallet create`).',
            fix: 'To retry now, run `roost market register`.',
            action: null,
          },
        ],
        warnings: [],
        checkedAt: '2025-06-04T10:00:00.000Z',
      }),
    });
    render(
      <AgentProvider client={client}>
        <WhyNoJobs />
      </AgentProvider>,
    );
    const card = await screen.findByTestId('why-no-jobs');
    await within(card).findByText(/^No jobs: not registered on the market\./);
    expect(card.textContent).not.toContain('`');
    // The one reason is the headline (with its fix), then why: each command once.
    expect([...card.querySelectorAll('code')].map((c) => c.textContent)).toEqual([
      'roost market register',
      'roost wallet create',
    ]);
    expect(within(card).getByRole('link', { name: 'Wallet page' }).getAttribute('href')).toBe(
      '#/wallet',
    );
  });
});

describe('Earnings amounts', () => {
  const estimate = (over: object) =>
    methods['yield.estimate'].result.parse({
      missing: null,
      estimates: [
        {
          gpuId: 'cpu',
          token: 'rUSD',
          currency: 'EUR',
          compositeScore: 111,
          pricePerUnitHour: '0.05016208',
          grossPerHour: '5.567991',
          feePerHour: '0.000000',
          earnedPerHour: '5.567991',
          earnedPerHourInCurrency: '5.567991',
          chargedPowerW: null,
          electricityPerHour: '0.000000',
          netPerHour: '5.567991',
          hoursPerDay: 24,
          occupancy: 1,
          netPerDay: '133.631776',
          profitable: true,
          explanation: 'x',
          ...over,
        },
      ],
    });

  async function shown(value: ResultOf<'yield.estimate'>) {
    const { client } = fakeClient({
      'yield.estimate': () => value,
      'yield.earnings': (p) => report((p as { range: Report['chart']['range'] }).range),
      'yield.suggestPrice': () => notEnough,
    });
    render(
      <AgentProvider client={client}>
        <Earnings />
      </AgentProvider>,
    );
    const rate = await screen.findByTestId('earnings-rate');
    const card = screen.getByTestId('earnings');
    return { rate: rate.textContent, net: screen.getByTestId('earnings-net').textContent, card };
  }

  it('shows test tokens as what they are: no currency, gross before electricity, rounded', async () => {
    const { rate, net, card } = await shown(
      estimate({
        testNetwork: true,
        netUnit: 'rUSD',
        electricityCounted: false,
        earnedPerHourInCurrency: null,
      }),
    );
    expect(rate).toBe('5.57 rUSD per hour (test tokens, no value)');
    expect(net).toBe('5.57 rUSD/h · 134 rUSD/day (before electricity)');
    expect(within(card).getByText('Gross')).toBeTruthy();
    expect(within(card).queryByText('Net')).toBeNull();
    expect(card.textContent).not.toMatch(/EUR/);
    expect(card.textContent).toContain('not measured on a CPU, so not counted');
  });

  it('says net, in the currency, only once electricity is taken off', async () => {
    const { rate, net, card } = await shown(
      estimate({
        gpuId: 'gpu0',
        testNetwork: false,
        netUnit: 'EUR',
        electricityCounted: true,
        earnedPerHourInCurrency: '5.1225517',
        chargedPowerW: 250,
        electricityPerHour: '0.0625',
        netPerHour: '5.0600517',
        netPerDay: '121.4412408',
      }),
    );
    expect(rate).toBe('5.57 rUSD per hour (5.12 EUR)');
    expect(net).toBe('5.06 EUR/h · 121 EUR/day');
    expect(within(card).getByText('Net')).toBeTruthy();
    expect(card.textContent).toContain('0.0625 EUR per hour (250 W)');
  });

  it("says once, so it is seen, that nobody decided what an unknown chain's tokens are worth", async () => {
    const note =
      'Chain 424242 is not a network Roost knows, so its tokens are counted as money at your token value (1 EUR each) and electricity is taken from them. If they have no value, say so in Settings → Network (Tokens on this network), or with roost settings set network.tokens test.';
    const { client } = fakeClient({
      'yield.estimate': () => ({ ...estimate({}), notes: [note] }),
      'yield.earnings': () => ({ ...report('24h'), notes: [note] }),
      'yield.suggestPrice': () => notEnough,
    });
    render(
      <AgentProvider client={client}>
        <Earnings />
      </AgentProvider>,
    );
    await screen.findByTestId('earnings-totals');
    const shownNotes = screen.getAllByText(note);
    expect(shownNotes).toHaveLength(1);
    expect(shownNotes[0]?.className).toBe('note-warn');
  });
});

describe('PriceSuggestion with practice on', () => {
  it("says practice jobs don't count, where the Jobs page shows them coming", async () => {
    const settings = structuredClone(defaultSettings);
    settings.market = { ...settings.market, enabled: true, practice: true };
    const { client } = fakeAgentClient((method) =>
      method === 'settings.get'
        ? ok(settings)
        : method === 'yield.suggestPrice'
          ? ok({
              price: null,
              count: 0,
              since: '2026-11-19T00:00:00.000Z',
              low: null,
              median: null,
              high: null,
              reason:
                'Not enough jobs seen yet: 0 jobs a GPU scoring 143 qualifies for posted in the last 7 days (at least 3 are needed for a suggestion).',
              currentPrice: '0.05',
              token: 'rUSD',
              score: 143,
            })
          : unavailable(),
    );
    render(
      <AgentProvider client={client}>
        <PriceSuggestion />
      </AgentProvider>,
    );
    await waitFor(() =>
      expect(screen.getByTestId('price-suggestion').textContent).toBe(
        "No suggested price yet: not enough jobs seen yet (0 jobs in the last 7 days). Practice jobs don't count: their pay is Roost's own.",
      ),
    );
  });
});
