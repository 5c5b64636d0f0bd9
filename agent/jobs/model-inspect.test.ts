import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeModel,
  externalDataModel,
  maskedModel,
  mlpModel,
  valueInfo,
} from '../../test/fixtures/jobs/models.ts';
import { tempDir } from '../../test/support/temp-dir.ts';
import { inspectModel } from './model-inspect.ts';
import type { InspectLimits } from './model-inspect.ts';

const limits: InspectLimits = { maxModelBytes: 1e9, maxInputBytes: 1e9, maxOutputBytes: 1e9 };

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir('roost-inspect-');
});
afterEach(async () => {
  await dir.remove();
});

async function file(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir.path, name);
  await writeFile(path, bytes);
  return path;
}

describe('inspecting a model file', () => {
  it('says its inputs and outputs, dtypes and shapes, opsets, size and node count', async () => {
    const bytes = maskedModel([1, 3, 4, 4]);
    const path = await file('m.onnx', bytes);
    expect(await inspectModel(path, limits)).toEqual({
      ok: true,
      value: {
        model: path,
        bytes: bytes.length,
        inputs: [
          { name: 'x', dtype: 'float32', shape: [1, 3, 4, 4], isTensor: true },
          { name: 'mask', dtype: 'int64', shape: ['batch', 128], isTensor: true },
        ],
        outputs: [{ name: 'y', dtype: 'float32', shape: [1, 48], isTensor: true }],
        opsets: [{ domain: '', version: 17 }],
        externalFiles: [],
        nodeCount: 4,
      },
    });
  });

  it('leaves initializers out of the inputs and names a symbolic batch dimension', async () => {
    const path = await file('mlp.onnx', mlpModel());
    const r = await inspectModel(path, limits);
    expect(r).toMatchObject({
      ok: true,
      value: {
        inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 64] }],
        outputs: [
          { name: 'probs', shape: ['N', 10] },
          { name: 'logits', shape: ['N', 10] },
        ],
      },
    });
  });

  it('takes external data from beside the model, and says which file is missing', async () => {
    const { model, weights } = externalDataModel('w.bin');
    const path = await file('ext.onnx', model);
    const missing = await inspectModel(path, limits);
    expect(missing).toEqual({
      ok: false,
      error: {
        code: 'invalid-spec',
        message: `The model keeps weights in "w.bin", which must sit beside it, but there is no file at ${join(dir.path, 'w.bin')}. Put w.bin in ${dir.path}, the model's folder, and try again.`,
      },
    });
    await file('w.bin', weights);
    expect(await inspectModel(path, limits)).toMatchObject({
      ok: true,
      value: { externalFiles: ['w.bin'], inputs: [{ name: 'x', shape: ['N', 8] }] },
    });
    // Weights cut short are the model's fault, said as such.
    await file('w.bin', weights.subarray(0, 16));
    const short = await inspectModel(path, limits);
    expect(short).toMatchObject({ ok: false, error: { code: 'model-invalid' } });
    if (!short.ok)
      expect(short.error.message).toBe(
        `Roost would refuse ${path}: initializer "w" reads bytes 0–128 of "w.bin", which has 16. Check that it and w.bin are whole (not cut short by a download or a copy), or export it again.`,
      );
  });

  it('refuses a relative path, a missing file and a folder, saying what to give', async () => {
    expect(await inspectModel('models/m.onnx', limits)).toEqual({
      ok: false,
      error: {
        code: 'invalid-spec',
        message:
          'Give the full path (e.g. /home/you/model.onnx), not "models/m.onnx": the agent does not know which folder you mean.',
      },
    });
    const nowhere = join(dir.path, 'nope.onnx');
    expect(await inspectModel(nowhere, limits)).toEqual({
      ok: false,
      error: {
        code: 'invalid-spec',
        message: `No model at ${nowhere}. Check the path; the file must be on the computer Roost runs on.`,
      },
    });
    await mkdir(join(dir.path, 'folder.onnx'));
    const folder = await inspectModel(join(dir.path, 'folder.onnx'), limits);
    expect(folder).toMatchObject({ ok: false, error: { code: 'invalid-spec' } });
    if (!folder.ok) expect(folder.error.message).toContain('is a folder; give the path');
  });

  it('refuses a truncated model, a custom operator and a model over the limit, saying why', async () => {
    const cut = await file('cut.onnx', mlpModel().subarray(0, 200));
    const truncated = await inspectModel(cut, limits);
    expect(truncated).toMatchObject({ ok: false, error: { code: 'model-invalid' } });
    if (!truncated.ok)
      expect(truncated.error.message).toMatch(
        new RegExp(
          `^Roost would refuse ${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the model is not a valid ONNX file: .+ Check that it is a whole \\.onnx file`,
        ),
      );

    const evil = await file(
      'evil.onnx',
      encodeModel({
        nodes: [{ opType: 'Evil', domain: 'com.evil', input: ['x'], output: ['y'] }],
        inputs: [valueInfo('x', 'float32', [2])],
        outputs: [valueInfo('y', 'float32', [2])],
        opsetImports: [
          { domain: '', version: 17 },
          { domain: 'com.evil', version: 1 },
        ],
      }),
    );
    const custom = await inspectModel(evil, limits);
    expect(custom).toMatchObject({ ok: false, error: { code: 'model-unsupported' } });
    if (!custom.ok)
      expect(custom.error.message).toContain(
        'the model uses the custom operator "Evil" from the domain "com.evil"; Roost runs only the operators built into onnxruntime. Export it again',
      );

    const big = await file('big.onnx', mlpModel());
    const over = await inspectModel(big, { ...limits, maxModelBytes: 1000 });
    expect(over).toMatchObject({ ok: false, error: { code: 'too-large' } });
    if (!over.ok) expect(over.error.message).toMatch(/over the 1000 bytes a job may have/);
  });
});
