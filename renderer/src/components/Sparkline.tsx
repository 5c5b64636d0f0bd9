/** A small line chart of recent values, with the latest one in words for screen readers. */
export function Sparkline({
  label,
  values,
  unit,
  max,
  format = (v) => v.toFixed(0),
}: {
  label: string;
  values: (number | null)[];
  unit: string;
  /** Top of the scale; defaults to the largest value seen. */
  max?: number;
  format?: (value: number) => string;
}) {
  const width = 160;
  const height = 40;
  const known = values.filter((v): v is number => v !== null);
  const latest = known.length > 0 ? known[known.length - 1]! : undefined;
  const top = Math.max(max ?? 0, ...known, 1);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values
    .map((v, i) =>
      v === null
        ? undefined
        : `${(i * step).toFixed(1)},${(height - (v / top) * (height - 2) - 1).toFixed(1)}`,
    )
    .filter(Boolean)
    .join(' ');
  const shown = latest === undefined ? 'not reported' : `${format(latest)} ${unit}`;
  return (
    <figure className="spark">
      <figcaption>
        <span className="spark-label">{label}</span>
        <span className="spark-value" data-testid={`spark-${label.toLowerCase()}`}>
          {shown}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        role="img"
        aria-label={`${label}: ${shown}, the last ${values.length} seconds`}
        preserveAspectRatio="none"
      >
        <rect x="0" y="0" width={width} height={height} className="spark-bg" />
        {points && <polyline points={points} className="spark-line" />}
      </svg>
    </figure>
  );
}
