import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { BenchmarkPage } from './BenchmarkPage.tsx';
import { defaultSettings, type ResultOf } from '../../../agent/api/contract.ts';
import type { ApiClient } from '../api/transport.ts';
import { historyEntry } from '../../../agent/bench/testing/history.ts';
import { fakeAgentClient, ok } from '../testing/fake-client.ts';

afterEach(cleanup);

type Entry = ResultOf<'bench.history'>['reports'][number];
const entry = historyEntry;

function fakeClient(reports: Entry[]): ApiClient {
  return fakeAgentClient((method) => {
    if (method === 'bench.history') return ok({ reports });
    if (method === 'bench.targets') return ok({ targets: [] });
    if (method === 'settings.get') return ok(defaultSettings);
    return { ok: false, error: { code: 'REPORT_NOT_FOUND', message: 'no' } };
  }).client;
}

describe('the Benchmark page history', () => {
  it('marks a report of an earlier benchmark version as not comparable', async () => {
    render(
      <AgentProvider
        client={fakeClient([
          entry({}),
          entry({
            id: '0c7d5a3e-1f2b-4c6d-8e9f-a0b1c2d3e4f5',
            startedAt: '2026-01-01T12:00:00.000Z',
            suiteId: 'roost-std/1',
            current: false,
            composite: 114.9,
          }),
        ])}
      >
        <BenchmarkPage />
      </AgentProvider>,
    );
    const rows = within(await screen.findByTestId('bench-history')).getAllByRole('row');
    expect(rows).toHaveLength(3); // the header and two reports
    expect(rows[1]!.textContent).toMatch(/147 RCS/);
    expect(rows[1]!.textContent).not.toMatch(/earlier version/);
    expect(rows[2]!.textContent).toMatch(
      /115 RCS · roost-std\/1, an earlier version: does not compare/,
    );
  });
});
