import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdfPageCount } from '../../../agent/bench/pdf.ts';
import { createBenchService } from '../../../agent/bench/service.ts';
import type { BenchService } from '../../../agent/bench/service.ts';
import type { SignedReport } from '../../../agent/bench/schema.ts';
import { signReport } from '../../../agent/bench/sign.ts';
import {
  failedOutcome,
  passingOutcome,
  sampleReport,
  testSigner,
} from '../../../agent/bench/testing/fixtures.ts';
import type { TelemetrySample } from '../../../agent/hardware/schema.ts';
import { ROOST_VERSION } from '../../../agent/version.ts';
import { chromiumMissing, launchChromium } from '../../support/browser.ts';
import { runRoost } from '../../support/roost-cli.ts';
import { tempDir } from '../../support/temp-dir.ts';

// The exported report as support staff get it: the HTML opened in a real Chromium (content,
// no network, no script), the PDF printed by Chromium headless, and both checkable.
const missing = chromiumMissing();
let dir: { path: string; remove: () => Promise<void> };
let browser: Browser | undefined;
let bench: BenchService;
let signed: SignedReport;
let reportFile: string;

function telemetry(): TelemetrySample[] {
  return Array.from({ length: 40 }, (_, i) => ({
    gpuId: 'pci-0000:01:00.0',
    at: 1_767_268_800_000 + 1000 * i,
    utilizationPct: 98,
    vramUsedBytes: 2e9,
    vramTotalBytes: 1e10,
    temperatureC: 70 + i / 2,
    powerW: 310,
    graphicsClockMHz: i < 15 ? 1905 : 1620,
    memoryClockMHz: 9501,
    fanPct: 70,
    source: 'nvidia-smi' as const,
  }));
}

beforeAll(async () => {
  dir = await tempDir('roost-bench-export-');
  const wrong = passingOutcome('gemm-fp16', 50);
  wrong.firstOutputs = [{ name: 'y', dims: [2], values: [1, 2.5] }];
  signed = await signReport(
    sampleReport({
      target: {
        ep: 'cuda',
        deviceIndex: 0,
        gpuId: 'pci-0000:01:00.0',
        adapter: null,
        software: false,
      },
      telemetry: telemetry(),
      outcomes: {
        'gemm-fp16': wrong,
        decode: failedOutcome(
          'decode',
          'This session contains graph nodes that are assigned to the default CPU EP <script>alert(1)</script>',
        ),
      },
    }),
    testSigner(),
  );
  reportFile = join(dir.path, 'report.json');
  await writeFile(reportFile, JSON.stringify(signed, null, 2));
  bench = createBenchService({
    dataDir: dir.path,
    signer: testSigner(),
    hardware: {
      list: () => Promise.reject(new Error('not used')),
      probe: () => Promise.reject(new Error('not used')),
      telemetry: () => [],
      startTelemetry: () => Promise.resolve(),
    },
  });
  if (!missing) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await dir.remove();
});

describe.skipIf(missing)(`exported reports${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('HTML: a standalone page support staff can read, with nothing fetched and no script run', async () => {
    const out = join(dir.path, 'report.html');
    const result = await bench.export({ file: reportFile, format: 'html', out });
    expect(result).toMatchObject({ format: 'html', file: out, verify: { ok: true } });
    const page = await browser!.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(out).href);

    expect(requests).toEqual([pathToFileURL(out).href]);
    expect(errors).toEqual([]);
    expect(await page.locator('script:not([type="application/json"])').count()).toBe(0);
    expect(await page.title()).toMatch(
      /^Roost benchmark report — no composite — 2026-01-01 12:00:00 UTC$/,
    );

    // The verdict first: no composite, and why.
    await expect(page.locator('#composite').textContent()).resolves.toBe('—');
    expect(await page.locator('#summary').textContent()).toMatch(
      /no composite: Matrix multiply, FP16; Small-batch decode did not score/,
    );
    expect(await page.locator('#status').textContent()).toBe('Complete');
    expect(await page.locator('#target').textContent()).toBe(
      'CUDA (device 0) on NVIDIA GeForce RTX 3080 <test>',
    );
    // What was true at export, and how to check the file now: not a claim it is unchanged.
    const badge = await page.locator('.verified').textContent();
    expect(badge).toMatch(
      /Verified by Roost \S+ when this file was exported: the signature was valid.*To check this file now, run roost report verify <this file>.*0x[0-9a-fA-F]{40}/,
    );
    expect(badge).not.toMatch(/unchanged/);

    // Warnings, most serious first, each with what to do.
    const codes = await page
      .locator('.warnings li')
      .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-code')));
    expect(codes).toEqual(['accuracy-failed', 'workload-failed', 'throttling']);
    expect(await page.locator('[data-code="throttling"]').textContent()).toMatch(
      /NVIDIA GeForce RTX 3080 <test> \(pci-0000:01:00.0\) throttled during the run: the graphics clock fell from 1905 MHz to 1620 MHz under load.*What to do: Clean the fans/,
    );

    // One row per workload, with its number, spread, accuracy and status.
    const rows = await page.locator('table.results tbody tr').allTextContents();
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatch(
      /Matrix multiply, FP32.*0.193 TFLOP\/s356 ms359 ms.*12.*✔ 0 ≤ 5e-3.*passed/,
    );
    expect(rows[1]).toMatch(/Matrix multiply, FP16.*wrong result.*differ from the CPU reference/);
    expect(rows[5]).toMatch(/Small-batch decode.*unsupported.*CUDA cannot run every operator/);
    // onnxruntime's own words, escaped: shown as text, never run.
    expect(await page.locator('details pre').last().textContent()).toContain(
      '<script>alert(1)</script>',
    );

    // The machine, GPUs (names escaped), the probe, telemetry charts and the method.
    expect(await page.locator('#machine').textContent()).toMatch(
      /AMD EPYC \(test\).*NVIDIA GeForce RTX 3080 <test>.*10de:2206.*0000:01:00.0.*nvidia 550\.54\.14.*10 GiB/s,
    );
    expect(await page.locator('#machine').textContent()).toMatch(
      /WebGPU.*software renderer \(not a GPU\).*llvmpipe/s,
    );
    expect(await page.locator('#telemetry svg').count()).toBe(4);
    expect(await page.locator('#telemetry').textContent()).toMatch(/1,620 – 1,905 MHz/);
    expect(await page.locator('#results svg').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('#method').textContent()).toMatch(
      /roost-std\/4.*sha256:[0-9a-f]{64}.*composite = scale × exp\( Σ_i w_i × ln\( value_i \/ reference_i \) \)/s,
    );
    expect(await page.locator('#method').textContent()).toMatch(
      /measured in 8 rounds.*10th percentile of its run times/s,
    );
    expect(await page.locator('table.results thead').textContent()).toMatch(
      /Scored run time \(p10\)Medianp90/,
    );
    await page.close();

    // The HTML carries the signed JSON: verify accepts it as it is.
    expect(await bench.verify({ file: out })).toMatchObject({
      ok: true,
      signer: testSigner().address,
    });
  });

  it('HTML edited after export: the page shows the edit, verify fails naming the page, and so does the CLI', async () => {
    const out = join(dir.path, 'exported.html');
    await bench.export({ file: reportFile, format: 'html', out });
    const html = await readFile(out, 'utf8');
    expect(html).toContain(`<meta name="roost-exported-by" content="${ROOST_VERSION}">`);
    // Support staff's case: a number in the results table raised, the embedded JSON left alone.
    const cell = '<strong>0.193</strong> TFLOP/s';
    expect(html).toContain(cell);
    const edited = join(dir.path, 'edited.html');
    await writeFile(edited, html.replace(cell, '<strong>9.99</strong> TFLOP/s'));
    const page = await browser!.newPage();
    await page.goto(pathToFileURL(edited).href);
    expect((await page.locator('table.results tbody tr').first().textContent()) ?? '').toContain(
      '9.99 TFLOP/s',
    );
    await page.close();

    const v = await bench.verify({ file: edited });
    expect(v).toMatchObject({ ok: false, failed: 'html' });
    expect(v.ok ? '' : v.message).toMatch(
      /^The page's visible content differs from the signed report embedded in it: it was edited after export \(in Results: the page shows “9\.99” where the signed report gives “0\.193”\)\. The embedded report itself is valid \(signed by 0x[0-9a-fA-F]{40}, suite roost-std\/4, composite none\)/,
    );

    const data = join(dir.path, 'cli-data');
    const cli = await runRoost(['report', 'verify', edited, '--data-dir', data]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toMatch(
      /^Not valid \(page check failed\): The page's visible content differs from the signed report embedded in it: it was edited after export/,
    );
    const untouched = await runRoost(['report', 'verify', out, '--data-dir', data]);
    expect(untouched.code, untouched.stderr).toBe(0);
    expect(untouched.stdout).toContain(`Valid: signed by ${testSigner().address}`);
  });

  it('HTML of an edited report says verification failed, and why', async () => {
    const edited = structuredClone(signed);
    edited.report.workloads[0]!.value = 99;
    const file = join(dir.path, 'edited.json');
    await writeFile(file, JSON.stringify(edited));
    const { content, verify } = await bench.export({ file, format: 'html' });
    expect(verify).toMatchObject({ ok: false, failed: 'signature' });
    const page = await browser!.newPage();
    await page.setContent(content ?? '');
    expect(await page.locator('.unverified').textContent()).toMatch(
      /VERIFICATION FAILED \(signature\): The report was changed after it was signed/,
    );
    await page.close();
  });

  it('PDF: printed by Chromium headless, with pages', async () => {
    const out = join(dir.path, 'report.pdf');
    const result = await bench.export({ file: reportFile, format: 'pdf', out });
    const pdf = new Uint8Array(await readFile(out));
    expect(result.bytes).toBe(pdf.byteLength);
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    expect(pdfPageCount(pdf)).toBeGreaterThanOrEqual(2);
    // A PDF is printed, not signed: verify says what to ask for instead.
    const pdfMessage =
      "A PDF can't be verified: ask for the report's .json or .html export (the PDF is printed from them).";
    expect(await bench.verify({ file: out })).toEqual({
      ok: false,
      failed: 'json',
      message: pdfMessage,
    });
    const cli = await runRoost(['report', 'verify', out, '--data-dir', join(dir.path, 'cli-data')]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe(`Not valid (JSON check failed): ${pdfMessage}\n`);
    const inline = await bench.export({ file: reportFile, format: 'pdf' });
    expect(
      Buffer.from(inline.content ?? '', 'base64')
        .subarray(0, 5)
        .toString('latin1'),
    ).toBe('%PDF-');
  });

  it('JSON: the signed report as it was saved', async () => {
    const { content } = await bench.export({ file: reportFile, format: 'json' });
    expect(JSON.parse(content ?? '')).toEqual(signed);
  });

  it('a file that is no report (a NumPy array): says so, without its bytes, and exits non-zero', async () => {
    const npy = join(dir.path, 'weights.npy');
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }";
    await writeFile(
      npy,
      Buffer.concat([
        Buffer.from([0x93]),
        Buffer.from(`NUMPY\x01\x00${String.fromCharCode(header.length)}\x00${header}\n`, 'latin1'),
        Buffer.from(new Float32Array([1, 2.5, -3, Number.NaN]).buffer),
      ]),
    );
    const message = 'weights.npy is not a Roost report (.json or .html export).';
    expect(await bench.verify({ file: npy })).toEqual({ ok: false, failed: 'json', message });
    const cli = await runRoost(['report', 'verify', npy, '--data-dir', join(dir.path, 'cli-data')]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe(`Not valid (JSON check failed): ${message}\n`);
    expect(cli.stdout).toBe('');
  });
});
