import { describe, expect, it } from 'vitest';
import { inputSetsWords, looksLikeFolder, parseInputSets, pathProblem } from './job-paths.ts';

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
  it('counts a folder as its .npy files, paired by name with another folder', () => {
    const chosen = new Map([
      ['/u/1', 12],
      ['/u/2', 12],
      ['/u/3', 10],
    ]);
    expect(inputSetsWords('x=/u/1\nmask=/u/2', takes, chosen)).toBe(
      '12 input sets, one per .npy file in the folders of x and mask, each with every input the model takes.',
    );
    expect(inputSetsWords('x=/u/1', takes, chosen)).toBe(
      '12 input sets, one per .npy file in the folder of x; none has mask.',
    );
    // A file beside a folder goes into every set.
    expect(inputSetsWords('x=/u/1\nmask=/m.npy', takes, chosen)).toBe(
      '12 input sets, one per .npy file in the folder of x, each with every input the model takes.',
    );
    expect(inputSetsWords('x=/u/1\nmask=/u/3', takes, chosen)).toBe(
      'The folders of x and mask hold 12 and 10 .npy files: folders given together are paired by file name, so give each the same files.',
    );
    expect(inputSetsWords('x=/u/1\nx=/b.npy', takes, chosen)).toBe(
      'The folder of x is a whole batch (one input set per .npy file in it): give it as the only set, not beside other sets.',
    );
    // A folder typed by hand: how many files it holds is the agent's to find.
    expect(inputSetsWords('x=/data/scans/', takes)).toBe(
      'A batch: one input set per .npy file in the folder of x; none has mask.',
    );
    expect(inputSetsWords('x=/u/1', undefined, new Map([['/u/1', 1]]))).toBe(
      'One input set, one per .npy file in the folder of x.',
    );
  });
  it('takes a path for a folder when it was chosen as one, ends in a separator, or has no extension', () => {
    expect(looksLikeFolder('/data/scans')).toBe(true);
    expect(looksLikeFolder('/data/scans/')).toBe(true);
    expect(looksLikeFolder('C:\\data\\scans\\')).toBe(true);
    expect(looksLikeFolder('/data/x1.npy')).toBe(false);
    expect(looksLikeFolder('/data/v1.2', new Map([['/data/v1.2', 3]]))).toBe(true);
    expect(looksLikeFolder('/data/v1.2')).toBe(false);
  });
});
