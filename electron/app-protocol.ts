import { extname, join, normalize, sep } from 'node:path';
import { APP_HOST, APP_SCHEME } from './security.ts';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The URL parsed, when it is one of the app's own origin (`roost://app`). */
function onAppOrigin(url: string): URL | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST ? parsed : undefined;
}

/**
 * Maps a `roost://app/...` URL to a file of the renderer build, or undefined for anything else:
 * another scheme or host, a path that escapes the build folder, a malformed escape.
 */
export function resolveAppFile(
  rendererDir: string,
  url: string,
): { file: string; type: string } | undefined {
  const parsed = onAppOrigin(url);
  if (!parsed) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return undefined;
  }
  if (path === '/' || path === '') path = '/index.html';
  const root = normalize(rendererDir);
  const file = normalize(join(root, path));
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  return { file, type: types[extname(file)] ?? 'application/octet-stream' };
}

/**
 * The ticket of a download link on the app's origin (`roost://app/download/<ticket>`, the path
 * the agent hands out for a download, agent/api/download-links.ts), or undefined for any other URL.
 */
export function downloadTicketOf(url: string): string | undefined {
  const parsed = onAppOrigin(url);
  return parsed ? /^\/download\/([A-Za-z0-9_-]{43})$/.exec(parsed.pathname)?.[1] : undefined;
}
