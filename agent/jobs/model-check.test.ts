import { describe, expect, it } from 'vitest';
import {
  ELEM,
  encodeModel,
  externalDataModel,
  floatInitializer,
  mlpModel,
  onnx,
  valueInfo,
} from '../../test/fixtures/jobs/models.ts';
import { checkModelBytes } from './model-check.ts';
import type { ModelCheckOptions } from './model-check.ts';

const options: ModelCheckOptions = {
  maxModelBytes: 1e9,
  modelDir: '/jobs/j/in/model',
  externalData: new Map([['w.bin', 128]]),
};
const limits = { maxInputBytes: 1e6, maxOutputBytes: 1e6 };
const check = (bytes: Uint8Array, o: Partial<ModelCheckOptions> = {}) =>
  checkModelBytes(bytes, { ...options, ...o }, limits);

const x = valueInfo('x', 'float32', [2]);
const y = valueInfo('y', 'float32', [2]);
const relu = { opType: 'Relu', input: ['x'], output: ['y'] };

function withExternal(location: string, extra: { offset?: string; length?: string } = {}) {
  return encodeModel({
    nodes: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
    inputs: [x],
    outputs: [y],
    initializers: [
      {
        name: 'w',
        dataType: ELEM.float32,
        dims: [2],
        dataLocation: 1,
        externalData: [
          { key: 'location', value: location },
          ...(extra.offset ? [{ key: 'offset', value: extra.offset }] : []),
          { key: 'length', value: extra.length ?? '8' },
        ],
      },
    ],
  });
}

describe('model checks', () => {
  it('learns the inputs and outputs of a good model', () => {
    const result = check(mlpModel());
    expect(result).toMatchObject({
      ok: true,
      value: {
        inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 64] }],
        outputs: [{ name: 'probs' }, { name: 'logits' }],
        nodeCount: 4,
      },
    });
  });

  it('accepts external data the spec declares, inside the model folder', () => {
    const { model, weights } = externalDataModel('w.bin');
    expect(check(model, { externalData: new Map([['w.bin', weights.length]]) })).toMatchObject({
      ok: true,
      value: { externalFiles: ['w.bin'] },
    });
  });

  it.each<[string, Uint8Array, string, RegExp]>([
    ['an empty file', new Uint8Array(0), 'model-invalid', /empty/],
    [
      'random bytes',
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]),
      'model-invalid',
      /not a valid ONNX/,
    ],
    ['a truncated model', mlpModel().subarray(0, 200), 'model-invalid', /not a valid ONNX/],
    [
      'no IR version',
      encodeModel({ nodes: [relu], inputs: [x], outputs: [y], irVersion: 0 }),
      'model-invalid',
      /IR version/,
    ],
    [
      'a future IR version',
      encodeModel({ nodes: [relu], inputs: [x], outputs: [y], irVersion: 99 }),
      'model-unsupported',
      /IR version 99/,
    ],
    [
      'a custom-op domain',
      encodeModel({
        nodes: [{ opType: 'Evil', domain: 'com.evil', input: ['x'], output: ['y'] }],
        inputs: [x],
        outputs: [y],
        opsetImports: [
          { domain: '', version: 17 },
          { domain: 'com.evil', version: 1 },
        ],
      }),
      'model-unsupported',
      /custom operator "Evil" from the domain "com.evil"/,
    ],
    [
      'a custom op without its domain imported',
      encodeModel({
        nodes: [{ opType: 'Evil', domain: 'com.evil', input: ['x'], output: ['y'] }],
        inputs: [x],
        outputs: [y],
      }),
      'model-unsupported',
      /custom operator "Evil"/,
    ],
    [
      'opset 999',
      encodeModel({ nodes: [relu], inputs: [x], outputs: [y], opset: 999 }),
      'model-unsupported',
      /opset 999/,
    ],
    [
      'a cycle',
      encodeModel({
        nodes: [
          { opType: 'Add', input: ['x', 'b'], output: ['a'] },
          { opType: 'Relu', input: ['a'], output: ['b'] },
          { opType: 'Identity', input: ['a'], output: ['y'] },
        ],
        inputs: [x],
        outputs: [y],
      }),
      'model-invalid',
      /cycle/,
    ],
    [
      'a value nothing computes',
      encodeModel({
        nodes: [{ opType: 'Add', input: ['x', 'ghost'], output: ['y'] }],
        inputs: [x],
        outputs: [y],
      }),
      'model-invalid',
      /"ghost", which nothing/,
    ],
    [
      'a value computed twice',
      encodeModel({
        nodes: [relu, { opType: 'Neg', input: ['x'], output: ['y'] }],
        inputs: [x],
        outputs: [y],
      }),
      'model-invalid',
      /twice/,
    ],
    [
      'a negative input dimension',
      encodeModel({ nodes: [relu], inputs: [valueInfo('x', 'float32', [-3])], outputs: [y] }),
      'model-invalid',
      /dimension -3/,
    ],
    [
      'an absurd input dimension',
      encodeModel({ nodes: [relu], inputs: [valueInfo('x', 'float32', [2 ** 50])], outputs: [y] }),
      'model-invalid',
      /absurd/,
    ],
    [
      'an output declared over the output limit',
      encodeModel({
        nodes: [relu],
        inputs: [x],
        outputs: [valueInfo('y', 'float32', [1000, 1000])],
      }),
      'output-too-large',
      /output limit/,
    ],
    [
      'an initializer with the wrong number of bytes',
      encodeModel({
        nodes: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
        inputs: [x],
        outputs: [y],
        initializers: [{ ...floatInitializer('w', [2], new Float32Array(2)), dims: [3] }],
      }),
      'model-invalid',
      /holds 8 bytes/,
    ],
    [
      'an initializer with a huge declared size',
      encodeModel({
        nodes: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
        inputs: [x],
        outputs: [y],
        initializers: [{ name: 'w', dataType: 1, dims: [2 ** 30, 2 ** 30] }],
      }),
      'model-invalid',
      /absurd/,
    ],
    [
      'an initializer with no data at all',
      encodeModel({
        nodes: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
        inputs: [x],
        outputs: [y],
        initializers: [{ name: 'w', dataType: 1, dims: [2] }],
      }),
      'model-invalid',
      /holds no data/,
    ],
    [
      'external data with ".."',
      withExternal('../../../etc/passwd'),
      'model-invalid',
      /leaves the model folder/,
    ],
    ['external data by absolute path', withExternal('/etc/passwd'), 'model-invalid', /absolute/],
    [
      'external data by Windows path',
      withExternal('C:\\Windows\\win.ini'),
      'model-invalid',
      /absolute/,
    ],
    [
      'external data not in the spec',
      withExternal('other.bin'),
      'model-invalid',
      /does not provide/,
    ],
    [
      'external data past its file',
      withExternal('w.bin', { offset: '124', length: '8' }),
      'model-invalid',
      /reads bytes 124/,
    ],
    [
      'external data of the wrong length',
      withExternal('w.bin', { length: '12' }),
      'model-invalid',
      /12 bytes of external data/,
    ],
  ])('refuses %s', (_what, bytes, code, reason) => {
    const result = check(bytes);
    expect(result).toMatchObject({ ok: false, error: { code } });
    if (!result.ok) expect(result.error.message).toMatch(reason);
  });

  it('refuses deeply nested subgraphs without blowing the stack', () => {
    let graph: unknown = { name: 'leaf', node: [], output: [] };
    for (let i = 0; i < 40; i++) {
      graph = {
        name: `g${i}`,
        node: [
          {
            opType: 'If',
            input: ['c'],
            output: [`o${i}`],
            attribute: [{ name: 'then_branch', type: 5, g: graph }],
          },
        ],
      };
    }
    const bytes = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph: {
          name: 'main',
          node: [
            {
              opType: 'If',
              input: ['x'],
              output: ['y'],
              attribute: [{ name: 'then_branch', type: 5, g: graph as never }],
            },
          ],
          input: [valueInfo('x', 'bool', [])],
          output: [y],
        },
      }),
    ).finish();
    expect(check(bytes)).toMatchObject({ ok: false, error: { code: 'model-invalid' } });
  });

  it('refuses a model over the size cap', async () => {
    const { checkModel } = await import('./model-check.ts');
    const result = await checkModel('/nonexistent/model.onnx', options, limits);
    expect(result).toMatchObject({ ok: false, error: { code: 'io-error' } });
  });
});
