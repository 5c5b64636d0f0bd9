// A lab deploys its own market from the Settings page: `roost serve` with a wallet of its own,
// and a Hardhat node on 127.0.0.1 standing for the lab's chain. In Chromium the lab fills in the
// chain's URL, reviews, deploys, and reads what its other machines run; the market is on the
// chain, and this Roost's settings point at it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import type { Browser } from 'playwright-core';
import type { MethodName } from '../../agent/api/contract.ts';
import { connectJobMarket } from '../../contracts/bindings/job-market.ts';
import type { Devnet } from '../../contracts/devnet.ts';
import {
  accessibilityProblems,
  chromiumMissing,
  launchChromium,
  navLink,
  overflowing,
  SHOTS,
} from '../support/browser.ts';
import { startTestChain, type TestChain } from '../support/devnet-chain.ts';
import { providerAndLab } from '../support/market-files.ts';
import { serveApi, startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { tempDir } from '../support/temp-dir.ts';

const missing = chromiumMissing();

describe.skipIf(Boolean(missing))("deploying a lab's own market from Settings", () => {
  let browser: Browser;
  let chain: TestChain;
  let devnet: Devnet;
  let server: ServeProcess;
  let dir: { path: string; remove: () => Promise<void> };
  const lab = Wallet.createRandom();

  const api = <M extends MethodName>(method: M, params?: unknown) =>
    serveApi(server, method, params);

  beforeAll(async () => {
    chain = await startTestChain();
    devnet = chain.devnet;
    dir = await tempDir('roost-e2e-deploy-');
    const { labDir } = await providerAndLab(dir.path, devnet);
    server = await startServeProcess(labDir);
    await api('wallet.import', {
      kind: 'privateKey',
      privateKey: lab.privateKey,
      password: 'the lab password',
    });
    await chain.rpc.send('hardhat_setBalance', [lab.address, `0x${(10n ** 18n).toString(16)}`]);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await chain?.stop();
    await dir?.remove();
  });

  it('reviews, deploys, says what the other machines run, and works on the new market', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 640 } });
    await page.goto(server.url);
    await navLink(page, 'Settings').click();
    const card = page.locator('section', {
      has: page.getByRole('heading', { name: 'Your own market (labs)' }),
    });
    await card.getByLabel("Your chain's JSON-RPC URL").fill(devnet.rpcUrl);
    await card.getByRole('button', { name: 'Deploy…' }).click();
    const review = card.getByRole('group', { name: 'Deploy a market' });
    expect(await review.textContent()).toContain(
      `Deploy a Roost market on the chain at ${devnet.rpcUrl} with the Roost test dollar, from ${lab.address}`,
    );
    await review.getByRole('button', { name: 'Deploy' }).click();
    const done = card.getByTestId('deployed');
    await done.waitFor({ timeout: 60_000 });

    const { network } = await api('settings.get');
    expect(network.name).toBe('custom');
    const marketAddress = network.marketAddress ?? '';
    expect(await chain.rpc.getCode(marketAddress)).not.toBe('0x');
    const admin = connectJobMarket(marketAddress, chain.rpc);
    expect(await admin.hasRole(await admin.ARBITER_ROLE(), lab.address)).toBe(true);
    expect(await done.locator('.command-lines').textContent()).toBe(
      `roost settings set network.tokens test\nroost serve --rpc ${devnet.rpcUrl} --market ${marketAddress}`,
    );
    // A development node (chain 31337) needs no blocks on a clock.
    expect(await done.textContent()).not.toContain('on a clock');

    await done.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'settings-deployed-market.png'), fullPage: false });
    expect(await overflowing(page), 'settings after a deploy').toEqual([]);
    expect(await accessibilityProblems(page), 'settings after a deploy').toEqual([]);
    await page.close();
  });
});
