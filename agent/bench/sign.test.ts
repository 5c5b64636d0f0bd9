import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.ts';
import { signedReportSchema } from './schema.ts';
import type { SignedReport } from './schema.ts';
import { reportDigest, signingMessage, signReport, verifyReport } from './sign.ts';
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
    if (!v.ok) expect(v.issues?.[0]).toMatch(/^report\.machine:/);
    const wrongType = edit(s, (r) => {
      (r.report.workloads[0] as { value: unknown }).value = 'fast';
    });
    expect(verifyReport(wrongType)).toMatchObject({ ok: false, failed: 'schema' });
    expect(verifyReport({ hello: 1 })).toMatchObject({ ok: false, failed: 'schema' });
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

  it('suite: definition and hash edited together, no longer the real roost-std/2', async () => {
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

  it('a report of the retired roost-std/1 still verifies, flagged as not today\u2019s units', async () => {
    const old = await signReport(retiredReport(), testSigner());
    expect(old.report.suite.hash).toBe(RETIRED_SUITES.get('roost-std/1'));
    expect(verifyReport(JSON.stringify(old))).toMatchObject({
      ok: true,
      suiteId: 'roost-std/1',
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
  });

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
