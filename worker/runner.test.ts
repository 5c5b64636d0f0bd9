import { describe, expect, it } from 'vitest';
import { checkInput, classifyModelError } from './runner.ts';

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
