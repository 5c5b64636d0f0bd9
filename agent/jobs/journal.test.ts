import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import { openJournal } from './journal.ts';
import type { Journal, NewJob } from './journal.ts';
import type { JobSpec } from './schema.ts';

const H = 'a'.repeat(64);
const spec: JobSpec = {
  format: 'roost.job/1',
  name: 'test job',
  model: { uri: 'https://example.com/m.onnx', sha256: H, bytes: 10 },
  inputs: { x: { uri: 'https://example.com/x.npy', sha256: H, bytes: 128 } },
};
const job = (id: string): NewJob => ({ id, origin: 'private', spec, specSha256: H, setsTotal: 3 });

const cleanup: (() => Promise<void>)[] = [];
const open: Journal[] = [];
afterEach(async () => {
  for (const j of open.splice(0)) j.close();
  for (const c of cleanup.splice(0)) await c();
});

async function journalAt() {
  const dir = await tempDir('roost-journal-');
  cleanup.push(dir.remove);
  let tick = 0;
  const make = () => {
    const j = openJournal(join(dir.path, 'jobs.sqlite'), {
      now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)),
    });
    open.push(j);
    return j;
  };
  return { path: join(dir.path, 'jobs.sqlite'), make };
}

describe('the job journal', () => {
  it('records a job, its state changes and its history', async () => {
    const j = (await journalAt()).make();
    const queued = j.insert(job('j1'), 'submitted');
    expect(queued).toMatchObject({
      id: 'j1',
      state: 'queued',
      stage: 'queued',
      name: 'test job',
      setsTotal: 3,
      setsDone: 0,
    });
    const fetching = j.transition(
      'j1',
      ['queued'],
      'fetching',
      { stage: 'fetching', attempts: 1 },
      'fetching',
    );
    expect(fetching).toMatchObject({ state: 'fetching', attempts: 1 });
    const failed = j.transition(
      'j1',
      ['fetching'],
      'failed',
      {
        error: { code: 'hash-mismatch', message: 'bad bytes' },
        finishedAt: '2026-01-01T00:00:09.000Z',
      },
      'bad bytes',
    );
    expect(failed).toMatchObject({
      state: 'failed',
      error: { code: 'hash-mismatch', message: 'bad bytes' },
    });
    expect(j.history('j1').map((h) => h.state)).toEqual(['queued', 'fetching', 'failed']);
  });

  it('moves a job only from the state it is in (compare and set)', async () => {
    const j = (await journalAt()).make();
    j.insert(job('j1'), 'submitted');
    expect(j.transition('j1', ['queued'], 'cancelled', {}, 'cancel')).toBeDefined();
    expect(j.transition('j1', ['queued'], 'fetching', {}, 'late')).toBeUndefined();
    expect(() => j.transition('j1', ['done'], 'running', {}, 'x')).toThrow(/cannot go from done/);
    expect(j.get('j1')?.state).toBe('cancelled');
  });

  it('lists newest first or oldest first, by state', async () => {
    const j = (await journalAt()).make();
    for (const id of ['a', 'b', 'c']) j.insert(job(id), 'submitted');
    j.transition('b', ['queued'], 'fetching', {}, 'go');
    expect(j.list().map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(j.list({ oldestFirst: true, states: ['queued'] }).map((r) => r.id)).toEqual(['a', 'c']);
    expect(j.list({ limit: 1 }).map((r) => r.id)).toEqual(['c']);
    // How many in each state, all of them: the Jobs page's filter says them.
    j.transition('c', ['queued'], 'cancelled', {}, 'no');
    expect(j.countByState()).toEqual({ queued: 1, fetching: 1, cancelled: 1 });
  });

  it('takes a queued job moved to the front first, the latest moved before the others', async () => {
    const j = (await journalAt()).make();
    for (const id of ['a', 'b', 'c', 'd']) j.insert(job(id), 'submitted');
    expect(j.queueOrder()).toEqual(['a', 'b', 'c', 'd']);
    expect(j.moveToFront('c', 'moved to the front of the queue')?.priority).toBe(1);
    expect(j.moveToFront('d', 'moved to the front of the queue')?.priority).toBe(2);
    expect(j.queueOrder()).toEqual(['d', 'c', 'a', 'b']);
    expect(j.queue(2).map((r) => r.id)).toEqual(['d', 'c']);
    expect(['a', 'b', 'c', 'd'].map((id) => j.placeInQueue(id))).toEqual([3, 4, 2, 1]);
    expect(j.history('c').at(-1)).toMatchObject({
      state: 'queued',
      message: 'moved to the front of the queue',
    });
    // Only a queued job moves; a taken one has no place in line.
    j.transition('d', ['queued'], 'fetching', {}, 'go');
    expect(j.moveToFront('d', 'again')).toBeUndefined();
    expect(j.placeInQueue('d')).toBeUndefined();
    expect(j.queueOrder()).toEqual(['c', 'a', 'b']);
    // A market job (a claimed lease, with its deadline) goes before them all, moved or not.
    j.insert({ ...job('m'), origin: 'market' }, 'claimed');
    expect(j.queueOrder()).toEqual(['m', 'c', 'a', 'b']);
    expect(j.placeInQueue('m')).toBe(1);
    expect(['c', 'a', 'b'].map((id) => j.placeInQueue(id))).toEqual([2, 3, 4]);
    j.moveToFront('b', 'moved');
    expect(j.queueOrder()).toEqual(['m', 'b', 'c', 'a']);
  });

  it('records finished sets and forgets them for a redo', async () => {
    const j = (await journalAt()).make();
    j.insert(job('j1'), 'submitted');
    const out = {
      name: 'y',
      file: '0/y.npy',
      dtype: 'float32' as const,
      shape: [2, 3],
      bytes: 152,
    };
    j.recordSet('j1', 0, [out], { setsDone: 1, outputBytes: 152 });
    j.recordSet('j1', 1, [{ ...out, file: '1/y.npy' }], { setsDone: 2, outputBytes: 304 });
    expect(j.get('j1')).toMatchObject({ setsDone: 2, outputBytes: 304 });
    expect(j.setOutputs('j1').map((o) => o.file)).toEqual(['0/y.npy', '1/y.npy']);
    j.resetSets('j1', 1);
    expect(j.setOutputs('j1').map((o) => o.file)).toEqual(['0/y.npy']);
    j.recordSets(
      'j1',
      [
        { set: 1, outputs: [{ ...out, file: '1/y.npy' }] },
        { set: 2, outputs: [{ ...out, file: '2/y.npy' }] },
      ],
      { setsDone: 3, outputBytes: 456 },
    );
    expect(j.get('j1')).toMatchObject({ setsDone: 3, outputBytes: 456 });
    expect(j.setOutputs('j1').map((o) => `${o.set}:${o.file}`)).toEqual([
      '0:0/y.npy',
      '1:1/y.npy',
      '2:2/y.npy',
    ]);
  });

  it('records a batch of sets all or nothing', async () => {
    const j = (await journalAt()).make();
    j.insert(job('j1'), 'submitted');
    const out = { name: 'y', file: '0/y.npy', dtype: 'float32' as const, shape: [1], bytes: 132 };
    expect(() =>
      j.recordSets(
        'j1',
        [
          { set: 0, outputs: [out] },
          // shape serialises to JSON; a BigInt cannot, so the second row throws mid-batch.
          { set: 1, outputs: [{ ...out, file: '1/y.npy', shape: [1n as unknown as number] }] },
        ],
        { setsDone: 2 },
      ),
    ).toThrow();
    expect(j.setOutputs('j1')).toEqual([]);
    expect(j.get('j1')).toMatchObject({ setsDone: 0 });
  });

  it('keeps everything across a reopen', async () => {
    const at = await journalAt();
    const first = at.make();
    first.insert(job('j1'), 'submitted');
    first.transition('j1', ['queued'], 'fetching', { stage: 'fetching' }, 'go');
    first.close();
    const second = at.make();
    expect(second.get('j1')).toMatchObject({ state: 'fetching', spec });
  });

  it('skips a damaged row and says which', async () => {
    const at = await journalAt();
    const bad: string[] = [];
    const j = openJournal(at.path, { onBadRow: (id) => bad.push(id) });
    open.push(j);
    j.insert(job('good'), 'submitted');
    j.insert(job('bad'), 'submitted');
    const raw = new DatabaseSync(at.path);
    raw.prepare('UPDATE jobs SET spec = \'{"format":"evil"}\' WHERE id = \'bad\'').run();
    raw.close();
    expect(j.list().map((r) => r.id)).toEqual(['good']);
    expect(bad).toEqual(['bad']);
  });

  it('keeps where a job runs and the GPU it asked for, also in a journal of the first schema', async () => {
    const at = await journalAt();
    const first = at.make();
    first.insert(job('old'), 'submitted');
    first.close();
    open.splice(open.indexOf(first), 1);
    // A journal as Roost wrote it before jobs were placed on GPUs (schema 1).
    const raw = new DatabaseSync(at.path);
    raw.exec(
      'ALTER TABLE jobs DROP COLUMN device; ALTER TABLE jobs DROP COLUMN device_wanted; ALTER TABLE jobs DROP COLUMN export_first_set; ALTER TABLE jobs DROP COLUMN priority; PRAGMA user_version = 1',
    );
    raw.close();
    const j = at.make();
    expect(j.get('old')).toMatchObject({ id: 'old', state: 'queued' });
    expect(j.get('old')?.device).toBeUndefined();
    const pinned = j.insert({ ...job('pinned'), deviceWanted: 'pci-0000:02:00.0' }, 'submitted');
    expect(pinned.deviceWanted).toBe('pci-0000:02:00.0');
    j.update('pinned', { device: { id: 'pci-0000:02:00.0', name: 'RTX 3070 #2' } });
    expect(j.get('pinned')?.device).toEqual({ id: 'pci-0000:02:00.0', name: 'RTX 3070 #2' });
    // And a queue that can be reordered (schema 3).
    expect(j.get('old')?.priority).toBe(0);
    j.moveToFront('pinned', 'moved');
    expect(j.queueOrder()).toEqual(['pinned', 'old']);
  });

  it('reads a journal of schema 2 (before Run next) with every job in its old order', async () => {
    const at = await journalAt();
    const first = at.make();
    for (const id of ['a', 'b']) first.insert(job(id), 'submitted');
    first.close();
    open.splice(open.indexOf(first), 1);
    const raw = new DatabaseSync(at.path);
    raw.exec('ALTER TABLE jobs DROP COLUMN priority; PRAGMA user_version = 2');
    raw.close();
    const j = at.make();
    expect(j.queueOrder()).toEqual(['a', 'b']);
    expect(j.moveToFront('b', 'moved')?.priority).toBe(1);
    expect(j.queueOrder()).toEqual(['b', 'a']);
  });

  it('refuses a journal from a newer Roost', async () => {
    const at = await journalAt();
    const raw = new DatabaseSync(at.path);
    raw.exec('PRAGMA user_version = 99');
    raw.close();
    expect(() => openJournal(at.path)).toThrow(/newer Roost/);
  });

  it('removes a job with its history and outputs, and nothing of another job', async () => {
    const at = await journalAt();
    const j = at.make();
    for (const id of ['j1', 'j2']) {
      j.insert(job(id), 'submitted');
      j.recordSet(id, 0, [{ name: 'y', file: '0/y.npy', dtype: 'float32', shape: [2], bytes: 8 }], {
        setsDone: 1,
      });
    }
    expect(j.remove('j1')).toBe(true);
    expect(j.get('j1')).toBeUndefined();
    expect(j.history('j1')).toEqual([]);
    expect(j.setOutputs('j1')).toEqual([]);
    // Nothing of the other job went with it, and a second removal finds no row.
    expect(j.get('j2')).toMatchObject({ id: 'j2' });
    expect(j.history('j2')).toHaveLength(1);
    expect(j.setOutputs('j2')).toHaveLength(1);
    expect(j.remove('j1')).toBe(false);
    // No child row is left behind, even where foreign keys are off (another connection).
    const raw = new DatabaseSync(at.path);
    const count = (table: string) =>
      (raw.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE job_id = 'j1'`).get() as { n: number })
        .n;
    expect([count('job_history'), count('job_outputs')]).toEqual([0, 0]);
    raw.close();
  });

  it('lists the jobs that finished before a time, oldest first, unfinished ones never', async () => {
    const at = await journalAt();
    const j = at.make();
    const finish = (id: string, finishedAt: string | undefined) => {
      j.insert({ ...job(id), ...(id.startsWith('m') ? { origin: 'market' as const } : {}) }, 'go');
      j.transition(id, ['queued'], 'cancelled', finishedAt ? { finishedAt } : {}, 'cancelled');
    };
    finish('old', '2025-01-01T00:00:00.000Z');
    finish('m-old', '2025-01-02T00:00:00.000Z');
    finish('new', '2026-06-01T00:00:00.000Z');
    // No finish time: it counts from its last change (2026-01-01 in this journal's clock).
    finish('untimed', undefined);
    j.insert(job('waiting'), 'submitted');
    expect(j.finishedBefore('2025-12-31T00:00:00.000Z').map((r) => r.id)).toEqual(['old', 'm-old']);
    expect(j.finishedBefore('2026-02-01T00:00:00.000Z')).toEqual([
      { id: 'old', origin: 'private', state: 'cancelled', name: 'test job' },
      { id: 'm-old', origin: 'market', state: 'cancelled', name: 'test job' },
      { id: 'untimed', origin: 'private', state: 'cancelled', name: 'test job' },
    ]);
    expect(j.peek('waiting')).toEqual({
      id: 'waiting',
      origin: 'private',
      state: 'queued',
      name: 'test job',
    });
    expect(j.peek('nope')).toBeUndefined();
  });
});
