import { describe, expect, it } from 'vitest';
import {
  DOWNLOAD_LINK_SECONDS,
  createDownloadLinks,
  type LinkedDownload,
} from './download-links.ts';

const download: LinkedDownload = {
  fileName: 'c.npy',
  mediaType: 'application/octet-stream',
  files: [],
  zip: false,
  bytes: 0,
  where: 'here',
};

describe('download links', () => {
  it('hands out an unguessable path that works once', () => {
    const links = createDownloadLinks();
    const a = links.issue(download);
    const b = links.issue(download);
    expect(a.path).toMatch(/^\/download\/[A-Za-z0-9_-]{43}$/);
    expect(b.path).not.toBe(a.path);
    const ticket = a.path.slice('/download/'.length);
    expect(links.take(ticket)).toBe(download);
    expect(links.take(ticket)).toBeUndefined();
    expect(links.take('not-a-ticket')).toBeUndefined();
  });

  it('stops working after its time, and says when that is', () => {
    let now = Date.UTC(2026, 10, 27, 12, 0, 0);
    const links = createDownloadLinks({ now: () => now });
    const issued = links.issue(download);
    expect(issued.expiresAt).toBe(new Date(now + DOWNLOAD_LINK_SECONDS * 1000).toISOString());
    const ticket = issued.path.slice('/download/'.length);
    now += DOWNLOAD_LINK_SECONDS * 1000 - 1;
    const other = links.issue(download).path.slice('/download/'.length);
    now += 1;
    expect(links.take(ticket)).toBeUndefined();
    expect(links.take(other)).toBe(download);
  });
});
