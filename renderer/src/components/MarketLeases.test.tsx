import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { MarketLeases } from './MarketLeases.tsx';
import { defaultSettings, type ResultOf, type Settings } from '../../../agent/api/contract.ts';
import type { AgentEvent } from '../../../agent/api/contract.ts';
import { leaseRecord } from '../../../agent/market/testing/lease-record.ts';
import { marketStatus } from '../../../agent/market/testing/market-status.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';

afterEach(cleanup);

const ADDRESS = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

const settings: Settings = {
  ...structuredClone(defaultSettings),
  pricing: { ...defaultSettings.pricing, tokenValueInCurrency: 0.5, currency: 'EUR' },
  network: {
    name: 'custom',
    rpcUrl: 'http://10.0.0.5:8545',
    marketAddress: ADDRESS,
    tokens: 'unknown',
  },
};

/** Ready on a chain Roost does not know, as a lab's own chain. */
const status = (network: Parameters<typeof marketStatus>[1]) =>
  marketStatus({ provider: null }, { name: 'custom', chainId: 424242, ...network });

/** An agent whose market status is `current()`, read again on each call. */
function agent(current: () => ResultOf<'market.status'>) {
  return fakeAgentClient((method) => {
    if (method === 'settings.get') return ok(settings);
    if (method === 'market.status') return ok(current());
    if (method === 'market.jobs') return ok({ leases: [], token: { symbol: 'RST', decimals: 6 } });
    return unavailable();
  });
}

describe('MarketLeases: the network line', () => {
  it("says what the chain's tokens are worth, and follows a settings change", async () => {
    let now = status({ test: false, tokensDecidedBy: 'default' });
    const { client, emit } = agent(() => now);
    render(
      <AgentProvider client={client}>
        <MarketLeases />
      </AgentProvider>,
    );
    const line = await screen.findByTestId('market-network');
    await waitFor(() =>
      expect(line.textContent).toBe(
        'Custom network · chain 424242 — not a known network; tokens counted as money at your token value (0.5 EUR each); if they have no value, change it in Settings → Network',
      ),
    );
    // The user says they are test money: the agent announces the change, the card reads again.
    now = status({ test: true, tokensDecidedBy: 'setting' });
    emit({
      event: 'settings.changed',
      payload: { ...settings, network: { ...settings.network, tokens: 'test' } },
    } as AgentEvent);
    await waitFor(() =>
      expect(screen.getByTestId('market-network').textContent).toBe(
        'Custom network · chain 424242; its tokens are test money with no value (your choice in Settings → Network)',
      ),
    );
  });
});

describe('MarketLeases: the built-in network', () => {
  it('says it once, by what it is, not by its setting id', async () => {
    const { client } = fakeAgentClient((method) => {
      if (method === 'settings.get') return ok(structuredClone(defaultSettings));
      if (method === 'market.status') return ok(marketStatus());
      if (method === 'market.jobs') return ok({ leases: [], token: null });
      return unavailable();
    });
    render(
      <AgentProvider client={client}>
        <MarketLeases />
      </AgentProvider>,
    );
    await waitFor(() =>
      expect(screen.getByTestId('market-network').textContent).toBe(
        'The built-in test network; its tokens are test money with no value',
      ),
    );
  });
});

describe('MarketLeases: the provider facts', () => {
  /** The panel for a market status with no jobs seen. */
  const showFacts = (status: ReturnType<typeof marketStatus>) => {
    const { client } = fakeAgentClient((method) =>
      method === 'market.status'
        ? ok(status)
        : method === 'market.jobs'
          ? ok({ leases: [], token: { symbol: 'rUSD', decimals: 6 } })
          : unavailable(),
    );
    render(
      <AgentProvider client={client}>
        <MarketLeases />
      </AgentProvider>,
    );
  };

  it('names the address as the Wallet page does, and says no locked part while no job holds any', async () => {
    showFacts(marketStatus());
    const facts = (await screen.findByTestId('market-status')).querySelector('dl')!;
    const stake = [...facts.querySelectorAll('dt')].find((dt) => dt.textContent === 'Stake');
    expect(stake?.nextElementSibling?.textContent).toBe('100 rUSD');
    // The address by the Wallet page's word for it, not the market's ("Provider").
    expect(facts.querySelector('dt')?.textContent).toBe('Address');
  });

  it('says the locked part of the stake with its unit', async () => {
    const status = marketStatus({
      provider: { ...marketStatus().provider!, locked: { amount: '0.953333', symbol: 'rUSD' } },
    });
    showFacts(status);
    expect((await screen.findByTestId('market-status')).textContent).toContain(
      '100 rUSD (0.953333 rUSD locked by jobs in progress)',
    );
  });
});

describe('MarketLeases: market jobs turned off', () => {
  it('says where they are turned on, and turns them on in one click', async () => {
    const updates: unknown[] = [];
    const off = marketStatus({ state: 'off', problem: null, provider: null });
    const { client } = fakeAgentClient((method, params) => {
      if (method === 'market.status') return ok(off);
      if (method === 'market.jobs') return ok({ leases: [], token: null });
      if (method === 'settings.update') {
        updates.push(params);
        return ok(defaultSettings);
      }
      return unavailable();
    });
    render(
      <AgentProvider client={client}>
        <MarketLeases />
      </AgentProvider>,
    );
    const note = await screen.findByTestId('market-off');
    expect(note.textContent).toBe(
      'Roost takes no market jobs while "Take market jobs" is off (Settings → Market). Turn it on',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Turn it on' }));
    await waitFor(() => expect(updates).toEqual([{ market: { enabled: true } }]));
  });
});

describe('MarketLeases: why', () => {
  it('says each lease reason as a sentence, with commands as code', async () => {
    const lease = leaseRecord(Date.parse('2026-11-26T10:00:00Z'), {
      jobId: '7',
      state: 'skipped',
      reason:
        'the reward is below your price: lower it with `roost settings set pricing.pricePerUnitHour 1`',
    });
    const { client } = fakeAgentClient((method) =>
      method === 'market.status'
        ? ok(marketStatus())
        : method === 'market.jobs'
          ? ok({ leases: [lease], token: { symbol: 'rUSD', decimals: 6 } })
          : unavailable(),
    );
    render(
      <AgentProvider client={client}>
        <MarketLeases />
      </AgentProvider>,
    );
    const cell = await waitFor(() => {
      const row = screen.getByTestId('market-leases').querySelector('tr.lease-skipped');
      expect(row).not.toBeNull();
      return row!.lastElementChild!;
    });
    expect(cell.textContent).toBe(
      'The reward is below your price: lower it with roost settings set pricing.pricePerUnitHour 1.',
    );
    expect(cell.querySelector('code')?.textContent).toBe(
      'roost settings set pricing.pricePerUnitHour 1',
    );
  });
});
