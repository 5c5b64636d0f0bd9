import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { DashboardPage } from './DashboardPage.tsx';
import { SetupProvider } from '../components/SetupContext.tsx';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';

afterEach(cleanup);

/** The Dashboard of an agent whose Activity is `entries` (nothing else answers). */
function renderWithActivity(entries: object[]) {
  const { client } = fakeAgentClient((method) =>
    method === 'agent.activity' ? ok({ entries }) : unavailable(),
  );
  render(
    <AgentProvider client={client}>
      <SetupProvider route="dashboard">
        <DashboardPage />
      </SetupProvider>
    </AgentProvider>,
  );
}

describe('DashboardPage: Activity', () => {
  it('shows the latest 12 lines, newest first, and all of them on request', async () => {
    const entries = Array.from({ length: 15 }, (_, i) => ({
      level: 'info',
      subsystem: 'jobs',
      message: `line ${i + 1}`,
      at: new Date(Date.UTC(2026, 10, 26, 9, 0, i)).toISOString(),
    }));
    renderWithActivity(entries);
    const list = await screen.findByTestId('activity');
    const shown = () =>
      within(screen.getByTestId('activity'))
        .getAllByRole('listitem')
        .map((li) => li.textContent?.replace(/^.*jobs/, ''));
    expect(list).toBeTruthy();
    expect(shown()).toEqual(
      entries
        .slice(-12)
        .reverse()
        .map((e) => e.message),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Show all 15' }));
    expect(shown()).toHaveLength(15);
    expect(shown()[14]).toBe('line 1');
    fireEvent.click(screen.getByRole('button', { name: 'Show the latest 12' }));
    expect(shown()).toHaveLength(12);
  });

  it('shows a command in a line as code, and the line as the agent wrote it', async () => {
    const entries = [
      {
        level: 'info',
        subsystem: 'hardware',
        message:
          'CUDA (device 0) does not work: CUDA provider libraries are not installed: run `roost gpu install-cuda` (checked in 122 ms)',
        at: new Date(Date.UTC(2026, 10, 26, 9, 0, 0)).toISOString(),
      },
    ];
    renderWithActivity(entries);
    const item = within(await screen.findByTestId('activity')).getByRole('listitem');
    expect(item.querySelector('code')?.textContent).toBe('roost gpu install-cuda');
    expect(item.textContent).toMatch(
      /hardwareCUDA \(device 0\) does not work: .* \(checked in 122 ms\)$/,
    );
  });
});
