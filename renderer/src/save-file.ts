/**
 * Saves what the agent handed over as a file, through the browser's download (the desktop app's
 * window asks where to save it). One place for the page's downloads: reports, the earnings CSV,
 * the wallet backup, a job's outputs.
 */

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

/** A download answer of the agent (job.download, market.postedJobResults), saved. */
export function saveDownload(download: {
  fileName: string;
  mediaType: string;
  content: string;
}): void {
  saveBytes(download.fileName, fromBase64(download.content), download.mediaType);
}
