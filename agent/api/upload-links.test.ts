import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { tempDir } from '../../test/support/temp-dir.ts';
import {
  UPLOAD_IDLE_SECONDS,
  UPLOADS_KEPT_HOURS,
  UploadRefused,
  createUploadLinks,
  uploadNameProblem,
  type UploadLinks,
} from './upload-links.ts';
import { receiveUpload } from './upload-stream.ts';

const GiB = 2 ** 30;
const ticketOf = (link: string) => link.slice('/upload/'.length);

async function refusal(promise: Promise<unknown>): Promise<UploadRefused> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof UploadRefused))
    throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe('upload links', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let now: number;
  let links: UploadLinks;
  beforeEach(async () => {
    dir = await tempDir();
    now = Date.UTC(2026, 10, 27, 12, 0, 0);
    links = createUploadLinks({
      dir: join(dir.path, 'uploads'),
      now: () => now,
      freeBytes: async () => 10 * GiB,
    });
  });
  afterEach(() => dir.remove());

  it('gives files chosen together one new folder, a path each and a link each that works once', async () => {
    const issued = await links.issue([
      { name: 'model.onnx', bytes: 10 },
      { name: 'model.onnx.data', bytes: 20 },
    ]);
    expect(dirname(issued.folder)).toBe(join(dir.path, 'uploads'));
    expect(existsSync(issued.folder)).toBe(true);
    expect(issued.files.map((f) => [f.name, f.path])).toEqual([
      ['model.onnx', join(issued.folder, 'model.onnx')],
      ['model.onnx.data', join(issued.folder, 'model.onnx.data')],
    ]);
    for (const f of issued.files) expect(f.link).toMatch(/^\/upload\/[A-Za-z0-9_-]{43}$/);
    expect(issued.expiresAt).toBe(new Date(now + UPLOAD_IDLE_SECONDS * 1000).toISOString());
    const ticket = ticketOf(issued.files[1]!.link);
    expect(links.take(ticket)).toEqual({
      name: 'model.onnx.data',
      path: join(issued.folder, 'model.onnx.data'),
      bytes: 20,
    });
    expect(links.take(ticket)).toBeUndefined();
    expect(links.take('A'.repeat(43))).toBeUndefined();
    // Another ask: another folder, so same-named files never meet.
    const other = await links.issue([{ name: 'model.onnx', bytes: 10 }]);
    expect(other.folder).not.toBe(issued.folder);
  });

  it('lapses when idle, but stays good while its uploads go on', async () => {
    const issued = await links.issue([
      { name: 'a.npy', bytes: 1 },
      { name: 'b.npy', bytes: 1 },
      { name: 'c.npy', bytes: 1 },
    ]);
    const [a, b, c] = issued.files.map((f) => ticketOf(f.link)) as [string, string, string];
    now += UPLOAD_IDLE_SECONDS * 1000 - 1;
    const first = links.take(a);
    expect(first).toBeDefined();
    // An upload in progress keeps the rest alive however long it takes...
    now += 10 * UPLOAD_IDLE_SECONDS * 1000;
    links.settled(first!);
    // ...and each one that ends gives the next its full wait again.
    now += UPLOAD_IDLE_SECONDS * 1000 - 1;
    const second = links.take(b);
    expect(second).toBeDefined();
    links.settled(second!);
    now += UPLOAD_IDLE_SECONDS * 1000;
    expect(links.take(c)).toBeUndefined();
  });

  it('refuses a bad ask in words, writing nothing', async () => {
    const cases: [Parameters<UploadLinks['issue']>[0], string][] = [
      [[], 'Choose at least one file'],
      [[{ name: '../api-token', bytes: 1 }], 'is not a plain file name'],
      [[{ name: 'a\\b.npy', bytes: 1 }], 'is not a plain file name'],
      [[{ name: '.hidden', bytes: 1 }], 'starts with a dot'],
      [
        [
          { name: 'x.npy', bytes: 1 },
          { name: 'x.npy', bytes: 2 },
        ],
        'Two of the files are named "x.npy"',
      ],
      [
        [{ name: 'huge.npy', bytes: 10 * GiB }],
        'The files are 10 GB, and the disk Roost keeps its data on has 10 GB free.',
      ],
    ];
    for (const [files, words] of cases) {
      const refused = await refusal(links.issue(files));
      expect(refused.message).toContain(words);
    }
    expect((await refusal(links.issue([{ name: 'huge.npy', bytes: 10 * GiB }]))).code).toBe(
      'TOO_LARGE',
    );
    expect(await readdir(join(dir.path, 'uploads')).catch(() => [])).toEqual([]);
  });

  it('checks names as a file system would see them', () => {
    expect(uploadNameProblem('x0.npy')).toBeUndefined();
    expect(uploadNameProblem('my model (v2).onnx')).toBeUndefined();
    expect(uploadNameProblem('')).toBe('a file has no name');
    expect(uploadNameProblem('C:evil')).toContain('not a plain file name');
    expect(uploadNameProblem('tab\there')).toContain('not a plain file name');
    expect(uploadNameProblem('trailing.')).toContain('ends with a dot');
    expect(uploadNameProblem('x'.repeat(256))).toContain('too long');
  });

  it('sweeps folders untouched for a day, unless a waiting job needs them', async () => {
    const uploads = join(dir.path, 'uploads');
    const old = join(uploads, 'old');
    const needed = join(uploads, 'needed');
    const fresh = join(uploads, 'fresh');
    for (const folder of [old, needed, fresh]) {
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, 'x.npy'), 'x');
    }
    const dayAgo = new Date(now - UPLOADS_KEPT_HOURS * 3600_000 - 1000);
    await utimes(old, dayAgo, dayAgo);
    await utimes(needed, dayAgo, dayAgo);
    const asked: string[] = [];
    const removed = await links.sweep((folder) => {
      asked.push(folder);
      return folder === needed;
    });
    expect(removed).toBe(1);
    expect((await readdir(uploads)).sort()).toEqual(['fresh', 'needed']);
    expect(asked.sort()).toEqual([needed, old].sort());
    // A folder being uploaded into right now is never swept, however old it looks.
    const live = await links.issue([{ name: 'a.npy', bytes: 1 }]);
    await utimes(live.folder, dayAgo, dayAgo);
    expect(await links.sweep(() => false)).toBe(1);
    expect(existsSync(live.folder)).toBe(true);
    expect(existsSync(needed)).toBe(false);
  });

  it('sweeps nothing where nothing was ever uploaded', async () => {
    expect(await links.sweep(() => false)).toBe(0);
  });
});

describe('receiving an upload', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(() => dir.remove());

  const chunks = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));

  it('writes exactly the declared bytes into place and says their sha256', async () => {
    const path = join(dir.path, 'x.npy');
    const got = await receiveUpload(chunks('hello ', 'world'), { name: 'x.npy', path, bytes: 11 });
    expect(got).toEqual({
      path,
      bytes: 11,
      sha256: createHash('sha256').update('hello world').digest('hex'),
    });
    expect(await readFile(path, 'utf8')).toBe('hello world');
    expect(await readdir(dir.path)).toEqual(['x.npy']);
  });

  it('refuses more or fewer bytes than declared, leaving nothing behind', async () => {
    const path = join(dir.path, 'x.npy');
    const long = await refusal(
      receiveUpload(chunks('hello ', 'world'), { name: 'x.npy', path, bytes: 8 }),
    );
    expect(long.code).toBe('TOO_LARGE');
    expect(long.message).toContain('bigger than the 8 bytes');
    const short = await refusal(receiveUpload(chunks('hello'), { name: 'x.npy', path, bytes: 8 }));
    expect(short.message).toBe('x.npy came in short: 5 of 8 bytes; choose it again.');
    expect(await readdir(dir.path)).toEqual([]);
  });

  it('leaves nothing when the page goes away midway', async () => {
    const path = join(dir.path, 'x.npy');
    async function* broken() {
      yield Buffer.from('half');
      throw new Error('aborted');
    }
    await expect(receiveUpload(broken(), { name: 'x.npy', path, bytes: 8 })).rejects.toThrow(
      'aborted',
    );
    expect(await readdir(dir.path)).toEqual([]);
  });
});
