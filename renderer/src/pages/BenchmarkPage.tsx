import { useCallback, useEffect, useState } from 'react';
import { adapterName, executionProviderName, STD_SUITE_ID } from '../../../agent/api/contract.ts';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { fromBase64, saveBytes } from '../save-file.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { useBenchRun, type BenchPreset, type BenchTarget } from '../hooks/useBenchRun.ts';

type Entry = ResultOf<'bench.history'>['reports'][number];
type Signed = ResultOf<'bench.get'>;

const fmt = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toPrecision(3);

/** A result against the suite's reference machine as the exported report words it: `0.0187×`. */
const times = (v: number) => `${v.toLocaleString('en-US', { maximumSignificantDigits: 3 })}×`;

/** `+100.0 %`: the newer result against the older; a dash where either did not score. */
function changeWords(older: number | null | undefined, newer: number | null | undefined): string {
  if (!older || newer === null || newer === undefined) return '—';
  const change = ((newer - older) / older) * 100;
  return `${change >= 0 ? '+' : ''}${change.toFixed(1)} %`;
}

/** A warning's mark in the list by its severity: red for a problem, amber for a warning. */
const WARNING_CLASS = { error: 'diag-error', warning: 'diag-warning', info: '' } as const;

/**
 * One report's workloads as a table with a bar per workload, against the suite's reference
 * machine (linear: a full bar is the best result, or the reference when none beats it), and the
 * warnings with what to do about each.
 */
function Results({ signed }: { signed: Signed }) {
  const r = signed.report;
  const top = Math.max(1, ...r.workloads.map((w) => w.normalized ?? 0));
  const width = (v: number) => Math.round((160 * v) / top);
  return (
    <div data-testid="bench-results">
      <p>
        <strong>
          Composite:{' '}
          {r.composite.value === null ? 'none' : `${fmt(r.composite.value)} ${r.composite.unit}`}
        </strong>{' '}
        <span className="muted">
          on {executionProviderName(r.target.ep)}
          {r.target.adapter
            ? ` (${adapterName(r.target.adapter)}${r.target.adapter.software ? ', a software adapter' : ''})`
            : ''}{' '}
          · {r.suite.id} · {new Date(r.startedAt).toLocaleString()}
          {r.complete ? '' : ' · incomplete'}
        </span>
      </p>
      {r.composite.unit === 'RCS' && (
        <p className="muted" data-testid="bench-unit">
          RCS is the Roost compute score: the suite&apos;s reference machine scores 1000, and a
          machine twice as fast at every workload scores 2000. The market prices work in it.
        </p>
      )}
      {r.composite.value === null && r.composite.missing.length > 0 && (
        <p className="field-error">No composite: {r.composite.missing.join(', ')} did not score.</p>
      )}
      <table className="history">
        <thead>
          <tr>
            <th scope="col">Workload</th>
            <th scope="col">Result</th>
            <th scope="col">Spread around the average</th>
            <th scope="col">Relative to the reference machine</th>
          </tr>
        </thead>
        <tbody>
          {r.workloads.map((w) => (
            <tr key={w.id}>
              <td>{w.title}</td>
              <td>
                {w.value === null ? (
                  <span className="field-error">{w.reason ?? w.status}</span>
                ) : (
                  `${fmt(w.value)} ${w.unit}`
                )}
              </td>
              <td>{w.timing ? `±${(w.timing.cv * 100).toFixed(1)} %` : '—'}</td>
              <td className="nowrap">
                <svg width="160" height="12" aria-hidden="true">
                  <rect width="160" height="12" className="spark-bg" />
                  <rect width={width(w.normalized ?? 0)} height="12" className="bar" />
                  {top > 1 && <rect x={width(1) - 1} width="2" height="12" fill="currentColor" />}
                </svg>{' '}
                {w.normalized === null ? '—' : times(w.normalized)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted" data-testid="bench-scale">
        {top > 1
          ? `A full bar is ${times(top)} the reference machine; the line in each bar marks the reference (1×).`
          : 'A full bar is the reference machine (1×).'}
      </p>
      {r.warnings.length > 0 && (
        <ul className="diagnostics" data-testid="bench-warnings">
          {r.warnings.map((w, i) => (
            <li key={i} className={WARNING_CLASS[w.severity]}>
              <span>{w.message}</span>
              {w.fix && <span className="fix">What to do: {w.fix}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function BenchmarkPage() {
  const { client } = useAgent();
  const { running, progress, start } = useBenchRun();
  const [targets, setTargets] = useState<BenchTarget[]>();
  const [target, setTarget] = useState(0);
  const [preset, setPreset] = useState<BenchPreset>('quick');
  const [history, setHistory] = useState<Entry[]>();
  const [shown, setShown] = useState<Signed>();
  const [compare, setCompare] = useState<string[]>([]);
  const [compared, setCompared] = useState<Signed[]>([]);
  const [problem, setProblem] = useState<string>();

  const loadHistory = useCallback(async () => {
    const h = await client.call('bench.history', { limit: 50 });
    if (h.ok) setHistory(h.value.reports);
    return h.ok ? h.value.reports : [];
  }, [client]);

  useEffect(() => {
    let live = true;
    void client.call('bench.targets').then((r) => {
      if (!live) return;
      if (r.ok) setTargets(r.value.targets);
      else setProblem(describeError(r.error));
    });
    void client.call('bench.history', { limit: 50 }).then(async (h) => {
      if (!live || !h.ok) return;
      setHistory(h.value.reports);
      const latest = h.value.reports[0];
      if (latest) {
        const g = await client.call('bench.get', { id: latest.id });
        if (live && g.ok) setShown(g.value);
      }
    });
    return () => {
      live = false;
    };
  }, [client]);

  const run = async () => {
    const t = targets?.[target];
    if (!t) return;
    setProblem(undefined);
    const r = await start(t, preset);
    if (r.ok) {
      setShown(r.value.report);
      await loadHistory();
    } else setProblem(describeError(r.error));
  };

  const exportAs = async (id: string, format: 'json' | 'html' | 'pdf') => {
    const r = await client.call('bench.export', { id, format });
    if (!r.ok || r.value.content === undefined)
      return setProblem(r.ok ? 'The export came back empty.' : describeError(r.error));
    const types = { json: 'application/json', html: 'text/html', pdf: 'application/pdf' };
    const name = `roost-report-${id.slice(0, 8)}.${format}`;
    const content = r.value.content;
    saveBytes(name, format === 'pdf' ? fromBase64(content) : content, types[format]);
  };

  const toggleCompare = async (id: string) => {
    const next = compare.includes(id)
      ? compare.filter((c) => c !== id)
      : [...compare, id].slice(-2);
    setCompare(next);
    const got = await Promise.all(next.map((c) => client.call('bench.get', { id: c })));
    // The older on the left, the newer on the right, whichever was ticked first: the change is
    // what happened since (a driver update that doubled a result reads +100 %).
    setCompared(
      got
        .flatMap((g) => (g.ok ? [g.value] : []))
        .sort((a, b) => Date.parse(a.report.startedAt) - Date.parse(b.report.startedAt)),
    );
  };

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Benchmark</h1>
      <section className="card" aria-labelledby="run-title">
        <h2 id="run-title">Measure this machine</h2>
        <p className="muted">
          The Roost standard benchmark ({STD_SUITE_ID}) runs matrix multiplies, memory bandwidth, a
          convolutional network, a transformer block and a decode workload, checks every result
          against a CPU reference, and signs the report. The market prices your GPU by its composite
          score.
        </p>
        <div className="inline-form">
          {/* Each label stays beside its list when the row wraps on a narrow window. */}
          <span className="field-pair">
            <label htmlFor="bench-target">Accelerator</label>
            <select
              id="bench-target"
              value={target}
              onChange={(e) => setTarget(Number(e.target.value))}
              disabled={running || !targets}
            >
              {/* The probe takes a few seconds on a first visit: say so, not an empty list. */}
              {!targets && <option value={0}>Checking what can run here…</option>}
              {targets?.length === 0 && <option value={0}>Nothing can run here</option>}
              {(targets ?? []).map((t, i) => (
                <option key={`${t.ep}-${t.device ?? ''}`} value={i}>
                  {t.label}
                </option>
              ))}
            </select>
          </span>
          <span className="field-pair">
            <label htmlFor="bench-preset">Preset</label>
            <select
              id="bench-preset"
              value={preset}
              onChange={(e) => setPreset(e.target.value as typeof preset)}
              disabled={running}
            >
              <option value="quick">Quick (about a minute)</option>
              <option value="standard">Standard</option>
              <option value="precise">Precise (longest)</option>
            </select>
          </span>
          <button type="button" onClick={() => void run()} disabled={running || !targets?.length}>
            {running ? 'Running…' : 'Run benchmark'}
          </button>
        </div>
        {progress && (
          <div className="job-progress" role="status">
            <progress max={1} value={progress.fraction} aria-label="Benchmark progress" />
            <span className="muted">
              {Math.round(progress.fraction * 100)} % · {progress.message}
            </span>
          </div>
        )}
        {problem && (
          <div className="banner banner-error" role="alert">
            {problem}
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="latest-title">
        <h2 id="latest-title">Results</h2>
        {shown ? (
          <Results signed={shown} />
        ) : (
          <p className="muted">
            No benchmark yet. Run one above: the quick preset takes about a minute.
          </p>
        )}
      </section>
      <section className="card" aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        {!history || history.length === 0 ? (
          <p className="muted">Reports you run are kept here, signed, to compare and export.</p>
        ) : (
          <table className="history" data-testid="bench-history">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">On</th>
                <th scope="col">Composite</th>
                <th scope="col">Compare</th>
                <th scope="col">Export</th>
              </tr>
            </thead>
            <tbody>
              {history.map((h) => (
                <tr key={h.id}>
                  <td>
                    <button
                      type="button"
                      className="link"
                      onClick={() =>
                        void client
                          .call('bench.get', { id: h.id })
                          .then((g) => g.ok && setShown(g.value))
                      }
                    >
                      {new Date(h.startedAt).toLocaleString()}
                    </button>
                  </td>
                  <td>
                    {executionProviderName(h.ep)}
                    {h.adapter ? ` (${h.adapter})` : ''}
                    {h.complete ? '' : ', incomplete'}
                  </td>
                  <td>
                    {h.composite === null ? '—' : `${fmt(h.composite)} ${h.compositeUnit}`}
                    {!h.current && (
                      <span className="muted">
                        {' '}
                        · {h.suiteId}, an earlier version: does not compare
                      </span>
                    )}
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Compare the report of ${new Date(h.startedAt).toLocaleString()}`}
                      checked={compare.includes(h.id)}
                      onChange={() => void toggleCompare(h.id)}
                    />
                  </td>
                  <td>
                    {/* The row of buttons inside the cell: a cell that is itself a flex box is
                        no table cell, and the row's line under it broke off. */}
                    <div className="export-buttons">
                      {(['json', 'html', 'pdf'] as const).map((f) => (
                        <button
                          key={f}
                          type="button"
                          className="secondary"
                          onClick={() => void exportAs(h.id, f)}
                        >
                          {f.toUpperCase()}
                        </button>
                      ))}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {compared.length === 2 && (
        <section className="card" aria-labelledby="compare-title" data-testid="bench-compare">
          <h2 id="compare-title">Side by side</h2>
          {compared[0]!.report.suite.id !== compared[1]!.report.suite.id && (
            <p className="field-error">
              These were made with different versions of the benchmark (
              {compared.map((c) => c.report.suite.id).join(' and ')}): their numbers do not compare.
            </p>
          )}
          <table className="history">
            <thead>
              <tr>
                <th scope="col">Workload</th>
                {compared.map((c) => (
                  <th scope="col" key={c.report.id}>
                    {executionProviderName(c.report.target.ep)} ·{' '}
                    {new Date(c.report.startedAt).toLocaleString()}
                  </th>
                ))}
                <th scope="col">Change since the older</th>
              </tr>
            </thead>
            <tbody>
              {compared[0]!.report.workloads.map((w) => {
                const other = compared[1]!.report.workloads.find((o) => o.id === w.id);
                return (
                  <tr key={w.id}>
                    <td>{w.title}</td>
                    <td>{w.value === null ? '—' : `${fmt(w.value)} ${w.unit}`}</td>
                    <td>
                      {other?.value === null || other?.value === undefined
                        ? '—'
                        : `${fmt(other.value)} ${other.unit}`}
                    </td>
                    <td>{changeWords(w.value, other?.value)}</td>
                  </tr>
                );
              })}
              <tr>
                <td>
                  <strong>Composite</strong>
                </td>
                {compared.map((c) => (
                  <td key={c.report.id}>
                    <strong>
                      {c.report.composite.value === null
                        ? '—'
                        : `${fmt(c.report.composite.value)} ${c.report.composite.unit}`}
                    </strong>
                  </td>
                ))}
                <td>
                  <strong>
                    {changeWords(
                      compared[0]!.report.composite.value,
                      compared[1]!.report.composite.value,
                    )}
                  </strong>
                </td>
              </tr>
            </tbody>
          </table>
        </section>
      )}
    </section>
  );
}
