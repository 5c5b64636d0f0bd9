import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readZip } from '../diagnostics/zip.ts';
import { createDownloadLinks } from './download-links.ts';
import { contentDisposition, linkedDownloadResponse } from './download-stream.ts';
import { fileDownload, zipDownload } from './file-answers.ts';
import { linkOf } from './testing/downloads.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roost-download-stream-'));
  await writeFile(join(dir, 'a.npy'), 'first');
  await writeFile(join(dir, 'empty.json'), '');
  await writeFile(join(dir, 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** What a link hands out, as the app's protocol or the server would get it. */
async function taken(
  download: Promise<Parameters<typeof linkOf>[0]>,
  links = createDownloadLinks(),
) {
  const ticket = linkOf(await download).slice('/download/'.length);
  const got = links.take(ticket);
  if (!got) throw new Error('the link was not issued');
  return got;
}

describe('a download link streamed as a web Response (the desktop app)', () => {
  it('streams a zip of the files, stored, with its exact length and name', async () => {
    const links = createDownloadLinks();
    const download = await taken(
      zipDownload(
        'roost-job-ü.zip',
        [
          { name: 'out/a.npy', path: join(dir, 'a.npy') },
          { name: 'empty.json', path: join(dir, 'empty.json') },
          { name: 'big.bin', path: join(dir, 'big.bin') },
        ],
        'here',
        undefined,
        { as: 'link', links },
      ),
      links,
    );
    const response = await linkedDownloadResponse(download);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toBe(contentDisposition('roost-job-ü.zip'));
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(String(bytes.length)).toBe(response.headers.get('content-length'));
    const entries = readZip(bytes);
    expect(entries.map((e) => [e.name, e.method, e.data.length])).toEqual([
      ['out/a.npy', 0, 5],
      ['empty.json', 0, 0],
      ['big.bin', 0, 3 * 1024 * 1024],
    ]);
    expect(entries[2]?.data.every((b) => b === 7)).toBe(true);
  });

  it('answers 409 with the reason, sending nothing, when a file changed after the link was made', async () => {
    const file = join(dir, 'changing.npy');
    await writeFile(file, 'before');
    const links = createDownloadLinks();
    const download = await taken(
      fileDownload({ name: 'changing.npy', path: file }, 'the job folder', { as: 'link', links }),
      links,
    );
    await writeFile(file, 'after, longer');
    const response = await linkedDownloadResponse(download);
    expect(response.status).toBe(409);
    expect(await response.text()).toBe(
      'changing.npy in the job folder changed or went since the download was asked for. Ask for it again.',
    );
  });

  it('names a file plainly for old clients and exactly for the others', () => {
    expect(contentDisposition('set 1/ç.npy')).toBe(
      `attachment; filename="set_1__.npy"; filename*=UTF-8''set%201%2F%C3%A7.npy`,
    );
  });
});
