import { describe, expect, it } from 'vitest';
import { listWords, sentence } from './words.ts';

describe('words for people', () => {
  it('make sentences and lists', () => {
    expect(sentence('no wallet yet')).toBe('No wallet yet.');
    expect(sentence('Done!')).toBe('Done!');
    expect(listWords(['a', 'b', 'c'])).toBe('a, b and c');
    expect(listWords(['CUDA', 'WebGPU'], 'or')).toBe('CUDA or WebGPU');
  });
});
