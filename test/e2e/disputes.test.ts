// A lab's arbiter rules on a dispute in the dashboard: `roost serve` on the local network (a real
// Hardhat devnet) with a wallet the market's admin made an arbiter; a requester and a provider
// (two of the node's accounts) leave a disputed result, with the requester's reason on a server
// on 127.0.0.1. In Chromium the Jobs page shows it under "Disputes to rule on"; the arbiter pays
// the provider after the confirmation, and the chain says the lease is paid.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MaxUint256, Wallet, id, type JsonRpcProvider } from 'ethers';
import type { Browser } from 'playwright-core';
import type { MethodName } from '../../agent/api/contract.ts';
import type { Devnet } from '../../contracts/devnet.ts';
import {
  LeaseState,
  connectJobMarket,
  parseJobMarketLog,
} from '../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../contracts/bindings/roost-test-token.ts';
import {
  accessibilityProblems,
  chromiumMissing,
  launchChromium,
  overflowing,
  SHOTS,
} from '../support/browser.ts';
import { startTestChain, type TestChain } from '../support/devnet-chain.ts';
import { providerAndLab } from '../support/market-files.ts';
import { serveApi, startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { tempDir } from '../support/temp-dir.ts';

const missing = chromiumMissing();
const USD = 1_000_000n;
const REASON = 'Disputed: output y differs from the canary by 0.41 (allowed 0.001)';

describe.skipIf(Boolean(missing))('ruling on a dispute in the dashboard', () => {
  let browser: Browser;
  let chain: TestChain;
  let devnet: Devnet;
  let rpc: JsonRpcProvider;
  let server: ServeProcess;
  let reasons: Server;
  let dir: { path: string; remove: () => Promise<void> };
  let jobId: bigint;
  const arbiter = Wallet.createRandom();

  const api = <M extends MethodName>(method: M, params?: unknown) =>
    serveApi(server, method, params);

  beforeAll(async () => {
    chain = await startTestChain();
    ({ devnet, rpc } = chain);
    dir = await tempDir('roost-e2e-disputes-');
    reasons = createServer((_req, res) => res.end(`${REASON}\n`));
    await new Promise<void>((resolve) => reasons.listen(0, '127.0.0.1', resolve));
    const reasonUri = `http://127.0.0.1:${(reasons.address() as AddressInfo).port}/why.txt`;

    // A requester and a provider leave a disputed result.
    const as = async (i: number) =>
      connectJobMarket(devnet.marketAddress, await rpc.getSigner(devnet.accounts[i]!));
    for (const i of [3, 4])
      await (
        await connectRoostTestToken(
          devnet.tokenAddress,
          await rpc.getSigner(devnet.accounts[i]!),
        ).approve(devnet.marketAddress, MaxUint256)
      ).wait();
    await (await (await as(4)).registerProvider(id('report'), 1200n, 1n, 100n * USD)).wait();
    const latest = await rpc.getBlock('latest');
    const receipt = await (
      await (
        await as(3)
      ).postJob(
        id('job'),
        'http://127.0.0.1:9/job.json',
        5n * USD,
        0n,
        3600n,
        BigInt((latest?.timestamp ?? 0) + 86_400),
        1n,
      )
    ).wait();
    jobId = receipt?.logs.map((l) => parseJobMarketLog(l)).find((e) => e?.name === 'JobPosted')
      ?.args.jobId as bigint;
    await (await (await as(4)).claimJob(jobId)).wait();
    await (
      await (await as(4)).submitResult(jobId, 0, id('result'), 'http://127.0.0.1:9/result.json')
    ).wait();
    await (await (await as(3)).disputeResult(jobId, 0, reasonUri)).wait();

    // The lab's Roost, whose wallet the market's admin makes an arbiter.
    const { labDir } = await providerAndLab(dir.path, devnet);
    server = await startServeProcess(labDir);
    await api('wallet.import', {
      kind: 'privateKey',
      privateKey: arbiter.privateKey,
      password: 'the arbiter password',
    });
    await rpc.send('hardhat_setBalance', [arbiter.address, `0x${(10n ** 18n).toString(16)}`]);
    const market = await as(0);
    await (await market.grantRole(await market.ARBITER_ROLE(), arbiter.address)).wait();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((resolve) => reasons?.close(resolve));
    await chain?.stop();
    await dir?.remove();
  });

  it('lists the dispute with its reason, and pays the provider after the confirmation', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 640 } });
    await page.goto(server.url);
    // The Dashboard says one waits, and leads to the Jobs page.
    const waiting = page.getByTestId('disputes-waiting');
    await waiting.waitFor({ timeout: 30_000 });
    expect(await waiting.textContent()).toMatch(/^A dispute waits for your ruling/);
    await waiting.getByRole('link', { name: 'Rule on the Jobs page' }).click();
    const card = page.getByTestId('disputes');
    const item = card.getByTestId(`dispute-${jobId}-0`);
    await item.waitFor({ timeout: 30_000 });
    expect(await item.locator('.dispute-reason').textContent()).toBe(REASON);
    expect(await item.textContent()).toContain('5 rUSD reward, 2.5 rUSD of the provider');
    await item.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'jobs-disputes.png'), fullPage: true });
    expect(await overflowing(page), 'disputes').toEqual([]);
    expect(await accessibilityProblems(page), 'disputes').toEqual([]);

    await item.getByRole('button', { name: 'Pay the provider…' }).click();
    expect(await item.getByRole('group').textContent()).toContain(
      `The provider ${devnet.accounts[4]} is paid the 5 rUSD reward`,
    );
    await item.getByRole('button', { name: 'Rule for the provider' }).click();
    await card
      .getByRole('status')
      .getByText(
        `Ruled for the provider on job ${jobId}: ${devnet.accounts[4]} was credited 4.95 rUSD.`,
      )
      .waitFor({ timeout: 30_000 });
    await card.getByText('No open disputes.').waitFor({ timeout: 30_000 });
    const lease = await connectJobMarket(devnet.marketAddress, rpc).getLease(jobId, 0);
    expect(lease.state).toBe(BigInt(LeaseState.Paid));
    await page.close();
  });
});
