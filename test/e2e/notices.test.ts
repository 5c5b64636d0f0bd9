import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { encodeModel, valueInfo } from '../fixtures/jobs/models.ts';
import { httpClient } from '../../agent/api/node-client.ts';
import { encodeNpy } from '../../worker/npy.ts';
import {
  chromiumMissing,
  launchChromium,
  navLink,
  accessibilityProblems,
} from '../support/browser.ts';
import { startServeProcess, type ServeProcess } from '../support/serve-process.ts';
import { tempDir } from '../support/temp-dir.ts';

const missing = chromiumMissing();

describe.skipIf(Boolean(missing))('notices in the browser, from roost serve', () => {
  let browser: Browser;
  let server: ServeProcess;
  let dir: { path: string; remove: () => Promise<void> };

  beforeAll(async () => {
    dir = await tempDir('roost-e2e-notices-');
    await writeFile(
      join(dir.path, 'model.onnx'),
      encodeModel({
        nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
        inputs: [valueInfo('x', 'float32', [2])],
        outputs: [valueInfo('y', 'float32', [2])],
      }),
    );
    await writeFile(join(dir.path, 'x.npy'), encodeNpy('float32', [2], Float32Array.from([-1, 2])));
    server = await startServeProcess(join(dir.path, 'data'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await dir?.remove();
  });

  it('shows a job finished as the browser’s notification once turned on, while the tab is behind', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 640 } });
    await context.grantPermissions(['notifications'], { origin: server.base });
    // The tab is in the background (a person working elsewhere), and each notification the page
    // makes is kept to be read here; the browser's own still makes it.
    await context.addInitScript(`
      Object.defineProperty(document, 'visibilityState', { get: () => 'hidden' });
      const Real = window.Notification;
      window.shownNotices = [];
      class Kept extends Real {
        constructor(title, options) {
          super(title, options);
          window.shownNotices.push({ title, body: options?.body, tag: options?.tag });
        }
      }
      Object.defineProperty(window, 'Notification', { value: Kept });
    `);
    const page = await context.newPage();
    await page.goto(server.url);
    await navLink(page, 'Settings').click();
    const here = page.getByTestId('browser-notices');
    await here.getByRole('button', { name: 'Show notices in this browser' }).click();
    await expect
      .poll(() => here.getByRole('status').textContent())
      .toBe(
        'This browser shows the notices ticked above while the dashboard’s tab is in the background.',
      );
    expect(await accessibilityProblems(page), 'settings').toEqual([]);
    const finished = page
      .getByRole('group', { name: 'Show as notifications' })
      .getByRole('checkbox', { name: 'A private or posted job finished' });
    const chooseFinished = async (on: boolean) => {
      await navLink(page, 'Settings').click();
      await finished.setChecked(on);
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Settings saved.').waitFor();
    };
    const addJob = async () => {
      await navLink(page, 'Jobs').click();
      await page.getByLabel('Model (.onnx)').fill(join(dir.path, 'model.onnx'));
      await page.getByLabel(/Inputs, one per line/).fill(`x=${join(dir.path, 'x.npy')}`);
      await page.getByRole('button', { name: 'Add job' }).click();
    };
    const shown = () =>
      page.evaluate<{ title: string; body?: string; tag?: string }[]>('window.shownNotices');
    const client = httpClient(server.base, server.token);
    const done = async () => {
      const listed = await client.call('job.list', {});
      if (!listed.ok) throw new Error(listed.error.message);
      return listed.value.jobs.filter((j) => j.state === 'done').length;
    };

    // A kind left unticked is not shown: the job finishes without a notification.
    await chooseFinished(false);
    await addJob();
    await expect.poll(done, { timeout: 60_000 }).toBe(1);
    // Time for a notice on its way (the event stream) to arrive, had one been sent.
    await page.waitForTimeout(1500);
    expect(await shown()).toEqual([]);

    await chooseFinished(true);
    await addJob();
    await expect.poll(shown, { timeout: 60_000 }).toHaveLength(1);
    expect((await shown())[0]).toMatchObject({
      title: 'Job finished',
      body: 'model.onnx is done: its outputs and signed result are ready.',
      tag: expect.stringMatching(/^job:job-[\w-]+:done$/),
    });

    // Turned off here: it offers to turn them on again.
    await navLink(page, 'Settings').click();
    await here.getByRole('button', { name: 'Stop showing them here' }).click();
    await here.getByRole('button', { name: 'Show notices in this browser' }).waitFor();
    await context.close();
  });
});
