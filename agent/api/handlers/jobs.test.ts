import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModel, mlpModel, valueInfo } from '../../../test/fixtures/jobs/models.ts';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { createJobService } from '../../jobs/service.ts';
import type { JobService } from '../../jobs/service.ts';
import { createLogger } from '../../log.ts';
import { methodNames } from '../contract.ts';
import { ApiFailure } from '../errors.ts';
import { createRouter, type Handlers, type Router } from '../router.ts';
import { jobHandlers } from './jobs.ts';

const wallet = new Wallet('0x' + '42'.repeat(32));

let dir: { path: string; remove: () => Promise<void> };
let service: JobService;
let router: Router;

beforeAll(async () => {
  dir = await tempDir('roost-job-handlers-');
  service = await createJobService({
    dataDir: join(dir.path, 'data'),
    signer: { address: wallet.address, signMessage: (m) => wallet.signMessage(m) },
  });
  // Every other method answers UNAVAILABLE: only the job handlers are under test.
  const others = Object.fromEntries(
    methodNames.map((m) => [
      m,
      () => {
        throw new ApiFailure('UNAVAILABLE', `${m} is not part of this test`);
      },
    ]),
  ) as unknown as Handlers;
  router = createRouter(
    { ...others, ...jobHandlers(() => Promise.resolve(service)) },
    createLogger({}),
  );
});
afterAll(async () => {
  await service.close();
  await dir.remove();
});

async function model(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir.path, name);
  await writeFile(path, bytes);
  return path;
}

describe('job.inspectModel', () => {
  it('answers what a model takes and gives, as the contract shapes it', async () => {
    const bytes = encodeModel({
      nodes: [
        {
          opType: 'Cast',
          input: ['ids'],
          output: ['f'],
          attribute: [{ name: 'to', type: 2, i: 1 }],
        },
        { opType: 'Add', input: ['f', 'x'], output: ['y'] },
      ],
      inputs: [valueInfo('x', 'float32', [2, 3]), valueInfo('ids', 'int64', [2, 3])],
      outputs: [valueInfo('y', 'float32', [2, 3])],
      opset: 18,
    });
    const path = await model('add.onnx', bytes);
    expect(await router.call('job.inspectModel', { model: path })).toEqual({
      ok: true,
      value: {
        model: path,
        bytes: bytes.length,
        inputs: [
          { name: 'x', dtype: 'float32', shape: [2, 3], isTensor: true },
          { name: 'ids', dtype: 'int64', shape: [2, 3], isTensor: true },
        ],
        outputs: [{ name: 'y', dtype: 'float32', shape: [2, 3], isTensor: true }],
        opsets: [{ domain: '', version: 18 }],
        externalFiles: [],
        nodeCount: 2,
      },
    });
  });

  it('names a symbolic dimension', async () => {
    const path = await model('mlp.onnx', mlpModel(16, 8, 4));
    const r = await router.call('job.inspectModel', { model: path });
    expect(r).toMatchObject({
      ok: true,
      value: {
        inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 16], isTensor: true }],
        outputs: [
          { name: 'probs', dtype: 'float32', shape: ['N', 4] },
          { name: 'logits', dtype: 'float32', shape: ['N', 4] },
        ],
        nodeCount: 4,
      },
    });
  });

  it('refuses a relative path, a missing file and a truncated model as INVALID_PARAMS', async () => {
    expect(await router.call('job.inspectModel', { model: 'm.onnx' })).toEqual({
      ok: false,
      error: {
        code: 'INVALID_PARAMS',
        message:
          'Give the full path (e.g. /home/you/model.onnx), not "m.onnx": the agent does not know which folder you mean.',
      },
    });
    const nowhere = join(dir.path, 'gone.onnx');
    expect(await router.call('job.inspectModel', { model: nowhere })).toEqual({
      ok: false,
      error: {
        code: 'INVALID_PARAMS',
        message: `No model at ${nowhere}. Check the path; the file must be on the computer Roost runs on.`,
      },
    });
    const cut = await model('cut.onnx', mlpModel().subarray(0, 200));
    const truncated = await router.call('job.inspectModel', { model: cut });
    expect(truncated).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    if (!truncated.ok) {
      expect(truncated.error.message).toMatch(
        /^Roost would refuse .*cut\.onnx: the model is not a valid ONNX file: /,
      );
      expect(truncated.error.message).toMatch(/Check that it is a whole \.onnx file/);
    }
    expect(await router.call('job.inspectModel', { model: '' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PARAMS' },
    });
  });
});
