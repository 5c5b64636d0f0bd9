/**
 * Signing and verifying reports.
 *
 * The report's digest is `sha256:` of its RFC 8785 canonical JSON (canonical.ts). The provider's
 * key signs, with EIP-191 personal_sign, the short text
 *
 *   Roost benchmark report
 *   format: roost.report/1
 *   sha256: <hex digest>
 *
 * (short, so a hardware wallet can show what it signs). Anyone can check a report with the
 * report alone: recompute the digest, rebuild the text, recover the address.
 *
 * `verifyReport` checks, in order, and stops at the first failure, naming it:
 *   json      the file is not JSON
 *   schema    it is not a `roost.report/1` (with the first problems, `path: message`)
 *   suite     the suite definition does not hash to the suite hash in the report, or it is not
 *             the suite of that name this Roost knows
 *   signature the contents changed after signing, or the signature is not the signer's
 */
import { getAddress } from 'ethers';
import type { ProviderSigner } from '../wallet/signer.ts';
import { recoverSigner } from '../wallet/signer.ts';
import { canonicalDigest } from './canonical.ts';
import type { Report, SignedReport, SuiteDefinition, VerifyResult } from './schema.ts';
import { REPORT_FORMAT, signedReportSchema } from './schema.ts';
import { RETIRED_SUITES, SUITES, suiteHash } from './suite.ts';

export function signingMessage(digest: string): string {
  return `Roost benchmark report\nformat: ${REPORT_FORMAT}\nsha256: ${digest.replace(/^sha256:/, '')}`;
}

export async function signReport(report: Report, signer: ProviderSigner): Promise<SignedReport> {
  const digest = canonicalDigest(report);
  const value = await signer.signMessage(signingMessage(digest));
  return {
    report,
    signature: {
      scheme: 'eip191-personal-sign',
      canonicalization: 'jcs-rfc8785',
      digest,
      signer: getAddress(signer.address),
      value,
    },
  };
}

/** The digest a market registers for this report. */
export function reportDigest(report: Report): string {
  return canonicalDigest(report);
}

export interface VerifyOptions {
  /** The suites to accept by id; default: the ones this build knows. */
  suites?: ReadonlyMap<string, SuiteDefinition>;
}

/** Check a signed report: given as parsed JSON, or as the text of the file. */
export function verifyReport(input: unknown, options: VerifyOptions = {}): VerifyResult {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      return {
        ok: false,
        failed: 'json',
        message: `This is not a JSON file: ${(error as Error).message}`,
      };
    }
  }
  const parsed = signedReportSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 10)
      .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(the file)'}: ${i.message}`);
    return {
      ok: false,
      failed: 'schema',
      message: `This is not a valid ${REPORT_FORMAT} report: ${issues[0] ?? 'it does not match the schema'}${parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : ''}.`,
      issues,
    };
  }
  const { report, signature } = parsed.data;

  const hash = suiteHash(report.suite.definition);
  if (report.suite.definition.id !== report.suite.id || hash !== report.suite.hash) {
    return {
      ok: false,
      failed: 'suite',
      message: `The suite definition in the report was changed: it hashes to ${hash}, the report says ${report.suite.hash}.`,
    };
  }
  const suites = options.suites ?? SUITES;
  const known = suites.get(report.suite.id);
  const retiredHash = RETIRED_SUITES.get(report.suite.id);
  if (!known && retiredHash === undefined) {
    return {
      ok: false,
      failed: 'suite',
      message: `The report was made with the suite ${report.suite.id}, which this version of Roost does not know (it knows ${[...suites.keys(), ...RETIRED_SUITES.keys()].join(', ')}). Update Roost to check it.`,
    };
  }
  const knownHash = known ? suiteHash(known) : retiredHash;
  if (knownHash !== report.suite.hash) {
    return {
      ok: false,
      failed: 'suite',
      message: `The report claims the suite ${report.suite.id} but its definition is not the real one (${report.suite.hash}; ${report.suite.id} is ${knownHash}): its numbers are not comparable.`,
    };
  }

  const digest = canonicalDigest(report);
  if (digest !== signature.digest) {
    return {
      ok: false,
      failed: 'signature',
      message: `The report was changed after it was signed: its contents hash to ${digest}, the signed digest is ${signature.digest}.`,
    };
  }
  const recovered = recoverSigner(signingMessage(digest), signature.value);
  if (!recovered) {
    return { ok: false, failed: 'signature', message: 'The signature is malformed.' };
  }
  if (getAddress(recovered) !== getAddress(signature.signer)) {
    return {
      ok: false,
      failed: 'signature',
      message: `The signature was not made by ${signature.signer} (it recovers to ${recovered}).`,
    };
  }
  return {
    ok: true,
    signer: getAddress(recovered),
    digest,
    suiteId: report.suite.id,
    suiteCurrent: known !== undefined,
    complete: report.complete,
    composite: report.composite.value,
  };
}
