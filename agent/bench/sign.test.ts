import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.ts';
import { signedReportSchema } from './schema.ts';
import type { SignedReport } from './schema.ts';
import { renderReportHtml } from './html.ts';
import {
  reportDigest,
  signingMessage,
  signReport,
  verifyReport,
  verifyReportFile,
} from './sign.ts';
import { RETIRED_SUITES, STD_SUITE_ID, suiteHash } from './suite.ts';
import { retiredReport, sampleReport, testSigner } from './testing/fixtures.ts';

async function signed(): Promise<SignedReport> {
  return signReport(sampleReport(), testSigner());
}

/** A deep copy to edit, as someone with a text editor would. */
function edit(report: SignedReport, change: (r: SignedReport) => void): unknown {
  const copy = structuredClone(report);
  change(copy);
  return JSON.parse(JSON.stringify(copy)) as unknown;
}

describe('signing', () => {
  it('signs the sha256 of the canonical JSON with EIP-191 and names the signer', async () => {
    const s = await signed();
    expect(signedReportSchema.parse(s)).toEqual(s);
    expect(s.signature.signer).toBe(testSigner().address);
    expect(s.signature.digest).toBe(reportDigest(s.report));
    expect(s.signature.scheme).toBe('eip191-personal-sign');
    // Anyone can check it with ethers alone: rebuild the message, recover the address.
    const { verifyMessage } = await import('ethers');
    expect(verifyMessage(signingMessage(s.signature.digest), s.signature.value)).toBe(
      s.signature.signer,
    );
    expect(signingMessage('sha256:ab')).toBe(
      'Roost benchmark report\nformat: roost.report/1\nsha256: ab',
    );
  });

  it('gives the same digest however the JSON is laid out', async () => {
    const s = await signed();
    const reordered = JSON.parse(canonicalJson(s)) as SignedReport;
    expect(verifyReport(JSON.stringify(reordered, null, 4))).toMatchObject({ ok: true });
    expect(verifyReport(JSON.stringify(s))).toEqual({
      ok: true,
      signer: s.signature.signer,
      digest: s.signature.digest,
      suiteId: STD_SUITE_ID,
      suiteCurrent: true,
      complete: true,
      composite: s.report.composite.value,
    });
  });
});

describe('verify says which part failed', () => {
  it('json: not JSON at all', () => {
    expect(verifyReport('{"report": ')).toMatchObject({ ok: false, failed: 'json' });
  });

  it('schema: a field removed or of the wrong type, with the path', async () => {
    const s = await signed();
    const removed = edit(s, (r) => {
      delete (r.report as Partial<typeof r.report>).machine;
    });
    const v = verifyReport(removed);
    expect(v).toMatchObject({ ok: false, failed: 'schema' });
    // In words, not the checker's own text ("Invalid input: expected object, received undefined").
    if (!v.ok) {
      expect(v.issues?.[0]).toBe('report.machine is missing');
      expect(v.message).toBe(
        'This is not a valid roost.report/1 report: report.machine is missing.',
      );
    }
    const wrongType = edit(s, (r) => {
      (r.report.workloads[0] as { value: unknown }).value = 'fast';
    });
    const typed = verifyReport(wrongType);
    expect(typed).toMatchObject({ ok: false, failed: 'schema' });
    if (!typed.ok) expect(typed.issues?.[0]).toBe('report.workloads.0.value: expected a number');
    const other = verifyReport({ hello: 1 });
    expect(other).toMatchObject({ ok: false, failed: 'schema' });
    if (!other.ok) {
      expect(other.message).toBe(
        'This is not a valid roost.report/1 report: report is missing (and 1 more problem).',
      );
    }
  });

  it('suite: the definition edited (a tolerance loosened)', async () => {
    const s = await signed();
    const v = verifyReport(
      edit(s, (r) => {
        r.report.suite.definition.workloads[0]!.tolerance = 1;
      }),
    );
    expect(v).toMatchObject({ ok: false, failed: 'suite' });
    if (!v.ok) expect(v.message).toMatch(/suite definition in the report was changed/);
  });

  it('suite: definition and hash edited together, no longer the real roost-std/4', async () => {
    const s = await signed();
    const v = verifyReport(
      edit(s, (r) => {
        r.report.suite.definition.workloads[0]!.reference = 0.001;
        r.report.suite.hash = suiteHash(r.report.suite.definition);
      }),
    );
    expect(v).toMatchObject({ ok: false, failed: 'suite' });
    if (!v.ok) expect(v.message).toMatch(/not the real one/);
  });

  it.each(['roost-std/1', 'roost-std/2', 'roost-std/3'] as const)(
    'a report of the retired %s still verifies, flagged as not today\u2019s units',
    async (id) => {
      const old = await signReport(retiredReport(id), testSigner());
      expect(old.report.suite.hash).toBe(RETIRED_SUITES.get(id));
      expect(verifyReport(JSON.stringify(old))).toMatchObject({
        ok: true,
        suiteId: id,
        suiteCurrent: false,
        signer: old.signature.signer,
      });
      // ... and only the real one: its definition edited and rehashed fails like any other.
      const v = verifyReport(
        edit(old, (r) => {
          r.report.suite.definition.workloads[0]!.weight = 0.5;
          r.report.suite.hash = suiteHash(r.report.suite.definition);
        }),
      );
      expect(v).toMatchObject({ ok: false, failed: 'suite' });
      if (!v.ok) expect(v.message).toMatch(/not the real one/);
    },
  );

  it('suite: a suite this Roost does not know', async () => {
    const s = await signed();
    const v = verifyReport(
      edit(s, (r) => {
        r.report.suite.definition.id = 'roost-std/9';
        r.report.suite.id = 'roost-std/9';
        r.report.suite.hash = suiteHash(r.report.suite.definition);
      }),
    );
    expect(v).toMatchObject({ ok: false, failed: 'suite' });
    if (!v.ok) expect(v.message).toMatch(/does not know/);
  });

  it.each([
    [
      'the composite raised',
      (r: SignedReport) => (r.report.composite.value = (r.report.composite.value ?? 0) * 2),
    ],
    ['a sub-score raised', (r: SignedReport) => (r.report.workloads[2]!.value = 9999)],
    ['a warning deleted', (r: SignedReport) => r.report.warnings.pop()],
    ['the GPU renamed', (r: SignedReport) => (r.report.gpus.gpus[0]!.name = 'NVIDIA H100')],
    [
      'an incomplete run marked complete',
      (r: SignedReport) => (r.report.complete = !r.report.complete),
    ],
  ])('signature: %s after signing', async (_, change) => {
    const s = await signed();
    s.report.warnings.push({ code: 'busy-machine', severity: 'warning', message: 'x' });
    const resigned = await signReport(s.report, testSigner());
    const v = verifyReport(edit(resigned, change));
    expect(v).toMatchObject({ ok: false, failed: 'signature' });
    if (!v.ok) expect(v.message).toMatch(/changed after it was signed/);
  });

  it('signature: digest recomputed to match, but the key is not the signer\u2019s', async () => {
    const s = await signed();
    const v = verifyReport(
      edit(s, (r) => {
        r.report.composite.value = 1e6;
        r.signature.digest = reportDigest(r.report);
      }),
    );
    expect(v).toMatchObject({ ok: false, failed: 'signature' });
    if (!v.ok) expect(v.message).toMatch(/was not made by/);
  });

  it('signature: re-signed by another key but the signer left as it was', async () => {
    const s = await signed();
    const other = await signReport(s.report, testSigner(Wallet.createRandom().privateKey));
    const v = verifyReport({
      report: s.report,
      signature: { ...other.signature, signer: s.signature.signer },
    });
    expect(v).toMatchObject({ ok: false, failed: 'signature' });
  });

  it('signature: a malformed signature value', async () => {
    const s = await signed();
    const v = verifyReport(edit(s, (r) => (r.signature.value = `0x${'00'.repeat(65)}`)));
    expect(v).toMatchObject({
      ok: false,
      failed: 'signature',
      message: 'The signature is malformed.',
    });
  });
});

describe('verify of a file: JSON, an exported HTML page, or neither', () => {
  /** An HTML export as the service writes it: the verdict and the exporting version inside. */
  async function exported(version = '1.2.3'): Promise<{ s: SignedReport; html: string }> {
    const s = await signed();
    return { s, html: renderReportHtml(s, verifyReport(s), { exportedBy: version }) };
  }

  it('an untouched HTML export passes, as its JSON does', async () => {
    const { s, html } = await exported();
    const bytes = new TextEncoder().encode(html);
    expect(verifyReportFile(bytes, { roostVersion: '1.2.3' })).toEqual(verifyReport(s));
    expect(verifyReportFile(html, { roostVersion: '1.2.3' })).toMatchObject({ ok: true });
    // A later Roost that lays the page out the same still accepts it.
    expect(verifyReportFile(html, { roostVersion: '9.0.0' })).toMatchObject({ ok: true });
  });

  it('html: a number edited in the page fails, naming where, and says the embedded report is valid', async () => {
    const { s, html } = await exported();
    const composite = /id="composite">([^<]*)</.exec(html)?.[1] ?? '';
    const edited = html.replace(`id="composite">${composite}<`, 'id="composite">999.9<');
    const v = verifyReportFile(edited, { roostVersion: '1.2.3' });
    expect(v).toMatchObject({ ok: false, failed: 'html' });
    expect(v.ok ? '' : v.message).toBe(
      `The page's visible content differs from the signed report embedded in it: it was edited after export (in the summary at the top: the page shows \u201c999.9\u201d where the signed report gives \u201c${composite}\u201d). The embedded report itself is valid (signed by ${s.signature.signer}, suite ${STD_SUITE_ID}, composite ${s.report.composite.value?.toPrecision(4)} RCS): trust it, not the page, and ask for the .json export or export the HTML again.`,
    );
  });

  it('html: a page from another Roost version that differs fails too, saying it cannot be checked', async () => {
    const { html } = await exported('0.9.0');
    const edited = html.replace('Matrix multiply, FP32</strong>', 'Matrix multiply</strong>');
    const v = verifyReportFile(edited, { roostVersion: '1.2.3' });
    expect(v).toMatchObject({ ok: false, failed: 'html' });
    expect(v.ok ? '' : v.message).toMatch(
      /cannot be checked against the signed report embedded in it: the page says Roost 0\.9\.0 exported it, and this is Roost 1\.2\.3.*first difference is in Results/,
    );
    // The same version, laid out by an earlier build (pages from before the layout was named).
    const { html: same } = await exported('1.2.3');
    const earlier = same
      .replace(/<meta name="roost-page-layout"[^>]*>\n/, '')
      .replace('Matrix multiply, FP32</strong>', 'Matrix multiply</strong>');
    expect(verifyReportFile(earlier, { roostVersion: '1.2.3' })).toMatchObject({
      ok: false,
      failed: 'html',
      message: expect.stringMatching(
        /cannot be checked .*laid out by an earlier build of Roost 1\.2\.3 \(no layout named; this build lays pages out as layout \d+\)/,
      ),
    });
    const unnamed = html.replace(/<meta name="roost-exported-by"[^>]*>\n/, '');
    expect(verifyReportFile(unnamed, { roostVersion: '1.2.3' })).toMatchObject({
      ok: false,
      failed: 'html',
      message: expect.stringMatching(/does not say which Roost exported it/),
    });
  });

  it('the embedded report is checked first: an edit there fails as before (signature)', async () => {
    const { s, html } = await exported();
    const embedded = JSON.stringify(s).replace(/</g, '\\u003c');
    const value = s.report.workloads[0]!.value;
    const edited = html.replace(
      embedded,
      embedded.replace(`"value":${value},`, `"value":${(value ?? 1) * 2},`),
    );
    expect(edited).not.toBe(html);
    expect(verifyReportFile(edited, { roostVersion: '1.2.3' })).toMatchObject({
      ok: false,
      failed: 'signature',
    });
  });

  it('a PDF: ask for the .json or .html', () => {
    const pdf = new Uint8Array([...Buffer.from('%PDF-1.4\n%'), 0xe2, 0xe3, 0xcf, 0xd3, 0x0a]);
    expect(verifyReportFile(pdf, { name: 'report.pdf' })).toEqual({
      ok: false,
      failed: 'json',
      message:
        "A PDF can't be verified: ask for the report's .json or .html export (the PDF is printed from them).",
    });
    expect(verifyReport('%PDF-1.7\n')).toMatchObject({ message: expect.stringMatching(/^A PDF/) });
  });

  it("anything else: not a Roost report, never the file's bytes in the message", () => {
    const npy = new Uint8Array([0x93, ...Buffer.from('NUMPY'), 1, 0, 0x76, 0, 0xff, 0xfe, 0x1b]);
    const notReport = (name: string) => ({
      ok: false,
      failed: 'json',
      message: `${name} is not a Roost report (.json or .html export).`,
    });
    expect(verifyReportFile(npy, { name: 'weights.npy' })).toEqual(notReport('weights.npy'));
    // Valid UTF-8, but with control characters: not text.
    expect(verifyReportFile(Buffer.from('\u0000\u0001NUMPY\u001b[31m'), { name: 'x.bin' })).toEqual(
      notReport('x.bin'),
    );
    expect(verifyReportFile('hello, world')).toEqual(notReport('This file'));
    expect(
      verifyReportFile('<!doctype html><html><body>A page</body></html>', { name: 'a.html' }),
    ).toEqual(notReport('a.html'));
    // JSON that is broken is still told as JSON, in its parser's words, on one short line.
    const broken = verifyReport(`{"report":\n${'x'.repeat(1000)}`);
    expect(broken).toMatchObject({ ok: false, failed: 'json' });
    expect(broken.ok ? '' : broken.message).toMatch(/^This is not a JSON file: [^\n]{10,230}$/);
  });
});
