import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { SettingsPage } from './SettingsPage.tsx';
import { defaultSettings, type Settings } from '../../../agent/api/contract.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';

afterEach(cleanup);

function fakeClient(answer?: (patch: unknown) => unknown) {
  const updates: unknown[] = [];
  let settings: Settings = structuredClone(defaultSettings);
  const { client } = fakeAgentClient((method, params) => {
    if (method === 'settings.get') return ok(settings);
    if (method === 'settings.update') {
      updates.push(params);
      const custom = answer?.(params);
      if (custom) return custom;
      const patch = params as Record<string, object>;
      settings = Object.fromEntries(
        Object.entries(settings).map(([section, values]) => [
          section,
          { ...values, ...patch[section] },
        ]),
      ) as Settings;
      return ok(settings);
    }
    if (method === 'yield.suggestPrice')
      return ok({
        price: '0.108108',
        count: 4,
        reason: '',
        currentPrice: '0.05',
        token: 'rUSD',
        score: 111,
      });
    return unavailable();
  });
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
    const saved = await screen.findByText('Settings saved.');
    expect(updates).toEqual([{ work: { idleMinutes: 30 } }]);
    // Said in the sticky bar beside Save, so a field far down the page is saved in view.
    expect(
      saved.closest('.actions')?.contains(screen.getByRole('button', { name: 'Save settings' })),
    ).toBe(true);
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
    // A decimal comma, as many currencies write it: say the fix, not only that it's wrong.
    fireEvent.change(screen.getByLabelText('Price per unit-hour'), { target: { value: '0,07' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByText('Use a dot for decimals: 0.07.');
    expect(updates).toEqual([]);
  });

  it('takes the user to the first invalid field on a refused save: in view, with the cursor in it', async () => {
    const { client, updates } = fakeClient();
    const scrolled: Element[] = [];
    const scroll = vi.spyOn(Element.prototype, 'scrollIntoView').mockImplementation(function (
      this: Element,
    ) {
      scrolled.push(this);
    });
    try {
      render(
        <AgentProvider client={client}>
          <SettingsPage />
        </AgentProvider>,
      );
      // Two bad values; the port, far down the page, and the temperature ceiling above it.
      const port = await screen.findByLabelText('Port');
      fireEvent.change(port, { target: { value: '99999' } });
      const ceiling = screen.getByLabelText('Temperature ceiling (°C)');
      fireEvent.change(ceiling, { target: { value: 'hot' } });
      const save = screen.getByRole('button', { name: 'Save settings' });
      save.focus();
      fireEvent.click(save);
      await screen.findByText('At most 65535.');
      // The first in the page's order, whole: its label, input, help and error.
      await waitFor(() => expect(document.activeElement).toBe(ceiling));
      expect(scrolled).toEqual([ceiling.closest('.field')]);
      expect(scroll).toHaveBeenCalledWith({ block: 'nearest' });
      expect(ceiling.closest('form')?.className).toBe('settings-form');

      // Fixed, the next refusal goes to the port.
      fireEvent.change(ceiling, { target: { value: '80' } });
      save.focus();
      fireEvent.click(save);
      await waitFor(() => expect(document.activeElement).toBe(port));
      expect(scrolled.at(-1)).toBe(port.closest('.field'));
      expect(updates).toEqual([]);
    } finally {
      scroll.mockRestore();
    }
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

  it('offers the accelerators to never use as boxes to tick, by their names', async () => {
    const { client, updates } = fakeClient();
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    const group = await screen.findByRole('group', { name: 'Never use' });
    const boxes = within(group).getAllByRole('checkbox');
    expect(boxes.map((b) => b.parentElement?.textContent)).toEqual([
      'CPU',
      'WebGPU',
      'CUDA',
      'TensorRT',
      'DirectML',
      'Core ML',
    ]);
    fireEvent.click(within(group).getByLabelText('TensorRT'));
    fireEvent.click(within(group).getByLabelText('CUDA'));
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() =>
      expect(updates).toEqual([{ accelerators: { disabled: ['cuda', 'tensorrt'] } }]),
    );
    expect((within(group).getByLabelText('CUDA') as HTMLInputElement).checked).toBe(true);
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
    // What a unit-hour is, where the price is set.
    expect(help?.textContent).toBe(
      "Your price per unit-hour, in the market's token: a job pays your price × your benchmark score × the hours it holds this machine.",
    );
    const text = document.body.textContent ?? '';
    expect(text).not.toMatch(/null:|false:|\(true|\(false/);
    expect(
      screen
        .getByLabelText('Withdraw automatically above (tokens)')
        .getAttribute('aria-describedby'),
    ).toBeTruthy();
    expect(text).toContain('empty: only when you withdraw yourself');
    expect(text).toContain('Untick to show the first-run setup on the Dashboard again');
  });

  it('names the built-in network as its list does, with no developer or finance words', async () => {
    const { client } = fakeClient();
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    await screen.findByLabelText('Network');
    const text = document.body.textContent ?? '';
    expect(text).not.toMatch(/devnet|net yield/i);
    expect(text).toContain('Built-in practice network (local)');
    expect(text).toContain('On the built-in practice network, post sample jobs now and then');
    // A label that says what it does: not "to the wallet above", as if a wallet were shown above.
    expect(screen.getByLabelText('Withdraw automatically above (tokens)')).toBeTruthy();
  });

  it('puts the data folder on a line of its own, so a long path does not break mid-word', async () => {
    const { client } = fakeClient();
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    const folder = await screen.findByTestId('data-folder');
    expect(folder.tagName).toBe('P');
    expect(folder.previousElementSibling?.textContent).toMatch(/live in this folder:$/);
  });

  it('shows the port the dashboard runs on beside the setting, and help with commands as code', async () => {
    let server = { port: 7899, portFrom: 'flag' };
    const { client } = fakeAgentClient((method) => {
      if (method === 'settings.get') return ok(defaultSettings);
      if (method === 'agent.status')
        return ok({
          state: 'running',
          host: 'serve',
          startedAt: '2026-11-26T08:00:00.000Z',
          uptimeSeconds: 5,
          dataDir: '/data',
          server,
          warnings: [],
        });
      return unavailable();
    });
    const { unmount } = render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    const port = (await screen.findByLabelText('Port')) as HTMLInputElement;
    expect(port.value).toBe('7787');
    const now = await screen.findByTestId('server-port-now');
    expect(now.textContent).toBe(
      'Now on 7899 (set by --port; this setting applies when roost serve starts without --port).',
    );
    expect(port.getAttribute('aria-describedby')?.split(' ')).toContain(now.id);
    const help = document.getElementById(`${port.id}-help`);
    expect(help?.textContent).toBe('Port of roost serve on 127.0.0.1.');
    expect(help?.querySelector('code')?.textContent).toBe('roost serve');
    expect(document.body.textContent).not.toContain('`');
    unmount();

    // Started on the setting, which has changed since: the new port waits for a restart.
    server = { port: 7790, portFrom: 'setting' };
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    expect((await screen.findByTestId('server-port-now')).textContent).toBe(
      'Now on 7790; 7787 applies when roost serve starts again.',
    );
  });

  it("asks what a custom network's tokens are worth, and marks a chain nobody decided on", async () => {
    const updates: unknown[] = [];
    let settings: Settings = {
      ...structuredClone(defaultSettings),
      network: {
        name: 'custom',
        rpcUrl: 'http://10.0.0.5:8545',
        marketAddress: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
        tokens: 'unknown',
      },
    };
    // What the agent says of the chain follows the saved choice, as the real rule does.
    const network = () => ({
      name: 'custom',
      chainId: 424242,
      rpcUrl: 'http://10.0.0.5:8545',
      marketAddress: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      tokenAddress: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
      test: settings.network.tokens === 'test',
      tokensDecidedBy: settings.network.tokens === 'unknown' ? 'default' : 'setting',
    });
    const { client } = fakeAgentClient((method, params) => {
      if (method === 'settings.get') return ok(settings);
      if (method === 'wallet.network') return ok(network());
      if (method === 'settings.update') {
        updates.push(params);
        const patch = params as { network: object };
        settings = { ...settings, network: { ...settings.network, ...patch.network } };
        return ok(settings);
      }
      return unavailable();
    });
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    const now = await screen.findByTestId('network-now');
    expect(now.textContent).toBe(
      'Now: custom network · chain 424242 — not a known network; tokens counted as money at your token value (1 EUR each); if they have no value, change it in Settings → Network',
    );
    expect(screen.getByTestId('network-tokens').className).toBe('note-warn');

    const tokens = screen.getByLabelText('Tokens on this network') as HTMLSelectElement;
    expect(tokens.disabled).toBe(false);
    expect([...tokens.options].map((o) => o.textContent)).toEqual([
      'Not said (counted as real money)',
      'Test money, no value',
      'Real money, worth my token value',
    ]);
    const help = document.getElementById(tokens.getAttribute('aria-describedby') ?? '');
    expect(help?.textContent).toMatch(
      /known test chains \(Sepolia, Hardhat, …\) are always test money/,
    );

    fireEvent.change(tokens, { target: { value: 'test' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByText('Settings saved.');
    expect(updates).toEqual([{ network: { tokens: 'test' } }]);
    await waitFor(() =>
      expect(screen.getByTestId('network-now').textContent).toBe(
        'Now: custom network · chain 424242; its tokens are test money with no value (your choice in Settings → Network)',
      ),
    );
    expect(screen.getByTestId('network-tokens').className).toBe('');

    // The built-in network's tokens are test money whatever the choice: nothing to choose.
    fireEvent.change(screen.getByLabelText('Network'), { target: { value: 'local' } });
    expect((screen.getByLabelText('Tokens on this network') as HTMLSelectElement).disabled).toBe(
      true,
    );
  });
});

describe('Settings → Notifications', () => {
  function notifyClient(answer: (url: string) => unknown) {
    const tests: unknown[] = [];
    const updates: unknown[] = [];
    const { client } = fakeAgentClient((method, params) => {
      if (method === 'settings.get') return ok(structuredClone(defaultSettings));
      if (method === 'settings.update') {
        updates.push(params);
        return ok(structuredClone(defaultSettings));
      }
      if (method === 'notifications.test') {
        tests.push(params);
        return answer((params as { webhookUrl: string }).webhookUrl);
      }
      return unavailable();
    });
    return { client, tests, updates };
  }
  const DISCORD = 'https://discord.com/api/webhooks/123/abc';

  it('sends a test to the URL typed, before it is saved, and says what the webhook answered', async () => {
    const { client, tests } = notifyClient(() => ok({ ok: true, status: 204 }));
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    const url = await screen.findByLabelText('Webhook URL');
    expect(url.getAttribute('type')).toBe('url');
    expect(screen.getByText(/Discord, Slack or any service that takes a JSON POST/)).toBeTruthy();
    // Every kind is ticked by default.
    const kinds = screen.getByRole('group', { name: 'What to send' });
    expect(
      within(kinds)
        .getAllByRole('checkbox')
        .every((c) => (c as HTMLInputElement).checked),
    ).toBe(true);
    fireEvent.change(url, { target: { value: DISCORD } });
    fireEvent.click(screen.getByRole('button', { name: 'Send a test' }));
    const result = await screen.findByTestId('webhook-test-result');
    expect(result.textContent).toBe(
      'Sent: the webhook answered 204. Look for “Roost: Test notification” where it posts.',
    );
    expect(tests).toEqual([{ webhookUrl: DISCORD }]);
  });

  it('chooses which notices are shown, apart from what the webhook is sent', async () => {
    const { client, updates } = notifyClient(() => ok({ ok: true, status: 204 }));
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    const shown = await screen.findByRole('group', { name: 'Show as notifications' });
    const boxes = within(shown).getAllByRole('checkbox') as HTMLInputElement[];
    expect(boxes.map((b) => [b.checked, b.closest('label')?.textContent])).toEqual([
      [true, 'A private or posted job finished'],
      [true, 'A private job failed, or a posted one not accepted'],
      [true, 'A payment received'],
      [true, 'A benchmark finished'],
      [
        true,
        'Roost needs you (the wallet locked while market jobs wait, a GPU too hot, a dispute for you to rule on, or a posted job no longer watched)',
      ],
    ]);
    fireEvent.click(
      within(shown).getByRole('checkbox', { name: 'A private or posted job finished' }),
    );
    fireEvent.click(within(shown).getByRole('checkbox', { name: 'A benchmark finished' }));
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() =>
      expect(updates).toEqual([
        { notifications: { shown: ['job-failed', 'payment', 'needs-you'] } },
      ]),
    );
  });

  it('says why a test did not arrive', async () => {
    const { client } = notifyClient(() => ({
      ok: false,
      error: {
        code: 'NOTIFY_FAILED',
        message:
          'The notification webhook answered 404: there is no webhook at that URL (was it deleted?); check the URL in Settings → Notifications.',
      },
    }));
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    fireEvent.change(await screen.findByLabelText('Webhook URL'), { target: { value: DISCORD } });
    fireEvent.click(screen.getByRole('button', { name: 'Send a test' }));
    const result = await screen.findByTestId('webhook-test-result');
    expect(result.getAttribute('role')).toBe('alert');
    expect(result.textContent).toMatch(
      /^The test notification did not arrive\. The notification webhook answered 404/,
    );
  });

  it('an invalid URL shows the field error, for a test and for Save, and nothing is sent', async () => {
    const { client, tests, updates } = notifyClient(() => ok({ ok: true, status: 200 }));
    render(
      <AgentProvider client={client}>
        <SettingsPage />
      </AgentProvider>,
    );
    const url = await screen.findByLabelText('Webhook URL');
    fireEvent.change(url, { target: { value: 'http://hooks.example.com/abc' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send a test' }));
    const error = await screen.findByText(/^Must start with https:\/\/ \(plain http:\/\/ only/);
    expect(url.getAttribute('aria-describedby')).toContain(error.id);
    fireEvent.change(url, { target: { value: 'discord webhook' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByText('Must be a full URL that starts with https://.');
    expect(tests).toEqual([]);
    expect(updates).toEqual([]);
    // A server on the local network may take plain http (self-hosted ntfy, Gotify).
    fireEvent.change(url, { target: { value: 'http://192.168.1.20:8080/message?token=x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByText('Settings saved.');
    expect(updates).toEqual([
      { notifications: { webhookUrl: 'http://192.168.1.20:8080/message?token=x' } },
    ]);
  });
});
