import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  accessibilityProblems,
  chromiumMissing,
  launchChromium,
  navLink,
  SHOTS,
} from '../support/browser.ts';
import { startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { STD_SUITE_ID } from '../../agent/bench/schema.ts';
import { tempDir } from '../support/temp-dir.ts';

const missing = chromiumMissing();

describe.skipIf(Boolean(missing))('the Benchmark page against roost serve', () => {
  let browser: Browser;
  let server: ServeProcess;
  let dir: { path: string; remove: () => Promise<void> };

  beforeAll(async () => {
    dir = await tempDir('roost-e2e-bench-');
    server = await startServeProcess(dir.path);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await dir?.remove();
  });

  it('runs the quick benchmark with progress, shows the results and history, and exports the report', async () => {
    const page = await browser.newPage({
      viewport: { width: 1024, height: 640 },
      acceptDownloads: true,
    });
    await page.goto(server.url);
    await navLink(page, 'Benchmark').click();
    await page.getByText('No benchmark yet.').waitFor();
    const target = page.getByLabel('Accelerator');
    await expect
      .poll(async () => (await target.locator('option').allTextContents()).join('|'), {
        timeout: 60_000,
      })
      .toMatch(/^CPU on /);
    // Named as people call them, the software renderer flagged.
    expect((await target.locator('option').allTextContents()).join('|')).toMatch(
      /\|WebGPU on .*, a software renderer/,
    );
    await page.getByRole('button', { name: 'Run benchmark' }).click();
    await page.getByRole('status').filter({ hasText: '%' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'benchmark-running.png') });
    const results = page.getByTestId('bench-results');
    await results.waitFor({ timeout: 120_000 });
    expect(await results.textContent()).toMatch(/Composite: \d/);
    for (const w of ['Matrix multiply, FP32', 'Memory bandwidth', 'Small-batch decode'])
      expect(await results.textContent()).toContain(w);
    await page.getByTestId('bench-history').waitFor();
    await page.screenshot({ path: join(SHOTS, 'benchmark.png'), fullPage: true });
    expect(await accessibilityProblems(page), 'Benchmark with results').toEqual([]);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'HTML' }).click(),
    ]);
    const html = await readFile((await download.path())!, 'utf8');
    expect(html).toContain(STD_SUITE_ID);
    expect(html).not.toMatch(/<script[^>]+src=/);
    // With a composite score, the Dashboard predicts what the machine earns at the user's price.
    await navLink(page, 'Dashboard').click();
    const earnings = page.getByTestId('earnings');
    await earnings.getByText('At your price').waitFor();
    expect(await earnings.textContent()).toMatch(/per hour/);
    await page.close();
  });
});
