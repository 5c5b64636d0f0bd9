import { describe, expect, it } from 'vitest';
import type { AgentEvent, ResultOf } from '../api/contract.ts';
import type { ApiClient } from '../api/node-client.ts';
import { finishedWords, parseTimeout, waitForJobs, waitIds } from './job-wait.ts';

type JobDetail = ResultOf<'job.show'>;
type State = JobDetail['state'];

function job(id: string, state: State, extra: Partial<JobDetail> = {}): JobDetail {
  return {
    id,
    origin: 'private',
    state,
    progress: { stage: state === 'done' ? 'done' : 'running', setsDone: 1, setsTotal: 4 },
    attempts: 1,
    createdAt: '2026-11-27T10:00:00.000Z',
    updatedAt: '2026-11-27T10:00:00.000Z',
    removable: false,
    jobDir: `/data/jobs/${id}`,
    fallbacks: [],
    history: [],
    spec: {} as JobDetail['spec'],
    ...extra,
  };
}

/**
 * A Roost whose jobs move along a script: each look (`job.list`) takes the next states. Every
 * call is recorded.
 */
function roost(start: Record<string, State>, looks: Record<string, State>[], own = false) {
  const states = { ...start };
  const calls: string[] = [];
  let look = 0;
  const client: Pick<ApiClient, 'call' | 'events' | 'inProcess'> = {
    inProcess: own,
    ...(own ? { events: { subscribe: () => () => undefined } } : {}),
    call: (async (method: string, params: { id?: string }) => {
      calls.push(`${method}${params.id ? ` ${params.id}` : ''}`);
      if (method === 'job.show') {
        const state = states[params.id!];
        if (!state)
          return { ok: false, error: { code: 'NOT_FOUND', message: `no job ${params.id}` } };
        return {
          ok: true,
          value: job(params.id!, state, {
            executionProvider: 'cpu',
            ...(state === 'failed'
              ? { error: { code: 'model-invalid', message: 'the model has no input x' } }
              : state === 'cancelled'
                ? { error: { code: 'cancelled', message: 'cancelled' } }
                : {}),
          }),
        };
      }
      if (method === 'job.list') {
        Object.assign(states, looks[Math.min(look++, looks.length - 1)]);
        return {
          ok: true,
          value: {
            jobs: Object.entries(states)
              .filter(([, s]) => ['queued', 'fetching', 'running'].includes(s))
              .map(([id, s]) => job(id, s)),
          },
        };
      }
      return { ok: false, error: { code: 'INTERNAL', message: `unexpected ${method}` } };
    }) as never,
  };
  return { client, calls };
}

function io(json = false) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    ctx: {
      json,
      io: {
        stdout: (t: string) => void out.push(t),
        stderr: (t: string) => void err.push(t),
        env: {},
      },
    },
    out,
    err,
  };
}

describe('roost job wait', () => {
  it('says each job as it finishes, and exits 0 when every one is done', async () => {
    const r = roost({ 'job-a': 'running', 'job-b': 'queued' }, [
      { 'job-a': 'done' },
      { 'job-b': 'running' },
      { 'job-b': 'done' },
    ]);
    const t = io();
    expect(await waitForJobs(t.ctx, r.client, ['job-a', 'job-b'], { pollMs: 1 })).toBe(0);
    expect(t.err).toEqual([
      'Waiting for 2 jobs (1 running, 1 queued); Ctrl+C stops waiting, not the jobs.\n',
    ]);
    expect(t.out).toEqual([
      'Job job-a done on CPU, 4 input sets: outputs in /data/jobs/job-a/out\n',
      'Job job-b done on CPU, 4 input sets: outputs in /data/jobs/job-b/out\n',
    ]);
    // One look at the unfinished jobs per round; each job shown once more, when it finished.
    expect(r.calls.filter((c) => c === 'job.show job-a')).toHaveLength(2);
    expect(r.calls.filter((c) => c === 'job.list')).toHaveLength(3);
  });

  it("asks again when a running Roost's events say a job changed, not only every 5 s", async () => {
    const r = roost({ 'job-a': 'running' }, [{ 'job-a': 'running' }, { 'job-a': 'done' }]);
    let listener: ((e: AgentEvent) => void) | undefined;
    let stopped = false;
    const client = {
      ...r.client,
      events: {
        subscribe: (l: (e: AgentEvent) => void) => {
          listener = l;
          return () => void (stopped = true);
        },
      },
    };
    const t = io();
    const started = Date.now();
    const waiting = waitForJobs(t.ctx, client, ['job-a']);
    const changed = (id: string) =>
      ({
        event: 'job.stateChanged',
        payload: { job: { id, state: 'running' } },
      }) as unknown as AgentEvent;
    // Another job's change wakes nothing; each of this job's does, at once.
    await new Promise((done) => setTimeout(done, 20));
    listener!(changed('job-other'));
    await new Promise((done) => setTimeout(done, 20));
    expect(r.calls.filter((c) => c === 'job.list')).toHaveLength(0);
    listener!(changed('job-a'));
    await new Promise((done) => setTimeout(done, 20));
    expect(r.calls.filter((c) => c === 'job.list')).toHaveLength(1);
    listener!(changed('job-a'));
    expect(await waiting).toBe(0);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(t.out).toEqual([
      'Job job-a done on CPU, 4 input sets: outputs in /data/jobs/job-a/out\n',
    ]);
    expect(stopped).toBe(true);
  });

  it('exits 1 when a job failed or was cancelled, saying why, after waiting for the rest', async () => {
    const r = roost({ 'job-a': 'failed', 'job-b': 'running', 'job-c': 'running' }, [
      { 'job-b': 'cancelled', 'job-c': 'done' },
    ]);
    const t = io();
    expect(await waitForJobs(t.ctx, r.client, ['job-a', 'job-b', 'job-c'], { pollMs: 1 })).toBe(1);
    expect(t.err).toEqual([
      'Error: Job job-a failed: the model has no input x\n',
      'Waiting for 2 jobs (2 running); Ctrl+C stops waiting, not the jobs.\n',
      'Error: Job job-b cancelled\n',
    ]);
    expect(t.out).toEqual([
      'Job job-c done on CPU, 4 input sets: outputs in /data/jobs/job-c/out\n',
    ]);
  });

  it('refuses an unknown id before waiting, pointing at the list', async () => {
    const r = roost({ 'job-a': 'running' }, [{ 'job-a': 'done' }]);
    const t = io();
    expect(await waitForJobs(t.ctx, r.client, ['job-a', 'job-zz'], { pollMs: 1 })).toBe(1);
    expect(t.err).toEqual(['Error: No job job-zz. roost job list shows your jobs.\n']);
    expect(r.calls).not.toContain('job.list');
  });

  it('gives up at --timeout, saying where each job is; the jobs go on', async () => {
    let clock = 0;
    const r = roost({ 'job-a': 'queued' }, [{ 'job-a': 'running' }]);
    const t = io();
    const code = await waitForJobs(t.ctx, r.client, ['job-a'], {
      pollMs: 1,
      timeoutMs: 90_000,
      now: () => (clock += 30_000),
    });
    expect(code).toBe(1);
    expect(t.err.at(-1)).toBe(
      'Error: Gave up waiting after 90 s: job-a is running (1/4 input sets). It goes on in Roost: run roost job wait again, or roost job cancel <id>.\n',
    );
    expect(parseTimeout('90s')).toBe(90_000);
  });

  it('stops at Ctrl+C, and says when Roost stops answering', async () => {
    const stop = new AbortController();
    stop.abort();
    const t = io();
    const r = roost({ 'job-a': 'running' }, [{}]);
    expect(await waitForJobs(t.ctx, r.client, ['job-a'], { pollMs: 1, signal: stop.signal })).toBe(
      1,
    );
    expect(t.err.at(-1)).toBe(
      'Error: Stopped waiting; the jobs go on in Roost: job-a is running (1/4 input sets).\n',
    );

    const gone = roost({ 'job-a': 'running' }, []);
    const call = gone.client.call;
    let looks = 0;
    gone.client.call = ((method: string, params: unknown) =>
      method === 'job.list' && ++looks > 1
        ? Promise.reject(new Error('fetch failed'))
        : call(method as never, params as never)) as never;
    const u = io();
    expect(await waitForJobs(u.ctx, gone.client, ['job-a'], { pollMs: 1 })).toBe(1);
    expect(u.err.at(-1)).toBe(
      'Error: Roost stopped answering while waiting (fetch failed). The jobs are kept in its journal; once Roost runs again it goes on with them: run roost job wait again then.\n',
    );
  });

  it('says that no Roost runs to run a queued job, where the command runs its own agent', async () => {
    const r = roost({ 'job-a': 'done', 'job-b': 'queued' }, [], true);
    const t = io();
    expect(await waitForJobs(t.ctx, r.client, ['job-a', 'job-b'])).toBe(1);
    expect(t.out).toEqual([
      'Job job-a done on CPU, 4 input sets: outputs in /data/jobs/job-a/out\n',
    ]);
    expect(t.err).toEqual([
      'Error: job-b is queued, and no Roost runs on this data folder to run it. Start Roost on it (roost serve, or the desktop app), then run roost job wait again.\n',
    ]);
    expect(r.calls).not.toContain('job.list');
  });

  it('prints every job as JSON at the end with --json', async () => {
    const r = roost({ 'job-a': 'running' }, [{ 'job-a': 'failed' }]);
    const t = io(true);
    expect(await waitForJobs(t.ctx, r.client, ['job-a'], { pollMs: 1 })).toBe(1);
    expect(t.err).toEqual([]);
    expect(t.out).toHaveLength(1);
    const printed = JSON.parse(t.out[0]!) as { jobs: JobDetail[] };
    expect(printed.jobs.map((j) => [j.id, j.state, j.error?.message])).toEqual([
      ['job-a', 'failed', 'the model has no input x'],
    ]);
  });
});

describe('its command line', () => {
  it('reads --timeout as seconds, minutes or hours', () => {
    expect(parseTimeout('45')).toBe(45_000);
    expect(parseTimeout('30m')).toBe(1_800_000);
    expect(parseTimeout('2H')).toBe(7_200_000);
    expect(parseTimeout('0.5s')).toBe(500);
    for (const bad of ['', '0', '-5m', '10 days', 'soon'])
      expect(parseTimeout(bad)).toBeUndefined();
  });

  it('needs ids, each once', () => {
    expect(waitIds(['job-a', 'job-b', 'job-a'])).toEqual(['job-a', 'job-b']);
    expect(() => waitIds([])).toThrow(/^Say which jobs: roost job wait <id>\.\.\./);
    expect(() => waitIds(Array.from({ length: 1001 }, (_, k) => `job-${k}`))).toThrow(
      'At most 1000 job ids at a time (got 1001).',
    );
  });

  it('names where a done job put its outputs, and a GPU it ran on', () => {
    expect(
      finishedWords(
        job('job-a', 'done', {
          name: 'resnet batch 3',
          executionProvider: 'cuda',
          device: { id: 'gpu-0', name: 'RTX 4090' },
          exportedTo: '/data/results/run-1',
          progress: { stage: 'done', setsDone: 1, setsTotal: 1 },
        }),
      ),
    ).toEqual({
      ok: true,
      line: 'Job job-a (resnet batch 3) done on CUDA (RTX 4090), 1 input set: outputs in /data/results/run-1',
    });
  });
});
