import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from './npy.ts';
import { inputFile } from './protocol.ts';
import type { RunPlan } from './protocol.ts';
import { checkInput, classifyModelError, runPlan } from './runner.ts';
import type { Ort } from './runner.ts';
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
  function fakeOrt(options: { sessionOptions?: unknown[] } = {}): Ort {
    class Tensor {
      type: string;
      data: Float32Array;
      dims: number[];
      constructor(type: string, data: Float32Array, dims: number[]) {
        this.type = type;
        this.data = data;
        this.dims = dims;
      }
      dispose() {}
    }
    const session = {
      inputMetadata: [{ name: 'x', isTensor: true, type: 'float32', shape: [1, 2] }],
      outputMetadata: [{ name: 'y', isTensor: true, type: 'float32', shape: [1, 2] }],
      outputNames: ['y'],
      run: async (feeds: Record<string, Tensor>) => {
        const x = feeds.x as Tensor;
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
        // Every look at the clock is 30 ms later: each set takes well over HOLD_MS / 2.
        now: () => (clock += 30),
      });
      expect(outcome).toMatchObject({ ok: true });
      expect(wire).toEqual(['send', 'send', 'send']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
