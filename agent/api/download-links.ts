/**
 * One-use download links: a method that offers files (a job's outputs, a posted job's results, a
 * support bundle) answers the page with a link instead of the bytes (`as: 'link'`), and the host
 * streams what it names from disk (download-stream.ts) — one file as it is, or several as a zip
 * of stored entries — with its exact length, so the browser's own download shows progress and no
 * size limit of an API answer applies: `GET /download/<ticket>` on `roost serve`, and
 * `roost://app/download/<ticket>` on the desktop app's own origin (electron/main.ts).
 *
 * The ticket (32 random bytes) is the credential: it is handed only to a caller that has the API
 * token, works once, and expires after DOWNLOAD_LINK_SECONDS. What it hands out was checked when
 * it was issued (plain files, the sizes, the sha256 a receipt names); a file whose size changed
 * since is refused rather than sent.
 */
import { randomBytes } from 'node:crypto';

/** How long a link works after it was handed out. */
export const DOWNLOAD_LINK_SECONDS = 60;

/** A file checked when its link was issued. */
export interface CheckedFile {
  /** The name inside the zip, or the file's name when it is the only one. */
  name: string;
  path: string;
  size: number;
  /** CRC-32 of its bytes (a zip entry needs it before its bytes). */
  crc: number;
  modifiedAt: Date;
}

/** What one link hands out. */
export interface LinkedDownload {
  fileName: string;
  mediaType: string;
  /** One file sent as it is (`zip` false), or several in a zip. */
  files: readonly CheckedFile[];
  zip: boolean;
  /** The length of what is sent. */
  bytes: number;
  /** Where the files are, in words, for a refusal. */
  where: string;
}

export interface DownloadLinks {
  /** A link's path (`/download/<ticket>`) and when it stops working. */
  issue(download: LinkedDownload): { path: string; expiresAt: string };
  /** What the ticket hands out, once; undefined for an unknown, used or expired ticket. */
  take(ticket: string): LinkedDownload | undefined;
}

export const DOWNLOAD_PATH = '/download/';

export function createDownloadLinks(
  options: { now?: () => number; seconds?: number } = {},
): DownloadLinks {
  const now = options.now ?? Date.now;
  const lifetimeMs = (options.seconds ?? DOWNLOAD_LINK_SECONDS) * 1000;
  const issued = new Map<string, { download: LinkedDownload; expires: number }>();

  function sweep(): void {
    const t = now();
    for (const [ticket, entry] of issued) if (entry.expires <= t) issued.delete(ticket);
  }

  return {
    issue(download) {
      sweep();
      const ticket = randomBytes(32).toString('base64url');
      const expires = now() + lifetimeMs;
      issued.set(ticket, { download, expires });
      return { path: `${DOWNLOAD_PATH}${ticket}`, expiresAt: new Date(expires).toISOString() };
    },
    take(ticket) {
      sweep();
      const entry = issued.get(ticket);
      if (!entry) return undefined;
      issued.delete(ticket);
      return entry.download;
    },
  };
}
