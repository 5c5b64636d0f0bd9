import { describe, expect, it } from 'vitest';
import { parseInputSets, pathProblem } from './job-paths.ts';

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
