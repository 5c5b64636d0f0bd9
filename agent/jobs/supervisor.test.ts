import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../../worker/protocol.ts';
import { runAttempt } from './supervisor.ts';
import type { AttemptOptions } from './supervisor.ts';
import { fakeSpawner, wellBehaved } from './testing/fake-worker.ts';
import type { FakeWorkerScript } from './testing/fake-worker.ts';

const plan: RunPlan = {
  jobId: 'job-1',
  modelPath: '/jobs/job-1/in/model/model.onnx',
  inputsDir: '/jobs/job-1/in/sets',
  outDir: '/jobs/job-1/out',
  inputNames: ['x'],
  outputs: [{ name: 'y', file: 'y.npy' }],
  layout: 'flat',
  setCount: 2,
  startSet: 0,
  executionProviders: ['webgpu', 'cpu'],
  maxOutputBytes: 1e6,
  outputBytesSoFar: 0,
};

function attempt(script: FakeWorkerScript, extra: Partial<AttemptOptions> = {}) {
  const spawner = fakeSpawner(script);
  const messages: string[] = [];
  const outcome = runAttempt({
    spawn: spawner.spawn,
    launch: { jobId: 'job-1', inputsDir: '/in', outDir: '/out', scratchDir: '/scratch' },
    plan,
    timeoutMs: 5000,
    heartbeatTimeoutMs: 200,
    helloTimeoutMs: 300,
    exitGraceMs: 100,
    onMessage: (m) => messages.push(m.type),
    ...extra,
  });
  return { outcome, spawner, messages };
}

const hello: FakeWorkerScript = (w, m) => {
  if (m === 'start') w.send({ type: 'hello', protocol: 1, node: 'v24' });
};

describe('one attempt in a worker', () => {
  it('hands over the plan and returns what the worker did', async () => {
    const { outcome, spawner, messages } = attempt(wellBehaved);
    const result = await outcome;
    expect(result).toMatchObject({ ok: true, value: { ep: 'webgpu', setsDone: 2 } });
    expect(spawner.workers[0]?.received[0]).toMatchObject({ type: 'run', seq: 1, plan });
    expect(messages).toEqual([
      'hello',
      'session',
      'status',
      'set-done',
      'status',
      'set-done',
      'done',
    ]);
  });

  it('passes on a failure the worker reports, with its fallbacks, and does not retry it', async () => {
    const result = await attempt((w, m) => {
      if (m === 'start') return w.send({ type: 'hello', protocol: 1, node: 'v24' });
      w.send({
        type: 'done',
        result: {
          ok: false,
          error: { code: 'no-execution-provider', message: 'none started' },
          fallbacks: [{ ep: 'webgpu', reason: 'no adapter' }],
        },
      });
      w.exit(0);
    }).outcome;
    expect(result).toMatchObject({
      ok: false,
      retryable: false,
      error: { code: 'no-execution-provider' },
      fallbacks: [{ ep: 'webgpu', reason: 'no adapter' }],
    });
  });

  it('fails a crash with the exit and the last output, as worth retrying', async () => {
    const result = await attempt((w, m) => {
      if (m === 'start') w.send({ type: 'hello', protocol: 1, node: 'v24' });
      else w.exit(null, 'SIGSEGV');
    }).outcome;
    expect(result).toMatchObject({ ok: false, retryable: true, error: { code: 'worker-crashed' } });
    if (!result.ok) expect(result.error.message).toMatch(/SIGSEGV.*fake worker output/);
  });

  it.each<[string, FakeWorkerScript, RegExp]>([
    [
      'a message out of sequence',
      (w, m) => m === 'start' && w.sendRaw({ type: 'hello', seq: 5, protocol: 1, node: 'v' }),
      /message 5 after 0/,
    ],
    ['garbage', (w, m) => m === 'start' && w.sendRaw('rm -rf /'), /malformed/],
    [
      'an unknown message type',
      (w, m) => m === 'start' && w.sendRaw({ type: 'shell', seq: 1 }),
      /malformed/,
    ],
    [
      'a message before hello',
      (w, m) => m === 'start' && w.send({ type: 'heartbeat', rssBytes: 1 }),
      /before hello/,
    ],
    [
      'an endless line',
      (w, m) => m === 'start' && w.protocolError('a message longer than 1048576 bytes'),
      /longer than/,
    ],
    [
      'a second hello',
      (w, m) => {
        if (m !== 'start') w.send({ type: 'hello', protocol: 1, node: 'v' });
        else w.send({ type: 'hello', protocol: 1, node: 'v' });
      },
      /second hello/,
    ],
    [
      'an output shape with a negative dimension',
      (w, m) => {
        if (m === 'start') return w.send({ type: 'hello', protocol: 1, node: 'v' });
        w.send({
          type: 'set-done',
          set: 0,
          runMs: 1,
          outputs: [{ name: 'y', file: 'y.npy', dtype: 'float32', shape: [-1], bytes: 1 }],
        });
      },
      /malformed/,
    ],
  ])('kills a worker that sends %s', async (_what, script, reason) => {
    const { outcome, spawner } = attempt(script);
    const result = await outcome;
    expect(result).toMatchObject({
      ok: false,
      retryable: false,
      error: { code: 'worker-protocol' },
    });
    if (!result.ok) expect(result.error.message).toMatch(reason);
    expect(spawner.workers[0]?.killed).toBe(true);
  });

  it('kills a worker that never says hello', async () => {
    const { outcome, spawner } = attempt(() => undefined);
    expect(await outcome).toMatchObject({
      ok: false,
      retryable: true,
      error: { code: 'worker-unresponsive' },
    });
    expect(spawner.workers[0]?.killed).toBe(true);
  });

  it('kills a worker that goes silent while not busy, but not one busy in onnxruntime', async () => {
    const silent = attempt(hello);
    expect(await silent.outcome).toMatchObject({
      ok: false,
      error: { code: 'worker-unresponsive' },
    });

    const busy = attempt((w, m) => {
      if (m === 'start') return w.send({ type: 'hello', protocol: 1, node: 'v' });
      w.send({ type: 'status', stage: 'running', busy: true, set: 0 });
      setTimeout(() => wellBehaved(w, m), 500);
    });
    expect(await busy.outcome).toMatchObject({ ok: true });
  });

  it('keeps a worker busy through a heartbeat that slips out before the run', async () => {
    // The worker's heartbeat timer can fire between the busy announcement and the blocking
    // call; a long run after it is not a hang.
    const { outcome } = attempt((w, m) => {
      if (m === 'start') return w.send({ type: 'hello', protocol: 1, node: 'v' });
      w.send({ type: 'status', stage: 'running', busy: true, set: 0 });
      w.send({ type: 'heartbeat', rssBytes: 1 });
      setTimeout(() => wellBehaved(w, m), 500);
    });
    expect(await outcome).toMatchObject({ ok: true });
  });

  it('takes a set-done with busy as the start of the next run, and one without as idle', async () => {
    const run = (busy: boolean) =>
      attempt((w, m) => {
        if (m === 'start') return w.send({ type: 'hello', protocol: 1, node: 'v' });
        w.send({ type: 'status', stage: 'running', busy: true, set: 0 });
        w.send({ type: 'set-done', set: 0, runMs: 1, outputs: [], busy });
        setTimeout(() => {
          w.send({ type: 'set-done', set: 1, runMs: 1, outputs: [] });
          w.send({
            type: 'done',
            result: {
              ok: true,
              value: { ep: 'cpu', fallbacks: [], sessionMs: 1, runMs: 1, setsDone: 2 },
            },
          });
          w.exit(0);
        }, 500);
      }).outcome;
    expect(await run(true)).toMatchObject({ ok: true });
    expect(await run(false)).toMatchObject({
      ok: false,
      error: { code: 'worker-unresponsive' },
    });
  });

  it('stops a job at its time limit', async () => {
    const { outcome, spawner } = attempt(
      (w, m) => {
        if (m === 'start') return w.send({ type: 'hello', protocol: 1, node: 'v' });
        w.send({ type: 'status', stage: 'running', busy: true, set: 0 });
      },
      { timeoutMs: 150 },
    );
    const result = await outcome;
    expect(result).toMatchObject({ ok: false, retryable: false, error: { code: 'timeout' } });
    expect(spawner.workers[0]?.killed).toBe(true);
  });

  it('kills the worker on cancel', async () => {
    const controller = new AbortController();
    const { outcome, spawner } = attempt(
      (w, m) => {
        if (m === 'start') return w.send({ type: 'hello', protocol: 1, node: 'v' });
        w.send({ type: 'status', stage: 'running', busy: true, set: 0 });
        setTimeout(() => controller.abort(), 20);
      },
      { signal: controller.signal },
    );
    expect(await outcome).toMatchObject({
      ok: false,
      retryable: false,
      error: { code: 'cancelled' },
    });
    expect(spawner.workers[0]?.killed).toBe(true);
  });

  it('stops a worker that holds more memory than allowed', async () => {
    const { outcome, spawner } = attempt(
      (w, m) => {
        if (m === 'start') return w.send({ type: 'hello', protocol: 1, node: 'v' });
        w.send({ type: 'status', stage: 'running', busy: true, set: 0 });
      },
      { maxMemoryBytes: 2 ** 30, memoryOf: () => 3 * 2 ** 30 },
    );
    const result = await outcome;
    expect(result).toMatchObject({ ok: false, retryable: false, error: { code: 'too-large' } });
    if (!result.ok)
      expect(result.error.message).toMatch(/3\.00 GiB of memory, over the limit of 1\.00 GiB/);
    expect(spawner.workers[0]?.killed).toBe(true);
  });

  it('kills a worker that lingers after done', async () => {
    const { outcome, spawner } = attempt((w, m) => {
      if (m === 'start') return w.send({ type: 'hello', protocol: 1, node: 'v' });
      w.send({
        type: 'done',
        result: {
          ok: true,
          value: { ep: 'cpu', fallbacks: [], sessionMs: 1, runMs: 1, setsDone: 2 },
        },
      });
    });
    expect(await outcome).toMatchObject({ ok: true });
    expect(spawner.workers[0]?.killed).toBe(true);
  });

  it('reports a spawner that throws or a process that cannot start', async () => {
    const thrown = await runAttempt({
      spawn: () => {
        throw new Error('EACCES');
      },
      launch: { jobId: 'j', inputsDir: '/i', outDir: '/o', scratchDir: '/s' },
      plan,
      timeoutMs: 1000,
    });
    expect(thrown).toMatchObject({
      ok: false,
      retryable: true,
      error: { code: 'worker-spawn-failed' },
    });
  });
});
