/**
 * `roost support bundle`: one zip for support staff with the logs, the settings, the latest
 * benchmark reports and probe results, and whatever documents the agent adds (status, versions,
 * the GPU inventory, "why no jobs"), every text redacted on the way in. Never the API token,
 * the signing key, a keystore or anything that looks like one, whatever the caller passes:
 * the deny-list and a content check apply to every input. A `manifest.json` inside lists what
 * is there, what was left out and why, and how many secrets were scrubbed.
 *
 * A JSON file in which the redactor finds nothing is stored as it is on disk, byte for byte: a
 * signed benchmark report then still passes `roost report verify` (its signature covers the
 * exact content). A signed report with something to scrub is stored redacted, and its manifest
 * entry says the signature no longer verifies.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file.ts';
import { LOG_DIR, LOG_FILE } from './log-file.ts';
import type { RedactionCounts, Redactor } from './redact.ts';
import { addCounts, defaultRedactor } from './redact.ts';
import type { BundleEntry, BundleManifest, BundleSkip, SupportBundleResult } from './schema.ts';
import { createZip, type ZipInput } from './zip.ts';

export interface SupportBundleOptions {
  /** The data folder: logs, settings and the listing come from here. */
  dataDir: string;
  /** Where to write the zip; default `<dataDir>/support/roost-support-<time>.zip`. */
  out?: string;
  now?: () => Date;
  /** Default `<dataDir>/logs`. */
  logDir?: string;
  /** Default `<dataDir>/settings.json`. */
  settingsFile?: string;
  /** Benchmark reports (JSON, HTML, PDF) by path, besides the latest found in `reportsDir`. */
  reports?: readonly string[];
  /** Where the benchmark saves its reports; default `<dataDir>/bench/reports`. */
  reportsDir?: string;
  /** How many of the newest reports in `reportsDir` to include; default 5. */
  maxReports?: number;
  /** Accelerator probe results and detect reports, by path; stored under `probe/`. */
  probeResults?: readonly string[];
  /** Documents the agent makes now (status, versions, inventory, why-no-jobs); under `info/`. */
  documents?: readonly { name: string; value: unknown }[];
  /** Default: the redactor with no literal secrets. Pass one that knows the API token. */
  redactor?: Redactor;
  roostVersion?: string | null;
  /** Larger files are skipped, except logs, whose last part is kept; default 20 MiB. */
  maxFileBytes?: number;
}

/** Never in a bundle, by file name (case-insensitive), wherever the path points. */
const forbiddenNames: readonly RegExp[] = [
  /^api-token$/i,
  /^signing-key\.json$/i,
  /keystore/i,
  /^UTC--/i, // geth/ethers keystore file names
  /wallet.*\.json$/i,
  /mnemonic|seed[-_ ]?phrase|recovery[-_ ]?phrase/i,
  /\.(key|pem|p12|pfx|kdbx)$/i,
  /^\.env(\..*)?$/i,
  /^id_(rsa|ed25519|ecdsa)/i,
];

/** Why a path must stay out of the bundle, or null when it may go in. */
export function forbiddenReason(path: string): string | null {
  const parts = resolve(path).split(sep).filter(Boolean);
  const name = parts[parts.length - 1] ?? '';
  for (const pattern of forbiddenNames) {
    if (pattern.test(name)) return `never bundled: ${name} holds or may hold a secret`;
  }
  if (parts.slice(0, -1).some((p) => /^keystore$/i.test(p))) {
    return 'never bundled: it is inside a keystore folder';
  }
  return null;
}

/** A keystore (ethers/geth JSON) or a raw key file, recognised by content. */
function looksLikeKeyMaterial(text: string): string | null {
  if (/"(crypto|Crypto)"\s*:\s*\{[\s\S]*"ciphertext"/.test(text))
    return 'it is an encrypted keystore';
  if (/^\s*(0x)?[0-9a-fA-F]{64}\s*$/.test(text)) return 'it holds nothing but a private key';
  if (/"(privateKey|private_key|mnemonic)"\s*:/.test(text))
    return 'it holds a private key or a recovery phrase';
  return null;
}

const textExtensions = new Set([
  '.log',
  '.txt',
  '.json',
  '.html',
  '.htm',
  '.csv',
  '.md',
  '.xml',
  '',
]);
const binaryAllowed = new Set(['.pdf', '.png', '.jpg', '.jpeg']);

function stampOf(d: Date): string {
  return d
    .toISOString()
    .replace(/[:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export async function buildSupportBundle(
  options: SupportBundleOptions,
): Promise<SupportBundleResult> {
  const now = (options.now ?? (() => new Date()))();
  const dataDir = resolve(options.dataDir);
  const redactor = options.redactor ?? defaultRedactor;
  const maxBytes = options.maxFileBytes ?? 20 * 1024 * 1024;
  const out = resolve(options.out ?? join(dataDir, 'support', `roost-support-${stampOf(now)}.zip`));
  if (extname(out).toLowerCase() !== '.zip')
    throw new RangeError(`the bundle must be a .zip file: ${out}`);
  if (forbiddenReason(out))
    throw new RangeError(`refusing to write the bundle over ${basename(out)}`);

  const zipEntries: ZipInput[] = [];
  const entries: BundleEntry[] = [];
  const skipped: BundleSkip[] = [];
  const redactions: RedactionCounts = {};
  const names = new Set<string>();
  const shown = (path: string) => {
    const rel = relative(dataDir, path);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : path;
  };
  const uniqueName = (name: string) => {
    let candidate = name;
    for (let i = 2; names.has(candidate); i++) {
      const ext = extname(name);
      candidate = `${name.slice(0, name.length - ext.length)}-${i}${ext}`;
    }
    names.add(candidate);
    return candidate;
  };
  const add = (
    name: string,
    data: string | Buffer,
    source: string,
    redacted: boolean,
    note?: string,
  ): void => {
    const unique = uniqueName(name);
    zipEntries.push({ name: unique, data });
    entries.push({
      name: unique,
      bytes: Buffer.byteLength(data),
      source,
      redacted,
      ...(note ? { note } : {}),
    });
  };
  const redactText = (text: string) => {
    const r = redactor.redactCounted(text);
    addCounts(redactions, r.counts);
    return r.text;
  };
  /**
   * A JSON text redacted field by field; `unchanged` when neither the fields nor the text as a
   * whole hold anything to scrub, and then `text` is the input itself, byte for byte.
   */
  const redactJsonText = (text: string): { text: string; unchanged: boolean; scrubbed: number } => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      const r = redactor.redactCounted(text);
      addCounts(redactions, r.counts);
      return { text: r.text, unchanged: r.text === text, scrubbed: total(r.counts) };
    }
    const r = redactor.redactJsonCounted(parsed);
    // The raw text too: JSON.parse drops what a field-by-field walk never sees (a duplicate key).
    if (total(r.counts) === 0 && total(redactor.redactCounted(text).counts) === 0) {
      return { text, unchanged: true, scrubbed: 0 };
    }
    addCounts(redactions, r.counts);
    return {
      text: JSON.stringify(r.value, null, 2) + '\n',
      unchanged: false,
      scrubbed: total(r.counts),
    };
  };

  const skip = (entry: BundleSkip): void => {
    skipped.push(entry);
  };

  /** Reads one input file into the zip under `folder/`, or says why not. */
  const addFile = async (path: string, folder: string, options: { tail?: boolean } = {}) => {
    const abs = resolve(path);
    const source = shown(abs);
    if (abs === out) return;
    const forbidden = forbiddenReason(abs);
    if (forbidden) return skip({ source, why: forbidden });
    let info;
    try {
      info = await lstat(abs);
    } catch {
      return skip({ source, why: 'not found' });
    }
    if (info.isSymbolicLink()) return skip({ source, why: 'a symbolic link: not followed' });
    if (!info.isFile()) return skip({ source, why: 'not a regular file' });
    const ext = extname(abs).toLowerCase();
    const isLog = /\.log(\.\d+)?$/i.test(abs);
    const isText = isLog || textExtensions.has(ext);
    if (!isText && !binaryAllowed.has(ext)) {
      return skip({
        source,
        why: `a ${ext} file: only text, JSON, HTML, PDF and images are bundled`,
      });
    }
    let data = await readFile(abs);
    let note = '';
    if (data.length > maxBytes) {
      if (!options.tail) return skip({ source, why: `larger than ${maxBytes} bytes` });
      note = `[support bundle: only the last ${maxBytes} of ${data.length} bytes kept]\n`;
      data = data.subarray(data.length - maxBytes);
      // Start at a whole line: a line cut in half could hold half a key the redactor can't see.
      const newline = data.indexOf(0x0a);
      data = newline >= 0 ? data.subarray(newline + 1) : Buffer.alloc(0);
    }
    const name = folder ? `${folder}/${basename(abs)}` : basename(abs);
    if (!isText) return add(name, data, source, false);
    const text = data.toString('utf8');
    const keyMaterial = looksLikeKeyMaterial(text);
    if (keyMaterial && !isLog) return skip({ source, why: `never bundled: ${keyMaterial}` });
    if (ext !== '.json') return add(name, note + redactText(text), source, true);
    const json = redactJsonText(text);
    if (json.unchanged) {
      // The bytes read, not the text decoded: a report's signature covers exactly those.
      return add(name, data, source, true, 'checked: nothing to scrub; stored unchanged');
    }
    add(
      name,
      json.text,
      source,
      true,
      isSignedReport(text)
        ? `${json.scrubbed} value${json.scrubbed === 1 ? '' : 's'} scrubbed: this copy's signature no longer verifies`
        : undefined,
    );
  };

  // Logs, oldest first.
  const logDir = resolve(options.logDir ?? join(dataDir, LOG_DIR));
  const logs = await readdir(logDir).catch(() => [] as string[]);
  const logFiles = logs
    .filter((f) => f === LOG_FILE || f.startsWith(`${LOG_FILE}.`) || /\.log(\.\d+)?$/.test(f))
    .sort((a, b) => rotationIndex(b) - rotationIndex(a) || a.localeCompare(b));
  if (logFiles.length === 0) skipped.push({ source: shown(logDir), why: 'no log files yet' });
  for (const f of logFiles) await addFile(join(logDir, f), 'logs', { tail: true });

  // Settings, redacted field by field.
  await addFile(options.settingsFile ?? join(dataDir, 'settings.json'), '');
  const reportsDir = resolve(options.reportsDir ?? join(dataDir, 'bench', 'reports'));
  const reports = [
    ...new Set([
      ...(await newestFiles(reportsDir, options.maxReports ?? 5)),
      ...(options.reports ?? []).map((p) => resolve(p)),
    ]),
  ];
  if (reports.length === 0) {
    skipped.push({ source: shown(reportsDir), why: 'no benchmark reports yet' });
  }
  for (const p of reports) await addFile(p, 'reports');
  for (const p of options.probeResults ?? []) await addFile(p, 'probe');
  for (const doc of options.documents ?? []) {
    const name = `info/${doc.name.replace(/[^A-Za-z0-9._-]/g, '_')}${doc.name.endsWith('.json') ? '' : '.json'}`;
    add(name, redactJsonText(JSON.stringify(doc.value ?? null)).text, 'generated', true);
  }
  add(
    'info/data-folder.json',
    JSON.stringify(await listDataFolder(dataDir), null, 2) + '\n',
    'generated: names, sizes and modes only, no contents',
    false,
  );

  const manifest: BundleManifest = {
    format: 1,
    createdAt: now.toISOString(),
    roostVersion: options.roostVersion ?? null,
    entries: [...entries],
    skipped,
    redactions: redactions as Record<string, number>,
  };
  const readme = [
    'Roost support bundle',
    `Made ${now.toISOString()}${manifest.roostVersion ? ` by Roost ${manifest.roostVersion}` : ''}.`,
    '',
    'logs/       the agent log files, newest last; secrets replaced by [redacted:...]',
    'settings.json  the settings, redacted',
    'reports/    the latest benchmark reports; a signed report with nothing to scrub is',
    '            unchanged, so `roost report verify` still passes on it',
    'probe/      accelerator probe results',
    'info/       status, versions and diagnostics at the time of the bundle',
    '',
    'Never included: the API token, the signing key, wallet keystores, recovery phrases.',
    'manifest.json lists every file, what was left out and why.',
    '',
  ].join('\n');
  const zip = createZip(
    [
      { name: 'manifest.json', data: JSON.stringify(manifest, null, 2) + '\n' },
      { name: 'README.txt', data: readme },
      ...zipEntries,
    ],
    { modifiedAt: now },
  );
  await writeFileAtomic(out, zip, 0o600);
  return { ...manifest, path: out, bytes: zip.length };
}

function total(counts: RedactionCounts): number {
  return Object.values(counts).reduce((a, n) => a + n, 0);
}

/** A saved benchmark report: `{ report, signature }` (agent/bench/sign.ts). */
function isSignedReport(text: string): boolean {
  try {
    const value = JSON.parse(text) as unknown;
    return (
      value !== null &&
      typeof value === 'object' &&
      'report' in value &&
      'signature' in value &&
      typeof value.signature === 'object'
    );
  } catch {
    return false;
  }
}

/** The newest benchmark reports (JSON, HTML, PDF) in `dir`, newest first. */
async function newestFiles(dir: string, max: number): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: { path: string; mtimeMs: number }[] = [];
  for (const name of names) {
    if (!/\.(json|html|pdf)$/i.test(name)) continue;
    const info = await lstat(join(dir, name)).catch(() => null);
    if (info?.isFile()) found.push({ path: join(dir, name), mtimeMs: info.mtimeMs });
  }
  return found
    .sort((a, b) => b.mtimeMs - a.mtimeMs || a.path.localeCompare(b.path))
    .slice(0, max)
    .map((f) => f.path);
}

function rotationIndex(name: string): number {
  const m = /\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : 0;
}

/** The data folder two levels deep: names, sizes and modes, never contents. */
async function listDataFolder(
  dir: string,
): Promise<{ path: string; bytes: number | null; mode: string; kind: string }[]> {
  const out: { path: string; bytes: number | null; mode: string; kind: string }[] = [];
  const walk = async (rel: string, depth: number) => {
    const names = await readdir(join(dir, rel)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (out.length >= 500) return;
      const path = rel ? `${rel}/${name}` : name;
      const info = await lstat(join(dir, path)).catch(() => null);
      if (!info) continue;
      const kind = info.isDirectory()
        ? 'folder'
        : info.isSymbolicLink()
          ? 'link'
          : info.isFile()
            ? 'file'
            : 'other';
      out.push({
        path,
        bytes: info.isFile() ? info.size : null,
        mode: (info.mode & 0o777).toString(8).padStart(4, '0'),
        kind,
      });
      if (info.isDirectory() && depth < 1) await walk(path, depth + 1);
    }
  };
  await walk('', 0);
  return out;
}
