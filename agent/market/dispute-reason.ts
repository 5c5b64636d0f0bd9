/**
 * A requester's published reason for a dispute (`disputeResult`'s reasonURI), read for the people
 * who must understand it: the market's arbiter (arbitration.ts) and the provider whose result was
 * disputed (lease-events.ts). The URI comes from the chain, so the read is fenced: http(s) only,
 * no redirects, 5 s, at most 4 KB of text, and no characters that could rewrite a terminal or a
 * page.
 */
import { z } from 'zod';
import { messageOf } from './format.ts';

/** The most of a reason's text that is fetched and shown. */
export const REASON_MAX_BYTES = 4096;
const REASON_TIMEOUT_MS = 5000;
const reasonTextSchema = z.string().max(REASON_MAX_BYTES * 4);

/**
 * The reason's text over http(s): at most REASON_MAX_BYTES (more is cut, with "…"), no redirects,
 * within 5 s. Control and direction-changing characters are dropped, so a reason can't rewrite
 * the terminal or the page that shows it.
 */
export async function fetchReasonText(uri: string): Promise<string> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new Error('it is not a web address');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`it is a ${url.protocol.replace(/:$/, '')}: address, not http(s)`);
  const response = await fetch(url, {
    redirect: 'error',
    signal: AbortSignal.timeout(REASON_TIMEOUT_MS),
  }).catch((error: unknown) => {
    const cause = (error as { cause?: unknown }).cause;
    const why = messageOf(cause instanceof Error ? cause : error);
    throw new Error(
      /redirect/i.test(why)
        ? "the requester's server sent it on to another address, which is not followed"
        : `the requester's server did not answer (${why})`,
    );
  });
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`the requester's server answered ${response.status}`);
  }
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let cut = false;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    bytes += value.length;
    if (bytes > REASON_MAX_BYTES) {
      cut = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  const all = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  const text = cleanReason(new TextDecoder().decode(all.subarray(0, REASON_MAX_BYTES)));
  return reasonTextSchema.parse(cut ? `${text}…` : text);
}

/** Text safe to print: no control characters but newlines and tabs, no bidi overrides. */
export function cleanReason(text: string): string {
  return text
    .replace(
      // eslint-disable-next-line no-control-regex -- dropping control characters is the point
      /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
      '',
    )
    .trim();
}
