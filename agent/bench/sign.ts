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
 *   html      (an exported HTML page) the visible page is not what Roost renders from the signed
 *             report embedded in it: the page was edited after export
 *
 * Given a file's bytes or text (`verifyReportFile`), anything that is neither JSON nor a Roost
 * HTML export fails `json` with what it is instead (a PDF: ask for the .json or .html), never
 * with the file's bytes in the message.
 */
import type { z } from 'zod';
import { getAddress } from 'ethers';
import type { ProviderSigner } from '../wallet/signer.ts';
import { recoverSigner } from '../wallet/signer.ts';
import { ROOST_VERSION } from '../version.ts';
import { canonicalDigest } from './canonical.ts';
import {
  exportedByOf,
  extractReportFromHtml,
  PAGE_LAYOUT,
  pageDifference,
  pageLayoutOf,
  renderReportHtml,
} from './html.ts';
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

export interface VerifyFileOptions extends VerifyOptions {
  /** The file's name, for messages ("x.npy is not a Roost report"); default "This file". */
  name?: string;
  /** The Roost that renders HTML pages to compare with; default this one. */
  roostVersion?: string;
}

type Failure = Extract<VerifyResult, { ok: false }>;

/** What a report file holds: the report as parsed JSON (from the JSON, or an HTML page's). */
export type ReportContent =
  | { kind: 'json'; value: unknown }
  | { kind: 'html'; value: unknown; html: string }
  | { kind: 'invalid'; failure: Failure };

/** Printable and short: a parser's message may quote the file. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding them is the point
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g, ' ');
  return clean.length > 200 ? `${clean.slice(0, 200)}\u2026` : clean;
}

/**
 * Reads a report file: its JSON, or an exported HTML page and the JSON embedded in it. Anything
 * else (a PDF, a binary, some other text) is an `invalid` saying what it is.
 */
export function readReportContent(content: Uint8Array | string, name = 'This file'): ReportContent {
  const notReport: ReportContent = {
    kind: 'invalid',
    failure: {
      ok: false,
      failed: 'json',
      message: `${name} is not a Roost report (.json or .html export).`,
    },
  };
  const pdf: ReportContent = {
    kind: 'invalid',
    failure: {
      ok: false,
      failed: 'json',
      message:
        "A PDF can't be verified: ask for the report's .json or .html export (the PDF is printed from them).",
    },
  };
  let text: string;
  if (typeof content === 'string') text = content;
  else {
    // A PDF's first line is "%PDF-1.x", then binary: say what it is before decoding as text.
    const head = Buffer.from(content.subarray(0, 64)).toString('latin1');
    if (head.trimStart().startsWith('%PDF-')) return pdf;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(content);
    } catch {
      return notReport; // not text at all
    }
  }
  text = text.replace(/^\uFEFF/, '');
  const start = text.trimStart();
  if (start.startsWith('%PDF-')) return pdf;
  // Text files carry no control characters but tab, line ends and form feed.
  // eslint-disable-next-line no-control-regex -- finding them is the point
  if (/[\u0000-\u0008\u000e-\u001f]/.test(text)) return notReport;
  if (start.startsWith('<')) {
    const embedded = extractReportFromHtml(text);
    if (embedded === undefined) return notReport;
    try {
      return { kind: 'html', value: JSON.parse(embedded) as unknown, html: text };
    } catch {
      return {
        kind: 'invalid',
        failure: {
          ok: false,
          failed: 'json',
          message:
            'The report embedded in this HTML page is not valid JSON: the page was edited after export.',
        },
      };
    }
  }
  if (!start.startsWith('{') && !start.startsWith('[')) return notReport;
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch (error) {
    return {
      kind: 'invalid',
      failure: {
        ok: false,
        failed: 'json',
        message: `This is not a JSON file: ${printable((error as Error).message)}`,
      },
    };
  }
}

/**
 * Check a report file, JSON or exported HTML, given as its bytes or text. For HTML: the embedded
 * report first (json → signature), then the page itself (`html`).
 */
export function verifyReportFile(
  content: Uint8Array | string,
  options: VerifyFileOptions = {},
): VerifyResult {
  const read = readReportContent(content, options.name);
  if (read.kind === 'invalid') return read.failure;
  const verdict = verifyValue(read.value, options);
  if (read.kind === 'json' || !verdict.ok) return verdict;
  // Rendered from the embedded JSON as it is (it passed the schema): its key order is the
  // page's, so an untouched page renders back byte for byte.
  return checkPage(read.html, read.value as SignedReport, verdict, options);
}

/**
 * The visible page against the page Roost renders from its embedded (and valid) report, with
 * what the export was told: that verdict (the same now, the report being valid) and the
 * exporting version, read back from the page.
 */
function checkPage(
  html: string,
  signed: SignedReport,
  verdict: Extract<VerifyResult, { ok: true }>,
  options: VerifyFileOptions,
): VerifyResult {
  const exportedBy = exportedByOf(html);
  const expected = renderReportHtml(signed, verdict, {
    ...(exportedBy !== undefined ? { exportedBy } : {}),
  });
  const difference = pageDifference(html, expected);
  if (!difference) return verdict;
  const where = `${difference.part}${difference.found !== undefined ? `: the page shows \u201c${difference.found}\u201d where the signed report gives \u201c${difference.expected}\u201d` : ': its markup was changed'}`;
  const embedded = `The embedded report itself is valid (signed by ${verdict.signer}, suite ${verdict.suiteId}, composite ${verdict.composite === null ? 'none' : `${verdict.composite.toPrecision(4)} RCS`}): trust it, not the page, and ask for the .json export or export the HTML again.`;
  const current = options.roostVersion ?? ROOST_VERSION;
  const claimed = exportedBy === undefined ? undefined : printable(exportedBy).slice(0, 40);
  const layout = pageLayoutOf(html);
  if (exportedBy !== current || layout !== PAGE_LAYOUT) {
    const why =
      exportedBy === undefined
        ? 'the page does not say which Roost exported it (an export from before this check, or an edited one)'
        : exportedBy !== current
          ? `the page says Roost ${claimed} exported it, and this is Roost ${current}, which may lay pages out differently`
          : `the page was laid out by an earlier build of Roost ${current} (${layout === undefined ? 'no layout named' : `layout ${layout}`}; this build lays pages out as layout ${PAGE_LAYOUT})`;
    return {
      ok: false,
      failed: 'html',
      message: `The page's visible content cannot be checked against the signed report embedded in it: ${why}; the first difference is in ${where}. ${embedded}`,
    };
  }
  return {
    ok: false,
    failed: 'html',
    message: `The page's visible content differs from the signed report embedded in it: it was edited after export (in ${where}). ${embedded}`,
  };
}

/** Check a signed report: given as parsed JSON, or as the text of a file (JSON or HTML). */
export function verifyReport(input: unknown, options: VerifyOptions = {}): VerifyResult {
  return typeof input === 'string' ? verifyReportFile(input, options) : verifyValue(input, options);
}

/** ` (and 1 more problem)`, ` (and 3 more problems)`, or nothing. */
function moreProblems(n: number): string {
  return n > 0 ? ` (and ${n} more problem${n === 1 ? '' : 's'})` : '';
}

/**
 * One schema problem in words support staff read: `report.machine is missing`,
 * `report.composite.value: expected a number`, not zod's `Invalid input: expected object,
 * received undefined`.
 */
function issueWords(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.map(String).join('.') : 'the file';
  if (issue.code === 'invalid_type') {
    return /received undefined$/.test(issue.message)
      ? `${where} is missing`
      : `${where}: expected ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  }
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

function verifyValue(value: unknown, options: VerifyOptions): VerifyResult {
  const parsed = signedReportSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 10).map(issueWords);
    return {
      ok: false,
      failed: 'schema',
      message: `This is not a valid ${REPORT_FORMAT} report: ${issues[0] ?? 'it does not match the schema'}${moreProblems(parsed.error.issues.length - 1)}.`,
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
