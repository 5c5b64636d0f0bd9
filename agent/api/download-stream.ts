/**
 * Sends what a download link hands out (download-links.ts) as the HTTP answer, from disk: one file
 * as it is, or several as a zip of stored entries whose headers were known when the link was
 * issued. Its length is exact and nothing is held in memory, whatever the size.
 */
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { storedZip } from '../diagnostics/zip.ts';
import type { LinkedDownload } from './download-links.ts';

/** A link's files changed or went since it was issued: nothing was sent. */
export class DownloadChanged extends Error {}

/** `attachment` with the name as it is (RFC 6266) and a plain fallback for old clients. */
export function contentDisposition(fileName: string): string {
  const plain = fileName.replace(/[^A-Za-z0-9._-]/g, '_');
  return `attachment; filename="${plain}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Writes, waiting while the socket's buffer is full; rejects once the other side has gone. */
function write(res: ServerResponse, chunk: Buffer | Uint8Array): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error('the download was closed by the browser'));
  if (res.write(chunk)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const drained = () => {
      off();
      resolve();
    };
    const closed = () => {
      off();
      reject(new Error('the download was closed by the browser'));
    };
    const off = () => {
      res.off('drain', drained);
      res.off('close', closed);
    };
    res.on('drain', drained);
    res.on('close', closed);
  });
}

/**
 * Checks that every file is still the plain file of the size it had (else DownloadChanged, before
 * any byte is sent), then sends the headers and the bytes.
 */
export async function sendLinkedDownload(
  res: ServerResponse,
  download: LinkedDownload,
): Promise<void> {
  for (const file of download.files) {
    const info = await lstat(file.path).catch(() => undefined);
    if (!info?.isFile() || info.size !== file.size)
      throw new DownloadChanged(
        `${file.name} in ${download.where} changed or went since the download was asked for. Ask for it again.`,
      );
  }
  const zip = download.zip ? storedZip(download.files) : undefined;
  if (zip && zip.length !== download.bytes)
    throw new Error(`the zip's length (${zip.length}) is not the one the link was issued for`);
  res.writeHead(200, {
    'Content-Type': download.mediaType,
    'Content-Length': String(download.bytes),
    'Content-Disposition': contentDisposition(download.fileName),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  for (const [i, file] of download.files.entries()) {
    if (zip) await write(res, zip.headers[i] as Buffer);
    if (file.size === 0) continue;
    // Exactly the bytes counted when the link was issued, even if the file grew since.
    for await (const chunk of createReadStream(file.path, { start: 0, end: file.size - 1 }))
      await write(res, chunk as Buffer);
  }
  if (zip) await write(res, zip.trailer);
  res.end();
}
