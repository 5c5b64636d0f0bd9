/**
 * The PDF of a report: its HTML printed by Chromium (or Chrome) in headless mode. In the desktop
 * app the shell passes Electron's `webContents.printToPDF` instead (BenchServiceOptions.renderPdf).
 * The HTML has no scripts and a CSP that forbids any fetch, so printing it opens nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export class PdfError extends Error {
  readonly code: 'PDF_UNAVAILABLE' | 'PDF_FAILED';
  constructor(code: 'PDF_UNAVAILABLE' | 'PDF_FAILED', message: string) {
    super(message);
    this.name = 'PdfError';
    this.code = code;
  }
}

const CANDIDATES: Record<string, string[]> = {
  linux: [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/snap/bin/chromium',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/usr/bin/microsoft-edge',
  ],
  darwin: [
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
    '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
  ],
  win32: [
    'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
    'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
    'C:\\Program Files\\Microsoft\\Edge\\Application\\msedge.exe',
  ],
};

/** A Chromium-family browser to print with: CHROMIUM_PATH, else the usual install places. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM_PATH) return existsSync(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  return (CANDIDATES[process.platform] ?? []).find((p) => existsSync(p));
}

/** Pages in a PDF (counts page objects; enough for the files Chromium writes). */
export function pdfPageCount(bytes: Uint8Array): number {
  const text = Buffer.from(bytes).toString('latin1');
  return (text.match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
}

export async function renderPdfWithChromium(
  html: string,
  options: { chromiumPath?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Uint8Array> {
  const chromium = options.chromiumPath ?? findChromium(options.env);
  if (!chromium || !existsSync(chromium)) {
    throw new PdfError(
      'PDF_UNAVAILABLE',
      'No Chromium, Chrome or Edge was found to print the PDF. Export the HTML and print it from any browser, or set CHROMIUM_PATH.',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'roost-pdf-'));
  try {
    const htmlFile = join(dir, 'report.html');
    const pdfFile = join(dir, 'report.pdf');
    await writeFile(htmlFile, html, { mode: 0o600 });
    const args = [
      '--headless=new',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-extensions',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      `--user-data-dir=${join(dir, 'profile')}`,
      '--no-pdf-header-footer',
      `--print-to-pdf=${pdfFile}`,
      pathToFileURL(htmlFile).href,
    ];
    // Chromium refuses to run as root with its sandbox; the page has no script and no network.
    if (process.getuid?.() === 0) args.unshift('--no-sandbox');
    const timeoutMs = options.timeoutMs ?? 60_000;
    const stderr = await new Promise<string>((resolve, reject) => {
      const child = spawn(chromium, args, {
        stdio: ['ignore', 'ignore', 'pipe'],
        windowsHide: true,
      });
      let err = '';
      child.stderr.on('data', (c: Buffer) => {
        err = (err + c.toString('utf8')).slice(-4000);
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new PdfError('PDF_FAILED', `Chromium did not print the PDF within ${timeoutMs / 1000} s`),
        );
      }, timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new PdfError('PDF_FAILED', `Chromium could not start: ${error.message}`));
      });
      child.once('close', () => {
        clearTimeout(timer);
        resolve(err);
      });
    });
    let pdf: Uint8Array;
    try {
      pdf = new Uint8Array(await readFile(pdfFile));
    } catch {
      throw new PdfError(
        'PDF_FAILED',
        `Chromium wrote no PDF: ${stderr.trim().split('\n').slice(-3).join(' ')}`,
      );
    }
    if (Buffer.from(pdf.subarray(0, 5)).toString('latin1') !== '%PDF-') {
      throw new PdfError('PDF_FAILED', 'Chromium wrote something that is not a PDF');
    }
    return pdf;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
