/**
 * Saves what the agent handed over as a file, through the browser's download (the desktop app's
 * window asks where to save it). One place for the page's downloads: reports, the earnings CSV,
 * the wallet backup, a job's outputs (by a one-use link the agent hands out, any size).
 */
import type { ResultOf } from '../../agent/api/contract.ts';
import type { ApiClient } from './api/transport.ts';

/** Bytes, or text as UTF-8, saved under `fileName`. */
export function saveBytes(fileName: string, data: Uint8Array | string, mediaType: string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: mediaType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  URL.revokeObjectURL(url);
}

/** Base64 (how the agent hands binary files over) to bytes. */
export function fromBase64(content: string): Uint8Array {
  return Uint8Array.from(atob(content), (c) => c.charCodeAt(0));
}

/** A download answer of the agent: its bytes, or a one-use link to them. */
export type DownloadAnswer = ResultOf<'job.download'>;

/**
 * How the page asks for a download: as a link where it can follow one (the dashboard of `roost
 * serve`, and the desktop app on its own origin: streamed from disk, any size, with the browser's
 * own progress), else with the bytes in the answer.
 */
export function downloadAs(client: Pick<ApiClient, 'linkUrl'>): { as?: 'link' } {
  return client.linkUrl ? { as: 'link' } : {};
}

/** A download answer of the agent (job.download, market.postedJobResults, …), saved. */
export function saveDownload(client: Pick<ApiClient, 'linkUrl'>, download: DownloadAnswer): void {
  if ('content' in download) {
    saveBytes(download.fileName, fromBase64(download.content), download.mediaType);
    return;
  }
  if (!client.linkUrl) throw new Error('a download link came to a page that cannot follow one');
  const a = document.createElement('a');
  a.href = client.linkUrl(download.link);
  a.download = download.fileName;
  a.click();
}
