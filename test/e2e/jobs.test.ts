import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { access, copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { encodeModel, valueInfo } from '../fixtures/jobs/models.ts';
import { decodeNpy, encodeNpy } from '../../worker/npy.ts';
import { readZip } from '../../agent/diagnostics/zip.ts';
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

/** Follows the newest job to Done over both input sets, then opens its details. */
async function doneWithTwoSets(page: Page) {
  const job = page.getByTestId('jobs').locator('li').first();
  await expect
    .poll(() => job.locator('.state-pill').textContent(), { timeout: 60_000 })
    .toBe('Done');
  expect(await job.textContent()).toContain('2/2 input sets');
  await job.getByRole('button', { name: 'Details' }).click();
  const detail = page.getByTestId('job-detail');
  await detail.waitFor();
  return detail;
}

describe.skipIf(Boolean(missing))('the Jobs page against roost serve', () => {
  let browser: Browser;
  let server: ServeProcess;
  let dir: { path: string; remove: () => Promise<void> };

  beforeAll(async () => {
    dir = await tempDir('roost-e2e-jobs-');
    await writeFile(
      join(dir.path, 'model.onnx'),
      encodeModel({
        nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
        inputs: [valueInfo('x', 'float32', [2, 2])],
        outputs: [valueInfo('y', 'float32', [2, 2])],
      }),
    );
    await writeFile(
      join(dir.path, 'a.npy'),
      encodeNpy('float32', [2, 2], Float32Array.from([-1, 2, -3, 4])),
    );
    await writeFile(
      join(dir.path, 'b.npy'),
      encodeNpy('float32', [2, 2], Float32Array.from([5, -6, 7, -8])),
    );
    server = await startServeProcess(join(dir.path, 'data'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await dir?.remove();
  });

  it('adds a private job from files, follows it to done, and shows its outputs', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 640 } });
    await page.goto(server.url);
    await navLink(page, 'Jobs').click();
    await page.getByText('No jobs yet.').waitFor();

    // A path that does not exist is refused in words; nothing is queued.
    await page.getByLabel('Model (.onnx)').fill(join(dir.path, 'missing.onnx'));
    await page.getByLabel(/Inputs, one per line/).fill(`x=${join(dir.path, 'a.npy')}`);
    await page.getByRole('button', { name: 'Add job' }).click();
    await page.getByRole('alert').filter({ hasText: 'missing.onnx' }).waitFor();
    await page.getByText('No jobs yet.').waitFor();
    // The field it is about is marked, and styled as every field of the form (a text input
    // with no type attribute used to keep the browser's own look).
    const look = (label: string | RegExp) =>
      page.getByLabel(label).evaluate((el) => {
        const c = el.ownerDocument.defaultView?.getComputedStyle(el);
        return { radius: c?.borderRadius, padding: c?.paddingLeft, border: c?.borderTopColor };
      });
    const model = await look('Model (.onnx)');
    const inputs = await look(/Inputs, one per line/);
    expect(await page.getByLabel('Model (.onnx)').getAttribute('aria-invalid')).toBe('true');
    expect({ ...model, border: undefined }).toEqual({ ...inputs, border: undefined });
    expect(model.radius).toBe('6px');
    expect(model.border).not.toBe(inputs.border);

    const out = join(dir.path, 'results');
    await page.getByLabel('Model (.onnx)').fill(join(dir.path, 'model.onnx'));
    await page
      .getByLabel(/Inputs, one per line/)
      .fill(`x=${join(dir.path, 'a.npy')}\nx=${join(dir.path, 'b.npy')}`);
    await page.getByLabel('Copy the outputs to (optional)').fill(out);
    await page.getByRole('button', { name: 'Add job' }).click();
    const detail = await doneWithTwoSets(page);
    expect(await detail.textContent()).toContain('Ran onCPU');
    expect(await detail.textContent()).toContain('float32');
    // An output at a glance: Relu of the second set [5, -6, 7, -8].
    await detail.getByRole('button', { name: 'Preview 1/y.npy' }).click();
    expect(await detail.getByTestId('preview-1/y.npy').textContent()).toBe(
      '4 values · min 0 · max 7 · mean 3 · first: 5, 0, 7, 0',
    );
    await page.screenshot({ path: join(SHOTS, 'jobs.png'), fullPage: true });
    expect(await overflowing(page), 'jobs').toEqual([]);
    expect(await accessibilityProblems(page), 'jobs').toEqual([]);
    await access(join(out, 'result.json'));

    // The outputs come to the browser too, as a page opened from another machine needs them:
    // all in a zip, or one .npy.
    const [zipped] = await Promise.all([
      page.waitForEvent('download'),
      detail.getByRole('button', { name: 'Download all (.zip)' }).click(),
    ]);
    expect(zipped.suggestedFilename()).toMatch(/^roost-job-.+\.zip$/);
    // The browser downloaded it itself, from a one-use link roost serve streamed.
    expect(zipped.url()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/download\/[A-Za-z0-9_-]{43}$/);
    const entries = readZip(await readFile(await zipped.path()));
    const names = entries.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['result.json', 'spec.json']));
    const outputs = names.filter((n) => n.startsWith('out/') && n.endsWith('.npy'));
    expect(outputs).toHaveLength(2);
    const relu = outputs
      .map((n) => decodeNpy(entries.find((e) => e.name === n)!.data))
      .map((d) => (d.ok ? Array.from(d.value.data as Float32Array) : d.error))
      .sort();
    expect(relu).toEqual([
      [0, 2, 0, 4],
      [5, 0, 7, 0],
    ]);
    const first = outputs[0]!.slice('out/'.length);
    const [one] = await Promise.all([
      page.waitForEvent('download'),
      detail.getByRole('button', { name: `Download ${first}` }).click(),
    ]);
    expect(one.suggestedFilename()).toBe(first.replaceAll('/', '-'));
    expect(
      (await readFile(await one.path())).equals(
        entries.find((e) => e.name === `out/${first}`)!.data,
      ),
    ).toBe(true);
    await page.close();
  });

  it('shows a job that fails in plain words, and keeps the queue going', async () => {
    // Whole numbers where the model takes float32: the job is taken, then fails before it runs.
    await writeFile(
      join(dir.path, 'ints.npy'),
      encodeNpy('int32', [2, 2], Int32Array.from([1, 2, 3, 4])),
    );
    const page = await browser.newPage({ viewport: { width: 1024, height: 640 } });
    await page.goto(server.url);
    await navLink(page, 'Jobs').click();
    await page.getByLabel('Model (.onnx)').fill(join(dir.path, 'model.onnx'));
    await page.getByLabel(/Inputs, one per line/).fill(`x=${join(dir.path, 'ints.npy')}`);
    await page.getByRole('button', { name: 'Add job' }).click();
    const failed = page.getByTestId('jobs').locator('li').first();
    await expect
      .poll(() => failed.locator('.state-pill').textContent(), { timeout: 60_000 })
      .toBe('Failed');
    // What was wrong, with the input's name and both types, not a code or a stack.
    const why = (await failed.locator('.field-error').textContent()) ?? '';
    expect(why).toMatch(/x/);
    expect(why).toMatch(/int32/);
    expect(why).toMatch(/float32/);
    expect(why).not.toMatch(/ at |Error:|input-invalid/);
    // Done and failed jobs now: the queue can show only the failed ones, counted by the agent.
    const filter = page.getByRole('group', { name: 'Show jobs' });
    await expect
      .poll(() => filter.getByRole('button').allTextContents(), { timeout: 10_000 })
      .toEqual(['All 2', 'Waiting or running 0', 'Done 1', 'Failed 1', 'Cancelled 0']);
    await filter.getByRole('button', { name: 'Failed 1' }).click();
    const listed = page.getByTestId('jobs').locator('li .state-pill');
    await expect.poll(() => listed.allTextContents()).toEqual(['Failed']);
    await page.screenshot({ path: join(SHOTS, 'jobs-failed.png'), fullPage: true });
    expect(await overflowing(page), 'a failed job').toEqual([]);
    expect(await accessibilityProblems(page), 'a failed job').toEqual([]);
    await filter.getByRole('button', { name: 'All 2' }).click();
    await expect.poll(() => listed.allTextContents()).toEqual(['Failed', 'Done']);
    await page.close();
  });

  it('adds a private job from files chosen in the browser: sent to Roost, then run', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 640 } });
    await page.goto(server.url);
    await navLink(page, 'Jobs').click();
    const form = page.getByRole('form', { name: 'Add a private job' });
    await form
      .getByText(/Files you choose or drop here are sent to the computer Roost runs on/)
      .waitFor();
    // The system's file picker, as a person uses it: the Choose… button opens it.
    const [picker] = await Promise.all([
      page.waitForEvent('filechooser'),
      form.getByRole('button', { name: 'Choose model…' }).click(),
    ]);
    await picker.setFiles(join(dir.path, 'model.onnx'));
    const uploads = join(dir.path, 'data', 'uploads');
    const model = form.getByLabel('Model (.onnx)');
    await expect
      .poll(() => model.inputValue(), { timeout: 30_000 })
      .toMatch(new RegExp(`^${uploads}/[^/]+/model\\.onnx$`));
    // Roost read the model: what it takes, each input with its own Choose button.
    const takes = page.getByTestId('job-model-takes');
    await takes.waitFor();
    expect(await takes.textContent()).toContain(
      'This model takes one input and gives y (float32 [2, 2]).',
    );
    expect(await takes.textContent()).toContain('x float32 [2, 2]');
    const [batch] = await Promise.all([
      page.waitForEvent('filechooser'),
      takes.getByRole('button', { name: 'Choose x files…' }).click(),
    ]);
    await batch.setFiles([join(dir.path, 'b.npy'), join(dir.path, 'a.npy')]);
    const inputs = form.getByLabel(/Inputs, one per line/);
    await expect.poll(() => inputs.inputValue(), { timeout: 30_000 }).toMatch(/b\.npy$/);
    const lines = (await inputs.inputValue()).split('\n');
    expect(lines.map((l) => l.replace(/=.*\//, '=…/'))).toEqual(['x=…/a.npy', 'x=…/b.npy']);
    // The files are on the machine Roost runs on, as they were chosen.
    for (const [line, name] of [
      [lines[0]!, 'a.npy'],
      [lines[1]!, 'b.npy'],
    ] as const) {
      const path = line.slice('x='.length);
      expect(path.startsWith(`${uploads}/`)).toBe(true);
      expect(await readFile(path)).toEqual(await readFile(join(dir.path, name)));
    }
    await page.screenshot({ path: join(SHOTS, 'jobs-chosen-files.png'), fullPage: true });
    expect(await overflowing(page), 'chosen files').toEqual([]);
    expect(await accessibilityProblems(page), 'chosen files').toEqual([]);

    await form.getByRole('button', { name: 'Add job' }).click();
    const detail = await doneWithTwoSets(page);
    await detail.getByRole('button', { name: 'Preview 1/y.npy' }).click();
    expect(await detail.getByTestId('preview-1/y.npy').textContent()).toBe(
      '4 values · min 0 · max 7 · mean 3 · first: 5, 0, 7, 0',
    );

    // Run again: a new job of the same files (from Roost's cache), to done.
    const jobs = page.getByTestId('jobs').locator('li');
    const before = await jobs.count();
    await jobs.first().getByRole('button', { name: 'Run again model.onnx' }).click();
    await page.getByText('Queued job model.onnx again, as a new job.').waitFor();
    await expect.poll(() => jobs.count()).toBe(before + 1);
    await doneWithTwoSets(page);
    await page.close();
  });

  it('takes a folder chosen for an input: one input set per .npy file directly in it', async () => {
    const scans = join(dir.path, 'scans');
    await mkdir(join(scans, 'old'), { recursive: true });
    await copyFile(join(dir.path, 'a.npy'), join(scans, 'x1.npy'));
    await copyFile(join(dir.path, 'b.npy'), join(scans, 'x2.npy'));
    // Not part of the batch: a file that is not .npy, and a folder inside it.
    await writeFile(join(scans, 'notes.txt'), 'scanned 2026-11-27');
    await copyFile(join(dir.path, 'a.npy'), join(scans, 'old', 'x0.npy'));
    const page = await browser.newPage({ viewport: { width: 1024, height: 640 } });
    await page.goto(server.url);
    await navLink(page, 'Jobs').click();
    const form = page.getByRole('form', { name: 'Add a private job' });
    await form.getByLabel('Model (.onnx)').fill(join(dir.path, 'model.onnx'));
    await form.getByLabel('Model (.onnx)').blur();
    const takes = page.getByTestId('job-model-takes');
    const [picker] = await Promise.all([
      page.waitForEvent('filechooser'),
      takes.getByRole('button', { name: 'Choose x folder…' }).click(),
    ]);
    await picker.setFiles(scans);
    const inputs = form.getByLabel(/Inputs, one per line/);
    const uploads = join(dir.path, 'data', 'uploads');
    await expect
      .poll(() => inputs.inputValue(), { timeout: 30_000 })
      .toMatch(new RegExp(`^x=${uploads}/[^/]+$`));
    // Roost holds exactly the folder's own .npy files, as they were.
    const folder = (await inputs.inputValue()).slice('x='.length);
    expect((await readdir(folder)).sort()).toEqual(['x1.npy', 'x2.npy']);
    expect(await readFile(join(folder, 'x2.npy'))).toEqual(await readFile(join(scans, 'x2.npy')));
    expect(await page.getByTestId('job-input-sets').textContent()).toBe(
      '2 input sets, one per .npy file in the folder of x, each with every input the model takes.',
    );
    expect(await accessibilityProblems(page), 'chosen folder').toEqual([]);

    await form.getByRole('button', { name: 'Add job' }).click();
    const detail = await doneWithTwoSets(page);
    // Set 1 is x2.npy, [5, -6, 7, -8], through Relu.
    await detail.getByRole('button', { name: 'Preview 1/y.npy' }).click();
    expect(await detail.getByTestId('preview-1/y.npy').textContent()).toBe(
      '4 values · min 0 · max 7 · mean 3 · first: 5, 0, 7, 0',
    );
    await page.close();
  });
});
