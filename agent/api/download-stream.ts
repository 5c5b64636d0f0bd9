/**
 * Sends what a download link hands out (download-links.ts) from disk: one file as it is, or
 * several as a zip of stored entries whose headers were known when the link was issued. Its
 * length is exact and nothing is held in memory, whatever the size. Two ways out, one stream of
 * bytes: the HTTP answer of `roost serve`, and a web Response (the desktop app's `roost://app`
 * protocol).
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

/** Refuses (DownloadChanged) when a file is no longer the plain file of the size it had. */
async function checkUnchanged(download: LinkedDownload): Promise<void> {
  for (const file of download.files) {
    const info = await lstat(file.path).catch(() => undefined);
    if (!info?.isFile() || info.size !== file.size)
      throw new DownloadChanged(
        `${file.name} in ${download.where} changed or went since the download was asked for. Ask for it again.`,
      );
  }
}

/** The download's headers: its type, exact length, and a name to save it under. */
function headersOf(download: LinkedDownload): Record<string, string> {
  return {
    'Content-Type': download.mediaType,
    'Content-Length': String(download.bytes),
    'Content-Disposition': contentDisposition(download.fileName),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  };
}

/** The download's bytes in order: each zip header, each file's bytes as counted, the trailer. */
async function* chunksOf(download: LinkedDownload): AsyncGenerator<Buffer> {
  const zip = download.zip ? storedZip(download.files) : undefined;
  if (zip && zip.length !== download.bytes)
    throw new Error(`the zip's length (${zip.length}) is not the one the link was issued for`);
  for (const [i, file] of download.files.entries()) {
    if (zip) yield zip.headers[i] as Buffer;
    if (file.size === 0) continue;
    // Exactly the bytes counted when the link was issued, even if the file grew since.
    for await (const chunk of createReadStream(file.path, { start: 0, end: file.size - 1 }))
      yield chunk as Buffer;
  }
  if (zip) yield zip.trailer;
}

/**
 * Checks that every file is still the plain file of the size it had (else DownloadChanged, before
 * any byte is sent), then sends the headers and the bytes as the HTTP answer.
 */
export async function sendLinkedDownload(
  res: ServerResponse,
  download: LinkedDownload,
): Promise<void> {
  await checkUnchanged(download);
  res.writeHead(200, headersOf(download));
  for await (const chunk of chunksOf(download)) await write(res, chunk);
  res.end();
}

/** The same as a web Response (200, or 409 with the refusal's words when a file changed). */
export async function linkedDownloadResponse(download: LinkedDownload): Promise<Response> {
  try {
    await checkUnchanged(download);
  } catch (error) {
    if (!(error instanceof DownloadChanged)) throw error;
    return new Response(error.message, {
      status: 409,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
  const chunks = chunksOf(download);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  return new Response(body, { status: 200, headers: headersOf(download) });
}
