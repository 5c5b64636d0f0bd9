/**
 * Files the agent hands to the page: one file or several in a zip for saving (downloads), and an
 * output .npy at a glance (previews). A page opened from another machine (the dashboard of
 * `roost serve` through a tunnel) has no other way to the outputs of a job, so each method that
 * offers files answers with their bytes (base64) up to DOWNLOAD_MAX_BYTES, and beyond that says
 * where the files are on the machine Roost runs on. Asked for a link instead (`as: 'link'`, the
 * dashboard of `roost serve` and the desktop app), it checks the files and hands out a one-use
 * link that streams them at any size (download-links.ts, download-stream.ts).
 *
 * Only files the caller names from its own records are read (a receipt's outputs, a verdict's
 * files), never through a link: a path never comes from the request.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { crc32 } from 'node:zlib';
import { createZip, storedZip } from '../diagnostics/zip.ts';
import { previewNpy } from '../jobs/output-preview.ts';
import {
  DOWNLOAD_MAX_BYTES,
  diskWords,
  type Download,
  type OutputPreview,
} from '../jobs/schema.ts';
import type { CheckedFile, DownloadLinks } from './download-links.ts';
import { ApiFailure } from './errors.ts';

export interface DownloadEntry {
  /** The name inside the zip, or the file's name when it is the only one: `out/c.npy`. */
  name: string;
  path: string;
  /** When known: the file is refused if its bytes no longer hash to it. */
  sha256?: string;
}

const MEDIA_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.zip': 'application/zip',
  '.txt': 'text/plain',
};

function mediaTypeOf(name: string): string {
  return MEDIA_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The entries' sizes, refusing a missing file (NOT_FOUND) and a total past the cap (TOO_LARGE),
 * each naming `where` the files are.
 */
async function sizes(
  entries: readonly DownloadEntry[],
  where: string,
  orElse?: string,
): Promise<number> {
  let total = 0;
  for (const entry of entries) total += (await plainFile(entry, where)).size;
  if (total > DOWNLOAD_MAX_BYTES)
    throw new ApiFailure(
      'TOO_LARGE',
      `That is ${diskWords(total)}, more than the page downloads at once (${diskWords(DOWNLOAD_MAX_BYTES)}). ${entries.length === 1 ? 'It is' : 'The files are'} in ${where} on the machine Roost runs on: copy ${entries.length === 1 ? 'it' : 'them'} from there (scp, a shared folder)${orElse ? `, or ${orElse}` : ''}.`,
    );
  return total;
}

function notThere(entry: DownloadEntry, where: string): ApiFailure {
  return new ApiFailure(
    'NOT_FOUND',
    `${entry.name} is not in ${where}: it was removed or moved since it was written.`,
  );
}

/** Refuses an entry whose bytes no longer hash to the sha256 its record names. */
function checkHash(entry: DownloadEntry, where: string, digest: string): void {
  if (entry.sha256 !== undefined && digest !== entry.sha256.replace(/^0x/, '').toLowerCase())
    throw new ApiFailure(
      'JOB_STATE',
      `${entry.name} in ${where} changed since the job wrote it (its sha256 is not the one its result names), so Roost does not hand it out as the job's output.`,
    );
}

async function bytesOf(entry: DownloadEntry, where: string): Promise<Buffer> {
  const bytes = await readFile(entry.path);
  if (entry.sha256 !== undefined)
    checkHash(entry, where, createHash('sha256').update(bytes).digest('hex'));
  return bytes;
}

/** How the caller takes a download: its bytes in the answer, or a link to stream it from. */
export interface DownloadAsk {
  /** `link`: a one-use link (the dashboard of `roost serve`); default: the bytes, base64. */
  as?: 'content' | 'link' | undefined;
  /** The host's download links; absent where nothing serves them (the app, a one-shot command). */
  links?: DownloadLinks | undefined;
}

/** An entry that is still a plain file (a link is not followed), with its size and time. */
async function plainFile(
  entry: DownloadEntry,
  where: string,
): Promise<{ size: number; modifiedAt: Date }> {
  try {
    const info = await lstat(entry.path);
    if (!info.isFile()) throw new Error('not a plain file');
    return { size: info.size, modifiedAt: info.mtime };
  } catch {
    throw notThere(entry, where);
  }
}

/** Reads an entry of `size` bytes once: its CRC-32, and its sha256 checked against its record. */
async function crcChecked(entry: DownloadEntry, where: string, size: number): Promise<number> {
  const hash = createHash('sha256');
  let crc = 0;
  let read = 0;
  if (size > 0)
    for await (const chunk of createReadStream(entry.path, { start: 0, end: size - 1 })) {
      const bytes = chunk as Buffer;
      crc = crc32(bytes, crc);
      hash.update(bytes);
      read += bytes.length;
    }
  if (read !== size) throw notThere(entry, where);
  checkHash(entry, where, hash.digest('hex'));
  return crc;
}

/**
 * A one-use link to `entries` (in a zip with `zip`), from the host's links: what a zip can't hold
 * is refused before any file is read; then each file is read once (CRC-32, sha256).
 */
async function linkTo(
  ask: DownloadAsk,
  fileName: string,
  entries: readonly DownloadEntry[],
  where: string,
  zip: boolean,
  orElse?: string,
): Promise<Download> {
  if (!ask.links)
    throw new ApiFailure(
      'INVALID_PARAMS',
      'Download links are served by roost serve and the desktop app; here the file comes in the answer itself (leave out "as").',
    );
  const files: CheckedFile[] = [];
  for (const entry of entries)
    files.push({ name: entry.name, path: entry.path, crc: 0, ...(await plainFile(entry, where)) });
  let bytes = files.reduce((sum, f) => sum + f.size, 0);
  if (zip) {
    try {
      bytes = storedZip(files).length;
    } catch {
      throw new ApiFailure(
        'TOO_LARGE',
        `That is ${diskWords(bytes)} in ${files.length} files, more than one zip holds (4 GiB, 65 535 files). The files are in ${where} on the machine Roost runs on: copy them from there (scp, a shared folder)${orElse ? `, or ${orElse}` : ''}.`,
      );
    }
  }
  for (const [i, file] of files.entries())
    file.crc = await crcChecked(entries[i] as DownloadEntry, where, file.size);
  const mediaType = zip ? 'application/zip' : mediaTypeOf(fileName);
  const { path, expiresAt } = ask.links.issue({ fileName, mediaType, files, zip, bytes, where });
  return { fileName, mediaType, bytes, link: path, expiresAt };
}

/** One file as it is, saved as its `name` (a `/` in it becomes `-`). */
export async function fileDownload(
  entry: DownloadEntry,
  where: string,
  ask: DownloadAsk = {},
): Promise<Download> {
  if (ask.as === 'link') return linkTo(ask, entry.name.replaceAll('/', '-'), [entry], where, false);
  await sizes([entry], where);
  const bytes = await bytesOf(entry, where);
  const fileName = entry.name.replaceAll('/', '-');
  return {
    fileName,
    mediaType: mediaTypeOf(fileName),
    bytes: bytes.length,
    content: bytes.toString('base64'),
  };
}

/**
 * Several files in one zip named `fileName`; `orElse` is what else the page offers when they are
 * too many bytes together ("download one output at a time").
 */
export async function zipDownload(
  fileName: string,
  entries: readonly DownloadEntry[],
  where: string,
  orElse?: string,
  ask: DownloadAsk = {},
): Promise<Download> {
  if (ask.as === 'link') return linkTo(ask, fileName, entries, where, true, orElse);
  await sizes(entries, where, orElse);
  const files = [];
  for (const entry of entries) files.push({ name: entry.name, data: await bytesOf(entry, where) });
  // .npy outputs of floats hardly shrink: a light level keeps a large zip quick.
  const zip = createZip(files, { level: 1 });
  return {
    fileName,
    mediaType: 'application/zip',
    bytes: zip.length,
    content: zip.toString('base64'),
  };
}

/** A name for a saved file from a job's name: letters, digits, dots, dashes; else `fallback`. */
export function fileNamePart(name: string | null | undefined, fallback: string): string {
  const cleaned = (name ?? '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60);
  return cleaned === '' ? fallback : cleaned;
}

/** The most of an output a preview reads. */
export const PREVIEW_MAX_BYTES = 4 * DOWNLOAD_MAX_BYTES;

/**
 * An output file at a glance (job.outputPreview, market.postedJobOutputPreview): a plain file
 * (no link), up to PREVIEW_MAX_BYTES, that is a .npy Roost reads.
 */
export async function previewFile(
  file: string,
  path: string,
  where: string,
): Promise<OutputPreview> {
  let bytes: Buffer;
  try {
    const info = await lstat(path);
    if (!info.isFile()) throw new Error('not a plain file');
    if (info.size > PREVIEW_MAX_BYTES)
      throw new ApiFailure(
        'TOO_LARGE',
        `${file} is ${diskWords(info.size)}; the preview reads up to ${diskWords(PREVIEW_MAX_BYTES)}. Download it, or open it with numpy where it is (${where}).`,
      );
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof ApiFailure) throw error;
    throw new ApiFailure(
      'NOT_FOUND',
      `${file} is not in ${where}: it was removed or moved since it was written.`,
    );
  }
  const preview = previewNpy(file, bytes);
  if (!preview.ok)
    throw new ApiFailure(
      'JOB_STATE',
      `${file} in ${where} is not a .npy file Roost reads: ${preview.error}.`,
    );
  return preview.value;
}
