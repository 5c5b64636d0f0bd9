import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STD_SUITE_ID } from '../../agent/bench/schema.ts';
import { tempDir } from '../support/temp-dir.ts';
import { runRoost } from '../support/roost-cli.ts';
import { chromiumMissing } from '../support/browser.ts';

const roost = (args: string[]) => runRoost(args);

// One real quick run of the standard suite on the CPU, then what a user and support staff do with it.
describe('roost bench and roost report', () => {
  let dir: { path: string; remove: () => Promise<void> };
  const data = () => join(dir.path, 'data');
  const report = () => join(dir.path, 'report.json');
  let run: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    dir = await tempDir('roost-bench-cli-');
    run = await roost([
      'bench',
      '--preset',
      'quick',
      '--ep',
      'cpu',
      '--out',
      report(),
      '--html',
      join(dir.path, 'report.html'),
      '--data-dir',
      data(),
    ]);
  }, 180_000);
  afterAll(async () => {
    await dir.remove();
  });

  it('runs the quick preset, prints every workload and the composite, and saves a signed report', async () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/\[measure\]|%/);
    for (const title of [
      'Matrix multiply, FP32',
      'Memory bandwidth',
      'Convolutional network',
      'Transformer encoder block',
      'Small-batch decode',
    ]) {
      // Each with its value and how far its runs spread, in plain words.
      expect(run.stdout).toMatch(new RegExp(`${title}.* \\(runs ±\\d+\\.\\d %\\)`));
    }
    expect(run.stdout).toMatch(/Composite: \d/);
    const saved = JSON.parse(await readFile(report(), 'utf8'));
    expect(saved.report.format).toBe('roost.report/1');
    expect(await readFile(join(dir.path, 'report.html'), 'utf8')).toContain(STD_SUITE_ID);
    const history = JSON.parse(
      (await roost(['api', 'bench.history', '--json', '--data-dir', data()])).stdout,
    );
    expect(history.reports).toHaveLength(1);
  });

  it('verifies the report and names its signer; an edited copy fails and says which check', async () => {
    const ok = await roost(['report', 'verify', report(), '--data-dir', data()]);
    expect(ok.code).toBe(0);
    const key = JSON.parse(await readFile(join(data(), 'signing-key.json'), 'utf8')).address;
    expect(ok.stdout).toContain(`signed by ${key}`);
    expect(ok.stdout).toMatch(/; composite [\d.]+ RCS\./);
    const edited = JSON.parse(await readFile(report(), 'utf8'));
    edited.report.workloads[0].value *= 2;
    await writeFile(join(dir.path, 'edited.json'), JSON.stringify(edited));
    const bad = await roost([
      'report',
      'verify',
      join(dir.path, 'edited.json'),
      '--data-dir',
      data(),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('signature check failed');
    await writeFile(join(dir.path, 'junk.json'), '{"format":"roost.report/1"');
    const junk = await roost([
      'report',
      'verify',
      join(dir.path, 'junk.json'),
      '--data-dir',
      data(),
    ]);
    expect(junk.code).toBe(1);
  });

  it.skipIf(Boolean(chromiumMissing()))('exports the report as a PDF with pages', async () => {
    const pdf = join(dir.path, 'report.pdf');
    const r = await roost(['report', 'export', report(), '--pdf', pdf, '--data-dir', data()]);
    expect(r.code, r.stderr).toBe(0);
    const bytes = await readFile(pdf);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect((bytes.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length).toBeGreaterThan(0);
  });

  it('refuses an unknown accelerator as a wrong command line, listing the ones there are', async () => {
    const r = await roost(['bench', '--ep', 'quantum', '--data-dir', data()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'Error: Unknown execution provider "quantum" in --ep: use one of cpu, webgpu, cuda, tensorrt, dml, coreml.\n',
    );
  });
});
