/**
 * Generated models through the whole job path (service → sandboxed worker → verified, signed
 * outputs) on CPU and WebGPU (Mesa lavapipe here), compared with onnxruntime run in this
 * process on the same inputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../../../agent/jobs/receipt.ts';
import type { JobService } from '../../../agent/jobs/service.ts';
import { encodeNpy } from '../../../worker/npy.ts';
import type { NpyArray, NpyDtype } from '../../../worker/npy.ts';
import { startArtifactServer } from '../../fixtures/jobs/artifact-server.ts';
import {
  encodeModel,
  externalDataModel,
  gatherModel,
  mlpModel,
  randomFloats,
  slowModel,
  valueInfo,
} from '../../fixtures/jobs/models.ts';
import type { ElemName } from '../../fixtures/jobs/models.ts';
import {
  jobsLab,
  maxRelativeError,
  processesMentioning,
  readNpyFile,
  recordingJobLog,
  runInProcess,
  testWallet,
} from './support.ts';
import type { JobsLab } from './support.ts';

let lab: JobsLab;
let service: JobService;
/** What the service and its workers log. */
const { log, logged } = recordingJobLog();
beforeAll(async () => {
  lab = await jobsLab();
  service = await lab.service({ concurrency: 2, log });
});
afterAll(async () => {
  await lab.cleanup();
});

function npy(
  dtype: NpyDtype,
  shape: number[],
  data: ArrayBufferView,
): { bytes: Uint8Array; array: NpyArray } {
  return {
    bytes: encodeNpy(dtype, shape, data),
    array: { dtype, shape, data: data as NpyArray['data'] },
  };
}

async function runToEnd(spec: unknown) {
  const submitted = await service.submit(spec);
  if (!submitted.ok) throw new Error(submitted.error.message);
  const done = await service.wait(submitted.value.id);
  if (!done.ok) throw new Error(done.error.message);
  return done.value;
}

describe('jobs through the sandboxed worker', () => {
  it('runs a batch of an MLP on CPU and matches onnxruntime in process', async () => {
    const modelBytes = mlpModel();
    const model = await lab.file('mlp.onnx', modelBytes);
    const sets = [0, 1, 2].map((s) => npy('float32', [4, 64], randomFloats(4 * 64, 100 + s)));
    const inputs = [];
    for (const [s, set] of sets.entries())
      inputs.push({ x: await lab.file(`x${s}.npy`, set.bytes) });
    const job = await runToEnd({
      format: 'roost.job/1',
      model,
      inputs,
      executionProviders: ['cpu'],
    });
    expect(job).toMatchObject({
      state: 'done',
      executionProvider: 'cpu',
      progress: { setsDone: 3, setsTotal: 3 },
    });
    expect(job.sandbox).toMatchObject({ scrubbedEnv: true, permissionModel: true, bwrap: true });
    // A batch's files are read and written on the worker's I/O thread, inside the sandbox.
    expect(logged).toContain(`job ${job.id}: input and output files: on an I/O thread`);
    for (const [s, set] of sets.entries()) {
      const reference = await runInProcess(modelBytes, { x: set.array });
      for (const name of ['probs', 'logits']) {
        const got = readNpyFile(join(job.jobDir, 'out', String(s), `${name}.npy`));
        expect(got.shape).toEqual([...(reference[name]?.dims ?? [])]);
        expect(
          maxRelativeError(got.data as Float32Array, reference[name]?.data ?? []),
        ).toBeLessThan(1e-5);
      }
    }
    const receipt = JSON.parse(readFileSync(join(job.jobDir, 'result.json'), 'utf8'));
    expect(verifyReceipt(receipt)).toMatchObject({ ok: true, signer: testWallet.address });
    expect(receipt.receipt).toMatchObject({
      executionProvider: 'cpu',
      onnxruntimeVersion: '1.30.0',
      modelSha256: model.sha256,
    });
    expect(receipt.receipt.outputs).toHaveLength(6);
    expect(processesMentioning(job.jobDir)).toEqual([]);
  });

  it('carries integer inputs and bool outputs, and every .npy dtype, unchanged', async () => {
    const gatherBytes = gatherModel();
    const ids = npy('int64', [5], new BigInt64Array([0n, 3n, 15n, 7n, 3n]));
    const gather = runToEnd({
      format: 'roost.job/1',
      model: await lab.file('gather.onnx', gatherBytes),
      inputs: { ids: await lab.file('ids.npy', ids.bytes) },
    });

    const dtypes: [ElemName, NpyDtype, ArrayBufferView][] = [
      ['float32', 'float32', new Float32Array([1.5, -2])],
      ['float16', 'float16', new Uint16Array([0x3c00, 0xc000])],
      ['float64', 'float64', new Float64Array([Math.PI, -1e300])],
      ['int8', 'int8', new Int8Array([-128, 127])],
      ['int16', 'int16', new Int16Array([-32768, 32767])],
      ['int32', 'int32', new Int32Array([-(2 ** 31), 2 ** 31 - 1])],
      ['int64', 'int64', new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n])],
      ['uint8', 'uint8', new Uint8Array([0, 255])],
      ['uint16', 'uint16', new Uint16Array([0, 65535])],
      ['uint32', 'uint32', new Uint32Array([0, 2 ** 32 - 1])],
      ['uint64', 'uint64', new BigUint64Array([0n, 2n ** 64n - 1n])],
      ['bool', 'bool', new Uint8Array([1, 0])],
    ];
    const identity = encodeModel({
      nodes: dtypes.map(([e]) => ({
        opType: 'Identity',
        input: [`in_${e}`],
        output: [`out_${e}`],
      })),
      inputs: dtypes.map(([e]) => valueInfo(`in_${e}`, e, [2])),
      outputs: dtypes.map(([e]) => valueInfo(`out_${e}`, e, [2])),
    });
    const identityInputs: Record<string, unknown> = {};
    for (const [e, d, data] of dtypes)
      identityInputs[`in_${e}`] = await lab.file(`${e}.npy`, encodeNpy(d, [2], data));
    const every = runToEnd({
      format: 'roost.job/1',
      model: await lab.file('identity.onnx', identity),
      inputs: identityInputs,
    });

    const g = await gather;
    const all = await every;
    expect(g.error).toBeUndefined();
    expect(all.error).toBeUndefined();
    expect(g.state).toBe('done');
    const reference = await runInProcess(gatherBytes, { ids: ids.array });
    const sum = readNpyFile(join(g.jobDir, 'out', 'sum.npy'));
    const mask = readNpyFile(join(g.jobDir, 'out', 'mask.npy'));
    expect(maxRelativeError(sum.data as Float32Array, reference.sum?.data ?? [])).toBeLessThan(
      1e-6,
    );
    expect(mask.dtype).toBe('bool');
    expect(Array.from(mask.data as Uint8Array)).toEqual(
      Array.from(reference.mask?.data ?? [], (v) => (v ? 1 : 0)),
    );

    expect(all.state).toBe('done');
    for (const [e, d, data] of dtypes) {
      const out = readNpyFile(join(all.jobDir, 'out', `out_${e}.npy`));
      expect(out.dtype).toBe(d);
      const bytes = (v: ArrayBufferView) =>
        Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      expect(bytes(out.data), e).toEqual(bytes(data));
    }
  });

  it('reads external data from the job folder', async () => {
    const { model, weights } = externalDataModel('weights.bin');
    const x = npy('float32', [3, 8], randomFloats(24, 77));
    const job = await runToEnd({
      format: 'roost.job/1',
      model: {
        ...(await lab.file('ext.onnx', model)),
        externalData: [{ path: 'weights.bin', ...(await lab.file('weights.bin', weights)) }],
      },
      inputs: { x: await lab.file('x.npy', x.bytes) },
    });
    expect(job.state).toBe('done');
    const y = readNpyFile(join(job.jobDir, 'out', 'y.npy'));
    expect(y.shape).toEqual([3, 4]);
    // The reference: the same product computed here.
    const w = new Float32Array(weights.buffer.slice(0));
    const xs = x.array.data as Float32Array;
    const want = Array.from({ length: 12 }, (_, i) => {
      const r = Math.floor(i / 4);
      const c = i % 4;
      let s = 0;
      for (let k = 0; k < 8; k++) s += (xs[r * 8 + k] as number) * (w[k * 4 + c] as number);
      return s;
    });
    expect(maxRelativeError(y.data as Float32Array, want)).toBeLessThan(1e-5);
  });

  it('falls back from a provider that does not start and records why', async () => {
    const modelBytes = mlpModel(8, 8, 2);
    const x = npy('float32', [1, 8], randomFloats(8, 3));
    const job = await runToEnd({
      format: 'roost.job/1',
      model: await lab.file('small.onnx', modelBytes),
      inputs: { x: await lab.file('x.npy', x.bytes) },
      executionProviders: ['cuda', 'cpu'],
    });
    expect(job).toMatchObject({ state: 'done', executionProvider: 'cpu' });
    expect(job.fallbacks).toEqual([{ ep: 'cuda', reason: expect.stringMatching(/./) }]);
    expect(job.result?.receipt.fallbacks[0]?.ep).toBe('cuda');
  });

  it('fetches a job’s artifacts over HTTP (a market-style job) and keeps only the outputs asked for', async () => {
    const server = await startArtifactServer();
    try {
      // A model of its own: the cache must not already hold it.
      const modelBytes = mlpModel(64, 128, 10, 99);
      const x = npy('float32', [2, 64], randomFloats(128, 9));
      server.serve('/m.onnx', { body: modelBytes, dropAfter: { bytes: 1000, times: 1 } });
      server.serve('/x.npy', { body: x.bytes });
      const submitted = await service.submit(
        {
          format: 'roost.job/1',
          model: {
            uri: server.url('/m.onnx'),
            sha256: (await lab.file('m', modelBytes)).sha256,
            bytes: modelBytes.length,
          },
          inputs: {
            x: {
              uri: server.url('/x.npy'),
              sha256: (await lab.file('x', x.bytes)).sha256,
              bytes: x.bytes.length,
            },
          },
          outputs: ['probs'],
        },
        { origin: 'market' },
      );
      if (!submitted.ok) throw new Error(submitted.error.message);
      const done = await service.wait(submitted.value.id);
      expect(done).toMatchObject({ ok: true, value: { state: 'done' } });
      if (!done.ok) return;
      expect(done.value.result?.receipt.outputs.map((o) => o.name)).toEqual(['probs']);
      expect(server.requests.filter((r) => r.path === '/m.onnx').map((r) => r.range)).toEqual([
        undefined,
        'bytes=1000-',
      ]);
    } finally {
      await server.close();
    }
  });

  it('stops a worker whose memory passes the watchdog limit', async () => {
    const own = await jobsLab();
    try {
      const small = await own.service({ maxWorkerMemoryBytes: 24 * 2 ** 20, maxAttempts: 1 });
      const x = await own.file(
        'x.npy',
        encodeNpy('float32', [768, 768], randomFloats(768 * 768, 1)),
      );
      const submitted = await small.submit({
        format: 'roost.job/1',
        model: await own.file('slow.onnx', slowModel(768, 24)),
        inputs: [1, 2, 3, 4].map(() => ({ x })),
      });
      if (!submitted.ok) throw new Error(submitted.error.message);
      const done = await small.wait(submitted.value.id);
      expect(done).toMatchObject({
        ok: true,
        value: { state: 'failed', error: { code: 'too-large' } },
      });
      if (done.ok)
        expect(done.value.error?.message).toMatch(/of memory, over the limit of 0\.02 GiB/);
    } finally {
      await own.cleanup();
    }
  });

  it(
    'runs on WebGPU (lavapipe here) and matches onnxruntime in process within tolerance',
    { timeout: 180_000 },
    async () => {
      const modelBytes = mlpModel(64, 128, 10, 4);
      const x = npy('float32', [4, 64], randomFloats(256, 11));
      const job = await runToEnd({
        format: 'roost.job/1',
        model: await lab.file('mlp-gpu.onnx', modelBytes),
        inputs: { x: await lab.file('x.npy', x.bytes) },
        executionProviders: ['webgpu', 'cpu'],
      });
      expect(job).toMatchObject({ state: 'done', executionProvider: 'webgpu', fallbacks: [] });
      const got = readNpyFile(join(job.jobDir, 'out', 'logits.npy'));
      const onCpu = await runInProcess(modelBytes, { x: x.array }, 'cpu');
      const onGpu = await runInProcess(modelBytes, { x: x.array }, 'webgpu');
      expect(maxRelativeError(got.data as Float32Array, onGpu.logits?.data ?? [])).toBeLessThan(
        1e-5,
      );
      expect(maxRelativeError(got.data as Float32Array, onCpu.logits?.data ?? [])).toBeLessThan(
        1e-3,
      );
    },
  );
});
