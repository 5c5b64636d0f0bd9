/**
 * The report as one standalone HTML file for people: support staff open it in any browser,
 * offline, and read the machine, what ran, what failed and why. No scripts, no network (a CSP
 * forbids both), charts drawn as inline SVG, print styles for the PDF. The signed JSON rides
 * along in a non-executed `<script type="application/json" id="roost-report">`, so
 * `roost report verify report.html` works on the HTML too.
 *
 * The page is a pure function of the signed report, the verdict of verify at export and the
 * Roost version that exported it (written into the page). So `verify` can render the page again
 * from the embedded report and compare: a number edited in the page, where the signature does not
 * reach, is caught (`pageDifference`).
 */
import { adapterName, executionProviderName } from '../hardware/schema.ts';
import type { AcceleratorProbe, GpuStatus, TelemetrySample } from '../hardware/schema.ts';
import type {
  ReportWarning,
  SignedReport,
  TelemetrySummary,
  VerifyResult,
  WorkloadResult,
} from './schema.ts';
import { clockSwings, HIGH_VARIATION_CV } from './report.ts';

/** A GPU's state in the GPU list as the report's GPUs table words it. */
const GPU_STATUS_TITLES: Record<GpuStatus, string> = {
  ok: 'working',
  'no-driver': 'no driver',
  unreadable: 'could not be read',
};

/** An accelerator test's outcome as the report's Accelerators table words it. */
const PROBE_STATUS_TITLES: Record<AcceleratorProbe['status'], string> = {
  ok: 'works',
  'software-adapter': 'software renderer (not a GPU)',
  failed: 'failed',
  crashed: 'crashed',
  timeout: 'timed out',
  'wrong-result': 'wrong result',
};
import { measurementOf, STD_SUITE_ID } from './suite.ts';

const EMBED_ID = 'roost-report';
const EXPORTED_BY = 'roost-exported-by';
const LAYOUT = 'roost-page-layout';
/**
 * The page's layout, written into every export: bump it whenever the page renders a report
 * differently, so `verify` tells a page laid out by another build (which it cannot check) from
 * an edited one. Roost's version alone does not: it stays the same between development builds.
 * 2: the GPU clock while working, provider names and the GPU in "Measured on".
 * 3: the composite's formula wraps between words (code elsewhere may break anywhere: hashes).
 * 4: the lower axis label of the line charts carries its unit too ("364 ms", not "364").
 * 5: the results' spread reads "±2.1 %" under "Spread around the average", not "Variation (CV)".
 * 6: a verdict line and what RCS means at the top; "✖ 2.2e-1 > 5e-2" for a failed gate; min – max
 *    with one unit; a legend under the results; round chart axes; GPU names in telemetry; the
 *    signature in words (the standards under "Checking this report"); print styles that fit A4
 *    and say a printed copy cannot be verified itself.
 */
export const PAGE_LAYOUT = 6;

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const e = escapeHtml;

/** 3 significant digits, thousands grouped: 1 234, 12.3, 0.0456. */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '\u2014';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 10 ** digits) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toLocaleString('en-US', {
    maximumSignificantDigits: digits,
  });
}

function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '\u2014';
  return ms >= 1000 ? `${formatNumber(ms / 1000)} s` : `${formatNumber(ms)} ms`;
}

function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '\u2014';
  const gib = bytes / 1024 ** 3;
  return gib >= 1 ? `${formatNumber(gib)} GiB` : `${formatNumber(bytes / 1024 ** 2)} MiB`;
}

function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

const STATUS_WORDS: Record<WorkloadResult['status'], string> = {
  ok: 'passed',
  'failed-accuracy': 'wrong result',
  unsupported: 'unsupported',
  failed: 'failed',
  interrupted: 'interrupted',
  'not-run': 'not run',
};

// ---------------------------------------------------------------------------------------------
// Charts (inline SVG)

/**
 * Sub-scores against the reference machine on a log axis: the composite is a geometric mean, so
 * equal distances on this axis are equal weights in it.
 */
function barChart(workloads: WorkloadResult[]): string {
  const rowH = 30;
  const labelW = 210;
  const barW = 420;
  const width = labelW + barW + 230;
  const height = workloads.length * rowH + 40;
  const scored = workloads.map((w) => w.normalized).filter((v): v is number => v !== null && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(0.1, ...scored.map((v) => v / 2))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(1.5, ...scored)));
  const x = (v: number) =>
    labelW + (barW * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const ticks: string[] = [];
  for (let t = lo; t <= hi * 1.0001; t *= 10) {
    const tx = x(t).toFixed(1);
    ticks.push(
      `<line x1="${tx}" y1="18" x2="${tx}" y2="${height - 18}" class="${Math.abs(t - 1) < 1e-9 ? 'ref' : 'grid'}"/><text x="${tx}" y="${height - 4}" text-anchor="middle" class="small">${e(formatNumber(t))}\u00d7</text>`,
    );
  }
  const rows = workloads.map((w, i) => {
    const y = 20 + i * rowH;
    const label = `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end" class="lbl">${e(w.title)}</text>`;
    if (w.normalized === null || w.normalized <= 0) {
      return `${label}<text x="${labelW + 4}" y="${y + 15}" class="bad">no score: ${e(STATUS_WORDS[w.status])}</text>`;
    }
    const end = Math.max(labelW + 1, x(Math.max(lo, w.normalized)));
    return `${label}<rect x="${labelW}" y="${y + 2}" width="${(end - labelW).toFixed(1)}" height="${rowH - 10}" class="bar"/><text x="${(end + 6).toFixed(1)}" y="${y + 15}" class="val">${e(formatNumber(w.value))} ${e(w.unit)} \u00b7 ${e(formatNumber(w.normalized))}\u00d7 ref.</text>`;
  });
  return `<svg class="chart" role="img" aria-label="Sub-scores relative to the reference machine, log scale" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<text x="${x(1).toFixed(1)}" y="12" text-anchor="middle" class="small">reference machine = 1\u00d7</text>
${ticks.join('\n')}
${rows.join('\n')}
</svg>`;
}

/**
 * The vertical axis of a line chart: round ends, at least a tenth of the values wide, and never
 * past what the unit allows. Fitted tightly, a ±1 % wobble in run times or a 2 W swing in power
 * filled the whole chart and read as a fault; a flat 98 % utilization got an axis up to 103 %.
 */
export function axisRange(values: number[], unit: string): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const floor = lo >= 0 ? 0 : -Infinity;
  const mid = (lo + hi) / 2;
  const minSpan = Math.abs(mid) * 0.1 || 1;
  if (hi - lo < minSpan) {
    lo = mid - minSpan / 2;
    hi = mid + minSpan / 2;
  }
  const step = 10 ** Math.floor(Math.log10(hi - lo));
  lo = Math.max(floor, Math.floor(lo / step) * step);
  hi = Math.ceil(hi / step) * step;
  if (unit === '%') hi = Math.min(hi, Math.max(100, ...values));
  // Rounding to the step leaves float noise (0.30000000000000004): 12 digits are plenty.
  return [Number(lo.toPrecision(12)), Number(hi.toPrecision(12))];
}

function lineChart(
  series: { values: number[]; cls: string; label: string }[],
  options: { width: number; height: number; unit: string; aria: string; xLabel: string },
): string {
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  if (all.length === 0) return '';
  const { width, height } = options;
  const padL = 56;
  const padB = 18;
  const padT = 8;
  const [lo, hi] = axisRange(all, options.unit);
  const x = (i: number, n: number) => padL + (n <= 1 ? 0 : (i / (n - 1)) * (width - padL - 6));
  const y = (v: number) => padT + (1 - (v - lo) / (hi - lo)) * (height - padT - padB);
  const lines = series
    .filter((s) => s.values.length > 0)
    .map((s) => {
      const pts = s.values.map((v, i) => `${x(i, s.values.length).toFixed(1)},${y(v).toFixed(1)}`);
      return `<polyline points="${pts.join(' ')}" class="${s.cls}"><title>${e(s.label)}</title></polyline>`;
    });
  return `<svg class="chart" role="img" aria-label="${e(options.aria)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<line x1="${padL}" y1="${padT}" x2="${padL}" y2="${height - padB}" class="axis"/>
<line x1="${padL}" y1="${height - padB}" x2="${width - 4}" y2="${height - padB}" class="axis"/>
<text x="${padL - 4}" y="${padT + 8}" text-anchor="end" class="small">${e(formatNumber(hi))} ${e(options.unit)}</text>
<text x="${padL - 4}" y="${height - padB}" text-anchor="end" class="small">${e(formatNumber(lo))} ${e(options.unit)}</text>
<text x="${width - 4}" y="${height - 4}" text-anchor="end" class="small">${e(options.xLabel)}</text>
${lines.join('\n')}
</svg>`;
}

/** A GPU as people know it: its name, and its id beneath when the name is known. */
function gpuLabel(gpuId: string, names: ReadonlyMap<string, string>): string {
  const name = names.get(gpuId);
  return name ? `${e(name)} <span class="small">${e(gpuId)}</span>` : e(gpuId);
}

function telemetryCharts(samples: TelemetrySample[], names: ReadonlyMap<string, string>): string {
  const byGpu = new Map<string, TelemetrySample[]>();
  for (const s of samples) byGpu.set(s.gpuId, [...(byGpu.get(s.gpuId) ?? []), s]);
  const parts: string[] = [];
  for (const [gpuId, list] of byGpu) {
    const pick = (f: (s: TelemetrySample) => number | null) =>
      list.map(f).filter((v): v is number => v !== null);
    const seconds = list.length > 1 ? ((list.at(-1)?.at ?? 0) - (list[0]?.at ?? 0)) / 1000 : 0;
    const xLabel = `${Math.round(seconds)} s`;
    const charts = [
      { values: pick((s) => s.temperatureC), unit: '\u00b0C', name: 'Temperature', cls: 'l1' },
      { values: pick((s) => s.graphicsClockMHz), unit: 'MHz', name: 'Graphics clock', cls: 'l2' },
      { values: pick((s) => s.powerW), unit: 'W', name: 'Power', cls: 'l3' },
      { values: pick((s) => s.utilizationPct), unit: '%', name: 'Utilization', cls: 'l4' },
    ]
      .filter((c) => c.values.length > 0)
      .map(
        (c) =>
          `<figure><figcaption>${e(c.name)}</figcaption>${lineChart([{ values: c.values, cls: c.cls, label: c.name }], { width: 340, height: 110, unit: c.unit, aria: `${c.name} of ${gpuId} during the run`, xLabel })}</figure>`,
      );
    if (charts.length)
      parts.push(`<h3>${gpuLabel(gpuId, names)}</h3><div class="grid">${charts.join('')}</div>`);
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Sections

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function warningList(warnings: ReportWarning[]): string {
  if (warnings.length === 0) return '<p class="ok-text">No warnings: the run was clean.</p>';
  const order = { error: 0, warning: 1, info: 2 } as const;
  const sorted = [...warnings].sort((a, b) => order[a.severity] - order[b.severity]);
  return `<ul class="warnings">${sorted
    .map(
      (w) =>
        `<li class="sev-${w.severity}" data-code="${e(w.code)}"><strong>${e(w.severity === 'error' ? 'Problem' : w.severity === 'warning' ? 'Warning' : 'Note')} (${e(w.code)}):</strong> ${e(w.message)}${w.fix ? `<br><span class="fix">What to do: ${e(w.fix)}</span>` : ''}</li>`,
    )
    .join('')}</ul>`;
}

function verificationLine(
  signed: SignedReport,
  verdict: VerifyResult | undefined,
  exportedBy: string | undefined,
): string {
  const sig = signed.signature;
  const base = `Signed by the provider\u2019s key <code>${e(sig.signer)}</code>; the report\u2019s hash is <code>${e(sig.digest)}</code> (how both are made: \u201cChecking this report\u201d at the end).`;
  if (!verdict) return `<p>${base}</p>`;
  // Only what was true at export: a file can be edited afterwards, badge included.
  return verdict.ok
    ? `<p class="verified">\u2714 Verified by Roost${exportedBy ? ` ${e(exportedBy)}` : ''} when this file was exported: the signature was valid and matched the report.<span class="screen-only"> To check this file now, run <code class="cmd">roost report verify &lt;this file&gt;</code>.</span><span class="print-only"> ${PRINTED_COPY}</span> ${base}</p>${verdict.suiteCurrent ? '' : `<p class="unverified">Made with ${e(verdict.suiteId)}, an earlier version of the benchmark: its scores do not compare with today\u2019s (${e(STD_SUITE_ID)}).</p>`}`
    : `<p class="unverified">\u2716 VERIFICATION FAILED (${e(verdict.failed)}): ${e(verdict.message)} Do not trust the numbers below. ${base}</p>`;
}

/**
 * The gate's verdict as a comparison that holds: "✔ 3.1e-7 ≤ 5e-3" when it passed, "✖ 2.2e-1 >
 * 5e-2" when it missed (not "≤", which a failed check would contradict).
 */
function accuracyText(acc: NonNullable<WorkloadResult['accuracy']>): string {
  const tolerance = acc.tolerance.toExponential(0);
  if (acc.error === null) return `\u2716 not a number (limit ${tolerance})`;
  const error = acc.error === 0 ? '0' : acc.error.toExponential(1);
  return acc.passed ? `\u2714 ${error} \u2264 ${tolerance}` : `\u2716 ${error} > ${tolerance}`;
}

/**
 * A workload's reason without the status word the cell already shows above it: "Not run: the
 * run was stopped…" under "not run" reads twice.
 */
function reasonAfterStatus(reason: string, status: WorkloadResult['status']): string {
  const word = STATUS_WORDS[status];
  const m = /^([^:]+):\s*(.+)$/s.exec(reason);
  if (!m?.[1] || !m[2] || m[1].trim().toLowerCase() !== word) return reason;
  return m[2].charAt(0).toUpperCase() + m[2].slice(1);
}

/** "356 – 364 ms": one unit for both ends, so the cell stays on one line. */
function msRange(min: number | null | undefined, max: number | null | undefined): string {
  if (min === null || min === undefined || max === null || max === undefined) return '\u2014';
  if (max >= 1000) return `${formatNumber(min / 1000)} \u2013 ${formatNumber(max / 1000)} s`;
  return `${formatNumber(min)} \u2013 ${formatNumber(max)} ms`;
}

function workloadRows(workloads: WorkloadResult[], scoredPercentile: number): string[][] {
  return workloads.map((w) => {
    const t = w.timing;
    const acc = w.accuracy;
    const accText = acc ? accuracyText(acc) : '\u2014';
    const reason = w.reason && w.status !== 'ok' ? reasonAfterStatus(w.reason, w.status) : '';
    const status = `<span class="st st-${w.status}">${e(STATUS_WORDS[w.status])}</span>${reason ? `<div class="why">${e(reason)}</div>` : ''}${w.detail ? `<details><summary>onnxruntime said</summary><pre>${e(w.detail)}</pre></details>` : ''}`;
    return [
      `<strong>${e(w.title)}</strong><div class="small">${e(w.id)}</div>`,
      w.value === null ? '\u2014' : `<strong>${e(formatNumber(w.value))}</strong> ${e(w.unit)}`,
      e(formatMs(scoredPercentile === 50 ? t?.medianMs : t?.p10Ms)),
      e(formatMs(t?.medianMs)),
      e(formatMs(t?.p90Ms)),
      e(msRange(t?.minMs, t?.maxMs)),
      t ? `\u00b1${(t.cv * 100).toFixed(1)} %` : '\u2014',
      t
        ? `${t.iterations}${w.protocolMet ? '' : ' <span class="small">(below minimum)</span>'}`
        : '\u2014',
      e(accText),
      status,
    ];
  });
}

/** What each column of the results table means, for readers who do not read statistics. */
function resultsLegend(scoredPercentile: number): string {
  return `<dl class="legend">
<dt>Scored run time (p${scoredPercentile})</dt><dd>the run time the result is computed from: ${scoredPercentile} % of runs were faster than it.</dd>
<dt>Median, p90</dt><dd>half the runs, and 90 % of them, were faster than this.</dd>
<dt>Spread around the average</dt><dd>how far a run time typically lay from the average run time (standard deviation \u00f7 mean); over \u00b1${formatNumber(HIGH_VARIATION_CV * 100)} % the report warns.</dd>
<dt>Runs</dt><dd>runs measured after the warm-up.</dd>
<dt>Accuracy</dt><dd>how far the outputs were from the CPU\u2019s exact reference (relative RMS error: 0 is exact, 1e-3 is 0.1 %), against the most the suite allows; a workload over it scores nothing.</dd>
</dl>`;
}

function timingCharts(workloads: WorkloadResult[]): string {
  const figures = workloads
    .filter((w) => w.series.length > 1)
    .map(
      (w) =>
        `<figure><figcaption>${e(w.title)}: run time of each run, in order</figcaption>${lineChart([{ values: w.series, cls: 'l2', label: 'run time' }], { width: 340, height: 110, unit: 'ms', aria: `Run times of ${w.title}`, xLabel: `${w.timing?.iterations ?? w.series.length} runs` })}</figure>`,
    );
  return figures.length
    ? `<p class="small">A flat line is a steady device; a line that climbs means it slowed down as the run went on (heat, another program).</p><div class="grid">${figures.join('')}</div>`
    : '';
}

function telemetryTable(
  summary: TelemetrySummary[],
  samples: TelemetrySample[],
  names: ReadonlyMap<string, string>,
): string {
  // The clock while the GPU worked: the idle clock sampled before the first run (345 MHz on an
  // H200 that ran at 975-1980) would read as a fault. All samples where utilization is unknown.
  const working = new Map(clockSwings(samples).map((c) => [c.gpuId, c]));
  const clockRange = (t: TelemetrySummary) => {
    const c = working.get(t.gpuId);
    const [min, max] = c ? [c.minMHz, c.maxMHz] : [t.minGraphicsClockMHz, t.maxGraphicsClockMHz];
    return min === null ? '\u2014' : `${formatNumber(min)} \u2013 ${formatNumber(max)} MHz`;
  };
  return table(
    [
      'GPU',
      'Samples',
      'Max temperature',
      'Power (mean / max)',
      'Graphics clock while working (min \u2013 max)',
      'Max utilization',
      'Throttled',
    ],
    summary.map((t) => [
      gpuLabel(t.gpuId, names),
      String(t.samples),
      t.maxTemperatureC === null ? '\u2014' : `${formatNumber(t.maxTemperatureC)} \u00b0C`,
      t.meanPowerW === null
        ? '\u2014'
        : `${formatNumber(t.meanPowerW)} / ${formatNumber(t.maxPowerW)} W`,
      clockRange(t),
      t.maxUtilizationPct === null ? '\u2014' : `${formatNumber(t.maxUtilizationPct)} %`,
      t.throttled ? `<span class="bad">yes</span>: ${e(t.throttleReason ?? '')}` : 'no',
    ]),
  );
}

const STYLE = `
:root { color-scheme: light; --ink:#1d2430; --muted:#5b6577; --line:#d9dee7; --ok:#1a7f37; --bad:#b42318; --warn:#9a6700; --accent:#2f5fd0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1060px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; break-after: avoid; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.small, .lbl.small { font-size: 12px; color: var(--muted); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
code.cmd { word-break: normal; white-space: nowrap; }
code.formula { word-break: normal; }
pre { white-space: pre-wrap; font-size: 11px; max-height: 16em; overflow: auto; background: #f6f8fa; padding: 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
td.num, .results td:nth-child(n+2):nth-child(-n+6) { white-space: nowrap; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { background: #f3f5f9; font-weight: 600; } tr { break-inside: avoid; }
.kv td:first-child { width: 220px; color: var(--muted); }
.headline { display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; margin: 16px 0; }
.score { font-size: 40px; font-weight: 700; } .score-unit { font-size: 16px; color: var(--muted); }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; font-size: 13px; }
.badge.complete { background: #dafbe1; color: var(--ok); } .badge.incomplete { background: #ffebe9; color: var(--bad); }
.badge.software { background: #fff8c5; color: var(--warn); }
.verdict { padding: 8px 10px; border-left: 4px solid; font-weight: 600; } .verdict.bad { color: var(--bad); border-color: var(--bad); background: #fff5f4; } .verdict.warn { color: var(--warn); border-color: var(--warn); background: #fffbea; }
.legend { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; font-size: 12px; color: var(--muted); margin: 0 0 12px; } .legend dt { font-weight: 600; } .legend dd { margin: 0; }
.score-note { font-size: 12px; color: var(--muted); margin: 4px 0 10px; }
.verified { color: var(--ok); } .unverified { color: var(--bad); font-weight: 600; }
.warnings { list-style: none; padding: 0; } .warnings li { padding: 8px 10px; margin: 6px 0; border-left: 4px solid; background: #fafbfc; break-inside: avoid; }
.sev-error { border-color: var(--bad) !important; } .sev-warning { border-color: var(--warn) !important; } .sev-info { border-color: var(--accent) !important; }
.fix { color: var(--muted); } .ok-text { color: var(--ok); }
.st { font-weight: 600; } .st-ok { color: var(--ok); } .st-failed, .st-failed-accuracy, .st-unsupported, .st-interrupted { color: var(--bad); } .st-not-run { color: var(--muted); }
.why { font-size: 12px; color: var(--muted); max-width: 340px; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 0; break-inside: avoid; } figcaption { font-size: 12px; color: var(--muted); }
.chart { max-width: 100%; height: auto; }
.print-only { display: none; }
.chart text { font: 12px system-ui, sans-serif; fill: var(--ink); } .chart .small { font-size: 10px; fill: var(--muted); }
.chart .bar { fill: var(--accent); } .chart .ref { stroke: var(--muted); stroke-dasharray: 4 3; } .chart .bad { fill: var(--bad); } .chart .val { fill: var(--ink); }
.chart .axis, .chart .grid { stroke: var(--line); } .chart polyline { fill: none; stroke-width: 1.5; }
.chart .l1 { stroke: #cf222e; } .chart .l2 { stroke: var(--accent); } .chart .l3 { stroke: #9a6700; } .chart .l4 { stroke: #1a7f37; }
footer { margin-top: 32px; font-size: 12px; color: var(--muted); }
@page { size: A4; margin: 12mm; }
@media print { body { padding: 0; max-width: none; font-size: 11px; } table { font-size: 10px; } th, td { padding: 3px 4px; } .small, .why, figcaption, .score-note, .legend, footer { font-size: 9px; } .why { max-width: none; } code { font-size: 9.5px; } details { display: none; } .score { font-size: 30px; } .screen-only { display: none; } .print-only { display: inline; } }
`;

/**
 * What went wrong, in one sentence at the top, so a failed or partial run is plain before any
 * table: which workloads did not score and why, by their titles.
 */
function verdictLine(r: SignedReport['report'], unscored: WorkloadResult[]): string {
  const total = r.workloads.length;
  const list = unscored.map((w) => `${w.title} (${STATUS_WORDS[w.status]})`).join(', ');
  if (!r.complete) {
    const measured = total - unscored.length;
    return `<p class="verdict bad" id="verdict">This run did not finish: ${measured} of ${total} workloads were measured, so there is no composite score. Not measured: ${e(list)}. The warnings below say why.</p>`;
  }
  if (unscored.length) {
    return `<p class="verdict bad" id="verdict">${unscored.length} of ${total} workloads did not score, so there is no composite score: ${e(list)}. The warnings below say why and what to do.</p>`;
  }
  const warned = r.warnings.filter((w) => w.severity !== 'info').length;
  const below = `${warned} warning${warned === 1 ? '' : 's'} below`;
  // A warning does not always mean "too low": a software renderer's score is not a GPU's at all.
  if (r.target.software) {
    return `<p class="verdict warn" id="verdict">Every workload scored, but on a software renderer that runs on the CPU: this score is not a GPU\u2019s. See the ${below}.</p>`;
  }
  return warned
    ? `<p class="verdict warn" id="verdict">Every workload scored, with ${below}: read them before relying on the score.</p>`
    : '';
}

/** What the composite is, in words: the unit, what 1,000 means, what to compare it with. */
function compositeNote(def: SignedReport['report']['suite']['definition']): string {
  return `${e(def.composite.unit)} (${e(def.composite.name)}): each of the ${def.workloads.length} workloads\u2019 throughput divided by that of the suite\u2019s reference machine, combined as a weighted geometric mean and multiplied by ${e(formatNumber(def.composite.scale))}. The reference machine scores ${e(formatNumber(def.composite.scale))}; higher is faster, and twice the score is twice the throughput. Compare it only with scores of the same suite (${e(def.id)}).`;
}

/** The PDF is this page printed: it carries no signed JSON, so verify cannot read it. */
const PRINTED_COPY =
  'This is a printed copy (PDF), which cannot be checked itself: ask for the report\u2019s .json or .html export and run <code class="cmd">roost report verify</code> on that file.';

/** 10 → "10th", 1 → "1st", 22 → "22nd". */
function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** The whole report as a standalone HTML document. */
export interface RenderHtmlOptions {
  /** The Roost version exporting the page; written into it, so verify can render it again. */
  exportedBy?: string;
}

export function renderReportHtml(
  signed: SignedReport,
  verdict?: VerifyResult,
  options: RenderHtmlOptions = {},
): string {
  const { exportedBy } = options;
  const r = signed.report;
  const measurement = measurementOf(r.suite.definition);
  const scoredPercentile = Math.round(measurement.scoreQuantile * 100);
  const t = r.target;
  const def = r.suite.definition;
  const targetGpu = t.gpuId ? r.gpus.gpus.find((g) => g.id === t.gpuId) : undefined;
  const adapter = t.adapter
    ? `${adapterName(t.adapter)}${t.software ? ' (software renderer, not a GPU)' : ''}`
    : t.ep === 'cpu'
      ? r.machine.cpu.model
      : (targetGpu?.name ?? 'an adapter it did not name');
  const targetText = `${executionProviderName(t.ep)}${t.deviceIndex !== undefined ? ` (device ${t.deviceIndex})` : ''} on ${adapter}`;
  const composite =
    r.composite.value !== null
      ? `<span class="score" id="composite">${e(formatNumber(r.composite.value, 4))}</span> <span class="score-unit">${e(r.composite.unit)} (${e(def.composite.name)})</span>`
      : `<span class="score" id="composite">\u2014</span> <span class="score-unit">no composite: ${e(
          r.complete
            ? `${r.composite.missing.map((id) => r.workloads.find((w) => w.id === id)?.title ?? id).join('; ')} did not score`
            : 'the run did not finish',
        )}${r.composite.partial !== null ? `; over the workloads that scored it would be ${e(formatNumber(r.composite.partial))} ${e(r.composite.unit)} (for information only: not comparable with a full score)` : ''}</span>`;
  const gpuRows = r.gpus.gpus.map((g) => [
    `<strong>${e(g.name)}</strong><div class="small">${e(g.id)}</div>`,
    e(g.vendor),
    e(`${g.pciVendorId ?? '????'}:${g.pciDeviceId ?? '????'}`),
    e(g.busId ?? '\u2014'),
    e([g.driver, g.driverVersion].filter(Boolean).join(' ') || '\u2014'),
    e(g.vramBytes === null ? (g.vramShared ? 'shared' : '\u2014') : formatBytes(g.vramBytes)),
    e(GPU_STATUS_TITLES[g.status]) +
      (g.problem ? `<div class="why">${e(g.problem.message)}</div>` : ''),
  ]);
  const probeRows = (r.probe?.results ?? []).map((p) => [
    e(executionProviderName(p.ep)) +
      (p.deviceIndex !== undefined ? ` (device ${p.deviceIndex})` : ''),
    `<span class="${p.ok ? 'st st-ok' : p.status === 'software-adapter' ? 'small' : 'st st-failed'}">${e(PROBE_STATUS_TITLES[p.status])}</span>`,
    e(p.adapter ? `${adapterName(p.adapter)}${p.adapter.software ? ' (software)' : ''}` : '\u2014'),
    e(p.reason ?? '') + (p.fix ? `<div class="why">Fix: ${e(p.fix)}</div>` : ''),
  ]);
  const methodRows = def.workloads.map((w) => [
    `<strong>${e(w.title)}</strong><div class="why">${e(w.description)}</div>`,
    e(w.unit) + (w.unitNote ? `<div class="small">1 inference = ${e(w.unitNote)}</div>` : ''),
    e(formatNumber(w.reference)),
    e(w.weight.toFixed(2)),
    e(w.tolerance.toExponential(0)),
    `<code class="cmd">${e(w.modelSha256.slice(0, 12))}\u2026</code>`,
  ]);
  const unscored = r.workloads.filter((w) => w.value === null);
  const gpuNames = new Map(r.gpus.gpus.map((g) => [g.id, g.name]));
  const embedded = JSON.stringify(signed).replace(/</g, '\\u003c');
  const title = `Roost benchmark report \u2014 ${r.composite.value !== null ? `${formatNumber(r.composite.value, 4)} ${r.composite.unit}` : r.complete ? 'no composite' : 'INCOMPLETE'} \u2014 ${formatDate(r.startedAt)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Roost ${e(r.roost.version)}">
${exportedBy !== undefined ? `<meta name="${EXPORTED_BY}" content="${e(exportedBy)}">\n<meta name="${LAYOUT}" content="${PAGE_LAYOUT}">\n` : ''}<title>${e(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Roost benchmark report</h1>
<div class="small">${e(def.title)} (<code>${e(r.suite.id)}</code>), preset <strong>${e(r.protocol.name)}</strong>, ${e(formatDate(r.startedAt))}, took ${e(formatMs(r.durationMs))}</div>
</header>
<section id="summary">
<div class="headline">
<div>${composite}</div>
<div><span class="badge ${r.complete ? 'complete' : 'incomplete'}" id="status">${r.complete ? 'Complete' : 'INCOMPLETE \u2014 partial report'}</span>${r.complete && unscored.length ? ` <span class="badge incomplete">${unscored.length} of ${r.workloads.length} workloads did not score</span>` : ''}${t.software ? ' <span class="badge software">software adapter</span>' : ''}</div>
</div>
${verdictLine(r, unscored)}
<p class="score-note">${compositeNote(def)}</p>
<table class="kv"><tbody>
<tr><td>Measured on</td><td id="target">${e(targetText)}</td></tr>
<tr><td>Machine</td><td>${e(r.machine.cpu.model)}, ${r.machine.cpu.logicalCores} logical cores, ${e(formatBytes(r.machine.memory.totalBytes))} RAM; ${e(r.machine.os.distribution ?? `${r.machine.os.platform} ${r.machine.os.release}`)} (${e(r.machine.os.arch)})</td></tr>
<tr><td>GPUs found</td><td>${r.gpus.gpus.length ? r.gpus.gpus.map((g) => e(g.name)).join(', ') : 'none'}</td></tr>
<tr><td>Software</td><td>Roost ${e(r.roost.version)}, onnxruntime ${e(r.onnxruntime.version)}, Node ${e(r.machine.node)}</td></tr>
</tbody></table>
${verificationLine(signed, verdict, exportedBy)}
</section>

<section id="warnings-section">
<h2>Warnings</h2>
${warningList(r.warnings)}
</section>

<section id="results">
<h2>Results</h2>
<p class="small">Each number is the throughput at the ${e(ordinal(scoredPercentile))} percentile run time (${100 - scoredPercentile} % of runs took at least that long), counted only when the outputs matched the CPU reference. The bars compare each result with the suite\u2019s reference machine (dashed line, 1\u00d7) on a logarithmic axis, the axis of the composite\u2019s geometric mean.</p>
${barChart(r.workloads)}
${table(['Workload', 'Result', `Scored run time (p${scoredPercentile})`, 'Median', 'p90', 'Min \u2013 max', 'Spread around the average', 'Runs', 'Accuracy (error vs. limit)', 'Status'], workloadRows(r.workloads, scoredPercentile), 'results')}
${resultsLegend(scoredPercentile)}
${timingCharts(r.workloads)}
</section>

<section id="machine">
<h2>Machine</h2>
<table class="kv"><tbody>
<tr><td>Operating system</td><td>${e(r.machine.os.distribution ?? '')} ${e(r.machine.os.platform)} ${e(r.machine.os.release)} (${e(r.machine.os.arch)})<div class="small">${e(r.machine.os.version)}</div></td></tr>
<tr><td>CPU</td><td>${e(r.machine.cpu.model)}, ${r.machine.cpu.logicalCores} logical cores${r.machine.cpu.speedMHz ? `, ${r.machine.cpu.speedMHz} MHz` : ''}</td></tr>
<tr><td>Memory</td><td>${e(formatBytes(r.machine.memory.totalBytes))}</td></tr>
<tr><td>Load when the run started</td><td>${r.machine.loadAverage === null ? 'not measured (Windows has no load average)' : `${e(formatNumber(r.machine.loadAverage))}<div class="small">The load average of the minute before: how many programs were running or waiting for a core, on average. This machine has ${r.machine.cpu.logicalCores} logical cores; a load near that keeps them all busy.</div>`}</td></tr>
<tr><td>Other programs during the run</td><td>${typeof r.machine.otherProgramsCores === 'number' ? `${e(formatNumber(r.machine.otherProgramsCores))} of ${r.machine.cpu.logicalCores} cores busy, on average` : 'not measured'}</td></tr>
<tr><td>onnxruntime</td><td>${e(r.onnxruntime.version)}</td></tr>
</tbody></table>
<h3>GPUs</h3>
${gpuRows.length ? table(['GPU', 'Vendor', 'PCI id', 'Bus', 'Driver', 'VRAM', 'Status'], gpuRows) : '<p>No GPU was found.</p>'}
${r.gpus.problems.length ? `<p class="small">Tools that could not answer: ${r.gpus.problems.map((p) => e(`${p.tool}: ${p.message}`)).join('; ')}</p>` : ''}
<h3>Accelerators (onnxruntime execution providers)</h3>
${probeRows.length ? table(['Provider', 'Status', 'Adapter', 'Reason'], probeRows) : '<p>Not probed.</p>'}
</section>

<section id="telemetry">
<h2>GPU telemetry during the run</h2>
${r.telemetry.summary.length ? telemetryTable(r.telemetry.summary, r.telemetry.samples, gpuNames) + telemetryCharts(r.telemetry.samples, gpuNames) : '<p>No GPU telemetry was recorded during this run.</p>'}
</section>

<section id="method">
<h2>Method</h2>
<p>Suite <code>${e(r.suite.id)}</code>, hash <code>${e(r.suite.hash)}</code>. Models are generated in code, byte for byte the same on every machine (their sha256 are part of the suite); inputs come from a fixed seed (${e(def.seed)}; ${e(def.generator)}).</p>
<p>Protocol <strong>${e(r.protocol.name)}</strong>: warm-up of at least ${e(formatMs(r.protocol.warmup.minMs))} and ${r.protocol.warmup.minIterations} runs (not measured); then each workload runs until both ${e(formatMs(r.protocol.measure.minMs))} and ${r.protocol.measure.minIterations} runs are reached (at most ${e(formatMs(r.protocol.measure.maxMs))}). Reported: median, p90 (linear interpolation), min, max and the spread around the average of the run times (the coefficient of variation: standard deviation ÷ mean).</p>
<p>${e(measurement.description)}</p>
<p>Accuracy gate: ${e(def.accuracyMetric)}.</p>
<p>Composite: <code class="formula">${e(def.composite.formula)}</code>; scale ${e(formatNumber(def.composite.scale))}.</p>
${table(['Workload', 'Unit', 'Reference', 'Weight', 'Tolerance', 'Model sha256'], methodRows)}
</section>

<section id="verify">
<h2>Checking this report</h2>
<p><span class="screen-only">The signed JSON is inside this file. Run <code class="cmd">roost report verify &lt;this file or the .json&gt;</code>: it checks the schema, the suite hash and the signature of that JSON, that this page shows exactly what it says (an edit to the page fails), and prints the signer\u2019s address.</span><span class="print-only">${PRINTED_COPY} Verify checks the schema, the suite hash and the signature, and prints the signer\u2019s address.</span></p>
<p>A valid signature means these numbers are exactly the ones the provider\u2019s Roost measured and signed: compare the signer\u2019s address, <code>${e(signed.signature.signer)}</code>, with the provider\u2019s address on the market. How it is made: the sha256 of the report\u2019s JSON written in one fixed way (RFC 8785 canonical JSON) is the report\u2019s hash, <code>${e(signed.signature.digest)}</code>, the one registered on the market; the provider\u2019s key signs a short text naming that hash as an Ethereum signed message (EIP-191 personal_sign), so any Ethereum tool can recover the signer from it.</p>
</section>
<footer>Report <code>${e(r.id)}</code> \u00b7 ${e(r.format)} \u00b7 Roost ${e(r.roost.version)} \u00b7 ${e(formatDate(r.startedAt))} \u2013 ${e(formatDate(r.finishedAt))}${exportedBy !== undefined ? ` \u00b7 exported by Roost ${e(exportedBy)}` : ''}</footer>
<script type="application/json" id="${EMBED_ID}">${embedded}</script>
</body>
</html>
`;
}

/** The signed report JSON embedded in an exported HTML file, as text. */
export function extractReportFromHtml(html: string): string | undefined {
  const m = new RegExp(
    `<script type="application/json" id="${EMBED_ID}">([\\s\\S]*?)</script>`,
  ).exec(html);
  return m?.[1];
}

function unescapeHtml(text: string): string {
  return text.replace(
    /&(amp|lt|gt|quot|#39|#(\d+)|#x([0-9a-f]+));/gi,
    (all, name: string, dec?: string, hex?: string) => {
      if (dec) return String.fromCodePoint(Number(dec));
      if (hex) return String.fromCodePoint(parseInt(hex, 16));
      const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
      return named[name.toLowerCase()] ?? all;
    },
  );
}

/** The Roost version an exported page says exported it; undefined when it says none. */
export function exportedByOf(html: string): string | undefined {
  const m = new RegExp(`<meta name="${EXPORTED_BY}" content="([^"]*)">`).exec(html);
  return m?.[1] === undefined ? undefined : unescapeHtml(m[1]);
}

/** The layout an exported page says it has (see PAGE_LAYOUT); undefined for earlier exports. */
export function pageLayoutOf(html: string): number | undefined {
  const m = new RegExp(`<meta name="${LAYOUT}" content="(\\d{1,6})">`).exec(html);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** Where the first difference between an exported page and the page Roost renders lies. */
export interface PageDifference {
  /** The part of the page, in words: "the summary at the top", "Results". */
  part: string;
  /** The differing text as the file has it and as Roost renders it; absent for markup changes. */
  found?: string;
  expected?: string;
}

const PARTS: Record<string, string> = {
  summary: 'the summary at the top',
  'warnings-section': 'Warnings',
  results: 'Results',
  machine: 'Machine',
  telemetry: 'GPU telemetry',
  method: 'Method',
  verify: 'Checking this report',
};

/** Printable, short: a snippet of a file shown in a message. */
function snippet(text: string, from: number): string {
  // From a word's start, some words before the difference: "FP32 (fast)", not "P32 (fast)".
  let start = from <= 40 ? 0 : from - 20;
  if (start > 0) {
    const space = text.lastIndexOf(' ', start);
    if (space > from - 40) start = space + 1;
  }
  const cut = text.slice(start, start + 60);
  const clean = unescapeHtml(cut)
    // eslint-disable-next-line no-control-regex -- finding them is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g, ' ')
    .replace(/\s+/g, ' ');
  return `${start > 0 ? '\u2026' : ''}${clean}${start + 60 < text.length ? '\u2026' : ''}`;
}

/** Editors' harmless changes: a byte-order mark, CRLF line ends, the final newline. */
function normalizePage(html: string): string {
  return html
    .replace(/^\uFEFF/, '')
    .replace(/\r\n/g, '\n')
    .trimEnd();
}

/**
 * Compares an exported page with the page Roost renders from the same inputs: undefined when
 * they are the same, else the first difference, named by the part of the page it is in. Pages
 * are compared whole (markup, styles and embedded JSON too: a style can hide a row as well as an
 * edit can change a number), token by token so the difference can be told in words.
 */
export function pageDifference(actual: string, expected: string): PageDifference | undefined {
  const a = normalizePage(actual);
  const b = normalizePage(expected);
  if (a === b) return undefined;
  const tokensA = a.split(/(<[^>]*>)/);
  const tokensB = b.split(/(<[^>]*>)/);
  let part = 'the top of the page';
  for (let i = 0; i < Math.max(tokensA.length, tokensB.length); i++) {
    const ta = tokensA[i];
    const tb = tokensB[i];
    if (ta === tb) {
      const section = /^<section id="([^"]+)">$/.exec(tb ?? '');
      if (section?.[1]) part = PARTS[section[1]] ?? section[1];
      else if (tb === '<header>') part = 'the page header';
      else if (tb === '<style>' || tb === '<title>') part = "the page's head (title and styles)";
      else if (tb === '<footer>') part = 'the footer';
      else if (tb?.startsWith('<script')) part = 'the embedded report (its text was reformatted)';
      else if (tb === '</section>' || tb === '</style>' || tb === '</title>') part = 'the page';
      continue;
    }
    const isText = (t: string | undefined) => t !== undefined && !t.startsWith('<');
    if (isText(ta) && isText(tb) && ta !== undefined && tb !== undefined) {
      let j = 0;
      while (j < ta.length && ta[j] === tb[j]) j++;
      return { part, found: snippet(ta, j), expected: snippet(tb, j) };
    }
    return { part };
  }
  return { part };
}
