// Two saved benchmark reports side by side on the Benchmark page, as support staff compare a
// machine before and after a driver update: every workload in both, the change, the composites.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { passingOutcome, sampleReport, testSigner } from '../../agent/bench/testing/fixtures.ts';
import { signReport } from '../../agent/bench/sign.ts';
import {
  chromiumMissing,
  launchChromium,
  navLink,
  overflowing,
  accessibilityProblems,
  SHOTS,
} from '../support/browser.ts';
import { startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { tempDir } from '../support/temp-dir.ts';

const missing = chromiumMissing();

describe.skipIf(Boolean(missing))('two benchmark reports side by side', () => {
  let browser: Browser;
  let server: ServeProcess;
  let dir: { path: string; remove: () => Promise<void> };

  beforeAll(async () => {
    dir = await tempDir('roost-e2e-compare-');
    const reports = join(dir.path, 'bench', 'reports');
    await mkdir(reports, { recursive: true });
    const before = sampleReport();
    // The second run: FP32 matrix multiply twice as fast (half the time per run), the rest alike.
    const after = {
      ...sampleReport({ outcomes: { 'gemm-fp32': passingOutcome('gemm-fp32', 180) } }),
      id: '7c2a9d41-0b6e-4f3a-8d1c-2e5f7a9b3c10',
      startedAt: '2026-01-02T12:00:00.000Z',
      finishedAt: '2026-01-02T12:00:21.500Z',
    };
    for (const report of [before, after])
      await writeFile(
        join(reports, `${report.id}.json`),
        `${JSON.stringify(await signReport(report, testSigner()), null, 2)}\n`,
      );
    server = await startServeProcess(dir.path);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await dir?.remove();
  });

  it('shows each workload of both reports with the change, and both composites', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 640 } });
    await page.goto(server.url);
    await navLink(page, 'Benchmark').click();
    const history = page.getByTestId('bench-history');
    await history.waitFor({ timeout: 30_000 });
    const boxes = history.getByRole('checkbox', { name: /Compare the report of/ });
    await expect.poll(() => boxes.count(), { timeout: 15_000 }).toBe(2);
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    const compare = page.getByTestId('bench-compare');
    await compare.waitFor({ timeout: 15_000 });
    const rows = compare.locator('tbody tr');
    const text = (await rows.allTextContents()).join('\n');
    for (const w of [
      'Matrix multiply, FP32',
      'Matrix multiply, FP16',
      'Memory bandwidth',
      'Small-batch decode',
    ])
      expect(text).toContain(w);
    // The older run on the left, whichever box was ticked first: the newer, faster run reads as
    // twice the older (+100 %), not as "-50 %".
    const gemm = (await rows.filter({ hasText: 'Matrix multiply, FP32' }).textContent()) ?? '';
    expect(gemm).toContain('+100.0 %');
    expect(await compare.locator('thead th').nth(1).textContent()).toContain('1/1/2026');
    const fp16 = (await rows.filter({ hasText: 'Matrix multiply, FP16' }).textContent()) ?? '';
    expect(fp16).toContain('+0.0 %');
    // Nothing past the window's edge at 1024 px (the Run button went past the card's).
    expect(await overflowing(page)).toEqual([]);
    expect(await accessibilityProblems(page)).toEqual([]);
    // The accelerator by its name, and at 1024 px the form's labels whole on one line each.
    expect(await compare.locator('thead').textContent()).toContain('CPU ·');
    for (const label of ['Accelerator', 'Preset'])
      expect(
        await page
          .locator('label', { hasText: label })
          .first()
          .evaluate((el: { getClientRects(): { length: number } }) => el.getClientRects().length),
        label,
      ).toBe(1);
    const composites = await rows.filter({ hasText: 'Composite' }).locator('td').allTextContents();
    expect(composites.slice(1, 3).every((c) => /^\d/.test(c))).toBe(true);
    expect(composites[1]).not.toBe(composites[2]);
    await page.screenshot({ path: join(SHOTS, 'benchmark-compare.png'), fullPage: true });
    await page.close();
  });
});
