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
