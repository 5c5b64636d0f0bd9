// The earn loop as its users see it: a provider running `roost serve` on the local network (a
// real Hardhat devnet), a lab posting a job with the real `roost market post-job` command, and
// the provider watching it in Chromium: claimed, run in the sandboxed worker, paid; then the
// provider withdraws on the Wallet page. Every balance is checked on chain to the base unit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Wallet, type JsonRpcProvider } from 'ethers';
import type { Browser } from 'playwright-core';
import type { MethodName } from '../../agent/api/contract.ts';
import type { Devnet } from '../../contracts/devnet.ts';
import { connectJobMarket } from '../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../contracts/bindings/roost-test-token.ts';
import {
  chromiumMissing,
  launchChromium,
  navLink,
  overflowing,
  accessibilityProblems,
  SHOTS,
} from '../support/browser.ts';
import { startTestChain, type TestChain } from '../support/devnet-chain.ts';
import { labPostsJob, providerAndLab, writeJobFiles } from '../support/market-files.ts';
import { serveApi, startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { tempDir } from '../support/temp-dir.ts';

const missing = chromiumMissing();
const USD = 1_000_000n;

describe.skipIf(Boolean(missing))('earning on the market, seen in the dashboard', () => {
  let browser: Browser;
  let chain: TestChain;
  let devnet: Devnet;
  let rpc: JsonRpcProvider;
  let server: ServeProcess;
  let dir: { path: string; remove: () => Promise<void> };
  const key = Wallet.createRandom().privateKey;
  const provider = new Wallet(key).address;

  const api = <M extends MethodName>(method: M, params?: unknown) =>
    serveApi(server, method, params);

  beforeAll(async () => {
    chain = await startTestChain();
    ({ devnet, rpc } = chain);
    dir = await tempDir('roost-e2e-market-');
    // Score 115 (composite 114.9): the score the market pays, and the digest it registers with.
    const { providerDir } = await providerAndLab(dir.path, devnet);
    server = await startServeProcess(providerDir);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await chain?.stop();
    await dir?.remove();
  });

  it('registers, takes a posted job, gets paid, and withdraws on the Wallet page', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 640 } });
    await page.goto(server.url);
    await navLink(page, 'Jobs').click();
    // Market jobs start off: registering stakes the owner's tokens, so the owner turns them on.
    await page.getByTestId('market-status').getByText('Market off').waitFor({ timeout: 30_000 });
    await api('settings.update', {
      pricing: { pricePerUnitHour: 0.0001 },
      work: { mode: 'always' },
      market: { enabled: true },
    });
    // Before a wallet: the market card says what is missing.
    await page
      .getByTestId('market-status')
      .getByText(/no wallet yet/)
      .waitFor({ timeout: 30_000 });
    await api('wallet.import', {
      kind: 'privateKey',
      privateKey: key,
      password: 'provider password',
    });
    const market = connectJobMarket(devnet.marketAddress, rpc);
    await expect
      .poll(async () => (await market.getProvider(provider)).registeredAt, { timeout: 60_000 })
      .not.toBe(0n);
    await page.getByTestId('market-status').getByText('Taking jobs').waitFor({ timeout: 30_000 });
    // The chain and what its tokens (the amounts below) are worth.
    expect(await page.getByTestId('market-network').textContent()).toMatch(
      /^The built-in test network; its tokens are test money with no value$/,
    );

    const files = await writeJobFiles(join(dir.path, 'files'), 'quick');
    const token = connectRoostTestToken(devnet.tokenAddress, rpc);
    const labBefore = await token.balanceOf(devnet.accounts[3]!);
    const treasuryBefore = await market.withdrawable(devnet.treasury);
    const providerBefore = await token.balanceOf(provider);

    // The lab posts with the real command and waits for the result it checks and accepts.
    const lab = await labPostsJob(join(dir.path, 'lab'), files, '3');
    expect(lab.code, lab.stderr).toBe(0);
    const fee = (3n * USD * 100n) / 10_000n;
    expect(await token.balanceOf(devnet.accounts[3]!)).toBe(labBefore - 3n * USD);
    expect(await market.withdrawable(devnet.treasury)).toBe(treasuryBefore + fee);

    const row = page.getByTestId('market-leases').locator('tr.lease-paid');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain('2.97 rUSD');
    // The job it ran is in the queue under the market's number, not an internal id.
    const ran = page.getByTestId('jobs').locator('li').first();
    await expect.poll(() => ran.locator('strong').textContent()).toMatch(/^market job \d+$/);
    expect(await ran.textContent()).toContain('from the market');
    await page.screenshot({ path: join(SHOTS, 'jobs-market.png'), fullPage: true });
    expect(await overflowing(page), 'jobs with the market').toEqual([]);
    expect(await accessibilityProblems(page), 'jobs with the market').toEqual([]);

    // The provider withdraws what it earned, after the decoded review.
    await navLink(page, 'Wallet').click();
    await expect
      .poll(() => page.getByTestId('balance-withdrawable').textContent(), { timeout: 15_000 })
      .toBe('2.97 rUSD');
    await page.getByLabel('Withdraw earnings to this wallet').check();
    await page.getByRole('button', { name: 'Review' }).click();
    const review = page.getByTestId('transfer-review');
    await review.waitFor();
    expect(await review.textContent()).toContain('2.97 rUSD');
    await review.getByRole('button', { name: /Confirm/ }).click();
    // A withdrawal is not "sent": it says what it did.
    await page
      .getByText(/^Withdrew 2\.97 rUSD to the wallet: confirmed\. Transaction 0x/)
      .waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.getByTestId('balance-withdrawable').textContent(), { timeout: 30_000 })
      .toBe('0 rUSD');
    // The history says each movement once: the devnet's 100 rUSD for the stake (funded once,
    // not by two registration runs at once), the stake as staked, the withdrawal once (not
    // again as the tokens it brought in).
    const whats = () =>
      page.getByTestId('wallet-history').locator('tbody tr td:nth-child(2)').allTextContents();
    await expect
      .poll(async () => (await whats()).filter((w) => w === 'Withdrawn to the wallet').length, {
        timeout: 15_000,
      })
      .toBe(1);
    const rows = await whats();
    expect(rows.filter((w) => w === 'Staked')).toHaveLength(1);
    expect(rows.filter((w) => w === 'Received')).toHaveLength(1);
    expect(rows.filter((w) => w === 'Credited (payout)')).toHaveLength(1);
    await page.screenshot({ path: join(SHOTS, 'wallet-after-withdraw.png'), fullPage: true });
    expect(await overflowing(page), 'wallet after a withdrawal').toEqual([]);
    expect(await accessibilityProblems(page), 'wallet after a withdrawal').toEqual([]);

    const stake = (await market.getProvider(provider)).stake;
    expect(await market.withdrawable(provider)).toBe(0n);
    // The devnet funded the stake; the rest of the wallet's tokens are exactly the earnings.
    expect(await token.balanceOf(provider)).toBe(providerBefore + 3n * USD - fee);
    expect(stake).toBe(100n * USD);
    await page.close();
  });
});
