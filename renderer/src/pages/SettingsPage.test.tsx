import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { SettingsPage } from './SettingsPage.tsx';
import { defaultSettings, type Settings } from '../../../agent/api/contract.ts';
import type { ApiClient } from '../api/transport.ts';

afterEach(cleanup);

function fakeClient(answer?: (patch: unknown) => unknown) {
  const updates: unknown[] = [];
  let settings: Settings = structuredClone(defaultSettings);
  const client = {
    call: async (method: string, params?: unknown) => {
      if (method === 'settings.get') return { ok: true, value: settings };
      if (method === 'settings.update') {
        updates.push(params);
        const custom = answer?.(params);
        if (custom) return custom;
        settings = {
          ...settings,
          work: { ...settings.work, ...(params as { work?: object }).work },
        };
        return { ok: true, value: settings };
      }
      if (method === 'yield.suggestPrice')
        return {
          ok: true,
          value: {
            price: '0.108108',
            count: 4,
            reason: '',
            currentPrice: '0.05',
            token: 'rUSD',
            score: 111,
          },
        };
      return { ok: false, error: { code: 'UNAVAILABLE', message: 'no' } };
    },
    listen: (_e: unknown, onState: (s: string) => void) => {
      onState('open');
      return () => undefined;
    },
  } as unknown as ApiClient;
  return { client, updates };
}

describe('SettingsPage', () => {
  it('sends only the fields changed, and says it saved', async () => {
    const { client, updates } = fakeClient();
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    const idle = await screen.findByLabelText('Idle minutes');
    fireEvent.change(idle, { target: { value: '30' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByText('Settings saved.');
    expect(updates).toEqual([{ work: { idleMinutes: 30 } }]);
  });

  it('refuses an invalid value in the form and sends nothing', async () => {
    const { client, updates } = fakeClient();
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    fireEvent.change(await screen.findByLabelText('Temperature ceiling (°C)'), {
      target: { value: 'hot' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByText('Enter a number.');
    expect(screen.getByRole('alert').textContent).toContain('nothing was saved');
    expect(updates).toEqual([]);
  });

  it("shows the agent's refusal in words", async () => {
    const { client } = fakeClient(() => ({
      ok: false,
      error: {
        code: 'SETTINGS_INVALID',
        message: 'network.rpcUrl is needed when network.name is custom.',
      },
    }));
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    fireEvent.change(await screen.findByLabelText('Network'), { target: { value: 'custom' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toContain('network.rpcUrl is needed'),
    );
    expect(screen.getByRole('alert').textContent).toContain('Nothing was saved.');
  });

  it('says in words which accelerator is unknown, with no raw validation text', async () => {
    const { client, updates } = fakeClient();
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    fireEvent.change(await screen.findByLabelText('Never use'), {
      target: { value: 'gpu, cuda' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByText('"gpu" is not one of: cpu, webgpu, cuda, tensorrt, dml, coreml.');
    expect(document.body.textContent).not.toContain('Invalid option');
    expect(updates).toEqual([]);
  });

  it('explains fields in words, not raw values, and stacks the suggested price under its help', async () => {
    const { client } = fakeClient();
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    const price = await screen.findByLabelText('Price per unit-hour');
    const suggestion = await screen.findByTestId('price-suggestion');
    const help = document.getElementById(price.getAttribute('aria-describedby') ?? '');
    // Both in one grid cell: two elements placed in the same cell would be drawn over each other.
    expect(help?.parentElement).toBe(suggestion.parentElement);
    expect(help?.parentElement?.className).toBe('help');
    const text = document.body.textContent ?? '';
    expect(text).not.toMatch(/null:|false:|\(true|\(false/);
    expect(
      screen
        .getByLabelText('Withdraw to the wallet above (tokens)')
        .getAttribute('aria-describedby'),
    ).toBeTruthy();
    expect(text).toContain('empty: only when you withdraw yourself');
    expect(text).toContain('Untick to show the first-run setup on the Dashboard again');
  });
});
