// A lab posts a job from the dashboard: `roost serve` on the local network (a real Hardhat devnet)
// serves the Jobs page in Chromium; the form is reviewed and posted, paid by the devnet's test
// account; the test plays a provider on the chain (claims, fetches the files from the agent,
// runs the model on onnxruntime, signs and uploads its result, submits), and the page shows the
// lease accepted, with the chain agreeing, and hands its checked results over as a zip. A second
// job's unclaimed leases are cancelled from the page, and the chain says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonRpcProvider, Wallet } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import type { Devnet } from '../../contracts/devnet.ts';
import { LeaseState, connectJobMarket } from '../../contracts/bindings/job-market.ts';
import { readZip } from '../../agent/diagnostics/zip.ts';
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
import { runRoost, startRoost } from '../support/roost-cli.ts';
import { startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { tempDir } from '../support/temp-dir.ts';
import { newProvider, provide, writeMatmulFiles } from '../integration/market/requester-support.ts';

const missing = chromiumMissing();

describe.skipIf(Boolean(missing))('posting a job from the dashboard', () => {
  let browser: Browser;
  let chain: TestChain;
  let devnet: Devnet;
  let rpc: JsonRpcProvider;
  let server: ServeProcess;
  let dir: { path: string; remove: () => Promise<void> };
  let files: { modelPath: string; aPath: string; bPath: string };
  let provider: Wallet;
  let page: Page;
  let labDir: string;

  beforeAll(async () => {
    chain = await startTestChain();
    ({ devnet, rpc } = chain);
    dir = await tempDir('roost-e2e-posted-');
    files = await writeMatmulFiles(dir.path);
    provider = await newProvider(devnet, rpc);
    ({ labDir } = await providerAndLab(dir.path, devnet));
    server = await startServeProcess(labDir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1024, height: 640 } });
    await page.goto(server.url);
    await navLink(page, 'Jobs').click();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await chain?.stop();
    await dir?.remove();
  });

  /** Fills the form, reviews it, checks the review's words, and posts; returns the job id. */
  async function post(price: string, leases: 1 | 2, escrow: string): Promise<string> {
    // What the review says is escrowed: the price × leases, from whom, where.
    const form = page.getByTestId('post-job');
    await form.getByLabel('Model to post (.onnx)').fill(files.modelPath);
    await form.getByLabel(/^Inputs, one per line/).fill(`a=${files.aPath}\nb=${files.bPath}`);
    await form.getByLabel(/^Price per lease/).fill(price);
    await form.getByLabel('Leases').selectOption(String(leases));
    await form.getByRole('button', { name: 'Review…' }).click();
    const review = page.getByTestId('post-review');
    await review.waitFor();
    expect(await review.textContent()).toContain(
      `Posting escrows ${escrow} from ${devnet.accounts[0]}, a test account of the local devnet, on the local devnet.`,
    );
    await review.getByRole('button', { name: 'Post', exact: true }).click();
    const said = page.getByText(/^Job \d+ is posted: providers fetch its files from /);
    await said.waitFor({ timeout: 30_000 });
    return /^Job (\d+)/.exec((await said.textContent()) ?? '')![1]!;
  }

  it('posts a job after the review, and shows its lease accepted once a provider’s result checks out', async () => {
    const card = page.getByTestId('post-job');
    await card.waitFor({ timeout: 30_000 });
    // The form is there once asked for: most people here take jobs rather than post them.
    await card.getByRole('button', { name: 'Post a job…' }).click();
    // Nothing is sent before the review: a path that is not full is refused on the page.
    await card.getByLabel('Model to post (.onnx)').fill('matmul.onnx');
    await card.getByLabel(/^Inputs, one per line/).fill(`a=${files.aPath}`);
    await card.getByLabel(/^Price per lease/).fill('2');
    await card.getByRole('button', { name: 'Review…' }).click();
    const refused = card.getByRole('alert');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('Give the full path');
    expect(await card.getByLabel('Model to post (.onnx)').getAttribute('aria-invalid')).toBe(
      'true',
    );
    expect(await connectJobMarket(devnet.marketAddress, rpc).jobCount()).toBe(0n);

    const jobId = await post('2', 1, '2 rUSD (1 lease)');
    const item = page.getByTestId(`posted-job-${jobId}`);
    await item.getByText('Roost is watching it').waitFor({ timeout: 30_000 });
    expect(await item.textContent()).toContain('open: waiting for a provider to claim it');
    // The command line lists the same job, and that the running Roost watches it.
    const listed = await runRoost(['market', 'requests', '--data-dir', labDir]);
    expect(listed.stdout).toContain(`Job ${jobId}: 1 lease(s) × 2 rUSD`);
    expect(listed.stdout).toContain('the running roost serve is watching it');
    expect(listed.stdout).not.toContain('roost market await <jobId>');
    // And roost market await follows it there, saying so, until its lease is decided.
    const awaiting = startRoost(['market', 'await', jobId, '--data-dir', labDir]);
    await awaiting.printed(/^Lease 0: open: waiting for a provider to claim it$/m);
    expect(awaiting.stdout()).toContain(
      `The running roost serve is watching job ${jobId} already (it serves the job's files and checks its results); following it here`,
    );

    await provide(devnet, rpc, dir.path, provider, BigInt(jobId));
    await item.getByText(`accepted; ${provider.address} was paid`).waitFor({ timeout: 30_000 });
    expect(await awaiting.exited, awaiting.stderr()).toBe(0);
    expect(awaiting.stdout()).toMatch(/^Lease 0: accepted; 0x[0-9a-fA-F]{40} was paid/m);
    expect(awaiting.stdout()).toMatch(/Every lease was accepted\.\n$/);
    expect(await item.textContent()).toContain('Checked results:');
    const lease = await connectJobMarket(devnet.marketAddress, rpc).getLease(BigInt(jobId), 0);
    expect(lease.state).toBe(BigInt(LeaseState.Paid));
    await item.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'jobs-posted.png'), fullPage: true });
    expect(await overflowing(page), 'posted jobs').toEqual([]);
    expect(await accessibilityProblems(page), 'posted jobs').toEqual([]);

    // The provider's output at a glance, as Roost checked it: the 4×3 product.
    await item.getByRole('button', { name: 'Preview c.npy of lease 0' }).click();
    expect(await item.getByTestId('preview-0-c.npy').textContent()).toMatch(
      /^12 values · min -?[\d.]+ · max -?[\d.]+ · mean -?[\d.]+ · first: /,
    );

    // The checked results come to the browser in one zip, by lease and verdict.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      item.getByRole('button', { name: 'Download (.zip)' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^roost-posted-job-${jobId}.*\\.zip$`));
    const names = readZip(await readFile(await download.path())).map((e) => e.name);
    expect(names).toContain('lease-0-accepted/result.json');
  });

  it('cancels the leases nobody claimed, after the confirmation', async () => {
    const jobId = await post('1.5', 2, '3 rUSD (1.5 rUSD per lease × 2 leases)');
    const item = page.getByTestId(`posted-job-${jobId}`);
    await item.getByRole('button', { name: 'Cancel open leases…' }).click();
    const question = item.getByRole('group', { name: `Cancel the open leases of job ${jobId}` });
    expect(await question.textContent()).toContain("the posting account's balance in the market");
    expect(await accessibilityProblems(page), 'cancel question').toEqual([]);
    await question.getByRole('button', { name: 'Cancel open leases', exact: true }).click();
    await page
      .getByText(
        `Cancelled leases 0 and 1 of job ${jobId}: 3 rUSD went back to the posting account's balance in the market.`,
      )
      .waitFor({ timeout: 30_000 });
    const market = connectJobMarket(devnet.marketAddress, rpc);
    for (const slot of [0, 1])
      expect((await market.getLease(BigInt(jobId), slot)).state).toBe(BigInt(LeaseState.Cancelled));
    for (const slot of [0, 1])
      await item
        .getByText(`Lease ${slot}: cancelled; its reward was credited back`)
        .waitFor({ timeout: 30_000 });
  });
});
