import { describe, expect, it } from 'vitest';
import {
  axisRange,
  escapeHtml,
  exportedByOf,
  extractReportFromHtml,
  formatNumber,
  pageDifference,
  renderReportHtml,
} from './html.ts';
import { signReport, verifyReport } from './sign.ts';
import { failedOutcome, passingOutcome, sampleReport, testSigner } from './testing/fixtures.ts';
import type { TelemetrySample } from '../hardware/schema.ts';

/** A run whose FP16 GEMM missed the accuracy gate and whose decode could not run on CUDA. */
async function failedRun(): Promise<string> {
  const wrong = passingOutcome('gemm-fp16', 50);
  wrong.firstOutputs = [{ name: 'y', dims: [2], values: [1, 2.5] }];
  const report = sampleReport({
    outcomes: {
      'gemm-fp16': wrong,
      decode: failedOutcome('decode', 'assigned to the default CPU EP'),
    },
  });
  const signed = await signReport(report, testSigner());
  return renderReportHtml(signed, verifyReport(signed), { exportedBy: '1.2.3' });
}

/** A run stopped during its third workload: two measured, one interrupted, three not run. */
async function stoppedRun(): Promise<string> {
  const report = sampleReport({
    stopped: true,
    startedIds: ['gemm-fp32', 'gemm-fp16', 'memory-bandwidth'],
    outcomes: {
      'memory-bandwidth': undefined,
      cnn: undefined,
      'transformer-encoder': undefined,
      decode: undefined,
    },
  });
  return renderReportHtml(await signReport(report, testSigner()));
}

/** The text of a section of the page, tags dropped. */
function sectionText(html: string, id: string): string {
  const m = new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(html);
  return (m?.[1] ?? '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');
}

/** The rows of the results table, each a list of its cells' markup. */
function resultRows(html: string): string[][] {
  const body = /<table class="results">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => c[1]!),
  );
}

function nvidiaSample(at: number, clock: number): TelemetrySample {
  return {
    gpuId: 'pci-0000:01:00.0',
    at,
    utilizationPct: 98,
    vramUsedBytes: 1e9,
    vramTotalBytes: 1e10,
    temperatureC: 60,
    powerW: 310 + (at % 3),
    graphicsClockMHz: clock,
    memoryClockMHz: 9501,
    fanPct: 70,
    source: 'nvidia-smi',
  };
}

describe('the HTML report', () => {
  it('escapes everything that came from outside', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });

  it('says an inferred adapter was inferred', async () => {
    const target = {
      ep: 'webgpu' as const,
      gpuId: 'pci-0000:19:00.0',
      adapter: {
        name: 'NVIDIA H200',
        kind: 'discrete' as const,
        software: false,
        gpuId: 'pci-0000:19:00.0',
        inferredFrom: 'vulkan-driver' as const,
      },
      software: false,
    };
    const html = renderReportHtml(await signReport(sampleReport({ target }), testSigner()));
    expect(/<td id="target">([^<]*)</.exec(html)?.[1]).toBe(
      'WebGPU on NVIDIA H200 (inferred from the installed Vulkan driver)',
    );
  });

  it('names the accelerators tested and their outcome in words, not ids', async () => {
    const html = renderReportHtml(await signReport(sampleReport({}), testSigner()));
    const machine = sectionText(html, 'machine');
    expect(machine).toMatch(/ CPU works AMD EPYC \(test\) /);
    expect(machine).toMatch(/ WebGPU software renderer \(not a GPU\) llvmpipe/);
    expect(machine).toMatch(/ CUDA \(device 0\) works NVIDIA GeForce RTX 3080 &lt;test&gt; /);
    expect(machine).not.toMatch(/cuda:0|software-adapter|\bwebgpu\b/);
    // The GPU's own state in words too ("working", not "ok").
    expect(machine).toMatch(/ 10 GiB working /);
  });

  it('gives the GPU clock while it worked, not the idle clock sampled before the run', async () => {
    const sample = (at: number, clock: number, util: number | null) => ({
      gpuId: 'pci-0000:00:06.0',
      at,
      utilizationPct: util,
      vramUsedBytes: 1e9,
      vramTotalBytes: 1.4e11,
      temperatureC: 36,
      powerW: 140,
      graphicsClockMHz: clock,
      memoryClockMHz: 3201,
      fanPct: null,
      source: 'nvidia-smi' as const,
    });
    const clockCell = async (telemetry: ReturnType<typeof sample>[]) => {
      const html = renderReportHtml(await signReport(sampleReport({ telemetry }), testSigner()));
      return /<td>([\d,]+ \u2013 [\d,]+ MHz)<\/td>/.exec(html)?.[1];
    };
    // An H200's run: 345 MHz idle before it, 975-1980 MHz while it worked.
    const h200 = [
      sample(0, 345, 0),
      sample(1000, 1980, 26),
      sample(2000, 975, 23),
      sample(3000, 1320, 40),
    ];
    expect(await clockCell(h200)).toBe('975 \u2013 1,980 MHz');
    // Where the tool gives no utilization, every sample counts.
    expect(await clockCell(h200.map((s) => ({ ...s, utilizationPct: null })))).toBe(
      '345 \u2013 1,980 MHz',
    );
  });

  it("wraps the composite's formula between words, and hashes anywhere", async () => {
    const html = renderReportHtml(await signReport(sampleReport(), testSigner()));
    expect(html).toMatch(/<code class="formula">composite = /);
    expect(html).toMatch(/code\.formula \{ word-break: normal; \}/);
    expect(html).toMatch(/code \{[^}]*word-break: break-all;/);
  });

  it('gives every axis label of the charts its unit', async () => {
    const sample = (at: number, clock: number) => ({
      gpuId: 'pci-0000:00:06.0',
      at,
      utilizationPct: 40,
      vramUsedBytes: 1e9,
      vramTotalBytes: 1.4e11,
      temperatureC: 36 + at / 1000,
      powerW: 140,
      graphicsClockMHz: clock,
      memoryClockMHz: 3201,
      fanPct: null,
      source: 'nvidia-smi' as const,
    });
    const telemetry = [sample(0, 1320), sample(1000, 1980), sample(2000, 975)];
    const html = renderReportHtml(await signReport(sampleReport({ telemetry }), testSigner()));
    const charts = [
      ...html.matchAll(/<svg class="chart"[^>]*aria-label="([^"]*)"[\s\S]*?<\/svg>/g),
    ];
    const lineCharts = charts.filter((c) => !c[1]!.startsWith('Sub-scores'));
    // Run times of each workload, and temperature, clock, power and utilization of the GPU.
    expect(lineCharts.length).toBeGreaterThanOrEqual(5);
    for (const [chart, name] of lineCharts) {
      const labels = [...chart.matchAll(/class="small">([^<]*)<\/text>/g)].map((m) => m[1]);
      expect(labels, name).toHaveLength(3);
      for (const label of labels)
        expect(label, `${name}: ${label}`).toMatch(/^[\d,.]+ (ms|s|runs|\u00b0C|MHz|W|%)$/);
    }
  });

  it("says each workload's spread in words support staff read: ± around the average", async () => {
    const report = sampleReport();
    const html = renderReportHtml(await signReport(report, testSigner()));
    expect(html).toContain('<th>Spread around the average</th>');
    expect(html).not.toMatch(/\bCV\b/);
    expect(html).toContain(
      'spread around the average of the run times (the coefficient of variation',
    );
    const cv = report.workloads[0]!.timing!.cv;
    expect(html).toContain(`<td>\u00b1${(cv * 100).toFixed(1)} %</td>`);
  });

  it('says a failed run failed at the top, by workload title, before any table', async () => {
    const html = await failedRun();
    const summary = sectionText(html, 'summary');
    expect(summary).toContain(
      '2 of 6 workloads did not score, so there is no composite score: Matrix multiply, FP16 (wrong result), Small-batch decode (unsupported).',
    );
    expect(html).toMatch(/<span class="badge incomplete">2 of 6 workloads did not score<\/span>/);
    // Beside the missing score too, by title: support staff do not know the workload ids.
    expect(html).toContain('no composite: Matrix multiply, FP16; Small-batch decode did not score');
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('<section id="results">'));
    // The mean over the workloads that scored: as precise as the run is, with its unit.
    expect(summary).toMatch(/it would be \d{1,3} RCS \(for information only/);

    const stopped = sectionText(await stoppedRun(), 'summary');
    expect(stopped).toContain(
      'This run did not finish: 2 of 6 workloads were measured, so there is no composite score. Not measured: Memory bandwidth (interrupted), Convolutional network (not run)',
    );
    // A software renderer's score is not a GPU's: said as such, not as "may be lower".
    const software = sampleReport({
      target: {
        ep: 'webgpu',
        adapter: { name: 'llvmpipe (LLVM 15.0.6, 256 bits)', kind: 'cpu', software: true },
        software: true,
      },
    });
    expect(
      sectionText(renderReportHtml(await signReport(software, testSigner())), 'summary'),
    ).toContain(
      'Every workload scored, but on a software renderer that runs on the CPU: this score is not a GPU\u2019s. See the 1 warning below.',
    );
    // A clean run has no verdict line to cry wolf.
    const clean = renderReportHtml(await signReport(sampleReport(), testSigner()));
    expect(clean).not.toContain('id="verdict"');
  });

  it('says what RCS is and what 1,000 means, beside the score', async () => {
    const html = renderReportHtml(await signReport(sampleReport(), testSigner()));
    expect(sectionText(html, 'summary')).toContain(
      'RCS (Roost compute score): each of the 6 workloads\u2019 throughput divided by that of the suite\u2019s reference machine, combined as a weighted geometric mean and multiplied by 1,000. The reference machine scores 1,000; higher is faster',
    );
    expect(sectionText(html, 'method')).toContain('scale 1,000.');
  });

  it('writes a missed accuracy gate as error > limit, not error \u2264 tolerance', async () => {
    const rows = resultRows(await failedRun());
    expect(rows[1]![8]).toBe('\u2716 2.2e-1 &gt; 5e-2');
    expect(rows[0]![8]).toBe('\u2714 0 \u2264 5e-3');
  });

  it('gives min \u2013 max one unit on one line, and one dash where nothing was measured', async () => {
    const html = await stoppedRun();
    const rows = resultRows(html);
    expect(rows[0]![5]).toBe('356 \u2013 364 ms');
    expect(rows[3]![5]).toBe('\u2014');
    expect(html).toMatch(
      /\.results td:nth-child\(n\+2\):nth-child\(-n\+6\) \{ white-space: nowrap; \}/,
    );
  });

  it('does not repeat the status word in the reason beneath it', async () => {
    const rows = resultRows(await stoppedRun());
    const notRun = rows[3]![9]!;
    expect(notRun).toContain('<span class="st st-not-run">not run</span>');
    expect(notRun).toContain('<div class="why">The run was stopped before this workload.</div>');
    const wrong = resultRows(await failedRun())[1]![9]!;
    expect(wrong).toMatch(/<div class="why">The outputs differ from the CPU reference by 2\.2e-1/);
  });

  it('explains every column of the results beneath the table', async () => {
    const html = renderReportHtml(await signReport(sampleReport(), testSigner()));
    const legend = /<dl class="legend">([\s\S]*?)<\/dl>/.exec(html)?.[1] ?? '';
    const terms = [...legend.matchAll(/<dt>([^<]*)<\/dt>/g)].map((m) => m[1]);
    expect(terms).toEqual([
      'Scored run time (p10)',
      'Median, p90',
      'Spread around the average',
      'Runs',
      'Accuracy',
    ]);
    expect(legend).toContain('10 % of runs were faster than it');
    expect(legend).toContain('over \u00b15 % the report warns');
    expect(legend).toContain('relative RMS error: 0 is exact');
  });

  it('tells who signed in words at the top, and the standards only under Checking this report', async () => {
    const signed = await signReport(sampleReport(), testSigner());
    const html = renderReportHtml(signed, verifyReport(signed), { exportedBy: '1.2.3' });
    const badge = /<p class="verified">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
    expect(badge).toContain(
      `Signed by the provider\u2019s key <code>${signed.signature.signer}</code>`,
    );
    expect(badge).not.toMatch(/EIP-191|RFC 8785|personal_sign/);
    const checking = sectionText(html, 'verify');
    expect(checking).toContain('compare the signer\u2019s address');
    expect(checking).toMatch(/RFC 8785 canonical JSON.*EIP-191 personal_sign/);
  });

  it('says in the printed copy (the PDF) that it cannot be verified itself', async () => {
    const signed = await signReport(sampleReport(), testSigner());
    const html = renderReportHtml(signed, verifyReport(signed), { exportedBy: '1.2.3' });
    const printed = 'This is a printed copy (PDF), which cannot be checked itself';
    const badge = /<p class="verified">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
    expect(badge).toMatch(/<span class="screen-only"> To check this file now/);
    expect(badge).toContain(`<span class="print-only"> ${printed}`);
    expect(/<section id="verify">[\s\S]*?<\/section>/.exec(html)?.[0]).toMatch(
      /<span class="screen-only">The signed JSON is inside this file[\s\S]*<span class="print-only">This is a printed copy/,
    );
    expect(html).toMatch(/\n\.print-only \{ display: none; \}/);
    const print = /@media print \{(.*)\}\n/.exec(html)?.[1] ?? '';
    expect(print).toContain('.screen-only { display: none; } .print-only { display: inline; }');
  });

  it('fits an A4 page when printed: charts shrink, small print stays smaller than the tables', async () => {
    const html = renderReportHtml(await signReport(sampleReport(), testSigner()));
    // The bar chart is 860 px wide: wider than A4's 703 px between the margins.
    expect(/<svg class="chart"[^>]*width="(\d+)"/.exec(html)?.[1]).toBe('860');
    expect(html).toContain('.chart { max-width: 100%; height: auto; }');
    const print = /@media print \{(.*)\}\n/.exec(html)?.[1] ?? '';
    const size = (selector: string) =>
      Number(
        new RegExp(`${selector.replace(/[.*]/g, '\\$&')}[^{]*\\{[^}]*font-size: ([\\d.]+)px`).exec(
          print,
        )?.[1],
      );
    expect(size('table')).toBeLessThanOrEqual(10);
    for (const small of ['.small', '.why', '.legend'])
      expect(size(small)).toBeLessThan(size('table'));
    expect(print).toContain('.why { max-width: none; }');
  });

  it('draws chart axes with round ends, at least a tenth of the value wide, percentages to 100', () => {
    // Run times within 1 %: drawn as the small wobble they are, not across the whole chart.
    expect(axisRange([356, 358, 364], 'ms')).toEqual([340, 380]);
    // A flat 98 % utilization: no 103 % on the axis.
    const [lo, hi] = axisRange([98, 98, 98], '%');
    expect(hi).toBe(100);
    expect(lo).toBeLessThan(98);
    // A flat clock: round numbers around it.
    expect(axisRange([1905, 1905], 'MHz')).toEqual([1800, 2100]);
    // Wide ranges keep their data, ends rounded; nothing below zero for quantities that cannot be.
    expect(axisRange([345, 1980], 'MHz')).toEqual([0, 2000]);
    expect(axisRange([0.3, 0.3], 'ms')).toEqual([0.28, 0.32]);
  });

  it('names the GPU in the telemetry, not only its bus id', async () => {
    const telemetry = [nvidiaSample(0, 1905), nvidiaSample(1000, 1905), nvidiaSample(2000, 1620)];
    const html = renderReportHtml(await signReport(sampleReport({ telemetry }), testSigner()));
    const section = /<section id="telemetry">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
    expect(section).toContain(
      '<td>NVIDIA GeForce RTX 3080 &lt;test&gt; <span class="small">pci-0000:01:00.0</span></td>',
    );
    expect(section).toContain(
      '<h3>NVIDIA GeForce RTX 3080 &lt;test&gt; <span class="small">pci-0000:01:00.0</span></h3>',
    );
  });

  it('says what the load average is, and "not measured" where nothing was', async () => {
    const html = renderReportHtml(await signReport(sampleReport(), testSigner()));
    const machine = sectionText(html, 'machine');
    expect(machine).toContain(
      'Load when the run started 0.2 The load average of the minute before: how many programs were running or waiting for a core, on average. This machine has 2 logical cores',
    );
    expect(machine).toContain('Other programs during the run not measured');
  });

  it('formats numbers for people', () => {
    expect(formatNumber(1874.6)).toBe('1,875');
    expect(formatNumber(0.19374)).toBe('0.194');
    expect(formatNumber(16.92)).toBe('16.9');
    expect(formatNumber(null)).toBe('\u2014');
    expect(formatNumber(0)).toBe('0');
  });

  it('carries the signed JSON, which survives any text inside the report', async () => {
    const report = sampleReport();
    report.gpus.gpus[0]!.name = 'evil </script><script>alert(1)</script>';
    const signed = await signReport(report, testSigner());
    const html = renderReportHtml(signed);
    expect(html).not.toContain('</script><script>alert(1)');
    expect(html.match(/<script/g)).toHaveLength(1); // only the inert JSON block
    expect(html).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`,
    );
    const embedded = extractReportFromHtml(html);
    expect(JSON.parse(embedded ?? '')).toEqual(signed);
    expect(verifyReport(embedded ?? '')).toMatchObject({ ok: true });
    expect(extractReportFromHtml('<html></html>')).toBeUndefined();
  });

  it('says the report was verified when exported, and how to check the file now: not that it is unchanged', async () => {
    const signed = await signReport(sampleReport(), testSigner());
    const html = renderReportHtml(signed, verifyReport(signed), { exportedBy: '1.2.3' });
    const badge = /<p class="verified">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
    expect(badge).toMatch(
      /Verified by Roost 1\.2\.3 when this file was exported: the signature was valid.*To check this file now, run <code class="cmd">roost report verify &lt;this file&gt;<\/code>/,
    );
    expect(badge).not.toMatch(/unchanged/);
    expect(exportedByOf(html)).toBe('1.2.3');
    expect(exportedByOf(renderReportHtml(signed))).toBeUndefined();
    expect(html).toContain('exported by Roost 1.2.3</footer>');
  });

  it('renders the same page from the same inputs, and finds where an edited page differs', async () => {
    const signed = await signReport(sampleReport(), testSigner());
    const verdict = verifyReport(signed);
    const html = renderReportHtml(signed, verdict, { exportedBy: '1.2.3' });
    expect(renderReportHtml(signed, verdict, { exportedBy: '1.2.3' })).toBe(html);
    expect(pageDifference(html, html)).toBeUndefined();
    // What editors do without asking is no edit.
    expect(pageDifference(`\uFEFF${html.replace(/\n/g, '\r\n')}\n\n`, html)).toBeUndefined();

    const composite = /id="composite">([^<]*)</.exec(html)?.[1] ?? '';
    expect(composite).not.toBe('');
    const edited = html.replace(`id="composite">${composite}<`, 'id="composite">999.9<');
    expect(pageDifference(edited, html)).toEqual({
      part: 'the summary at the top',
      found: '999.9',
      expected: composite,
    });
    const renamed = html.replace(
      'Matrix multiply, FP32</strong>',
      'Matrix multiply, FP32 (fastest)</strong>',
    );
    expect(pageDifference(renamed, html)).toMatchObject({
      part: 'Results',
      found: 'Matrix multiply, FP32 (fastest)',
    });
    const hidden = html.replace(
      '<section id="warnings-section">',
      '<section id="warnings-section" hidden>',
    );
    expect(pageDifference(hidden, html)).toEqual({ part: 'the page' });
    const styled = html.replace('<style>', '<style>.warnings { display: none }');
    expect(pageDifference(styled, html)).toMatchObject({
      part: "the page's head (title and styles)",
    });
  });
});
