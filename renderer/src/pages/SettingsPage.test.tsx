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
});
