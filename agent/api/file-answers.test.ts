import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readZip } from '../diagnostics/zip.ts';
import { DOWNLOAD_MAX_BYTES } from '../jobs/schema.ts';
import { crc32 } from 'node:zlib';
import { createDownloadLinks } from './download-links.ts';
import { fileDownload, fileNamePart, zipDownload } from './file-answers.ts';
import { ApiFailure } from './errors.ts';
import { contentOf, linkOf } from './testing/downloads.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roost-download-'));
  await writeFile(join(dir, 'a.npy'), 'first');
  await writeFile(join(dir, 'b.json'), '{"b":1}');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function failure(promise: Promise<unknown>): Promise<ApiFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApiFailure))
    throw new Error(`expected an ApiFailure, got ${String(error)}`);
  return error;
}

describe('downloads', () => {
  it('hands one file over as base64 under its name, typed by its extension', async () => {
    const got = await fileDownload({ name: 'set-1/b.json', path: join(dir, 'b.json') }, 'here');
    expect(got).toMatchObject({
      fileName: 'set-1-b.json',
      mediaType: 'application/json',
      bytes: 7,
    });
    expect(contentOf(got).toString()).toBe('{"b":1}');
    const npy = await fileDownload({ name: 'a.npy', path: join(dir, 'a.npy') }, 'here');
    expect(npy.mediaType).toBe('application/octet-stream');
  });

  it('zips several under their names', async () => {
    const got = await zipDownload(
      'all.zip',
      [
        { name: 'out/a.npy', path: join(dir, 'a.npy') },
        { name: 'b.json', path: join(dir, 'b.json') },
      ],
      'here',
    );
    expect(got.fileName).toBe('all.zip');
    const entries = readZip(contentOf(got));
    expect(entries.map((e) => [e.name, e.data.toString()])).toEqual([
      ['out/a.npy', 'first'],
      ['b.json', '{"b":1}'],
    ]);
  });

  it('hands out a link instead where asked, with each file checked once (size, CRC, sha256)', async () => {
    const links = createDownloadLinks();
    const ticketOf = (path: string) => path.slice('/download/'.length);
    const sha = createHash('sha256').update('first').digest('hex');
    const one = await fileDownload(
      { name: 'set-1/a.npy', path: join(dir, 'a.npy'), sha256: `0x${sha}` },
      'here',
      { as: 'link', links },
    );
    expect(one).toMatchObject({ fileName: 'set-1-a.npy', bytes: 5 });
    expect('content' in one).toBe(false);
    expect(links.take(ticketOf(linkOf(one)))).toMatchObject({
      fileName: 'set-1-a.npy',
      zip: false,
      bytes: 5,
      files: [{ name: 'set-1/a.npy', size: 5, crc: crc32(Buffer.from('first')) }],
    });

    const all = await zipDownload(
      'all.zip',
      [
        { name: 'out/a.npy', path: join(dir, 'a.npy') },
        { name: 'b.json', path: join(dir, 'b.json') },
      ],
      'here',
      undefined,
      { as: 'link', links },
    );
    // Two stored entries: their bytes, a local and a central header each, and the end record.
    const headers = 2 * (30 + 46) + 'out/a.npy'.length * 2 + 'b.json'.length * 2 + 22;
    expect(all).toMatchObject({ mediaType: 'application/zip', bytes: 5 + 7 + headers });
    expect(links.take(ticketOf(linkOf(all)))?.zip).toBe(true);

    // A file whose bytes are not the ones its record names: no link.
    const tampered = await failure(
      fileDownload({ name: 'a.npy', path: join(dir, 'a.npy'), sha256: 'ab'.repeat(32) }, 'here', {
        as: 'link',
        links,
      }),
    );
    expect(tampered.code).toBe('JOB_STATE');
    // Where nothing serves links (the desktop app, a one-shot command), asking for one says so.
    const nowhere = await failure(
      fileDownload({ name: 'a.npy', path: join(dir, 'a.npy') }, 'here', { as: 'link' }),
    );
    expect(nowhere.code).toBe('INVALID_PARAMS');
    expect(nowhere.message).toContain('served by roost serve and the desktop app');
  });

  it('refuses a link to a zip past 4 GiB before reading anything', async () => {
    const big = join(dir, 'huge.npy');
    await writeFile(big, '');
    await truncate(big, 2 ** 32);
    const links = createDownloadLinks();
    const refused = await failure(
      zipDownload(
        'all.zip',
        [{ name: 'huge.npy', path: big }],
        `the folder ${dir}`,
        'download one output at a time',
        {
          as: 'link',
          links,
        },
      ),
    );
    expect(refused.code).toBe('TOO_LARGE');
    expect(refused.message).toContain('more than one zip holds (4 GiB, 65 535 files)');
    expect(refused.message).toContain(`the folder ${dir}`);
    expect(refused.message).toContain('or download one output at a time');
  });

  it('refuses more than the page downloads, saying how much and where the files are, without reading them', async () => {
    const big = join(dir, 'big.npy');
    await writeFile(big, '');
    await truncate(big, 3 * DOWNLOAD_MAX_BYTES); // sparse: no disk taken
    const error = await failure(
      zipDownload(
        'x.zip',
        [
          { name: 'big.npy', path: big },
          { name: 'a.npy', path: join(dir, 'a.npy') },
        ],
        "the job's folder /data/jobs/7",
      ),
    );
    expect(error.code).toBe('TOO_LARGE');
    expect(error.message).toContain('That is 192 MB, more than the page downloads at once (64 MB)');
    expect(error.message).toContain(
      "The files are in the job's folder /data/jobs/7 on the machine Roost runs on: copy them from there (scp, a shared folder).",
    );
    const one = await failure(fileDownload({ name: 'big.npy', path: big }, 'the folder /x'));
    expect(one.message).toContain('It is in the folder /x on the machine Roost runs on: copy it');
    const orElse = await failure(
      zipDownload('x.zip', [{ name: 'big.npy', path: big }], 'here', 'download one at a time'),
    );
    expect(orElse.message).toContain('(scp, a shared folder), or download one at a time.');
  });

  it('says which file is gone, and refuses one whose bytes no longer match its hash', async () => {
    const gone = await failure(
      fileDownload({ name: 'out/c.npy', path: join(dir, 'c.npy') }, "the job's folder"),
    );
    expect(gone.code).toBe('NOT_FOUND');
    expect(gone.message).toContain("out/c.npy is not in the job's folder");
    const right = createHash('sha256').update('first').digest('hex');
    await expect(
      fileDownload({ name: 'a.npy', path: join(dir, 'a.npy'), sha256: `0x${right}` }, 'here'),
    ).resolves.toMatchObject({ bytes: 5 });
    const wrong = await failure(
      fileDownload({ name: 'a.npy', path: join(dir, 'a.npy'), sha256: '0'.repeat(64) }, 'here'),
    );
    expect(wrong.code).toBe('JOB_STATE');
  });

  it('does not follow a link: only a plain file is handed out', async () => {
    await symlink(join(dir, 'b.json'), join(dir, 'link.npy'));
    const refused = await failure(
      fileDownload({ name: 'out/link.npy', path: join(dir, 'link.npy') }, 'here'),
    );
    expect(refused.code).toBe('NOT_FOUND');
  });

  it('makes file names from job names', () => {
    expect(fileNamePart('Matmul check (run 2)', 'x')).toBe('Matmul-check-run-2');
    expect(fileNamePart('résumé', 'x')).toBe('resume');
    expect(fileNamePart('../..', 'fallback')).toBe('fallback');
    expect(fileNamePart(undefined, 'abc12345')).toBe('abc12345');
  });
});
