import type { ResultOf } from '../../../agent/api/contract.ts';

type Chart = ResultOf<'yield.earnings'>['chart'];

const WIDTH = 480;
const HEIGHT = 140;
const AXIS = 20;
/**
 * The axis' words, in the chart's own units: the chart shrinks with its card (to about 330 px of
 * 480 in a Dashboard column), so 10 came out at 7 px, too small to read; 14 stays near 10 px.
 */
const FONT = 14;

/** A day's bucket (`2025-11-20`) as people write it, `Nov 20`; an hour (`17:00`) as it is. */
export function dayLabel(label: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(label)) return label;
  // Noon, so no time zone moves it to the day before.
  return new Date(`${label}T12:00:00`).toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
  });
}

/** A short form of an amount for the axis and tooltips: 0.000123 → 0.00012, 1234.5 → 1234.5. */
export function shortAmount(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 1) return String(Number(value.toFixed(2)));
  return String(Number(value.toPrecision(2)));
}

/**
 * Predicted beside actual earnings per hour (24 h) or per day (7 d, 30 d), as pairs of bars in an
 * inline SVG: predicted from the hours worked × the rate, actual from paid leases (slashed
 * collateral goes below the line). Each pair has a tooltip with its numbers.
 */
export function EarningsChart({ chart }: { chart: Chart }) {
  const rows = chart.buckets.map((b) => ({
    label: b.label,
    predicted: Number(b.predicted),
    actual: Number(b.actual),
  }));
  const top = Math.max(...rows.map((r) => Math.max(r.predicted, r.actual)), 0);
  const bottom = Math.min(...rows.map((r) => r.actual), 0);
  const span = top - bottom || 1;
  const plot = HEIGHT - AXIS;
  const y = (v: number) => ((top - v) / span) * (plot - 4) + 2;
  const zero = y(0);
  const slot = WIDTH / Math.max(rows.length, 1);
  const bar = Math.max(1, slot * 0.38);
  const tick = chart.range === '30d' ? 7 : chart.range === '7d' ? 1 : 6;
  const unit = chart.range === '24h' ? 'hour' : 'day';
  const summary = `Predicted ${chart.totals.predicted} and actual ${chart.totals.actual} ${chart.token} over the last ${chart.range === '24h' ? '24 hours' : chart.range === '7d' ? '7 days' : '30 days'}, per ${unit}`;
  return (
    <figure className="earnings-chart" style={{ margin: 0 }}>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        role="img"
        aria-label={summary}
        data-testid="earnings-chart"
        style={{ maxWidth: `${WIDTH}px`, display: 'block' }}
      >
        <rect x="0" y="0" width={WIDTH} height={plot} style={{ fill: 'var(--bg)' }} />
        <line
          x1="0"
          x2={WIDTH}
          y1={zero}
          y2={zero}
          style={{ stroke: 'var(--border)', strokeWidth: 1 }}
        />
        {rows.map((r, i) => {
          const x = i * slot + (slot - 2 * bar) / 2;
          const p = Math.abs(y(r.predicted) - zero);
          const a = Math.abs(y(r.actual) - zero);
          return (
            <g key={`${r.label}-${i}`} data-testid="earnings-bucket">
              <title>{`${dayLabel(r.label)}: predicted ${shortAmount(r.predicted)}, actual ${shortAmount(r.actual)} ${chart.token}`}</title>
              <rect
                className="bar-predicted"
                x={x}
                y={r.predicted >= 0 ? zero - p : zero}
                width={bar}
                height={p}
                style={{ fill: 'var(--muted)', opacity: 0.55 }}
              />
              <rect
                className="bar-actual"
                x={x + bar}
                y={r.actual >= 0 ? zero - a : zero}
                width={bar}
                height={a}
                style={{ fill: r.actual >= 0 ? 'var(--accent)' : 'var(--error-text)' }}
              />
              {i % tick === 0 && (
                <text
                  x={i === 0 ? 0 : i * slot + slot / 2}
                  y={HEIGHT - 4}
                  textAnchor={i === 0 ? 'start' : 'middle'}
                  style={{ fill: 'var(--muted)', fontSize: `${FONT}px` }}
                  data-testid="earnings-axis-label"
                >
                  {dayLabel(r.label)}
                </text>
              )}
            </g>
          );
        })}
        <text x="2" y={FONT} style={{ fill: 'var(--muted)', fontSize: `${FONT}px` }}>
          {shortAmount(top)} {chart.token}
        </text>
      </svg>
      {/* Each key on one line where it fits, the next under it: side by side in a Dashboard
          column, both wrapped into two ragged halves. */}
      <figcaption
        className="muted"
        style={{ display: 'flex', flexWrap: 'wrap', gap: '0 1rem', fontSize: '0.85rem' }}
        data-testid="earnings-chart-key"
      >
        <span>
          <svg width="10" height="10" aria-hidden="true">
            <rect width="10" height="10" style={{ fill: 'var(--muted)', opacity: 0.55 }} />
          </svg>{' '}
          Predicted (hours worked × score × price)
        </span>
        <span>
          <svg width="10" height="10" aria-hidden="true">
            <rect width="10" height="10" style={{ fill: 'var(--accent)' }} />
          </svg>{' '}
          Actual (paid jobs)
        </span>
      </figcaption>
    </figure>
  );
}
