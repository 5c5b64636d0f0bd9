import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { JsonRpcProvider, parseEther } from 'ethers';
import type { Browser } from 'playwright-core';
import { TEST_DOLLAR, devnetDeployment, startDevnet, type Devnet } from '../../contracts/devnet.ts';
import { connectRoostTestToken } from '../../contracts/bindings/roost-test-token.ts';
import { writeLocalNetwork } from '../../agent/market/local-network.ts';
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

describe.skipIf(Boolean(missing))('the Wallet page against roost serve and a devnet', () => {
  let browser: Browser;
  let devnet: Devnet;
  let server: ServeProcess;
  let dir: { path: string; remove: () => Promise<void> };

  beforeAll(async () => {
    devnet = await startDevnet();
    dir = await tempDir('roost-e2e-wallet-');
    await writeLocalNetwork(dir.path, devnetDeployment(devnet));
    server = await startServeProcess(dir.path);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await devnet?.stop();
    await dir?.remove();
  });

  it('creates a wallet (phrase shown once, three words checked), shows balances, and sends after a review', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 640 } });
    await page.goto(server.url);
    await navLink(page, 'Wallet').click();
    await page.getByLabel('Password (8 characters or more)').fill('a good long password');
    await page.getByLabel('Password again').fill('a good long password');
    await page.getByRole('button', { name: 'Create wallet' }).click();
    const phrase = page.getByTestId('mnemonic');
    await phrase.waitFor({ timeout: 30_000 });
    const words = await phrase.locator('li').allTextContents();
    expect(words).toHaveLength(12);
    await page.screenshot({ path: join(SHOTS, 'wallet-phrase.png') });
    await page.getByRole('button', { name: 'I wrote them down' }).click();
    // A wrong word is refused; the right ones finish the wallet.
    const asked = await page.locator('.word-check label').allTextContents();
    const positions = asked.map((l) => Number(l.replace('Word ', '')));
    for (const p of positions) await page.getByLabel(`Word ${p}`, { exact: true }).fill('wrong');
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor({ timeout: 30_000 });
    for (const p of positions)
      await page.getByLabel(`Word ${p}`, { exact: true }).fill(words[p - 1]!);
    await page.getByRole('button', { name: 'Finish' }).click();
    const address = (await page
      .getByTestId('wallet-address')
      .textContent({ timeout: 30_000 }))!.trim();
    expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(await page.content()).not.toContain(words.join(' '));

    const rpc = new JsonRpcProvider(devnet.rpcUrl);
    const funder = await rpc.getSigner(devnet.accounts[5]);
    await (await funder.sendTransaction({ to: address, value: parseEther('1') })).wait();
    await (
      await connectRoostTestToken(devnet.tokenAddress, funder).transfer(address, 40n * TEST_DOLLAR)
    ).wait();
    await page.reload();
    await navLink(page, 'Wallet').click();
    await expect
      .poll(() => page.getByTestId('balance-token').textContent(), { timeout: 15_000 })
      .toBe('40 rUSD');

    await page.getByLabel('Send to another address').check();
    await page.getByLabel('To address').fill(devnet.accounts[7]!);
    await page.getByLabel('Amount (or "all")').fill('15');
    await page.getByRole('button', { name: 'Review' }).click();
    const review = page.getByTestId('transfer-review');
    await review.waitFor();
    expect(await review.textContent()).toContain('15 rUSD');
    expect(await review.textContent()).toContain(devnet.accounts[7]!);
    await page.screenshot({ path: join(SHOTS, 'wallet-review.png'), fullPage: true });
    expect(await overflowing(page), 'wallet review').toEqual([]);
    expect(await accessibilityProblems(page), 'wallet review').toEqual([]);
    await review.getByRole('button', { name: 'Confirm and send' }).click();
    await page
      .getByText(
        new RegExp(`^Sent 15 rUSD to ${devnet.accounts[7]!}: confirmed\\. Transaction 0x`, 'i'),
      )
      .waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.getByTestId('balance-token').textContent(), { timeout: 15_000 })
      .toBe('25 rUSD');
    await page.getByTestId('wallet-history').waitFor();
    expect(await page.getByTestId('wallet-history').textContent()).toContain('15 rUSD');

    // The chain's coin too, as a lab sends its providers the fees.
    const coinBefore = await rpc.getBalance(devnet.accounts[7]!);
    await page.getByLabel('What to send').selectOption('native');
    await page.getByLabel('Amount (or "all")').fill('0.1');
    await page.getByRole('button', { name: 'Review' }).click();
    await review.waitFor();
    expect(await review.textContent()).toContain('0.1 ETH');
    await review.getByRole('button', { name: 'Confirm and send' }).click();
    await page
      .getByText(new RegExp(`^Sent 0\\.1 ETH to ${devnet.accounts[7]!}: confirmed`, 'i'))
      .waitFor({ timeout: 30_000 });
    expect((await rpc.getBalance(devnet.accounts[7]!)) - coinBefore).toBe(parseEther('0.1'));
    await page.screenshot({ path: join(SHOTS, 'wallet.png'), fullPage: true });
    expect(await overflowing(page), 'wallet').toEqual([]);
    expect(await accessibilityProblems(page), 'wallet').toEqual([]);
    rpc.destroy();
    await page.close();
  });
});
