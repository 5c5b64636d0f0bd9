import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { AgentProvider, useAgent } from './AgentContext.tsx';
import type { AgentEvent } from '../../agent/api/contract.ts';
import { fakeAgentClient, unavailable } from './testing/fake-client.ts';

afterEach(cleanup);

function fakeClient() {
  return fakeAgentClient(() => unavailable());
}

function LogLines() {
  const { log } = useAgent();
  return (
    <ol>
      {log.map((l, i) => (
        <li key={i}>{`${l.level} ${l.message}`}</li>
      ))}
    </ol>
  );
}

const line = (level: 'debug' | 'info' | 'warn', message: string): AgentEvent =>
  ({
    event: 'agent.log',
    payload: { level, subsystem: 'hardware', message, at: '2026-11-25T22:24:16.650Z' },
  }) as AgentEvent;

describe('the agent log kept for the Dashboard', () => {
  it('keeps info and above, and leaves debug lines (unchanged polled states) to the log file', () => {
    const { client, emit } = fakeClient();
    render(
      <AgentProvider client={client}>
        <LogLines />
      </AgentProvider>,
    );
    emit(line('info', 'no GPU found'));
    emit(line('debug', 'no GPU found'));
    emit(line('debug', 'accelerators (cached …): cpu=ok'));
    emit(line('warn', 'nvidia-smi: failed'));
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'info no GPU found',
      'warn nvidia-smi: failed',
    ]);
  });
});

describe('the Activity of a page opened later', () => {
  it('starts with what the agent logged before, then what comes, each line once', async () => {
    const at = (s: number) => `2026-11-26T08:00:0${s}.000Z`;
    const before = [
      { level: 'info', subsystem: 'market', message: 'market: ready', at: at(1) },
      { level: 'warn', subsystem: 'hardware', message: 'nvidia-smi: failed', at: at(2) },
    ];
    let answer: (value: unknown) => void = () => undefined;
    const { client, emit } = fakeAgentClient((method) =>
      method === 'agent.activity' ? new Promise((resolve) => (answer = resolve)) : unavailable(),
    );
    render(
      <AgentProvider client={client}>
        <LogLines />
      </AgentProvider>,
    );
    // An event arrives before the agent's answer; the answer holds it too.
    emit({
      event: 'agent.log',
      payload: { level: 'warn', subsystem: 'hardware', message: 'nvidia-smi: failed', at: at(2) },
    } as AgentEvent);
    answer({ ok: true, value: { entries: before } });
    await screen.findByText('info market: ready');
    emit(line('info', 'market: registered'));
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'info market: ready',
      'warn nvidia-smi: failed',
      'info market: registered',
    ]);
  });
});
