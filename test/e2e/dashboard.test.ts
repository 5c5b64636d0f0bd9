import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import {
  accessibilityProblems,
  chromiumMissing,
  launchChromium,
  navLink,
  overflowing,
  SHOTS,
} from '../support/browser.ts';
import { startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { tempDir } from '../support/temp-dir.ts';
import { fakeNvidiaSmi } from '../support/fake-nvidia-smi.ts';

const RENDERER = fileURLToPath(new URL('../../dist/renderer/index.html', import.meta.url));

const missing = chromiumMissing();
if (missing) console.log(`[e2e] SKIPPED the browser tests: ${missing}`);

describe.skipIf(Boolean(missing))('the dashboard in Chromium against roost serve', () => {
  let browser: Browser;
  let dir: { path: string; remove: () => Promise<void> };
  let server: ServeProcess;
  const dataDir = () => join(dir.path, 'data');

  beforeAll(async () => {
    await access(RENDERER).catch(() => {
      throw new Error(
        'The renderer is not built: run `npm run build:renderer` before the e2e suite (npm run test:all does).',
      );
    });
    await mkdir(SHOTS, { recursive: true });
    dir = await tempDir('roost-e2e-');
    browser = await launchChromium();
    server = await startServeProcess(dataDir());
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await dir?.remove();
  });

  async function open(url: string, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1024, height: 640 }, colorScheme });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      // The agent's answers with an error status are the page's to show, not page errors: no
      // token yet (401/403), no chain to ask (503 from wallet.network on Settings, here with no
      // devnet). Chromium logs each as "Failed to load resource".
      if (
        m.type() === 'error' &&
        !/Failed to load resource: the server responded with a status of (40[13]|503)/.test(
          m.text(),
        )
      )
        problems.push(m.text());
    });
    await page.goto(url);
    (page as Page & { problems: string[] }).problems = problems;
    return page;
  }

  it('opens on the dashboard with the agent running, and hides the token from the address bar', async () => {
    const page = await open(server.url);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await expect.poll(() => page.getByTestId('agent-state').textContent()).toContain('Running');
    expect(page.url()).not.toContain('token=');
    expect(page.url()).toMatch(/#\/dashboard$/);
    await expect.poll(() => page.getByText('headless (roost serve)').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });
    expect(await overflowing(page), 'Dashboard').toEqual([]);
    expect(await accessibilityProblems(page), 'Dashboard').toEqual([]);
    for (const name of ['Benchmark', 'Jobs', 'Wallet', 'Settings']) {
      await navLink(page, name).click();
      await page.getByRole('heading', { name, level: 1 }).waitFor();
      expect(await overflowing(page), name).toEqual([]);
      expect(await accessibilityProblems(page), name).toEqual([]);
      // A fresh agent's pages (the other tests' shots show them filled).
      await page.screenshot({
        path: join(SHOTS, `first-visit-${name.toLowerCase()}.png`),
        fullPage: true,
      });
    }
    expect((page as Page & { problems: string[] }).problems).toEqual([]);
    // The checker itself sees a problem when there is one: a text box with no label.
    await page.evaluate(`document.querySelector('main').append(document.createElement('input'))`);
    expect((await accessibilityProblems(page)).join('\n')).toMatch(/^label \(critical\)/m);
    await page.close();
  });

  it('changes a setting, refuses a bad one, and keeps it across a restart', async () => {
    const page = await open(server.url);
    await navLink(page, 'Settings').click();
    const idle = page.getByLabel('Idle minutes');
    await idle.waitFor();
    expect(await idle.inputValue()).toBe('10');

    // A bad value is caught in the form: nothing is sent, nothing saved.
    await idle.fill('999');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('At most 240.').waitFor();
    await page.getByText('Some values are not valid; nothing was saved.').waitFor();
    await page.screenshot({ path: join(SHOTS, 'settings-invalid.png'), fullPage: true });

    await idle.fill('25');
    await page.getByLabel('Theme').selectOption('dark');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    // Contrast and the rest hold in the dark theme too.
    expect(await accessibilityProblems(page), 'Settings, dark').toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'settings-dark.png'), fullPage: true });
    const onDisk = JSON.parse(await readFile(join(dataDir(), 'settings.json'), 'utf8'));
    expect(onDisk.settings.work.idleMinutes).toBe(25);

    // Restart the server on the same data folder: the same link (same token) shows the saved value.
    expect(await server.stop()).toBe(0);
    server = await startServeProcess(dataDir());
    const again = await open(server.url);
    await navLink(again, 'Settings').click();
    await again.getByLabel('Idle minutes').waitFor();
    expect(await again.getByLabel('Idle minutes').inputValue()).toBe('25');
    expect(await again.getByLabel('Theme').inputValue()).toBe('dark');
    await again.close();
    await page.close();
  });

  it('sets work hours in words, and writes a support bundle from Settings', async () => {
    const page = await open(server.url);
    await navLink(page, 'Settings').click();
    const hours = page.getByLabel('Work hours');
    await hours.fill('mon-fri 9-17');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('write it like mon-fri 22:00-07:00').waitFor();
    await hours.fill('mon-fri 22:00-07:00; sat,sun 00:00-24:00');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    const saved = JSON.parse(await readFile(join(dataDir(), 'settings.json'), 'utf8'));
    expect(saved.settings.work.windows).toEqual([
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '22:00', end: '07:00' },
      { days: ['sat', 'sun'], start: '00:00', end: '24:00' },
    ]);
    await page.getByRole('button', { name: 'Create a support bundle' }).click();
    const result = page.getByTestId('bundle-result');
    await result.waitFor();
    const path = (await result.locator('code').textContent())!;
    await access(path);
    expect(path.startsWith(dataDir())).toBe(true);
    // And to this computer, for a dashboard opened from another one: the same bytes.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      result.getByRole('button', { name: 'Download it' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(basename(path));
    expect(download.url()).toMatch(/\/download\/[A-Za-z0-9_-]{43}$/);
    expect((await readFile(await download.path())).equals(await readFile(path))).toBe(true);
    await page.close();
  });

  it('shows a settings change made from the CLI while the page is open', async () => {
    const page = await open(server.url);
    await navLink(page, 'Settings').click();
    const ceiling = page.getByLabel('Temperature ceiling (°C)');
    await ceiling.waitFor();
    const res = await fetch(`${server.base}/api/settings.update`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ work: { maxTemperatureC: 71 } }),
    });
    expect(res.status).toBe(200);
    await expect.poll(() => ceiling.inputValue()).toBe('71');
    await page.close();
  });

  it('takes the user to a refused field far down Settings, clear of the sticky Save bar', async () => {
    const page = await open(server.url);
    await page.setViewportSize({ width: 1280, height: 800 });
    await navLink(page, 'Settings').click();
    const port = page.getByLabel('Port', { exact: true });
    // Served with --port 0: the page says the port in use, and that the setting is not it.
    await expect
      .poll(() => page.getByTestId('server-port-now').textContent())
      .toBe(
        `Now on ${server.port} (set by --port; this setting applies when roost serve starts without --port).`,
      );
    expect(await port.inputValue()).toBe('7787');
    await port.fill('99999');
    // Scrolled to the top: the field lies far below the window, and Save sticks to its bottom.
    await page.evaluate('window.scrollTo(0, 0)');
    const save = page.getByRole('button', { name: 'Save settings' });
    await save.click();
    await page.getByText('At most 65535.').waitFor();
    await expect
      .poll(() => page.evaluate('document.activeElement?.id'))
      .toBe('setting-server-port');
    // The whole field, its error included, lies in the window and above the bar.
    const field = port.locator('xpath=ancestor::div[contains(@class, "field")][1]');
    const bar = save.locator('xpath=..');
    const inView = async () => {
      const [f, b] = await Promise.all([field.boundingBox(), bar.boundingBox()]);
      return f !== null && b !== null && f.y >= 0 && f.y + f.height <= b.y;
    };
    await expect.poll(inView).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'settings-refused-port.png') });
    await page.close();
  });

  it('asks for the token when opened without it, and accepts a pasted one', async () => {
    const page = await open(`${server.base}/`);
    await page.getByRole('heading', { name: 'Connect to Roost' }).waitFor();
    await page.getByLabel('Access token').fill('short');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByText('does not look like a Roost token').waitFor();
    await page.screenshot({ path: join(SHOTS, 'connect.png') });
    await page.getByLabel('Access token').fill(server.token);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.close();
    // The link with the token, opened in a tab already on the connect screen: no reload needed.
    const again = await browser.newPage();
    await again.goto(`${server.base}/`);
    await again.getByRole('heading', { name: 'Connect to Roost' }).waitFor();
    await again.goto(server.url);
    await again.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(again.url()).not.toContain('token=');
    await again.close();
  });

  it('shows no GPU found, and why WebGPU is no use here, on a machine without a GPU', async () => {
    const page = await open(server.url);
    const why = page.getByTestId('why-no-jobs');
    await why.locator('.why-headline').waitFor();
    expect(await why.textContent()).toMatch(/GPU|benchmark|wallet/i);
    await page.getByTestId('earnings').getByText('No benchmark yet').waitFor();
    await page.getByTestId('no-gpu').waitFor();
    expect(await page.getByTestId('no-gpu').textContent()).toContain('software renderer');
    // Said once, with one action: the Check again button beside the Hardware heading.
    expect(await page.getByTestId('no-gpu').textContent()).toContain('press Check again');
    expect(await why.textContent()).not.toContain('No GPU found');
    await page.getByRole('heading', { name: 'Hardware', level: 2 }).waitFor();
    const cpu = page.getByTestId('cpu-card');
    await cpu.getByText('✓').first().waitFor();
    expect(await cpu.textContent()).toContain('CPU');
    // Jobs run on the CPU here: its card has the work state and the manual controls. No job
    // runs, so the policy's "may work" reads Ready for private jobs (market jobs start off),
    // never Working.
    const state = cpu.getByTestId('work-state');
    await expect.poll(() => state.textContent()).toMatch(/Ready for private jobs|Idle|Paused/);
    expect(await state.textContent()).not.toContain('Working');
    const [button, after] = (await state.textContent())?.includes('Paused')
      ? ['Start now', 'Ready for private jobs']
      : ['Pause', 'Paused'];
    await state.getByRole('button', { name: button }).click();
    await expect.poll(() => state.textContent()).toContain(after);
    expect(await state.getByTestId('work-reason').textContent()).toMatch(/you/i);
    await state.getByRole('button', { name: 'Back to automatic' }).click();
    await expect
      .poll(() => state.getByRole('button', { name: 'Back to automatic' }).count())
      .toBe(0);
    await page.close();
  });

  it('shows each GPU with live telemetry charts and its accelerators', async () => {
    const fake = fakeNvidiaSmi();
    const other = await tempDir('roost-e2e-gpu-');
    const gpuServer = await startServeProcess(other.path, [], 30_000, fake.env);
    try {
      const page = await open(gpuServer.url);
      const card = page.getByTestId('gpu-card');
      await card.waitFor();
      expect(await card.getByRole('heading', { level: 3 }).textContent()).toBe(
        'NVIDIA GeForce RTX 3060',
      );
      expect(await card.textContent()).toContain('12 GiB');
      expect(await card.textContent()).toContain('driver 570.124.04');
      // Live: the utilization reading changes as samples arrive over the event stream.
      const util = card.getByTestId('spark-utilization');
      await expect.poll(() => util.textContent(), { timeout: 10_000 }).toMatch(/^\d+ %$/);
      const first = await util.textContent();
      await expect.poll(() => util.textContent(), { timeout: 10_000 }).not.toBe(first);
      expect(await card.getByTestId('spark-temperature').textContent()).toMatch(/^\d+ °C$/);
      expect(await card.getByTestId('spark-power').textContent()).toMatch(/^\d+ W$/);
      // CUDA can't run here: the card says why and what to do, the command as code (not in
      // backticks), and so does the setup's first step, which this fresh agent shows too.
      expect(await card.locator('.acc-reason code').first().textContent()).toBe(
        'roost gpu install-cuda',
      );
      expect(await card.textContent()).not.toContain('`');
      const setupStep = page.getByTestId('setup-hardware');
      await setupStep.waitFor();
      expect(await setupStep.locator('code').first().textContent()).toBe('roost gpu install-cuda');
      expect(await setupStep.textContent()).not.toContain('`');
      // What holds the GPU, and the manual controls: pause, then hand back to the policy.
      const state = card.getByTestId('work-state');
      await expect.poll(() => state.textContent()).toContain('Ready for private jobs');
      await state.getByRole('button', { name: 'Pause' }).click();
      await expect.poll(() => state.textContent()).toContain('Paused');
      expect(await state.getByTestId('work-reason').textContent()).toMatch(/you/i);
      await state.getByRole('button', { name: 'Back to automatic' }).click();
      await expect.poll(() => state.textContent()).toContain('Ready for private jobs');
      await page.screenshot({ path: join(SHOTS, 'dashboard-gpu.png'), fullPage: true });
      await page.close();
    } finally {
      await gpuServer.stop();
      await other.remove();
      fake.remove();
    }
  });

  it('tells the user when a corrupt settings file was replaced by the defaults', async () => {
    const other = await tempDir('roost-e2e-corrupt-');
    await writeFile(
      join(other.path, 'settings.json'),
      '{"format":1,"settings":{"work":{"idleMinutes":',
    );
    const corrupt = await startServeProcess(other.path);
    try {
      const page = await open(corrupt.url);
      const warning = page
        .getByRole('alert')
        .filter({ hasText: 'Your settings file was not valid JSON' });
      await warning.waitFor();
      expect(await warning.textContent()).toContain('settings.json.corrupt-');
      expect(await warning.textContent()).toContain('the default settings were restored');
      await page.screenshot({ path: join(SHOTS, 'dashboard-settings-restored.png') });
      await warning.getByRole('button', { name: 'Dismiss' }).click();
      await expect.poll(() => warning.count()).toBe(0);
      await page.close();
    } finally {
      await corrupt.stop();
      await other.remove();
    }
  });

  it('follows the system colour scheme while the theme setting is "system"', async () => {
    const other = await tempDir('roost-e2e-theme-');
    const themed = await startServeProcess(other.path);
    try {
      const dark = await open(themed.url, 'dark');
      await dark.getByRole('heading', { name: 'Dashboard' }).waitFor();
      expect(await dark.locator('html').getAttribute('data-theme')).toBe('dark');
      await dark.screenshot({ path: join(SHOTS, 'dashboard-dark.png') });
      await dark.close();
      const light = await open(themed.url, 'light');
      await light.getByRole('heading', { name: 'Dashboard' }).waitFor();
      expect(await light.locator('html').getAttribute('data-theme')).toBe('light');
      await light.close();
    } finally {
      await themed.stop();
      await other.remove();
    }
  });

  it('is usable by keyboard: a skip link, and the navigation in tab order', async () => {
    const page = await open(server.url);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Dashboard');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Benchmark', level: 1 }).waitFor();
    await page.close();
  });
});
