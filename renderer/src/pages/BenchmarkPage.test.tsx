import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { BenchmarkPage } from './BenchmarkPage.tsx';
import { defaultSettings, type ResultOf } from '../../../agent/api/contract.ts';
import type { ApiClient } from '../api/transport.ts';
import { historyEntry } from '../../../agent/bench/testing/history.ts';
import { fakeAgentClient, ok } from '../testing/fake-client.ts';
import { addAppStyles } from '../testing/styles.ts';

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

type Signed = ResultOf<'bench.get'>;

/** A report with what the Results card reads: two workloads and two warnings. */
function signedReport(normalized: [number, number]): Signed {
  const workload = (id: string, title: string, value: number, relative: number) => ({
    id,
    title,
    status: 'ok',
    value,
    unit: 'TFLOP/s',
    normalized: relative,
    timing: { cv: 0.518 },
  });
  return {
    report: {
      id: '3b1f6f0e-8d8a-4c1e-9a57-0d6f2b4c9a11',
      startedAt: '2026-11-26T08:12:47.000Z',
      complete: true,
      suite: { id: 'roost-std/4' },
      target: { ep: 'cpu' },
      composite: { value: 144, unit: 'RCS', missing: [] },
      workloads: [
        workload('gemm-fp32', 'Matrix multiply, FP32', 0.187, normalized[0]),
        workload('decode', 'Small-batch decode', 1255, normalized[1]),
      ],
      warnings: [
        {
          code: 'high-variation',
          severity: 'warning',
          message: 'Run times varied by more than ±5.0 % around their average in 1 workload.',
          fix: 'Close other programs (games, miners, browsers playing video) and run the standard or precise preset.',
        },
        { code: 'no-telemetry', severity: 'info', message: 'No GPU telemetry was recorded.' },
      ],
    },
  } as unknown as Signed;
}

function resultsClient(signed: Signed): ApiClient {
  return fakeAgentClient((method) => {
    if (method === 'bench.history') return ok({ reports: [entry({})] });
    if (method === 'bench.get') return ok(signed);
    if (method === 'bench.targets') return ok({ targets: [] });
    return { ok: false, error: { code: 'REPORT_NOT_FOUND', message: 'no' } };
  }).client;
}

describe('the Benchmark page results', () => {
  it("gives each bar its value against the reference, as the report does, and the scale's end", async () => {
    render(
      <AgentProvider client={resultsClient(signedReport([0.0187, 0.628]))}>
        <BenchmarkPage />
      </AgentProvider>,
    );
    const results = await screen.findByTestId('bench-results');
    const rows = within(results).getAllByRole('row');
    expect(rows[0]!.textContent).toContain('Relative to the reference machine');
    expect(rows[1]!.lastElementChild?.textContent?.trim()).toBe('0.0187×');
    expect(rows[2]!.lastElementChild?.textContent?.trim()).toBe('0.628×');
    // The bar and its figure stay on one line: the figure wrapped under the bar at 1024 px.
    expect(rows[1]!.lastElementChild?.className).toBe('nowrap');
    expect(screen.getByTestId('bench-scale').textContent).toBe(
      'A full bar is the reference machine (1×).',
    );
  });

  it('says what RCS is next to the composite', async () => {
    render(
      <AgentProvider client={resultsClient(signedReport([0.5, 2.5]))}>
        <BenchmarkPage />
      </AgentProvider>,
    );
    expect((await screen.findByTestId('bench-unit')).textContent).toMatch(
      /^RCS is the Roost compute score: the suite's reference machine scores 1000/,
    );
  });

  it('keeps each label of the run form beside its list when the row wraps', async () => {
    render(
      <AgentProvider client={resultsClient(signedReport([0.5, 2.5]))}>
        <BenchmarkPage />
      </AgentProvider>,
    );
    for (const name of ['Accelerator', 'Preset']) {
      const select = await screen.findByLabelText(name);
      expect(select.parentElement?.className).toBe('field-pair');
      expect(select.previousElementSibling?.textContent).toBe(name);
    }
  });

  it('marks the reference in each bar when a result beats it', async () => {
    render(
      <AgentProvider client={resultsClient(signedReport([0.5, 2.5]))}>
        <BenchmarkPage />
      </AgentProvider>,
    );
    const results = await screen.findByTestId('bench-results');
    const bars = results.querySelectorAll('svg');
    // 160 px is 2.5×: the best result fills the bar, 1× is at 64 px, 0.5× ends at 32 px.
    expect([...bars].map((b) => b.querySelectorAll('rect')[1]?.getAttribute('width'))).toEqual([
      '32',
      '160',
    ]);
    expect(bars[0]!.querySelectorAll('rect')[2]?.getAttribute('x')).toBe('63');
    expect(screen.getByTestId('bench-scale').textContent).toBe(
      'A full bar is 2.5× the reference machine; the line in each bar marks the reference (1×).',
    );
  });

  it('says what to do about each warning, as the exported report does', async () => {
    render(
      <AgentProvider client={resultsClient(signedReport([0.0187, 0.628]))}>
        <BenchmarkPage />
      </AgentProvider>,
    );
    const items = within(await screen.findByTestId('bench-warnings')).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual([
      'Run times varied by more than ±5.0 % around their average in 1 workload.What to do: Close other programs (games, miners, browsers playing video) and run the standard or precise preset.',
      'No GPU telemetry was recorded.',
    ]);
    expect(items[0]!.querySelector('.fix')?.textContent).toBe(
      'What to do: Close other programs (games, miners, browsers playing video) and run the standard or precise preset.',
    );
    expect(items.map((li) => li.className)).toEqual(['diag-warning', '']);
  });
});

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

describe('the Benchmark page history table', () => {
  it('keeps every cell a table cell, so the line under each row runs unbroken', async () => {
    addAppStyles();
    render(
      <AgentProvider client={fakeClient([entry({})])}>
        <BenchmarkPage />
      </AgentProvider>,
    );
    const row = within(await screen.findByTestId('bench-history')).getAllByRole('row')[1]!;
    const cells = [...row.querySelectorAll('td')];
    // The Export cell was itself a flex box: no table cell, and its bottom line sat apart.
    expect(cells.map((td) => getComputedStyle(td).display)).not.toContain('flex');
    expect(
      within(cells[4]!)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['JSON', 'HTML', 'PDF']);
    // The date that opens a report wraps like text, from the left, not centred as a button.
    expect(getComputedStyle(within(cells[0]!).getByRole('button')).textAlign).toBe('start');
  });
});

describe('the Benchmark page side by side', () => {
  it('gives the composite its unit, as every other row has', async () => {
    const older = signedReport([0.5, 2.5]);
    const newer = signedReport([0.5, 2.5]);
    older.report.id = 'older';
    older.report.startedAt = '2026-01-01T12:00:00.000Z';
    (older.report.composite as { value: number }).value = 115;
    newer.report.id = 'newer';
    render(
      <AgentProvider
        client={
          fakeAgentClient((method, params) => {
            if (method === 'bench.history')
              return ok({
                reports: [
                  entry({ id: 'newer' }),
                  entry({ id: 'older', startedAt: '2026-01-01T12:00:00.000Z' }),
                ],
              });
            if (method === 'bench.get')
              return ok((params as { id: string }).id === 'older' ? older : newer);
            if (method === 'bench.targets') return ok({ targets: [] });
            return { ok: false, error: { code: 'UNAVAILABLE', message: 'no' } };
          }).client
        }
      >
        <BenchmarkPage />
      </AgentProvider>,
    );
    for (const box of await screen.findAllByRole('checkbox')) fireEvent.click(box);
    const compare = await screen.findByTestId('bench-compare');
    const composite = within(compare).getAllByRole('row').at(-1)!;
    expect([...composite.querySelectorAll('td')].map((td) => td.textContent)).toEqual([
      'Composite',
      '115 RCS',
      '144 RCS',
      '+25.2 %',
    ]);
  });
});

describe('the Benchmark page accelerator list', () => {
  const page = (targets: 'pending' | []) =>
    render(
      <AgentProvider
        client={
          fakeAgentClient((method) => {
            if (method === 'bench.targets')
              return targets === 'pending' ? new Promise(() => undefined) : ok({ targets });
            if (method === 'bench.history') return ok({ reports: [] });
            if (method === 'settings.get') return ok(defaultSettings);
            return { ok: false, error: { code: 'REPORT_NOT_FOUND', message: 'no' } };
          }).client
        }
      >
        <BenchmarkPage />
      </AgentProvider>,
    );

  it('says it is still checking while the probe runs, not an empty list', async () => {
    page('pending');
    const select = await screen.findByLabelText('Accelerator');
    expect(select.textContent).toBe('Checking what can run here…');
    expect(screen.getByRole('button', { name: 'Run benchmark' }).hasAttribute('disabled')).toBe(
      true,
    );
  });

  it('says when nothing can run', async () => {
    page([]);
    await screen.findByText('Nothing can run here');
    expect(screen.getByRole('button', { name: 'Run benchmark' }).hasAttribute('disabled')).toBe(
      true,
    );
  });
});
