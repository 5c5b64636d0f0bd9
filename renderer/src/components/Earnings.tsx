import { useEffect, useState } from 'react';
import { estimateForPeople, forPeople, type ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { benchDone, walletMoved } from '../api/agent-events.ts';
import { formatFigure } from '../pages/onboarding.ts';
import { AgentText } from './AgentText.tsx';
import { EarningsChart } from './EarningsChart.tsx';
import { PriceSuggestion } from './PriceSuggestion.tsx';

type Yield = ResultOf<'yield.estimate'>;
type Report = ResultOf<'yield.earnings'>;
type Range = Report['chart']['range'];
type Totals = Report['today'];

const ranges: { range: Range; label: string }[] = [
  { range: '24h', label: '24 h' },
  { range: '7d', label: '7 d' },
  { range: '30d', label: '30 d' },
];

/** Money paid, rounded for reading (2.970000 → 2.97, 133.631776 → 133.632). */
const amount = forPeople;
/** An estimate (a price × a score × hours): 3 significant digits (0.287986 → 0.288). */
const estimate = estimateForPeople;

function hours(h: number): string {
  if (h === 0) return '0 h';
  // Short: the Worked column is the one that gives way in a narrow card.
  if (h < 1 / 60) return 'under 1 min';
  if (h < 1) return `${Math.round(h * 60)} min`;
  return `${Number(h.toFixed(1))} h`;
}

function TotalsRow({ label, t, token }: { label: string; t: Totals; token: string }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td>{hours(t.hoursWorked)}</td>
      {/* An amount keeps its unit on its line: "0.0222" over "rUSD" in every row was hard
          to read in a Dashboard column. */}
      <td>
        <span className="nowrap">
          {estimate(t.predicted)} {token}
        </span>
      </td>
      <td className={Number(t.actual) > 0 ? 'amount-in' : undefined}>
        <span className="nowrap">
          {amount(t.actual)} {token}
        </span>
      </td>
    </tr>
  );
}

/**
 * Dashboard: what the GPU earns at the user's price (net of electricity once measured, in the
 * token with no currency on a test network, rounded for reading); predicted beside actual
 * earnings today, over 7 and 30 days, with a chart; and the price recent jobs suggest.
 */
export function Earnings() {
  const { client, subscribe } = useAgent();
  const [value, setValue] = useState<Yield>();
  const [report, setReport] = useState<Report>();
  const [range, setRange] = useState<Range>('24h');
  // Bumped when the wallet or the score changes, to ask the suggested price again (its reason
  // names the wallet, and it needs a score).
  const [suggestionRound, setSuggestionRound] = useState(0);

  useEffect(() => {
    let live = true;
    const load = () =>
      void client.call('yield.estimate').then((r) => {
        if (live && r.ok) setValue(r.value);
      });
    load();
    const stop = subscribe((e) => {
      if (e.event === 'settings.changed' || benchDone(e)) load();
      if (benchDone(e) || walletMoved(e)) setSuggestionRound((n) => n + 1);
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, subscribe]);

  useEffect(() => {
    let live = true;
    const load = () =>
      void client.call('yield.earnings', { range }).then((r) => {
        if (live && r.ok) setReport(r.value);
      });
    load();
    // Work periods grow by the minute; a paid lease or a new decision shows at once, and so does
    // the market becoming ready (actual earnings come from it) or going away.
    const timer = setInterval(load, 60_000);
    // market.changed also comes as the follower moves on (its checkpoint is in the status): only
    // a new state is news here, and the first one seen may be (what was read before is unknown).
    let marketState: string | undefined;
    const stop = subscribe((e) => {
      if (e.event === 'market.changed') {
        if (e.payload.state !== marketState) load();
        marketState = e.payload.state;
        return;
      }
      if (
        e.event === 'settings.changed' ||
        e.event === 'schedule.changed' ||
        benchDone(e) ||
        walletMoved(e) ||
        (e.event === 'market.lease' &&
          (e.payload.state === 'paid' || e.payload.state === 'expired'))
      )
        load();
    });
    return () => {
      live = false;
      clearInterval(timer);
      stop();
    };
  }, [client, subscribe, range]);

  const token = report?.chart.token ?? value?.estimates[0]?.token ?? 'tokens';
  return (
    <article className="card" aria-labelledby="earnings-title" data-testid="earnings">
      <h2 id="earnings-title">Earnings</h2>
      {!value && <p className="muted">Working it out…</p>}
      {value?.missing && (
        <p className="muted">
          <AgentText text={value.missing} />
        </p>
      )}
      {value?.estimates.map((e) => {
        // Test tokens have no value: they stay in the token, never converted to a currency.
        const unit = e.netUnit ?? (e.testNetwork ? e.token : e.currency);
        // Net only once electricity is taken off; until then it is the gross.
        const counted = e.electricityCounted ?? e.chargedPowerW !== null;
        return (
          <dl key={e.gpuId} className="facts" title={e.explanation}>
            <dt>Your score</dt>
            <dd data-testid="earnings-score">{formatFigure(e.compositeScore)}</dd>
            <dt>At your price</dt>
            <dd data-testid="earnings-rate">
              {estimate(e.earnedPerHour)} {e.token} per hour
              {e.testNetwork
                ? ' (test tokens, no value)'
                : e.earnedPerHourInCurrency !== null && e.currency !== e.token
                  ? ` (${estimate(e.earnedPerHourInCurrency)} ${e.currency})`
                  : ''}
            </dd>
            <dt>Electricity</dt>
            <dd>
              {e.chargedPowerW === null
                ? `not measured ${e.gpuId === 'cpu' ? 'on a CPU' : 'yet'}, so not counted`
                : `${estimate(e.electricityPerHour)} ${e.currency} per hour (${e.chargedPowerW.toFixed(0)} W)${e.testNetwork ? ', not taken from test tokens' : ''}`}
            </dd>
            <dt>{counted ? 'Net' : 'Gross'}</dt>
            <dd className={e.profitable ? 'amount-in' : 'field-error'} data-testid="earnings-net">
              {estimate(e.netPerHour)} {unit}/h · {estimate(e.netPerDay)} {unit}/day
              {counted ? '' : ' (before electricity)'}
              {e.profitable ? '' : ' — not profitable at this price'}
            </dd>
          </dl>
        );
      })}
      {/* A chain Roost does not know: the value of its tokens is the user's to say. */}
      {value?.notes?.map((n) => (
        <p key={n} className="note-warn" data-testid="earnings-note">
          <AgentText text={n} />
        </p>
      ))}
      <PriceSuggestion key={suggestionRound} />
      {report && (
        <>
          <table className="history earnings-totals" data-testid="earnings-totals">
            <thead>
              <tr>
                <th scope="col" />
                <th scope="col">Worked</th>
                <th scope="col">Predicted</th>
                <th scope="col">Actual</th>
              </tr>
            </thead>
            <tbody>
              <TotalsRow label="Today" t={report.today} token={token} />
              <TotalsRow label="7 days" t={report.last7d} token={token} />
              <TotalsRow label="30 days" t={report.last30d} token={token} />
            </tbody>
          </table>
          <div
            className="export-buttons"
            role="group"
            aria-label="Chart range"
            style={{ margin: '0.75rem 0 0.4rem' }}
          >
            {ranges.map((r) => (
              <button
                key={r.range}
                type="button"
                className={range === r.range ? undefined : 'secondary'}
                aria-pressed={range === r.range}
                onClick={() => setRange(r.range)}
              >
                {r.label}
              </button>
            ))}
          </div>
          {report.chart.range === range && <EarningsChart chart={report.chart} />}
          {/* The estimate above already says when there is no benchmark. */}
          {report.notes
            .filter((n) => !(value?.missing && n.startsWith('No benchmark yet')))
            .filter((n) => !value?.notes?.includes(n))
            .map((n) => (
              <p key={n} className="muted" data-testid="earnings-report-note">
                <AgentText text={n} />
              </p>
            ))}
        </>
      )}
    </article>
  );
}
