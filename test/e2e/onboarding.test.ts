// First-run setup as a new user meets it: `roost serve` on a fresh data folder with the local
// network (a real Hardhat devnet), opened in Chromium at 1024×640. The user goes through the four
// steps for real (hardware check, the quick benchmark, a new wallet, when and for how much), ends
// on the Dashboard registered on the market at the chosen price, and setup does not come back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonRpcProvider, parseUnits } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { devnetDeployment, startDevnet, type Devnet } from '../../contracts/devnet.ts';
import { connectJobMarket } from '../../contracts/bindings/job-market.ts';
import { writeLocalNetwork } from '../../agent/market/local-network.ts';
import { formatFigure } from '../../renderer/src/pages/onboarding.ts';
import {
  accessibilityProblems,
  chromiumMissing,
  launchChromium,
  overflowing,
  SHOTS,
} from '../support/browser.ts';
import { serveApi as api, startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { tempDir } from '../support/temp-dir.ts';

const RENDERER = fileURLToPath(new URL('../../dist/renderer/index.html', import.meta.url));
const missing = chromiumMissing();

describe.skipIf(Boolean(missing))('first-run setup against roost serve and a devnet', () => {
  let browser: Browser;
  let devnet: Devnet;
  let dir: { path: string; remove: () => Promise<void> };
  const servers: ServeProcess[] = [];

  /** A fresh data folder on the devnet, as after installing Roost. */
  async function freshServer(name: string): Promise<ServeProcess> {
    const data = join(dir.path, name);
    // Owner-only, as Roost makes its data folder (a folder others can open gets a warning).
    await mkdir(data, { recursive: true, mode: 0o700 });
    await writeLocalNetwork(data, devnetDeployment(devnet));
    const server = await startServeProcess(data);
    servers.push(server);
    return server;
  }

  async function open(server: ServeProcess): Promise<Page & { problems: string[] }> {
    const page = (await browser.newPage({
      viewport: { width: 1024, height: 640 },
      colorScheme: 'light',
    })) as Page & { problems: string[] };
    page.problems = [];
    page.on('pageerror', (e) => page.problems.push(e.message));
    await page.goto(server.url);
    return page;
  }

  beforeAll(async () => {
    await access(RENDERER).catch(() => {
      throw new Error('The renderer is not built: run `npm run build:renderer` first.');
    });
    await mkdir(SHOTS, { recursive: true });
    devnet = await startDevnet();
    dir = await tempDir('roost-e2e-setup-');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.stop();
    await devnet?.stop();
    await dir?.remove();
  });

  it('goes through the four steps for real, lands on the Dashboard earning, and does not show again', async () => {
    const server = await freshServer('new-user');
    const page = await open(server);
    const setup = page.getByTestId('setup');
    await setup.waitFor();
    expect(page.url()).toMatch(/#\/dashboard$/);
    const step = setup.getByTestId('setup-step');
    expect(await step.textContent()).toBe('Step 1 of 4: Your hardware');

    // 1. What the agent found, in words.
    const headline = setup.getByTestId('setup-hardware-headline');
    await headline.waitFor({ timeout: 90_000 });
    const detected = await api(server, 'hardware.detect');
    if (detected.gpus.length === 0)
      expect(await headline.textContent()).toBe(
        'No GPU found: Roost can still run jobs on the CPU.',
      );
    else expect(await headline.textContent()).toMatch(/^(Ready|Found your)/);
    expect(await setup.getByText('Can run jobs (slower than a GPU)').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'onboarding-detect.png') });
    expect(await accessibilityProblems(page), 'setup: hardware').toEqual([]);
    // By keyboard: Continue, and the focus lands on the next step's title.
    await setup.getByRole('button', { name: 'Continue' }).focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.evaluate('document.activeElement?.textContent'))
      .toBe('Step 2 of 4: Your score');

    // 2. The quick benchmark, with its progress, and the score it saved.
    expect(await setup.textContent()).toContain('it needs a score first');
    const run = setup.getByRole('button', { name: 'Run the benchmark' });
    await expect.poll(() => run.isEnabled(), { timeout: 30_000 }).toBe(true);
    await run.click();
    const bar = setup.getByRole('progressbar', { name: 'Benchmark progress' });
    await bar.waitFor();
    await expect
      .poll(async () => Number(await bar.getAttribute('value')), { timeout: 120_000 })
      .toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'onboarding-benchmark-progress.png') });
    const score = setup.getByTestId('setup-score');
    await score.waitFor({ timeout: 300_000 });
    const [latest] = (await api(server, 'bench.history', { limit: 1 })).reports;
    expect(latest?.composite).toBeGreaterThan(0);
    expect(await score.textContent()).toBe(`${formatFigure(latest!.composite!)} RCS`);
    await page.screenshot({ path: join(SHOTS, 'onboarding-benchmark.png') });
    // At 1024×640 the way on is in view without scrolling, whatever notes the run left.
    const onward = setup.getByRole('button', { name: 'Continue' });
    const box = (await onward.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(640);
    await onward.click();

    // 3. A new wallet: the words shown once, three of them asked back.
    expect(await step.textContent()).toBe('Step 3 of 4: Your wallet');
    await setup.getByLabel('Password (8 characters or more)').fill('a good long password');
    await setup.getByLabel('Password again').fill('a good long password');
    await setup.getByRole('button', { name: 'Create wallet' }).click();
    const phrase = setup.getByTestId('mnemonic');
    await phrase.waitFor({ timeout: 30_000 });
    const words = await phrase.locator('li').allTextContents();
    expect(words).toHaveLength(12);
    await page.screenshot({ path: join(SHOTS, 'onboarding-wallet.png') });
    expect(await accessibilityProblems(page), 'setup: wallet').toEqual([]);
    await setup.getByRole('button', { name: 'I wrote them down' }).click();
    // The words are hidden while three are asked back, and nothing leads away and loses them.
    expect(await phrase.count()).toBe(0);
    for (const name of ['Back', 'Skip for now', 'Skip setup'])
      expect(await setup.getByRole('button', { name, exact: true }).count()).toBe(0);
    const asked = await setup.locator('.word-check label').allTextContents();
    expect(asked).toHaveLength(3);
    for (const label of asked)
      await setup
        .getByLabel(label, { exact: true })
        .fill(words[Number(label.replace('Word ', '')) - 1]!);
    await setup.getByRole('button', { name: 'Finish' }).click();
    await setup.getByText('Your wallet is ready').waitFor({ timeout: 30_000 });
    const wallet = await api(server, 'wallet.status');
    expect(wallet.state).toBe('unlocked');
    expect(await setup.textContent()).toContain(wallet.address!);
    expect(await page.content()).not.toContain(words.join(' '));
    await setup.getByRole('button', { name: 'Continue' }).click();

    // 4. When to work and the price, with what that price earns at this score.
    expect(await step.textContent()).toBe('Step 4 of 4: When and for how much');
    const earnings = setup.getByTestId('setup-earnings');
    // The unit is the market's token once connected ('rUSD' on the devnet), 'tokens' before.
    await expect.poll(() => earnings.textContent()).toMatch(/earns about \S+ \S+ an hour/);
    await setup.getByLabel('Price per unit-hour').fill('0.002');
    expect(await earnings.textContent()).toContain(
      `earns about ${formatFigure(0.002 * latest!.composite!)} `,
    );
    expect(await setup.getByLabel('When I am away from the computer').isChecked()).toBe(true);
    await setup.getByLabel('Start after this many minutes without you').fill('15');
    const practice = setup.getByLabel(/Send me practice jobs on the local network/);
    expect(await practice.isChecked()).toBe(true);
    const start = setup.getByRole('button', { name: 'Start earning' });
    await page.evaluate(
      `document.querySelector('[data-testid="setup-step"]').scrollIntoView({ block: 'start' })`,
    );
    await page.screenshot({ path: join(SHOTS, 'onboarding-start.png') });
    expect(await accessibilityProblems(page), 'setup: when and for how much').toEqual([]);
    await start.click();

    // The Dashboard, with setup done and saved, and the market told the price.
    await page.getByRole('link', { name: 'Set up Roost' }).waitFor();
    expect(await setup.count()).toBe(0);
    expect(page.url()).toMatch(/#\/dashboard$/);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    const settings = await api(server, 'settings.get');
    expect(settings.general.onboarded).toBe(true);
    expect(settings.work).toMatchObject({ mode: 'idle', idleMinutes: 15 });
    expect(settings.pricing.pricePerUnitHour).toBe(0.002);
    expect(settings.market).toMatchObject({ enabled: true, practice: true });
    const rpc = new JsonRpcProvider(devnet.rpcUrl, devnet.chainId, { staticNetwork: true });
    const market = connectJobMarket(devnet.marketAddress, rpc);
    await expect
      .poll(async () => (await market.getProvider(wallet.address!)).pricePerUnitHour, {
        timeout: 60_000,
      })
      .toBe(parseUnits('0.002', 6));
    const onChain = await market.getProvider(wallet.address!);
    expect(onChain.score).toBe(BigInt(Math.max(1, Math.round(latest!.composite!))));
    rpc.destroy();
    await page.screenshot({ path: join(SHOTS, 'onboarding-done.png') });
    // Usable at 1024×640: nothing wider than the window (what sticks out, if anything).
    const wide = await overflowing(page);
    expect(wide).toEqual([]);
    expect(await accessibilityProblems(page), 'Dashboard after setup').toEqual([]);

    // A reload: setup stays done.
    await page.reload();
    await page.getByRole('link', { name: 'Set up Roost' }).waitFor();
    expect(await page.getByTestId('setup').count()).toBe(0);

    // The link opens it again, in the dark theme too, and it closes back to the Dashboard.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByRole('link', { name: 'Set up Roost' }).click();
    await page.getByTestId('setup-hardware-headline').waitFor({ timeout: 60_000 });
    expect(page.url()).toMatch(/#\/setup$/);
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.screenshot({ path: join(SHOTS, 'onboarding-detect-dark.png') });
    expect(await accessibilityProblems(page), 'setup: hardware, dark').toEqual([]);
    await page.getByRole('button', { name: 'Close setup' }).click();
    await page.getByRole('link', { name: 'Set up Roost' }).waitFor();
    expect(page.url()).toMatch(/#\/dashboard$/);
    expect(page.problems).toEqual([]);
    await page.close();
  }, 600_000);

  it('lets a user skip the benchmark and the wallet, and says what each costs', async () => {
    const server = await freshServer('skipper');
    const page = await open(server);
    const setup = page.getByTestId('setup');
    await setup.getByRole('button', { name: 'Continue' }).click();
    const skipScore = setup.getByText(
      /If you skip, the market sends you no jobs: it needs a score/,
    );
    await skipScore.waitFor();
    await setup.getByRole('button', { name: 'Skip for now' }).click();
    await setup.getByText(/If you skip, Roost can.t be paid/).waitFor();
    await setup.getByRole('button', { name: 'Skip for now' }).click();
    const earnings = setup.getByTestId('setup-earnings');
    await expect
      .poll(() => earnings.textContent())
      .toBe('Run the benchmark (step 2) to see what this price earns per hour.');
    await setup
      .getByText('until you run the benchmark and create a wallet', { exact: false })
      .waitFor();
    // A bad value is refused in words and nothing is saved.
    await setup.getByLabel('Price per unit-hour').fill('free');
    await setup.getByRole('button', { name: 'Start earning' }).click();
    await setup.getByText('Enter a price of 0 or more, such as 0.05').waitFor();
    expect((await api(server, 'settings.get')).general.onboarded).toBe(false);
    await page.screenshot({ path: join(SHOTS, 'onboarding-start-skipped.png') });
    await setup.getByLabel('Price per unit-hour').fill('0.05');
    await setup.getByLabel('Only when I press Start now on the Dashboard').check();
    await setup.getByRole('button', { name: 'Start earning' }).click();
    await page.getByRole('link', { name: 'Set up Roost' }).waitFor();
    const settings = await api(server, 'settings.get');
    expect(settings.general.onboarded).toBe(true);
    expect(settings.work.mode).toBe('manual');
    expect((await api(server, 'wallet.status')).state).toBe('none');
    expect((await api(server, 'bench.history')).reports).toEqual([]);
    expect(page.problems).toEqual([]);
    await page.close();
  });
});
