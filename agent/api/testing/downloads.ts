/** For tests: a download answer's bytes, whichever way the agent handed it over. */
import type { Download } from '../../jobs/schema.ts';

/** The bytes of an answer that carries them (base64); throws for a link. */
export function contentOf(download: Download): Buffer {
  if (!('content' in download))
    throw new Error(`expected the bytes in the answer, got the link ${download.link}`);
  return Buffer.from(download.content, 'base64');
}

/** The link of an answer that is one; throws for bytes. */
export function linkOf(download: Download): string {
  if (!('link' in download)) throw new Error('expected a link, got the bytes in the answer');
  return download.link;
}
