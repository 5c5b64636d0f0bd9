import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../cli.ts';
import { openJournal } from '../jobs/journal.ts';
import type { JobSpec } from '../jobs/schema.ts';
import { identityModel, maskedModel } from '../../test/fixtures/jobs/models.ts';
import { encodeNpy } from '../../worker/npy.ts';
import { modelWords, parseFinishedBefore, progressKey } from './job.ts';
import { jobReason } from './job-wait.ts';
import { runCliCaptured } from './testing/run.ts';

describe('roost job run progress', () => {
  it('gives a line for each stage and each tenth of the input sets, not each set', () => {
    const keys = new Set<string>();
    keys.add(progressKey({ stage: 'fetching', setsDone: 0, setsTotal: 1000 }));
    for (let done = 0; done <= 1000; done++)
      keys.add(progressKey({ stage: 'running', setsDone: done, setsTotal: 1000 }));
    // fetching, then running at 0 %, 10 % … 100 %.
    expect(keys.size).toBe(1 + 11);
    // A small job still shows each set.
    expect(progressKey({ stage: 'running', setsDone: 1, setsTotal: 2 })).not.toBe(
      progressKey({ stage: 'running', setsDone: 2, setsTotal: 2 }),
    );
  });
});

describe('roost job remove --finished-before', () => {
  const now = new Date(2026, 5, 15, 12, 0);

  it('takes days or hours ago, a date or a date-time', () => {
    expect(parseFinishedBefore('30d', now)).toEqual({
      at: new Date(now.getTime() - 30 * 86_400_000),
      words: 'more than 30 days ago',
    });
    expect(parseFinishedBefore('1h', now)).toEqual({
      at: new Date(now.getTime() - 3_600_000),
      words: 'more than 1 hour ago',
    });
    expect(parseFinishedBefore('2026-01-31', now)?.at).toEqual(new Date(2026, 0, 31));
    expect(parseFinishedBefore('2026-01-31T18:00', now)?.at).toEqual(new Date(2026, 0, 31, 18));
    expect(parseFinishedBefore('2026-01-31T18:00:00Z', now)?.at.toISOString()).toBe(
      '2026-01-31T18:00:00.000Z',
    );
  });

  it('refuses anything else', () => {
    for (const bad of ['30', 'd', '30 days', '-3d', '2w', '2026-02-31', '31/01/2026', 'soon', ''])
      expect(parseFinishedBefore(bad, now), bad).toBeUndefined();
  });
});

describe('roost job list, show and remove, on jobs in the journal', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir('roost-job-remove-');
  });
  afterEach(async () => {
    await dir.remove();
  });

  const roost = (...args: string[]) => runCliCaptured(args, { ROOST_DATA_DIR: dir.path });

  const H = 'a'.repeat(64);
  const spec: JobSpec = {
    format: 'roost.job/1',
    model: { uri: 'file:///data/m.onnx', sha256: H, bytes: 10 },
    inputs: { x: { uri: 'file:///data/x.npy', sha256: H, bytes: 128 } },
  };

  /** Jobs as an earlier run left them: rows in the journal, folders with outputs. */
  async function jobs(list: { id: string; finishedAt?: string; bytes?: number }[]) {
    const journal = openJournal(join(dir.path, 'jobs', 'jobs.sqlite'));
    for (const job of list) {
      journal.insert({ id: job.id, origin: 'private', spec, specSha256: H, setsTotal: 1 }, 'go');
      if (job.finishedAt)
        journal.transition(job.id, ['queued'], 'cancelled', { finishedAt: job.finishedAt }, 'no');
      await mkdir(join(dir.path, 'jobs', job.id, 'out'), { recursive: true });
      await writeFile(
        join(dir.path, 'jobs', job.id, 'out', 'y.npy'),
        new Uint8Array(job.bytes ?? 0),
      );
    }
    journal.close();
  }
  const folder = (id: string) => existsSync(join(dir.path, 'jobs', id));

  it('removes jobs by id and says the space freed, as words or JSON', async () => {
    await mkdir(join(dir.path, 'jobs'), { recursive: true });
    const old = '2026-01-01T00:00:00.000Z';
    await jobs([
      { id: 'job-a', finishedAt: old, bytes: 3 * 2 ** 20 },
      { id: 'job-b', finishedAt: old, bytes: 2 ** 20 },
      { id: 'job-c', finishedAt: old, bytes: 100 },
    ]);
    const one = await roost('job', 'remove', 'job-a');
    expect(one).toEqual({ code: EXIT_OK, stdout: 'Removed job job-a, freed 3 MB.\n', stderr: '' });
    expect(folder('job-a')).toBe(false);
    const two = await roost('job', 'remove', 'job-b', 'job-c', '--json');
    expect(two.code).toBe(EXIT_OK);
    expect(JSON.parse(two.stdout)).toEqual({
      removed: ['job-b', 'job-c'],
      bytesFreed: 2 ** 20 + 100,
    });
    expect(await roost('job', 'list')).toMatchObject({
      stdout: expect.stringMatching(/^No jobs yet/),
    });
  });

  it('says which GPU each job ran on', async () => {
    await mkdir(join(dir.path, 'jobs'), { recursive: true });
    await jobs([{ id: 'job-a' }, { id: 'job-b' }]);
    const journal = openJournal(join(dir.path, 'jobs', 'jobs.sqlite'));
    journal.transition('job-a', ['queued'], 'fetching', {}, 'go');
    journal.transition(
      'job-a',
      ['fetching'],
      'running',
      { executionProvider: 'cuda', device: { id: 'pci-0000:02:00.0', name: 'RTX 3070 #2' } },
      'running',
    );
    journal.transition(
      'job-a',
      ['running'],
      'done',
      { finishedAt: '2026-11-26T10:00:00Z' },
      'done',
    );
    journal.close();
    const list = await roost('job', 'list');
    expect(list.stdout).toMatch(/^job-b {2}queued +private +0\/1 {2}next in line {2}$/m);
    expect(list.stdout).toMatch(/^job-a {2}done +private +0\/1 {2}RTX 3070 #2 {2}$/m);
    const show = await roost('job', 'show', 'job-a');
    expect(show.stdout).toContain('Ran on: CUDA on RTX 3070 #2\n');
    // A job asked for one GPU says which.
    const pinned = openJournal(join(dir.path, 'jobs', 'jobs.sqlite'));
    pinned.insert(
      { id: 'job-p', origin: 'private', spec, specSha256: H, setsTotal: 1, deviceWanted: 'cpu' },
      'go',
    );
    pinned.close();
    expect((await roost('job', 'show', 'job-p')).stdout).toContain('Asked for: the CPU only\n');
  });

  it('lists the jobs in a state, as many as asked, and says when there are more', async () => {
    await mkdir(join(dir.path, 'jobs'), { recursive: true });
    const old = '2026-11-01T00:00:00.000Z';
    await jobs([
      { id: 'job-a', finishedAt: old },
      { id: 'job-b' },
      { id: 'job-c', finishedAt: old },
      { id: 'job-d' },
    ]);
    const cancelled = await roost('job', 'list', '--state', 'cancelled');
    expect(cancelled.stdout).toMatch(/^job-c {2}cancelled.*\njob-a {2}cancelled.*\n$/);
    const two = await roost('job', 'list', '--limit', '2');
    expect(two.stdout.split('\n').map((l) => l.split(' ')[0])).toEqual([
      'job-d',
      'job-c',
      '(the',
      '',
    ]);
    expect(two.stdout).toContain(
      '(the newest 2 shown; --limit 1000 shows more, --state failed only those that failed)',
    );
    const json = await roost('job', 'list', '--state', 'queued,running', '--json');
    const listed = JSON.parse(json.stdout) as { jobs: { id: string }[]; counts: unknown };
    expect(listed.jobs.map((j) => j.id)).toEqual(['job-d', 'job-b']);
    // With how many jobs there are in each state, all of them.
    expect(listed.counts).toEqual({
      queued: 2,
      fetching: 0,
      running: 0,
      done: 0,
      failed: 0,
      cancelled: 2,
    });
    expect((await roost('job', 'list', '--state', 'failed')).stdout).toBe(
      'No failed jobs. roost job list shows them all.\n',
    );
    const bad = await roost('job', 'list', '--state', 'finished');
    expect(bad.code).toBe(EXIT_USAGE);
    expect(bad.stderr).toContain(
      'Unknown job state "finished" in --state: use one of queued, fetching, running, done, failed, cancelled.',
    );
    const word = await roost('job', 'list', 'failed');
    expect(word.code).toBe(EXIT_USAGE);
    expect(word.stderr).toContain(
      'Unexpected "failed". For the failed jobs: roost job list --state failed',
    );
    expect((await roost('job', 'list', '--limit', '0')).stderr).toContain(
      '--limit takes how many jobs to list, 1 to 1000 (got "0").',
    );
    expect((await roost('job', 'show', 'job-a', '--state', 'done')).stderr).toContain(
      '--state belongs to roost job list.',
    );
  });

  it('puts queued jobs at the front of the queue in the order given, saying where each is', async () => {
    await mkdir(join(dir.path, 'jobs'), { recursive: true });
    await jobs([{ id: 'job-a' }, { id: 'job-b' }, { id: 'job-c' }, { id: 'job-d' }]);
    const r = await roost('job', 'next', 'job-d', 'job-c', 'job-nope');
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.stdout).toBe('Job job-d is next in line.\nJob job-c is 2nd in line.\n');
    expect(r.stderr).toBe('Error: No job job-nope. roost job list shows your jobs.\n');
    const list = await roost('job', 'list', '--state', 'queued');
    expect(
      list.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) =>
          l
            .split(/ {2,}/)
            .slice(0, 1)
            .concat(l.match(/(next|\d+\w\w) in line/)?.[0] ?? ''),
        ),
    ).toEqual([
      ['job-d', 'next in line'],
      ['job-c', '2nd in line'],
      ['job-b', '4th in line'],
      ['job-a', '3rd in line'],
    ]);
    expect((await roost('job', 'show', 'job-a')).stdout).toContain(
      'Progress: queued, 0/1 input sets; 3rd in line (roost job next job-a puts it first)\n',
    );
    // Every step, with --history: queued, then moved to the front.
    const steps = (await roost('job', 'show', 'job-d', '--history')).stdout.split('History:\n')[1];
    expect(steps?.split('\n').map((l) => l.replace(/^ {2}\S+ {2}/, ''))).toEqual([
      'queued    go',
      'queued    moved to the front of the queue',
      '',
    ]);
    expect((await roost('job', 'list', '--history')).stderr).toContain(
      '--history belongs to roost job show',
    );
    const cancelled = await roost('job', 'cancel', '--queued');
    expect(cancelled.stdout).toMatch(
      /^Cancelled 4 queued jobs \(running jobs and market jobs go on\):\n( {2}job-[a-d]\n){4}$/,
    );
    expect((await roost('job', 'cancel', '--queued')).stdout).toBe(
      'No private job is queued: nothing to cancel.\n',
    );
    expect((await roost('job', 'cancel', 'job-a', '--queued')).code).toBe(EXIT_USAGE);
    const usage = await roost('job', 'next');
    expect(usage.code).toBe(EXIT_USAGE);
    expect(usage.stderr).toContain('Say which queued jobs: roost job next <id>...');
  });

  it('cancels several jobs at once (the parts of a split batch), saying each', async () => {
    await mkdir(join(dir.path, 'jobs'), { recursive: true });
    await jobs([{ id: 'job-a' }, { id: 'job-b' }]);
    const r = await roost('job', 'cancel', 'job-a', 'job-nope', 'job-b');
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.stdout).toBe('Job job-a: cancelled.\nJob job-b: cancelled.\n');
    expect(r.stderr).toMatch(/^Error: No job job-nope\b/);
    const list = await roost('job', 'list');
    expect(list.stdout).toMatch(/^job-a {2}cancelled/m);
    expect(list.stdout).toMatch(/^job-b {2}cancelled/m);
  });

  it('queues finished jobs again, saying each new id, and refuses one still waiting', async () => {
    await mkdir(join(dir.path, 'jobs'), { recursive: true });
    await jobs([{ id: 'job-a', finishedAt: '2026-11-26T09:00:00.000Z' }, { id: 'job-w' }]);
    const r = await roost('job', 'rerun', 'job-a', 'job-w');
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.stdout).toMatch(/^Job job-a queued again as job (job-[\w-]+)\.\n$/);
    expect(r.stderr).toContain(
      'Job job-w is still queued; run it again once it has finished, or cancel it first.',
    );
    const newId = /as job (job-[\w-]+)\./.exec(r.stdout)![1]!;
    expect(newId).not.toBe('job-a');
    expect((await roost('job', 'list')).stdout).toMatch(new RegExp(`^${newId} {2}queued`, 'm'));
    expect(await roost('job', 'rerun')).toMatchObject({ code: 2 });
  });

  it('removes the jobs finished before a time, or says there is nothing to remove', async () => {
    await mkdir(join(dir.path, 'jobs'), { recursive: true });
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    await jobs([
      { id: 'job-old', finishedAt: daysAgo(40), bytes: 1536 },
      { id: 'job-older', finishedAt: daysAgo(45), bytes: 512 },
      { id: 'job-new', finishedAt: daysAgo(2) },
    ]);
    // First only asked: the same jobs and space, and nothing goes.
    expect(await roost('job', 'remove', '--finished-before', '30d', '--dry-run')).toEqual({
      code: EXIT_OK,
      stdout:
        'Would remove 2 finished jobs, freeing 2 KB:\n  job-old\n  job-older\nNothing was removed (--dry-run).\n',
      stderr: '',
    });
    expect([folder('job-old'), folder('job-older')]).toEqual([true, true]);
    const r = await roost('job', 'remove', '--finished-before', '30d');
    expect(r).toEqual({
      code: EXIT_OK,
      stdout: 'Removed 2 finished jobs, freed 2 KB:\n  job-old\n  job-older\n',
      stderr: '',
    });
    expect([folder('job-old'), folder('job-older'), folder('job-new')]).toEqual([
      false,
      false,
      true,
    ]);
    expect(await roost('job', 'remove', '--finished-before', '30d')).toEqual({
      code: EXIT_OK,
      stdout:
        'Nothing to remove: no job finished more than 30 days ago (a market job stays while its lease may need it). roost job list shows your jobs.\n',
      stderr: '',
    });
  });

  it('refuses a job not yet finished and an unknown id, removing nothing', async () => {
    await mkdir(join(dir.path, 'jobs'), { recursive: true });
    await jobs([{ id: 'job-done', finishedAt: '2026-01-01T00:00:00.000Z' }, { id: 'job-waiting' }]);
    const waiting = await roost('job', 'remove', 'job-done', 'job-waiting');
    expect(waiting).toEqual({
      code: EXIT_FAILURE,
      stdout: '',
      stderr:
        'Error: Job job-waiting is queued: cancel it first, then remove it. Nothing was removed.\n',
    });
    const unknown = await roost('job', 'remove', 'job-done', 'job-nosuch');
    expect(unknown.code).toBe(EXIT_FAILURE);
    expect(unknown.stderr).toBe(
      'Error: No job job-nosuch. Nothing was removed. roost job list shows your jobs.\n',
    );
    expect(folder('job-done')).toBe(true);
  });

  it('answers a wrong command line with exit 2 and the forms it takes', async () => {
    const bad = await roost('job', 'remove', '--finished-before', '2 weeks');
    expect(bad).toMatchObject({ code: EXIT_USAGE, stdout: '' });
    expect(bad.stderr).toBe(
      'Error: --finished-before takes a number of days or hours ago (30d, 12h) or a date (2026-01-31, or 2026-01-31T18:00) (got "2 weeks").\n',
    );
    const none = await roost('job', 'remove');
    expect(none.code).toBe(EXIT_USAGE);
    expect(none.stderr).toContain('Say which jobs: roost job remove <id>...');
    const both = await roost('job', 'remove', 'job-a', '--finished-before', '7d');
    expect(both.code).toBe(EXIT_USAGE);
    expect(both.stderr).toContain('Give job ids or --finished-before, not both');
    const elsewhere = await roost('job', 'list', '--finished-before', '7d');
    expect(elsewhere.code).toBe(EXIT_USAGE);
    expect(elsewhere.stderr).toContain('--finished-before belongs to roost job remove');
    expect((await roost('job', '--help')).stdout).toContain('roost job remove <id>...');
  });
});

describe('the line a job that did not finish ends with', () => {
  it('gives the reason once: a cancelled job is not "cancelled: cancelled"', () => {
    expect(jobReason('cancelled', 'cancelled')).toBe('');
    expect(jobReason('cancelled', 'Cancelled')).toBe('');
    expect(jobReason('failed', 'the worker ran out of memory')).toBe(
      ': the worker ran out of memory',
    );
    expect(jobReason('failed', undefined)).toBe(': no reason given');
  });
});

describe('roost job add', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir('roost-job-add-');
  });
  afterEach(async () => {
    await dir.remove();
  });
  const roost = (...args: string[]) =>
    runCliCaptured(args, { ROOST_DATA_DIR: join(dir.path, 'data') });

  it('queues a job from files and returns at once, or each part of a split batch', async () => {
    const model = join(dir.path, 'm.onnx');
    await writeFile(model, identityModel('float32', [2]));
    const x = [0, 1, 2].map((k) => join(dir.path, `x${k}.npy`));
    for (const [k, path] of x.entries())
      await writeFile(path, encodeNpy('float32', [2], Float32Array.from([k, -k])));
    const one = await roost(
      'job',
      'add',
      '--model',
      model,
      '--input',
      `x=${x[0]}`,
      '--name',
      'later',
    );
    expect(one.code).toBe(EXIT_OK);
    expect(one.stdout).toMatch(
      /^Job job-[\w-]+ queued\. It runs while Roost runs \(roost serve, or the desktop app\)\.\n$/,
    );
    const id = /^Job (job-[\w-]+)/.exec(one.stdout)![1]!;
    expect((await roost('job', 'list')).stdout).toMatch(new RegExp(`^${id} {2}queued`, 'm'));
    const parts = await roost(
      'job',
      'add',
      '--model',
      model,
      '--split',
      '2',
      ...x.flatMap((path) => ['--input', `x=${path}`]),
    );
    expect(parts.code).toBe(EXIT_OK);
    expect(parts.stdout).toMatch(
      /^2 jobs queued, one per GPU at a time:\n {2}job-[\w-]+: m\.onnx \(part 1 of 2\)\n {2}job-[\w-]+: m\.onnx \(part 2 of 2\)\nThey run while Roost runs \(roost serve, or the desktop app\)\.\n$/,
    );
    const json = await roost('job', 'add', '--model', model, '--input', `x=${x[1]}`, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ state: 'queued', origin: 'private' });
  });

  it('refuses what run refuses, in the same words, queuing nothing', async () => {
    const noInput = await roost('job', 'add', '--model', join(dir.path, 'm.onnx'));
    expect(noInput.code).toBe(EXIT_USAGE);
    expect(noInput.stderr).toContain('roost job add needs --model and at least one --input');
    const missing = await roost(
      'job',
      'add',
      '--model',
      join(dir.path, 'gone.onnx'),
      '--input',
      `x=${join(dir.path, 'x.npy')}`,
    );
    expect(missing.code).toBe(EXIT_FAILURE);
    expect(missing.stderr).toContain('gone.onnx');
    expect((await roost('job', 'list')).stdout).toMatch(/^No jobs yet/);
  });
});

describe('roost job inspect', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir('roost-job-inspect-');
  });
  afterEach(async () => {
    await dir.remove();
  });

  const roost = (...args: string[]) =>
    runCliCaptured(args, { ROOST_DATA_DIR: join(dir.path, 'data') });

  /** x float32 [1, 3, 2, 2] and mask int64 [batch, 128] in; y float32 [1, 12] out. */
  async function model(): Promise<{ path: string; bytes: number }> {
    const bytes = maskedModel([1, 3, 2, 2]);
    const path = join(dir.path, 'm.onnx');
    await writeFile(path, bytes);
    return { path, bytes: bytes.length };
  }

  it('says what a model takes and gives, names aligned, symbolic dimensions by name', async () => {
    const { path, bytes } = await model();
    expect(await roost('job', 'inspect', path)).toEqual({
      code: EXIT_OK,
      stdout: [
        `${path} (${bytes} bytes, opset 17, 4 nodes)`,
        'Inputs:',
        '  x     float32 [1, 3, 2, 2]',
        '  mask  int64 [batch, 128]',
        'Outputs:',
        '  y     float32 [1, 12]',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('prints the answer as JSON with --json', async () => {
    const { path, bytes } = await model();
    const r = await roost('job', 'inspect', path, '--json');
    expect(r.code).toBe(EXIT_OK);
    expect(JSON.parse(r.stdout)).toEqual({
      model: path,
      bytes,
      inputs: [
        { name: 'x', dtype: 'float32', shape: [1, 3, 2, 2], isTensor: true },
        { name: 'mask', dtype: 'int64', shape: ['batch', 128], isTensor: true },
      ],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1, 12], isTensor: true }],
      opsets: [{ domain: '', version: 17 }],
      externalFiles: [],
      nodeCount: 4,
    });
  });

  it("fails with the agent's words for a wrong path, and exit 2 without one", async () => {
    const nowhere = join(dir.path, 'nope.onnx');
    expect(await roost('job', 'inspect', nowhere)).toEqual({
      code: EXIT_FAILURE,
      stdout: '',
      stderr: `Error: No model at ${nowhere}. Check the path; the file must be on the computer Roost runs on.\n`,
    });
    const none = await roost('job', 'inspect');
    expect(none.code).toBe(EXIT_USAGE);
    expect(none.stderr).toContain('Say which model: roost job inspect <model.onnx>.');
    expect((await roost('job', '--help')).stdout).toContain('roost job inspect <model.onnx>');
  });

  it('says the external data files and operator sets of other domains', () => {
    expect(
      modelWords({
        model: '/data/big.onnx',
        bytes: 12.3 * 2 ** 20,
        inputs: [],
        outputs: [{ name: 'seq', dtype: 'sequence', shape: [], isTensor: false }],
        opsets: [
          { domain: '', version: 17 },
          { domain: 'com.microsoft', version: 1 },
        ],
        externalFiles: ['a.bin', 'b.bin'],
        nodeCount: 1,
      }),
    ).toBe(
      [
        '/data/big.onnx (12 MB, opset 17, com.microsoft opset 1, 1 node)',
        'External data: a.bin, b.bin',
        'Inputs:',
        '  none',
        'Outputs:',
        '  seq  sequence (not a tensor: no .npy file carries it)',
      ].join('\n'),
    );
  });
});
