import { describe, expect, it } from 'vitest';
import { inputSetsWords, parseInputSets, pathProblem } from './job-paths.ts';

describe('parseInputSets', () => {
  it('reads one set, skipping blank lines and spaces around the names and paths', () => {
    expect(parseInputSets(' x = /data/x.npy \n\n  mask=/data/m.npy\n')).toEqual({
      ok: true,
      sets: [{ x: '/data/x.npy', mask: '/data/m.npy' }],
    });
    expect(parseInputSets('')).toEqual({ ok: true, sets: [] });
  });

  it('starts the next set when a name comes again', () => {
    expect(
      parseInputSets('x=/b/x0.npy\nmask=/b/m0.npy\nx=/b/x1.npy\nmask=/b/m1.npy\nx=/b/x2.npy'),
    ).toEqual({
      ok: true,
      sets: [
        { x: '/b/x0.npy', mask: '/b/m0.npy' },
        { x: '/b/x1.npy', mask: '/b/m1.npy' },
        { x: '/b/x2.npy' },
      ],
    });
  });

  it('takes any tensor name as a name, even one every object has', () => {
    expect(parseInputSets('constructor=/a.npy\nx=/b.npy\n__proto__=/c.npy')).toEqual({
      ok: true,
      sets: [
        Object.fromEntries([
          ['constructor', '/a.npy'],
          ['x', '/b.npy'],
          ['__proto__', '/c.npy'],
        ]),
      ],
    });
  });

  it('says which line is not name=path', () => {
    expect(parseInputSets('x=/a.npy\n/data/b.npy')).toEqual({
      ok: false,
      problem: 'Write each input as name=/path/to/file.npy (got "/data/b.npy").',
    });
    expect(parseInputSets('=/a.npy')).toMatchObject({ ok: false });
  });
});

describe('pathProblem', () => {
  it('takes full paths and says why a relative one is no good', () => {
    expect(pathProblem('/data/x.npy')).toBeUndefined();
    expect(pathProblem('C:\\data\\x.npy')).toBeUndefined();
    expect(pathProblem('x.npy')).toContain('Give the full path');
  });
});

describe('inputSetsWords', () => {
  const takes = [
    { name: 'x', isTensor: true },
    { name: 'mask', isTensor: true },
    { name: 'state', isTensor: false },
  ];
  it('counts the sets, and says they fit the model', () => {
    expect(inputSetsWords('')).toBeUndefined();
    expect(inputSetsWords('no equals sign')).toBeUndefined();
    expect(inputSetsWords('x=/a.npy')).toBe('One input set.');
    expect(inputSetsWords('x=/a.npy\nmask=/m.npy\nx=/b.npy\nmask=/n.npy', takes)).toBe(
      '2 input sets, each with every input the model takes.',
    );
  });
  it('says which set lacks which input, and a name the model does not take', () => {
    expect(inputSetsWords('x=/a.npy\nx=/b.npy\nx=/c.npy\nmask=/m.npy', takes)).toBe(
      '3 input sets; set 1 has no mask, set 2 has no mask.',
    );
    const many = Array.from({ length: 6 }, (_, k) => `x=/x${k}.npy`).join('\n');
    expect(inputSetsWords(many, takes)).toBe(
      '6 input sets; set 0 has no mask, set 1 has no mask, set 2 has no mask, 3 more.',
    );
    expect(inputSetsWords('x=/a.npy\nmsk=/m.npy\nz=/z.npy', takes)).toBe(
      'One input set, but the model has no input "msk" or "z".',
    );
  });
});
