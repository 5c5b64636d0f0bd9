import { describe, expect, it } from 'vitest';
import { byName, pathsOfChosen, withInputFiles } from './choose-files.ts';

describe('withInputFiles', () => {
  it("replaces the input's lines with the chosen files, keeping every other line", () => {
    expect(
      withInputFiles('x=/old/a.npy\n\n  mask = /m.npy\nx=/old/b.npy\nnot a line', 'x', [
        '/new/1.npy',
        '/new/2.npy',
      ]),
    ).toBe('  mask = /m.npy\nnot a line\nx=/new/1.npy\nx=/new/2.npy');
    // Another input whose name starts the same is another input.
    expect(withInputFiles('xs=/a.npy', 'x', ['/b.npy'])).toBe('xs=/a.npy\nx=/b.npy');
    expect(withInputFiles('', 'x', ['/b.npy'])).toBe('x=/b.npy');
  });
});

describe('byName', () => {
  it('orders a batch as people number it', () => {
    const files = ['x10.npy', 'X2.npy', 'x1.npy'].map((n) => new File([], n));
    expect(byName(files).map((f) => f.name)).toEqual(['x1.npy', 'X2.npy', 'x10.npy']);
  });
});

describe('pathsOfChosen', () => {
  it('refuses where the page can neither know paths nor send files', async () => {
    const r = await pathsOfChosen({ call: () => Promise.reject(new Error('no call expected')) }, [
      new File([], 'x.npy'),
    ]);
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'INVALID_PARAMS',
        message: 'This page cannot take files; type their paths on the computer Roost runs on.',
      },
    });
  });

  it('stops at the first file Roost refuses, saying so', async () => {
    const sent: string[] = [];
    const r = await pathsOfChosen(
      {
        call: (async () => ({
          ok: true,
          value: {
            folder: '/u/1',
            files: ['a.npy', 'b.npy', 'c.npy'].map((name, k) => ({
              name,
              path: `/u/1/${name}`,
              link: `/upload/${String(k).padStart(43, 'T')}`,
            })),
            expiresAt: '',
          },
        })) as never,
        upload: async (_link, file) => {
          sent.push((file as File).name);
          return (file as File).name === 'b.npy'
            ? { ok: false, error: { code: 'TOO_LARGE', message: 'b.npy is bigger than said' } }
            : { ok: true, value: { path: `/u/1/${(file as File).name}`, bytes: 0, sha256: '' } };
        },
      },
      ['a.npy', 'b.npy', 'c.npy'].map((n) => new File([], n)),
    );
    expect(r).toEqual({
      ok: false,
      error: { code: 'TOO_LARGE', message: 'b.npy is bigger than said' },
    });
    expect(sent).toEqual(['a.npy', 'b.npy']);
  });
});
