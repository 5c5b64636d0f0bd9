import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { IoFaults } from '../test/fixtures/jobs/io-thread-faults.ts';
import { decodeNpy, encodeNpy } from './npy.ts';
import { inputFile, runPlanSchema } from './protocol.ts';
import type { RunPlan } from './protocol.ts';
import { runnerFs } from './out-files.ts';
import type { RunnerFs } from './out-files.ts';
import { checkInput, classifyModelError, runPlan } from './runner.ts';
import type { Ort, RunnerIo } from './runner.ts';
import type { FromIoThread } from './set-io.ts';
import type { Outgoing } from './transport.ts';

describe('onnxruntime errors that are the model’s fault', () => {
  it.each([
    ['Failed to load model because protobuf parsing failed.', 'model-invalid'],
    ["Could not find an implementation for Frobnicate(1) node with name ''", 'model-unsupported'],
    ['[ShapeInferenceError] Incompatible dimensions', 'model-invalid'],
    [
      'This is an invalid model. In Node, ("", Foo, "", -1) : () -> () , Error No Op registered',
      'model-invalid',
    ],
  ])('%s', (message, code) => {
    expect(classifyModelError(message)).toBe(code);
  });

  it('leaves provider failures to the fallback', () => {
    expect(
      classifyModelError(
        'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library',
      ),
    ).toBeUndefined();
    expect(
      classifyModelError('no available backend found. ERR: [dml] backend not found.'),
    ).toBeUndefined();
  });
});

describe('inputs against the model', () => {
  const meta = { name: 'x', type: 'float32', shape: ['N', 4] as (number | string)[] };
  it('accepts a matching tensor with any size on a symbolic dimension', () => {
    expect(checkInput(meta, 'float32', [7, 4], 0)).toBeUndefined();
  });
  it.each<[string, Parameters<typeof checkInput>[1], number[], RegExp]>([
    ['a wrong dtype', 'int32', [1, 4], /is int32, but the model wants float32/],
    ['a wrong rank', 'float32', [4], /1 dimensions/],
    ['a wrong fixed dimension', 'float32', [2, 5], /shape 2×5/],
  ])('refuses %s', (_what, dtype, shape, reason) => {
    expect(checkInput(meta, dtype, shape, 3)).toMatch(reason);
  });
  it('refuses a tensor for a sequence input', () => {
    expect(checkInput({ name: 's', type: 'non-tensor', shape: [] }, 'float32', [1], 0)).toMatch(
      /sequence/,
    );
  });
});

describe('a batch of sets, with a stand-in onnxruntime', () => {
  /** Enough of onnxruntime-node for runPlan: y = x + 1 on float32 [1, 2]. */
  function fakeOrt(
    options: {
      sessionOptions?: unknown[];
      events?: string[];
      runMs?: () => number;
      /** The input's and output's shape as the model declares it; default [1, 2]. */
      shape?: (number | string)[];
    } = {},
  ): Ort {
    class Tensor {
      type: string;
      data: Float32Array;
      dims: number[];
      constructor(type: string, data: Float32Array, dims: number[]) {
        this.type = type;
        this.data = data;
        this.dims = dims;
      }
      dispose() {
        // Outputs hold [set + 1, 1 - set].
        options.events?.push(`dispose ${(this.data[0] as number) - 1}`);
      }
    }
    const session = {
      inputMetadata: [
        { name: 'x', isTensor: true, type: 'float32', shape: options.shape ?? [1, 2] },
      ],
      outputMetadata: [
        { name: 'y', isTensor: true, type: 'float32', shape: options.shape ?? [1, 2] },
      ],
      outputNames: ['y'],
      run: async (feeds: Record<string, Tensor>) => {
        const x = feeds.x as Tensor;
        options.events?.push(`run ${x.data[0]}`);
        // onnxruntime-node runs a session in a setImmediate, blocking the thread meanwhile.
        await new Promise((resolve) => setImmediate(resolve));
        const until = performance.now() + (options.runMs?.() ?? 0);
        while (performance.now() < until);
        return {
          y: new Tensor(
            'float32',
            x.data.map((v) => v + 1),
            x.dims,
          ),
        };
      },
      release: async () => undefined,
    };
    return {
      env: { versions: { node: '1.30.0' } },
      Tensor,
      InferenceSession: {
        create: async (_path: string, sessionOptions: unknown) => {
          options.sessionOptions?.push(sessionOptions);
          return session;
        },
      },
    } as unknown as Ort;
  }

  async function batch(sets: number) {
    const dir = await mkdtemp(join(tmpdir(), 'roost-runner-'));
    for (let s = 0; s < sets; s++) {
      await mkdir(join(dir, 'in', String(s)), { recursive: true });
      await writeFile(
        join(dir, 'in', inputFile(s, 0)),
        encodeNpy('float32', [1, 2], new Float32Array([s, -s])),
      );
    }
    const plan: RunPlan = {
      jobId: 'job-1',
      modelPath: join(dir, 'model.onnx'),
      inputsDir: join(dir, 'in'),
      outDir: join(dir, 'out'),
      inputNames: ['x'],
      outputs: [{ name: 'y', file: 'y.npy' }],
      layout: 'per-set',
      setCount: sets,
      startSet: 0,
      executionProviders: ['cpu'],
      maxOutputBytes: 1e6,
      outputBytesSoFar: 0,
    };
    return { dir, plan };
  }

  it('holds the results of short sets for one write, sends the last at once, and writes every output', async () => {
    const { dir, plan } = await batch(10);
    const wire: { how: 'send' | 'hold'; message: Outgoing }[] = [];
    const sessionOptions: unknown[] = [];
    try {
      const outcome = await runPlan(plan, {
        send: (message) => wire.push({ how: 'send', message }),
        hold: (message) => wire.push({ how: 'hold', message }),
        cancelled: () => false,
        loadOrt: async () => fakeOrt({ sessionOptions }),
      });
      expect(outcome).toMatchObject({ ok: true, value: { setsDone: 10 } });
      const results = wire.filter((w) => w.message.type === 'set-done');
      expect(results.map((w) => w.how)).toEqual([...Array(9).fill('hold'), 'send']);
      expect(results.map((w) => (w.message as { busy?: boolean }).busy)).toEqual([
        ...Array(9).fill(true),
        false,
      ]);
      // One busy status for the first run; the set-dones say busy for the others.
      expect(
        wire.filter((w) => w.message.type === 'status' && w.message.stage === 'running'),
      ).toHaveLength(1);
      for (let s = 0; s < 10; s++) {
        const npy = decodeNpy(await readFile(join(plan.outDir, String(s), 'y.npy')));
        expect(npy.ok && [...(npy.value.data as Float32Array)]).toEqual([s + 1, 1 - s]);
      }
      expect(sessionOptions[0]).toMatchObject({
        extra: { session: { force_spinning_stop: '1' } },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('opens the session on the GPU the agent placed the job on', async () => {
    const { dir, plan } = await batch(1);
    const sessionOptions: unknown[] = [];
    try {
      const placed: RunPlan = {
        ...plan,
        executionProviders: ['cuda', 'cpu'],
        deviceIndexes: { cuda: 1 },
      };
      // The plan crosses a process boundary: the worker's schema keeps the device index.
      expect(runPlanSchema.parse(placed).deviceIndexes).toEqual({ cuda: 1 });
      expect(runPlanSchema.safeParse({ ...placed, deviceIndexes: { cuda: -1 } }).success).toBe(
        false,
      );
      const outcome = await runPlan(placed, {
        send: () => undefined,
        hold: () => undefined,
        cancelled: () => false,
        loadOrt: async () => fakeOrt({ sessionOptions }),
      });
      expect(outcome).toMatchObject({ ok: true });
      expect(sessionOptions[0]).toMatchObject({
        executionProviders: [{ name: 'cuda', deviceId: 1 }],
      });
      // The stand-in starts CUDA at once: one session, on the second GPU.
      expect(sessionOptions).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads and writes each set with its own shape when the shapes of a batch change', async () => {
    const { dir, plan } = await batch(0);
    // Headers are parsed and made once while they stay the same: a change must still show.
    const rows = [1, 1, 2, 2, 1, 3];
    for (const [s, n] of rows.entries()) {
      await mkdir(join(dir, 'in', String(s)), { recursive: true });
      const x = Float32Array.from({ length: n * 2 }, (_, i) => s * 10 + i);
      await writeFile(join(dir, 'in', inputFile(s, 0)), encodeNpy('float32', [n, 2], x));
    }
    try {
      const outcome = await runPlan(
        { ...plan, setCount: rows.length },
        {
          send: () => undefined,
          cancelled: () => false,
          loadOrt: async () => fakeOrt({ shape: ['N', 2] }),
        },
      );
      expect(outcome).toMatchObject({ ok: true, value: { setsDone: rows.length } });
      for (const [s, n] of rows.entries()) {
        const npy = decodeNpy(await readFile(join(plan.outDir, String(s), 'y.npy')));
        expect(npy).toMatchObject({ ok: true, value: { shape: [n, 2] } });
        expect(npy.ok && [...(npy.value.data as Float32Array)]).toEqual(
          Array.from({ length: n * 2 }, (_, i) => s * 10 + i + 1),
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sends the result of a long set at once', async () => {
    const { dir, plan } = await batch(3);
    const wire: ('send' | 'hold')[] = [];
    let clock = 0;
    try {
      const outcome = await runPlan(plan, {
        send: (message) => void (message.type === 'set-done' && wire.push('send')),
        hold: (message) => void (message.type === 'set-done' && wire.push('hold')),
        cancelled: () => false,
        loadOrt: async () => fakeOrt(),
        // Every look at the clock is 50 ms later: each set takes well over HOLD_MS / 2.
        now: () => (clock += 50),
      });
      expect(outcome).toMatchObject({ ok: true });
      expect(wire).toEqual(['send', 'send', 'send']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  /** The set a path of the per-set layout belongs to: its folder, its file or its temp file. */
  const setOf = (path: string) => Number(/\/(\d+)(\/y\.npy|$)/.exec(path)?.[1]);

  /**
   * The real file calls, each logged as it starts and ends (`rename 3`, `rename 3 done`); `delay`
   * holds back a call's start, `fail` makes it fail.
   */
  function loggedFs(
    events: string[],
    options: {
      delay?: (call: keyof RunnerFs, set: number) => number;
      fail?: (call: keyof RunnerFs, set: number) => boolean;
    } = {},
  ): RunnerFs {
    const paths = new Map<number, number>();
    const wrap =
      <A extends unknown[], R>(call: keyof RunnerFs, real: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const first = args[0];
        const set = typeof first === 'string' ? setOf(first) : (paths.get(first as number) ?? NaN);
        const ms = options.delay?.(call, set) ?? 0;
        if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`${call} ${set}`);
        if (options.fail?.(call, set)) {
          events.push(`failed ${call} ${set}`);
          throw new Error(`ENOSPC: no space left on device, ${call}`);
        }
        const result = await real(...args);
        if (call === 'open') paths.set(result as number, set);
        events.push(`${call} ${set} done`);
        return result;
      };
    return {
      mkdir: wrap('mkdir', runnerFs.mkdir),
      open: wrap('open', runnerFs.open),
      writev: wrap('writev', runnerFs.writev),
      write: wrap('write', runnerFs.write),
      close: wrap('close', runnerFs.close),
      rename: wrap('rename', runnerFs.rename),
      rm: wrap('rm', runnerFs.rm),
    };
  }

  const setsDone = (wire: Outgoing[]) =>
    wire.filter((m) => m.type === 'set-done').map((m) => (m as { set: number }).set);

  it('main thread: reports sets in order, each once its file is in place, when their writes end out of order', async () => {
    const { dir, plan } = await batch(12);
    const events: string[] = [];
    const wire: Outgoing[] = [];
    try {
      const outcome = await runPlan(plan, {
        send: (message) => wire.push(message),
        hold: (message) => {
          if (message.type === 'set-done') {
            expect(existsSync(join(plan.outDir, String(message.set), 'y.npy'))).toBe(true);
            events.push(`reported ${message.set}`);
          }
          wire.push(message);
        },
        cancelled: () => false,
        loadOrt: async () => fakeOrt({ events }),
        // Every third set's file comes late: sets after it are in place before it.
        ioThread: false,
        fs: loggedFs(events, {
          delay: (call, set) => (call === 'rename' && set % 3 === 0 ? 30 : 0),
        }),
      });
      expect(outcome).toMatchObject({ ok: true, value: { setsDone: 12 } });
      expect(setsDone(wire)).toEqual([...Array(12).keys()]);
      const renamed = events
        .filter((e) => /^rename \d+ done$/.test(e))
        .map((e) => Number(e.split(' ')[1]));
      expect(renamed).not.toEqual([...renamed].sort((a, b) => a - b));
      for (let s = 0; s < 11; s++) {
        expect(events.indexOf(`rename ${s} done`)).toBeLessThan(events.indexOf(`reported ${s}`));
      }
      for (let s = 0; s < 12; s++) {
        // The output stays alive until its file is in place.
        expect(events.indexOf(`rename ${s} done`)).toBeLessThan(events.indexOf(`dispose ${s}`));
        const npy = decodeNpy(await readFile(join(plan.outDir, String(s), 'y.npy')));
        expect(npy.ok && [...(npy.value.data as Float32Array)]).toEqual([s + 1, 1 - s]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('main thread: runs the next sets while writes are under way, with at most six sets in flight', async () => {
    const { dir, plan } = await batch(16);
    const events: string[] = [];
    try {
      const outcome = await runPlan(plan, {
        send: () => undefined,
        cancelled: () => false,
        loadOrt: async () => fakeOrt({ events }),
        ioThread: false,
        fs: loggedFs(events, { delay: (call) => (call === 'rename' ? 5 : 0) }),
      });
      expect(outcome).toMatchObject({ ok: true });
      // In flight: from a set's mkdir to its rename's end.
      let inFlight = 0;
      let most = 0;
      let runsDuringWrites = 0;
      for (const e of events) {
        if (/^mkdir \d+$/.test(e)) most = Math.max(most, ++inFlight);
        if (/^rename \d+ done$/.test(e)) inFlight--;
        if (e.startsWith('run ') && inFlight > 0) runsDuringWrites++;
      }
      expect(most).toBe(6);
      expect(runsDuringWrites).toBeGreaterThan(8);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('main thread: fails the job on a write error with io-error, reports no set after it, and leaves no temp file', async () => {
    const { dir, plan } = await batch(12);
    const events: string[] = [];
    const wire: Outgoing[] = [];
    let returned = false;
    try {
      const outcome = await runPlan(plan, {
        send: (message) => wire.push(message),
        hold: (message) => wire.push(message),
        cancelled: () => false,
        loadOrt: async () => fakeOrt({ events }),
        ioThread: false,
        fs: loggedFs(events, {
          // Set 5 fails while later sets' files are on their way.
          delay: (call, set) =>
            call === 'writev' && set === 5 ? 20 : call === 'rename' && set > 5 ? 30 : 0,
          fail: (call, set) => {
            expect(returned).toBe(false);
            return call === 'writev' && set === 5;
          },
        }),
      });
      returned = true;
      expect(outcome).toMatchObject({
        ok: false,
        error: {
          code: 'io-error',
          message: expect.stringMatching(/^output "y" could not be written: ENOSPC/),
        },
      });
      expect(setsDone(wire)).toEqual([0, 1, 2, 3, 4]);
      const endedAt = events.length;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(events.length).toBe(endedAt);
      expect(events.indexOf('failed writev 5')).toBeLessThan(events.indexOf('rm 5'));
      expect(await readdir(join(plan.outDir, '5'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('main thread: on cancel, waits for the writes under way and writes nothing after its answer', async () => {
    const { dir, plan } = await batch(20);
    const events: string[] = [];
    const wire: Outgoing[] = [];
    let looks = 0;
    try {
      const outcome = await runPlan(plan, {
        send: (message) => wire.push(message),
        hold: (message) => wire.push(message),
        // Cancelled as the seventh set would start.
        cancelled: () => ++looks > 6,
        loadOrt: async () => fakeOrt({ events }),
        ioThread: false,
        fs: loggedFs(events, { delay: (call) => (call === 'rename' ? 15 : 0) }),
      });
      const endedAt = events.length;
      expect(outcome).toMatchObject({ ok: false, error: { code: 'cancelled' } });
      // The sets that ran are all in place and reported, in order.
      expect(setsDone(wire)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(events.filter((e) => /^rename \d+ done$/.test(e))).toHaveLength(6);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(events.length).toBe(endedAt);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a long set before the next one runs', async () => {
    const { dir, plan } = await batch(3);
    const events: string[] = [];
    try {
      const outcome = await runPlan(plan, {
        send: (message) => void (message.type === 'set-done' && events.push(`sent ${message.set}`)),
        cancelled: () => false,
        loadOrt: async () => fakeOrt({ events, runMs: () => 60 }),
      });
      expect(outcome).toMatchObject({ ok: true });
      expect(events.filter((e) => !e.startsWith('dispose'))).toEqual([
        'run 0',
        'sent 0',
        'run 1',
        'sent 1',
        'run 2',
        'sent 2',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('the I/O thread', () => {
    const faultyThread = (faults: IoFaults) => () =>
      new Worker(new URL('../test/fixtures/jobs/io-thread-faults.ts', import.meta.url), {
        workerData: { faults },
      });
    /** Every file under the output folder, temp files included. */
    const filesUnder = async (dir: string) =>
      existsSync(dir) ? (await readdir(dir, { recursive: true })).sort() : [];
    const logs = (wire: Outgoing[]) =>
      wire.filter((m) => m.type === 'log').map((m) => (m as { message: string }).message);
    const dirs: string[] = [];
    afterEach(async () => {
      for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
    });
    /**
     * A batch of `sets` through runPlan on a fake onnxruntime (its files spoiled first when
     * asked), every message to the agent kept in `wire`; its folder goes after the test.
     */
    async function runBatch(
      sets: number,
      io: Partial<RunnerIo> = {},
      spoil?: (plan: RunPlan) => Promise<void>,
    ) {
      const { dir, plan } = await batch(sets);
      dirs.push(dir);
      await spoil?.(plan);
      const wire: Outgoing[] = [];
      const outcome = await runPlan(plan, {
        send: (message) => wire.push(message),
        hold: (message) => wire.push(message),
        cancelled: () => false,
        loadOrt: async () => fakeOrt(),
        ...io,
      });
      return { outcome, wire, plan };
    }

    it('reads and writes a batch on the thread by default, and says so', async () => {
      const { outcome, wire, plan } = await runBatch(10);
      expect(outcome).toMatchObject({ ok: true, value: { setsDone: 10 } });
      expect(logs(wire)).toEqual(['input and output files: on an I/O thread']);
      expect(setsDone(wire)).toEqual([...Array(10).keys()]);
      for (let s = 0; s < 10; s++) {
        const npy = decodeNpy(await readFile(join(plan.outDir, String(s), 'y.npy')));
        expect(npy.ok && [...(npy.value.data as Float32Array)]).toEqual([s + 1, 1 - s]);
      }
      expect((await filesUnder(plan.outDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });

    it.each<[string, () => Worker]>([
      [
        'refused (no --allow-worker)',
        () => {
          throw Object.assign(new Error('Access to this API has been restricted'), {
            code: 'ERR_ACCESS_DENIED',
          });
        },
      ],
      [
        'a module that does not load',
        () => new Worker('throw new Error("broken")', { eval: true }),
      ],
    ])('falls back to the main thread when the thread cannot start: %s', async (_what, make) => {
      const { outcome, wire, plan } = await runBatch(4, { ioThread: make });
      expect(outcome).toMatchObject({ ok: true, value: { setsDone: 4 } });
      expect(logs(wire)).toEqual([
        expect.stringMatching(
          /^input and output files: on the main thread \(the I\/O thread did not start: .*(restricted|broken)/,
        ),
      ]);
      expect(setsDone(wire)).toEqual([0, 1, 2, 3]);
      for (let s = 0; s < 4; s++)
        expect(existsSync(join(plan.outDir, String(s), 'y.npy'))).toBe(true);
    });

    it("says apart what a set spent running and waiting on its files, when the disk can't keep up", async () => {
      // Each set's files take 60 ms (six sets' at once), its run 1 ms: the loop waits for room
      // among the writes.
      const { outcome, wire } = await runBatch(20, {
        loadOrt: async () => fakeOrt({ runMs: () => 1 }),
        ioThread: faultyThread({ delay: { call: 'rename', ms: 60 } }),
      });
      expect(outcome).toMatchObject({ ok: true, value: { setsDone: 20 } });
      const done = wire.filter((m) => m.type === 'set-done') as Extract<
        Outgoing,
        { type: 'set-done' }
      >[];
      const waited = done.reduce((n, m) => n + (m.waitMs ?? 0), 0);
      // About 200 ms of writes against 20 ms of runs: most of it is waiting.
      expect(waited).toBeGreaterThan(100);
      // The run itself stays the run: no wait in it. A run that took in a wait would be at least
      // one 60 ms write; the bound is far from that and far above a loaded machine's 1 ms run
      // (10.8 ms seen while the whole suite ran).
      for (const m of done) expect(m.runMs).toBeLessThan(45);
    });

    it('keeps a job of one set on the main thread', async () => {
      const { outcome, wire } = await runBatch(1);
      expect(outcome).toMatchObject({ ok: true, value: { setsDone: 1 } });
      expect(logs(wire)).toEqual(['input and output files: on the main thread']);
    });

    it('reports sets in order, each once its file is in place, when their writes end out of order, on the thread', async () => {
      const { dir, plan } = await batch(12);
      const wire: Outgoing[] = [];
      const arrivals: number[] = [];
      try {
        const outcome = await runPlan(plan, {
          send: (message) => wire.push(message),
          hold: (message) => {
            if (message.type === 'set-done') {
              expect(existsSync(join(plan.outDir, String(message.set), 'y.npy'))).toBe(true);
            }
            wire.push(message);
          },
          cancelled: () => false,
          loadOrt: async () => fakeOrt(),
          // Every third set's file comes late: sets after it are in place before it.
          ioThread: () => {
            const worker = faultyThread({ delay: { call: 'rename', every: 3, ms: 30 } })();
            worker.on('message', (m: FromIoThread) => {
              if (m.type === 'done') arrivals.push(...m.written.map((w) => w.set));
            });
            return worker;
          },
        });
        expect(outcome).toMatchObject({ ok: true, value: { setsDone: 12 } });
        expect(arrivals).not.toEqual([...arrivals].sort((a, b) => a - b));
        expect(setsDone(wire)).toEqual([...Array(12).keys()]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('fails the job on a write error with io-error, reports no set after it, and leaves no temp file', async () => {
      const { outcome, wire, plan } = await runBatch(12, {
        // Set 5 fails while later sets' files are on their way.
        ioThread: faultyThread({
          fail: { call: 'writev', set: 5 },
          delay: { call: 'writev', every: 5, ms: 20 },
        }),
      });
      expect(outcome).toMatchObject({
        ok: false,
        error: {
          code: 'io-error',
          message: expect.stringMatching(/^output "y" could not be written: ENOSPC/),
        },
      });
      expect(setsDone(wire)).toEqual([0, 1, 2, 3, 4]);
      const files = await filesUnder(plan.outDir);
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(await readdir(join(plan.outDir, '5'))).toEqual([]);
      // Nothing is written after the answer.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await filesUnder(plan.outDir)).toEqual(files);
    });

    it('on cancel, waits for the writes under way and writes nothing after its answer', async () => {
      let looks = 0;
      const { outcome, wire, plan } = await runBatch(20, {
        // Cancelled as the seventh set would start.
        cancelled: () => ++looks > 6,
        // Each rename waits: several sets' writes are under way at the cancel.
        ioThread: faultyThread({ delay: { call: 'rename', ms: 15 } }),
      });
      const files = await filesUnder(plan.outDir);
      expect(outcome).toMatchObject({ ok: false, error: { code: 'cancelled' } });
      expect(setsDone(wire)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(files.filter((f) => f.endsWith('.npy'))).toHaveLength(6);
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await filesUnder(plan.outDir)).toEqual(files);
    });

    it.each<[string, (file: string) => Promise<void>, string, RegExp]>([
      [
        'missing',
        (file) => rm(file),
        'io-error',
        /^input "x" of set 7 could not be read: ENOENT: no such file or directory/,
      ],
      [
        'corrupt',
        (file) => writeFile(file, 'not a numpy file'),
        'input-invalid',
        /^input "x" of set 7: /,
      ],
    ])(
      'a %s input read ahead fails its own set, after the sets before it, as on the main thread',
      async (_what, spoil, code, message) => {
        const errors: unknown[] = [];
        for (const ioThread of [undefined, false] as const) {
          const { outcome, wire } = await runBatch(
            12,
            ioThread === false ? { ioThread } : {},
            (plan) => spoil(join(plan.inputsDir, inputFile(7, 0))),
          );
          expect(outcome).toMatchObject({ ok: false, error: { code, message } });
          expect(setsDone(wire)).toEqual([0, 1, 2, 3, 4, 5, 6]);
          errors.push((outcome as { error: unknown }).error);
        }
        // The same words either way (the temp folder's name aside).
        const words = (e: unknown) => JSON.stringify(e).replace(/roost-runner-\w+/g, 'DIR');
        expect(words(errors[0])).toBe(words(errors[1]));
      },
    );
  });
});
