import { describe, expect, it } from 'vitest';
import { escapeHtml, extractReportFromHtml, formatNumber, renderReportHtml } from './html.ts';
import { signReport, verifyReport } from './sign.ts';
import { sampleReport, testSigner } from './testing/fixtures.ts';

describe('the HTML report', () => {
  it('escapes everything that came from outside', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
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
});
