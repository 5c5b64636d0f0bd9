import { describe, expect, it } from 'vitest';
import {
  byName,
  folderFromPicker,
  isBatchFile,
  parentOf,
  pathOfFolder,
  pathsOfChosen,
  readDrop,
  withInputFiles,
  type ChosenFolder,
} from './choose-files.ts';

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

/** A file as a folder picker lists it: with its path from the chosen folder. */
function listed(path: string): File {
  const file = new File(['x'], path.split('/').pop() ?? path);
  Object.defineProperty(file, 'webkitRelativePath', { value: path });
  return file;
}

describe('folders', () => {
  it('counts only .npy files directly in the folder, as the agent does', () => {
    expect(['x1.npy', '.x1.npy', 'x1.txt', 'x1.NPY', 'x.npy.part'].filter(isBatchFile)).toEqual([
      'x1.npy',
    ]);
    const folder = folderFromPicker(
      ['scans/x10.npy', 'scans/old/x0.npy', 'scans/notes.txt', 'scans/x2.npy', 'scans/.x3.npy'].map(
        listed,
      ),
    );
    expect(folder?.name).toBe('scans');
    expect(folder?.files.map((f) => f.name)).toEqual(['x2.npy', 'x10.npy']);
    expect(folderFromPicker([])).toBeUndefined();
    // A folder holding only folders: nothing of its own.
    expect(folderFromPicker([listed('scans/old/x0.npy')])?.files).toEqual([]);
  });

  it('finds the folder of a file on Linux, macOS and Windows', () => {
    expect(parentOf('/home/ana/scans/x1.npy')).toBe('/home/ana/scans');
    expect(parentOf('C:\\Users\\ana\\x1.npy')).toBe('C:\\Users\\ana');
    expect(parentOf('/x1.npy')).toBe('/');
    expect(parentOf('C:\\x1.npy')).toBe('C:\\');
  });

  it("reads a dropped folder's listing in parts, keeping its own .npy files", async () => {
    const entry = (name: string, isFile: boolean) => ({
      name,
      isFile,
      isDirectory: !isFile,
      file: (ok: (f: File) => void) => ok(new File(['1'], name)),
    });
    // Chromium lists a folder 100 entries at a time, then an empty part.
    const parts = [
      Array.from({ length: 100 }, (_, k) => entry(`x${k}.npy`, true)),
      [entry('notes.txt', true), entry('old', false), entry('x100.npy', true)],
      [],
    ];
    let reads = 0;
    const folderEntry = {
      name: 'scans',
      isFile: false,
      isDirectory: true,
      createReader: () => ({
        readEntries: (ok: (e: unknown[]) => void) => ok(parts[Math.min(reads++, 2)] ?? []),
      }),
    };
    const loose = new File(['1'], 'extra.npy');
    const self = new File([], 'scans');
    const item = (entry: unknown, file: File) => ({
      kind: 'file',
      webkitGetAsEntry: () => entry,
      getAsFile: () => file,
    });
    const data = {
      items: [item(folderEntry, self), item(entry('extra.npy', true), loose)],
      files: [self, loose],
    } as unknown as DataTransfer;
    const dropped = await readDrop(data);
    expect(reads).toBe(3);
    expect(dropped.files).toEqual([loose]);
    expect(dropped.folders).toHaveLength(1);
    expect(dropped.folders[0]?.name).toBe('scans');
    expect(dropped.folders[0]?.self).toBe(self);
    const names = dropped.folders[0]?.files.map((f) => f.name) ?? [];
    expect(names).toHaveLength(101);
    expect(names.slice(0, 3)).toEqual(['x0.npy', 'x1.npy', 'x2.npy']);
    expect(names.at(-1)).toBe('x100.npy');
    // Files only: the drop's files, as they came.
    const plain = { items: [item(entry('a.npy', true), loose)], files: [loose] };
    expect(await readDrop(plain as unknown as DataTransfer)).toEqual({
      files: [loose],
      folders: [],
    });
  });

  const folder = (files: string[], self?: File): ChosenFolder => ({
    name: 'scans',
    files: files.map((n) => new File(['1'], n)),
    ...(self ? { self } : {}),
  });
  const noCall = () => Promise.reject(new Error('no call expected'));

  it('uses a folder where it is in the desktop app', async () => {
    const self = new File([], 'scans');
    const paths = new Map<File, string>([[self, '/home/ana/scans']]);
    const dropped = folder(['x1.npy'], self);
    const desktop = {
      call: noCall,
      pathOf: (f: File) => paths.get(f) ?? `/home/ana/scans/${f.name}`,
    };
    expect(await pathOfFolder(desktop, dropped)).toEqual({ ok: true, value: '/home/ana/scans' });
    // Chosen with the folder picker: the folder of its files.
    expect(await pathOfFolder(desktop, folder(['x1.npy', 'x2.npy']))).toEqual({
      ok: true,
      value: '/home/ana/scans',
    });
  });

  it("sends a folder's files to Roost from a browser, and says when it holds none", async () => {
    const asked: unknown[] = [];
    const browser = {
      call: (async (_method: string, params: unknown) => {
        asked.push(params);
        return {
          ok: true,
          value: {
            folder: '/u/7',
            files: ['x1.npy', 'x2.npy'].map((name, k) => ({
              name,
              path: `/u/7/${name}`,
              link: `/upload/${String(k).padStart(43, 'T')}`,
            })),
            expiresAt: '',
          },
        };
      }) as never,
      upload: async (_link: string, file: Blob) => ({
        ok: true as const,
        value: { path: `/u/7/${(file as File).name}`, bytes: 1, sha256: '' },
      }),
    };
    expect(await pathOfFolder(browser, folder(['x1.npy', 'x2.npy']))).toEqual({
      ok: true,
      value: '/u/7',
    });
    expect(asked).toEqual([
      {
        files: [
          { name: 'x1.npy', bytes: 1 },
          { name: 'x2.npy', bytes: 1 },
        ],
      },
    ]);
    const empty = await pathOfFolder(browser, folder([]));
    expect(empty.ok).toBe(false);
    if (!empty.ok)
      expect(empty.error.message).toContain(
        'The folder scans holds no .npy files (only the files directly in it count',
      );
    expect(asked).toHaveLength(1);
  });
});
