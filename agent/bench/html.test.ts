import { describe, expect, it } from 'vitest';
import {
  escapeHtml,
  exportedByOf,
  extractReportFromHtml,
  formatNumber,
  pageDifference,
  renderReportHtml,
} from './html.ts';
import { signReport, verifyReport } from './sign.ts';
import { sampleReport, testSigner } from './testing/fixtures.ts';

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
