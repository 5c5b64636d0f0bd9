// Predicted beside actual earnings, the suggested price and "why no jobs", as a provider sees them:
// `roost serve` on a real Hardhat devnet records the hours it may work, a lab posts a job with
// the real `roost market post-job`, the provider is paid for it, and the Dashboard (in Chromium)
// shows the paid amount beside the prediction. Then the provider asks more than the job paid, and
// "why no jobs" says so with the price that job paid; with the chain gone, it says that instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import type { Browser } from 'playwright-core';
import { startDevnet, type Devnet } from '../../contracts/devnet.ts';
import { methods, type MethodName } from '../../agent/api/contract.ts';
import {
  accessibilityProblems,
  chromiumMissing,
  launchChromium,
  SHOTS,
} from '../support/browser.ts';
import { labPostsJob, providerAndLab, writeJobFiles } from '../support/market-files.ts';
import { serveApi, startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { tempDir } from '../support/temp-dir.ts';

const RENDERER = fileURLToPath(new URL('../../dist/renderer/index.html', import.meta.url));
const missing = chromiumMissing();

describe.skipIf(Boolean(missing))('earnings, the suggested price and why no jobs', () => {
  let browser: Browser;
  let devnet: Devnet;
  let devnetStopped = false;
  let server: ServeProcess;
  let dir: { path: string; remove: () => Promise<void> };
  const key = Wallet.createRandom().privateKey;

  const api = <M extends MethodName>(method: M, params?: unknown) =>
    serveApi(server, method, params);
  // Without a GPU here, the machine's warnings ("no GPU") come too, but keep no job away.
  const marketBlockers = (answer: { blockers: { code: string }[] }) =>
    answer.blockers.map((d) => d.code);
  const why = async () =>
    methods['diagnostics.whyNoJobs'].result.parse(await api('diagnostics.whyNoJobs'));

  beforeAll(async () => {
    await access(RENDERER).catch(() => {
      throw new Error(
        'The renderer is not built: run `npm run build:renderer` before the e2e suite.',
      );
    });
    await mkdir(SHOTS, { recursive: true });
    devnet = await startDevnet();
    dir = await tempDir('roost-e2e-earnings-');
    // Score 115 (composite 114.9): the score the market pays, and the digest it registers with.
    const { providerDir } = await providerAndLab(dir.path, devnet);
    server = await startServeProcess(providerDir);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (!devnetStopped) await devnet?.stop();
    await dir?.remove();
  });

  it('is paid for a job, shows it beside the prediction, and says why no more jobs come', async () => {
    // Market jobs start off: hours pass, but nothing is predicted while nothing can be earned.
    await expect
      .poll(
        async () =>
          methods['yield.earnings'].result.parse(await api('yield.earnings')).today.hoursWorked,
        { timeout: 15_000 },
      )
      .toBeGreaterThan(0);
    const off = methods['yield.earnings'].result.parse(await api('yield.earnings'));
    expect(Number(off.today.predicted)).toBe(0);
    await api('settings.update', {
      general: { onboarded: true },
      // A job below pays 3 rUSD for 600 s: 18 rUSD/h ÷ score 115 ≈ 0.157 per unit-hour.
      pricing: { pricePerUnitHour: 0.1 },
      work: { mode: 'always' },
      market: { enabled: true },
    });
    await api('wallet.import', { kind: 'privateKey', privateKey: key, password: 'provider pw' });
    await expect
      .poll(async () => ((await api('market.status')) as { state: string }).state, {
        timeout: 60_000,
      })
      .toBe('ready');

    // Nothing seen yet: no suggestion, and the only reason is an empty market.
    const early = methods['yield.suggestPrice'].result.parse(await api('yield.suggestPrice'));
    expect(early).toMatchObject({ price: null, count: 0, score: 115, token: 'rUSD' });
    expect(marketBlockers(await why())).toEqual(['market-empty']);

    const files = await writeJobFiles(join(dir.path, 'files'), 'quick');
    const lab = await labPostsJob(join(dir.path, 'lab'), files, '3');
    expect(lab.code, lab.stderr).toBe(0);
    await expect
      .poll(
        async () =>
          ((await api('market.jobs', { states: ['paid'] })) as { leases: unknown[] }).leases.length,
        { timeout: 30_000 },
      )
      .toBe(1);

    // Actual: the 3 rUSD reward less the 1% fee. Predicted: the time it has worked at
    // 0.1 × 115 less the fee = 11.385 rUSD an hour.
    const report = methods['yield.earnings'].result.parse(await api('yield.earnings'));
    expect(report.today.actual).toBe('2.970000');
    expect(report.grossPerHour).toBe('11.385');
    expect(report.today.hoursWorked).toBeGreaterThan(0);
    expect(Number(report.today.predicted)).toBeCloseTo(report.today.hoursWorked * 11.385, 1);
    expect(report.chart.buckets.filter((b) => b.actual === '2.970000')).toHaveLength(1);
    // The built-in devnet's tokens are test money: the estimate stays in rUSD (no EUR), and it is
    // the gross, as no electricity is measured on this machine.
    const estimate = methods['yield.estimate'].result.parse(await api('yield.estimate'));
    expect(estimate.estimates[0]).toMatchObject({
      token: 'rUSD',
      testNetwork: true,
      netUnit: 'rUSD',
      earnedPerHourInCurrency: null,
      electricityCounted: false,
    });
    const csv = methods['yield.payoutsCsv'].result.parse(await api('yield.payoutsCsv'));
    expect(csv.csv.split('\r\n')[1]).toMatch(
      /^[^,]+,earned,2\.97,rUSD,local \(test tokens without value\),,,/,
    );

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(server.url);
    const card = page.getByTestId('earnings');
    const today = card.getByTestId('earnings-totals').getByRole('row', { name: /Today/ });
    await expect.poll(() => today.textContent(), { timeout: 15_000 }).toMatch(/2\.97 rUSD$/);
    expect(await card.getByTestId('earnings-bucket').count()).toBe(24);
    expect(await card.getByTestId('earnings-rate').textContent()).toMatch(
      /^\d+(\.\d{1,4})? rUSD per hour \(test tokens, no value\)$/,
    );
    expect(await card.getByTestId('earnings-net').textContent()).toMatch(
      /^\d+(\.\d{1,4})? rUSD\/h · \d+(\.\d{1,3})? rUSD\/day \(before electricity\)$/,
    );
    const tallest = await card
      .locator('.bar-actual')
      .evaluateAll((bars) => Math.max(...bars.map((b) => Number(b.getAttribute('height')))));
    expect(tallest).toBeGreaterThan(50);
    expect(await card.getByTestId('price-suggestion').textContent()).toBe(
      'No suggested price yet: not enough jobs seen yet (1 job in the last 7 days).',
    );
    // Activity names the job once as a job, and the accelerator as people call it.
    const activity = (await page.getByTestId('activity').textContent()) ?? '';
    expect(activity).toMatch(/market job 1 \(job-[\w-]+\): queued: 1 input set/);
    expect(activity).toContain('uploading — ran on CPU');
    expect(activity).not.toMatch(/job market job|\[market-tx\]/);
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'dashboard-earnings.png'), fullPage: true });
    expect(await accessibilityProblems(page), 'Dashboard with earnings').toEqual([]);
    await card.getByRole('button', { name: '7 d' }).click();
    await expect.poll(() => card.getByTestId('earnings-bucket').count()).toBe(7);

    // Asking more than that job paid: "why no jobs" names the price the job paid, one click away.
    await api('settings.update', { pricing: { pricePerUnitHour: 1 } });
    const priced = await why();
    expect(marketBlockers(priced)).toEqual(['price-too-high', 'market-empty']);
    expect(priced.blockers.find((d) => d.code === 'price-too-high')?.message).toBe(
      'Your price of 1 rUSD per unit-hour is above what the only job you qualified for in the last 7 days paid at your score of 115 (the best paid 0.157).',
    );
    const whyCard = page.getByTestId('why-no-jobs');
    await whyCard.getByText('Price above the market', { exact: true }).waitFor({ timeout: 15_000 });
    await whyCard.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'dashboard-why-no-jobs-price.png'), fullPage: true });
    // A price people type, not 0.156521, and still at most what the job paid (rounded down).
    await whyCard.getByRole('button', { name: 'Use 0.156' }).click();
    await expect
      .poll(async () => marketBlockers(await why()), { timeout: 15_000 })
      .toEqual(['market-empty']);

    // The chain gone: that comes first, and says where.
    await devnet.stop();
    devnetStopped = true;
    await expect
      .poll(async () => marketBlockers(await why())[0], { timeout: 30_000 })
      .toBe('rpc-unreachable');
    await page.close();
  });
});
