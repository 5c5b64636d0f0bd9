import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { reluAddModel } from '../fixtures/jobs/models.ts';
import { decodeNpy, encodeNpy } from '../../worker/npy.ts';
import { verifyReceipt } from '../../agent/jobs/receipt.ts';
import { tempDir } from '../support/temp-dir.ts';
import { runRoost } from '../support/roost-cli.ts';

const roost = (args: string[]) => runRoost(args);

describe('roost job (private jobs from the command line)', () => {
  let dir: { path: string; remove: () => Promise<void> };
  const data = () => join(dir.path, 'data');
  /** `roost job run --model <the test model> <args> --data-dir <the test's folder>`. */
  const jobRun = (args: string[], use: { model?: string; dataDir?: string } = {}) =>
    roost([
      'job',
      'run',
      '--model',
      use.model ?? join(dir.path, 'model.onnx'),
      ...args,
      '--data-dir',
      use.dataDir ?? data(),
    ]);
  beforeAll(async () => {
    dir = await tempDir('roost-job-cli-');
    // y = relu(x) + x: small enough to check by hand.
    const model = reluAddModel();
    await writeFile(join(dir.path, 'model.onnx'), model);
    await writeFile(
      join(dir.path, 'x.npy'),
      encodeNpy('float32', [2, 3], Float32Array.from([-1, 2, -3, 4, -5, 6])),
    );
    await writeFile(
      join(dir.path, 'x2.npy'),
      encodeNpy('float32', [2, 3], Float32Array.from([1, 1, 1, -1, -1, -1])),
    );
  });
  afterAll(async () => {
    await dir.remove();
  });

  it('runs a model on .npy inputs, writes .npy outputs and a signed result', async () => {
    const out = join(dir.path, 'out');
    const r = await jobRun([
      '--input',
      `x=${join(dir.path, 'x.npy')}`,
      '--out',
      out,
      '--ep',
      'cpu',
    ]);
    expect(r.stderr).toContain('[running]');
    // The end is said once, on stdout: no "[done]" progress line.
    expect(r.stderr).not.toContain('[done]');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('done on CPU.');
    const files = await readdir(out);
    expect(files).toContain('result.json');
    const y = decodeNpy(
      new Uint8Array(
        await readFile(
          join(
            out,
            files.find((f) => f.endsWith('.npy'))!,
          ),
        ),
      ),
    );
    if (!y.ok) throw new Error(y.error);
    expect(Array.from(y.value.data as Float32Array)).toEqual([-1, 4, -3, 8, -5, 12]);
    const check = verifyReceipt(JSON.parse(await readFile(join(out, 'result.json'), 'utf8')));
    expect(check).toMatchObject({ ok: true });
    const key = JSON.parse(await readFile(join(data(), 'signing-key.json'), 'utf8')).address;
    expect(JSON.stringify(check)).toContain(key);
  });

  it('runs a batch when a name is given twice, and lists and shows jobs', async () => {
    const r = await jobRun([
      '--input',
      `x=${join(dir.path, 'x.npy')}`,
      '--input',
      `x=${join(dir.path, 'x2.npy')}`,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const job = JSON.parse(r.stdout);
    expect(job.progress).toMatchObject({ setsDone: 2, setsTotal: 2 });
    const list = JSON.parse((await roost(['job', 'list', '--json', '--data-dir', data()])).stdout);
    expect(list.jobs.length).toBe(2);
    // A job given no name is named after its model file, so the list says what ran; show says
    // where its outputs are and what each is.
    const shown = (await roost(['job', 'show', job.id, '--data-dir', data()])).stdout;
    expect(shown).toContain(`Job ${job.id} (private, model.onnx): done`);
    expect(shown).toContain(`Outputs: ${join(job.jobDir, 'out')}\n`);
    expect(shown).toMatch(/^ {2}y: 0\/y\.npy \(float32 \[\d+(,\d+)*\]\)$/m);
    expect(shown).toContain(`Signed result: ${join(job.jobDir, 'out', 'result.json')}`);
    // As the Jobs page: the sandbox layers that held, the time, and who signed.
    expect(shown).toMatch(/^Sandbox: clean environment/m);
    expect(shown).toMatch(/^Time: [\d.]+ (ms|s) \(running the model [\d.]+ (ms|s)\)$/m);
    expect(shown).toMatch(/^Signed by: 0x[0-9a-fA-F]{40}$/m);
  });

  it('says what is wrong with bad input, and changes nothing', async () => {
    const missing = await jobRun(['--input', `x=${join(dir.path, 'x.npy')}`], {
      model: join(dir.path, 'nope.onnx'),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `Error: The model: no file at ${join(dir.path, 'nope.onnx')}. Check the path; it must be on the computer Roost runs on\n`,
    );
    const malformed = await jobRun(['--input', 'x']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--input takes <name>=<file.npy>');
    const wrongName = await jobRun(['--input', `z=${join(dir.path, 'x.npy')}`]);
    expect(wrongName.code).toBe(1);
    expect(wrongName.stderr.length).toBeGreaterThan(10);
    expect((await roost(['job', 'show', 'nope', '--data-dir', data()])).code).toBe(1);
    const list = JSON.parse((await roost(['job', 'list', '--json', '--data-dir', data()])).stdout);
    expect(list.jobs.filter((j: { state: string }) => j.state === 'done')).toHaveLength(2);
  });

  it('removes the finished jobs and their folders, keeping the copy made with --out', async () => {
    const before = JSON.parse((await roost(['job', 'list', '--json', '--data-dir', data()])).stdout)
      .jobs as { id: string }[];
    expect(before.length).toBeGreaterThanOrEqual(3);
    const [first, ...rest] = before.map((j) => j.id);
    const one = await roost(['job', 'remove', first!, '--data-dir', data()]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(
      new RegExp(`^Removed job ${first}, freed \\d+(\\.\\d)? (bytes|KB|MB)\\.\\n$`),
    );
    const all = await roost(['job', 'remove', '--finished-before', '0h', '--data-dir', data()]);
    expect(all.code).toBe(0);
    expect(all.stdout.split('\n').slice(1, -1).sort()).toEqual(rest.map((id) => `  ${id}`).sort());
    expect(await readdir(join(data(), 'jobs'))).not.toContain(first);
    for (const id of rest) expect(await readdir(join(data(), 'jobs'))).not.toContain(id);
    expect(
      JSON.parse((await roost(['job', 'list', '--json', '--data-dir', data()])).stdout),
    ).toEqual({
      jobs: [],
      counts: { queued: 0, fetching: 0, running: 0, done: 0, failed: 0, cancelled: 0 },
    });
    // The outputs copied with --out are the user's: they stay.
    expect(await readdir(join(dir.path, 'out'))).toContain('result.json');
    const bad = await roost([
      'job',
      'remove',
      '--finished-before',
      'last week',
      '--data-dir',
      data(),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--finished-before takes a number of days or hours ago (30d, 12h)',
    );
  });

  it('runs a folder of inputs split into two jobs, the outputs in one folder as one batch', async () => {
    const xs = join(dir.path, 'xs');
    await mkdir(xs);
    const values = [
      [1, -1, 2, -2, 3, -3],
      [0, 0, 0, 1, 1, 1],
      [-4, 4, -4, 4, -4, 4],
    ];
    for (const [i, v] of values.entries())
      await writeFile(
        join(xs, `frame${i + 1}.npy`),
        encodeNpy('float32', [2, 3], Float32Array.from(v)),
      );
    const out = join(dir.path, 'split-out');
    const r = await jobRun(['--input', `x=${xs}`, '--split', '2', '--out', out, '--ep', 'cpu'], {
      dataDir: join(dir.path, 'split-data'),
    });
    expect(r.stderr).not.toContain('Error');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^2 jobs done:\n {2}job-\S+ \(model\.onnx \(part 1 of 2\)\): 2 input sets on CPU\n {2}job-\S+ \(model\.onnx \(part 2 of 2\)\): 1 input set on CPU\n/,
    );
    // Each progress line names its part.
    expect(r.stderr).toMatch(/^model\.onnx \(part 2 of 2\): \[running\]/m);
    expect((await readFile(join(out, 'sets.csv'), 'utf8')).split('\r\n').slice(1, 4)).toEqual(
      values.map((_, i) => `${i},${join(xs, `frame${i + 1}.npy`)}`),
    );
    // y = relu(x) + x, set by set, in the folder's order across both jobs.
    for (const [i, v] of values.entries()) {
      const y = decodeNpy(new Uint8Array(await readFile(join(out, String(i), 'y.npy'))));
      expect(y.ok && [...(y.value.data as Float32Array)]).toEqual(v.map((x) => Math.max(0, x) + x));
    }
    expect((await readdir(out)).filter((f) => f.startsWith('result-')).sort()).toEqual([
      'result-sets-0-1.json',
      'result-sets-2-2.json',
    ]);
    const receipt = JSON.parse(await readFile(join(out, 'result-sets-2-2.json'), 'utf8'));
    expect(verifyReceipt(receipt).ok).toBe(true);
  });
});
