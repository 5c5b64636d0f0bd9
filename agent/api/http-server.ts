import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ApiError, ErrorCode, Result } from './contract.ts';
import { isMethodName } from './contract.ts';
import type { Router } from './router.ts';
import type { EventBus } from '../events.ts';
import type { Logger } from '../log.ts';
import { tokenMatches } from './token.ts';
import { DOWNLOAD_LINK_SECONDS, DOWNLOAD_PATH, type DownloadLinks } from './download-links.ts';
import { DownloadChanged, sendLinkedDownload } from './download-stream.ts';
import {
  UPLOAD_IDLE_SECONDS,
  UPLOAD_PATH,
  UploadRefused,
  type UploadLinks,
} from './upload-links.ts';
import { receiveUpload } from './upload-stream.ts';

export interface HttpServerOptions {
  router: Router;
  events: EventBus;
  log: Logger;
  token: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Listen on this Unix socket or Windows named pipe instead of a port (the desktop app's channel
   * for `roost` commands, see command-channel.ts): no network, so no firewall prompt.
   */
  socketPath?: string;
  /** The built renderer (index.html and assets); missing → a page that says how to build it. */
  staticDir?: string;
  /** Seconds between SSE keep-alive comments. */
  heartbeatSeconds?: number;
  /** The agent's one-use download links, served at `GET /download/<ticket>`. */
  downloads?: DownloadLinks;
  /** The agent's one-use upload links, taken at `PUT /upload/<ticket>`. */
  uploads?: UploadLinks;
  /** An upload that sends nothing for this long is cut off (default 120). */
  uploadIdleSeconds?: number;
}

export interface RunningServer {
  /** 0 when listening on a socket. */
  readonly port: number;
  /** The dashboard URL with the token in its fragment (never sent to the server in a request line). */
  readonly url: string;
  close(): Promise<void>;
}

/** The only address `roost serve` ever binds. */
export const LOOPBACK = '127.0.0.1';
const MAX_BODY_BYTES = 1024 * 1024;

const coreStatus: Partial<Record<ErrorCode, number>> = {
  INVALID_PARAMS: 400,
  SETTINGS_INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  UNKNOWN_METHOD: 404,
  NOT_FOUND: 404,
  SETTINGS_UNWRITABLE: 500,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  NETWORK_UNAVAILABLE: 503,
  WALLET_UNWRITABLE: 500,
  WALLET_TX_FAILED: 502,
  WALLET_NONE: 409,
  WALLET_EXISTS: 409,
  WALLET_LOCKED: 409,
  WALLET_KEYSTORE_DAMAGED: 409,
  WALLET_NETWORK_CHANGED: 409,
  WALLET_PREPARED_USED: 409,
  WALLET_PREPARED_EXPIRED: 410,
  JOB_STATE: 409,
  TOO_LARGE: 413,
  BENCH_BUSY: 409,
  REPORT_NOT_FOUND: 404,
  PDF_UNAVAILABLE: 503,
  PDF_FAILED: 500,
};

/** The HTTP status of an error: the core codes by table, every other refusal of input 400. */
function statusFor(code: ErrorCode): number {
  return coreStatus[code] ?? 400;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The same policy as the Electron window: our own scripts only, API calls to ourselves only. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...securityHeaders,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  code: ErrorCode,
  message: string,
  extra: Record<string, string> = {},
): void {
  const error: ApiError = { code, message };
  sendJson(res, statusFor(code), { ok: false, error } satisfies Result<never>, extra);
}

/** Host names a browser uses for this machine; anything else is DNS rebinding or a proxy. */
function hostAllowed(hostHeader: string | undefined, port: number): boolean {
  if (!hostHeader) return false;
  const match = /^(?:(127\.0\.0\.1|localhost)|\[(::1)\])(?::(\d+))?$/i.exec(hostHeader);
  if (!match) return false;
  return match[3] === undefined || Number(match[3]) === port;
}

function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true; // not a cross-site browser request (curl, the CLI, same-origin GET)
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The HTTP face of the agent for `roost serve`: the built renderer, `POST /api/<method>` and
 * `GET /api/events` (server-sent events). Loopback only; every API request needs the bearer
 * token; foreign Host headers (DNS rebinding) and foreign Origins are refused.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const { router, events, log, token } = options;
  const streams = new Set<ServerResponse>();
  let port = options.port;

  // No limit on a whole request's time (Node's default cuts any request at 5 minutes): a model
  // of gigabytes sent through an SSH tunnel takes longer. A stalled upload is cut instead
  // (handleUpload), and headers must still come within Node's headersTimeout.
  const server = createServer({ requestTimeout: 0 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error(`request ${req.method} ${req.url} failed: ${String(error)}`);
      if (!res.headersSent)
        sendError(res, 'INTERNAL', 'The request failed inside the agent; the log has the details.');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, port)) {
      sendError(
        res,
        'FORBIDDEN',
        `Refused: the Host header "${req.headers.host ?? ''}" is not this machine. Open Roost at http://127.0.0.1:${port}/ (protection against DNS rebinding).`,
      );
      return;
    }
    const origin = req.headers.origin;
    if (!originAllowed(origin, port)) {
      sendError(
        res,
        'FORBIDDEN',
        `Refused: requests from ${origin} are not allowed; only Roost's own page may call the API.`,
      );
      return;
    }
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
    if (options.downloads && url.pathname.startsWith(DOWNLOAD_PATH)) {
      await handleDownload(req, res, url.pathname.slice(DOWNLOAD_PATH.length), options.downloads);
      return;
    }
    if (options.uploads && url.pathname.startsWith(UPLOAD_PATH)) {
      await handleUpload(req, res, url.pathname.slice(UPLOAD_PATH.length), options.uploads);
      return;
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      await handleApi(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 'NOT_FOUND', `${req.method} ${url.pathname} is not something Roost serves.`, {
        Allow: 'GET, HEAD',
      });
      return;
    }
    await serveStatic(req, res, url.pathname);
  }

  /**
   * A one-use download link (download-links.ts): the ticket is the credential (handed only to a
   * caller with the token), so no bearer token is asked for; a browser follows the link itself.
   */
  async function handleDownload(
    req: IncomingMessage,
    res: ServerResponse,
    ticket: string,
    downloads: DownloadLinks,
  ): Promise<void> {
    if (req.method !== 'GET') {
      sendError(res, 'NOT_FOUND', 'Use GET for a download link.', { Allow: 'GET' });
      return;
    }
    const download = downloads.take(ticket);
    if (!download) {
      sendError(
        res,
        'NOT_FOUND',
        `This download link was used already or has expired (a link works once, for ${DOWNLOAD_LINK_SECONDS} seconds). Download it again from the page.`,
      );
      return;
    }
    try {
      await sendLinkedDownload(res, download);
      log.debug(`sent ${download.fileName} (${download.bytes} bytes) through a download link`);
    } catch (error) {
      if (error instanceof DownloadChanged) {
        sendError(res, 'JOB_STATE', error.message);
        return;
      }
      // Cut off midway (the browser cancelled, or a read failed): the length is already sent,
      // so the browser sees it incomplete.
      log.warn(`download of ${download.fileName} stopped: ${(error as Error).message}`);
      res.destroy();
    }
  }

  /**
   * A one-use upload link (upload-links.ts): like a download link, the ticket is the credential.
   * A refusal before the bytes are read closes the connection rather than read them all.
   */
  async function handleUpload(
    req: IncomingMessage,
    res: ServerResponse,
    ticket: string,
    uploads: UploadLinks,
  ): Promise<void> {
    const refuse = (code: ErrorCode, message: string, extra: Record<string, string> = {}) =>
      sendError(res, code, message, { Connection: 'close', ...extra });
    if (req.method !== 'PUT') {
      refuse('NOT_FOUND', 'Use PUT for an upload link.', { Allow: 'PUT' });
      return;
    }
    const target = uploads.take(ticket);
    if (!target) {
      refuse(
        'NOT_FOUND',
        `This upload link was used already or has lapsed (a link works once, and lapses after ${UPLOAD_IDLE_SECONDS} seconds without an upload). Choose the file again.`,
      );
      return;
    }
    try {
      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) !== target.bytes) {
        refuse(
          Number(declared) > target.bytes ? 'TOO_LARGE' : 'INVALID_PARAMS',
          `${target.name} is ${declared} bytes, not the ${target.bytes} bytes its link was asked for. Choose it again.`,
        );
        return;
      }
      // The page went quiet (a laptop asleep, a tunnel dropped): cut it, keep nothing.
      req.setTimeout((options.uploadIdleSeconds ?? 120) * 1000, () =>
        req.destroy(new Error('nothing came for too long')),
      );
      const uploaded = await receiveUpload(req, target);
      log.debug(`received ${target.name} (${uploaded.bytes} bytes) through an upload link`);
      sendJson(res, 200, { ok: true, value: uploaded } satisfies Result<typeof uploaded>);
    } catch (error) {
      if (error instanceof UploadRefused) refuse(error.code, error.message);
      else if (req.destroyed || req.readableAborted) {
        log.warn(`upload of ${target.name} stopped: ${(error as Error).message}`);
        res.destroy();
      } else throw error;
    } finally {
      uploads.settled(target);
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!tokenMatches(bearer(req), token)) {
      sendError(
        res,
        'UNAUTHORIZED',
        bearer(req)
          ? 'The API token is wrong. Open the URL that `roost serve` printed, or read the token from the api-token file in the data folder.'
          : 'The API needs a token: send "Authorization: Bearer <token>". `roost serve` prints a URL that includes it.',
        { 'WWW-Authenticate': 'Bearer realm="roost"' },
      );
      return;
    }
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') {
        sendError(res, 'NOT_FOUND', 'Use GET for /api/events.', { Allow: 'GET' });
        return;
      }
      openEventStream(req, res);
      return;
    }
    const method = url.pathname.slice('/api/'.length);
    if (!isMethodName(method)) {
      const result = await router.call(method, {});
      sendJson(res, 404, result);
      return;
    }
    if (req.method !== 'POST') {
      sendError(res, 'NOT_FOUND', `Call ${method} with POST and JSON params.`, { Allow: 'POST' });
      return;
    }
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type)) {
      sendError(
        res,
        'INVALID_PARAMS',
        `Send the params of ${method} as JSON with "Content-Type: application/json".`,
      );
      return;
    }
    let body: string;
    try {
      body = await readBody(req);
    } catch {
      sendError(res, 'INVALID_PARAMS', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
      return;
    }
    let params: unknown = {};
    if (body.trim() !== '') {
      try {
        params = JSON.parse(body);
      } catch (error) {
        sendError(
          res,
          'INVALID_PARAMS',
          `The request body is not valid JSON (${(error as Error).message}).`,
        );
        return;
      }
    }
    const result = await router.call(method, params);
    sendJson(res, result.ok ? 200 : statusFor(result.error.code), result);
  }

  function openEventStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...securityHeaders,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    streams.add(res);
    const unsubscribe = events.subscribe(({ event, payload }) => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const heartbeat = setInterval(
      () => res.write(': keep-alive\n\n'),
      (options.heartbeatSeconds ?? 15) * 1000,
    );
    heartbeat.unref();
    const done = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    req.on('close', done);
    res.on('close', done);
  }

  async function serveStatic(
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
  ): Promise<void> {
    const root = options.staticDir;
    const index = root ? join(root, 'index.html') : undefined;
    if (!root || !(await isFile(index!))) {
      const text = `<!doctype html><meta charset="utf-8"><title>Roost</title><p>The Roost agent is running, but the dashboard has not been built. Run <code>npm run build:renderer</code> and reload.</p>`;
      res.writeHead(503, {
        ...securityHeaders,
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      });
      res.end(req.method === 'HEAD' ? undefined : text);
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      sendError(res, 'NOT_FOUND', 'That address is not valid.');
      return;
    }
    const candidate = normalize(join(root, decoded));
    const inside =
      candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
    let file = inside && (await isFile(candidate)) ? candidate : undefined;
    // Client-side routes (no file extension) get the app; missing assets get a 404.
    if (!file && inside && extname(decoded) === '') file = index;
    if (!file) {
      sendError(res, 'NOT_FOUND', `${pathname} was not found.`);
      return;
    }
    const body = await readFile(file);
    const isHtml = extname(file) === '.html';
    res.writeHead(200, {
      ...securityHeaders,
      'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'Cache-Control': isHtml ? 'no-store' : 'public, max-age=31536000, immutable',
      ...(isHtml ? { 'Content-Security-Policy': CONTENT_SECURITY_POLICY } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const socketPath = options.socketPath;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (socketPath) server.listen({ path: socketPath }, done);
    else server.listen({ host: LOOPBACK, port: options.port }, done);
  });
  port = socketPath ? 0 : (server.address() as AddressInfo).port;
  const url = socketPath ? '' : `http://${LOOPBACK}:${port}/#token=${token}`;
  log.info(
    socketPath ? `answering commands on ${socketPath}` : `listening on http://${LOOPBACK}:${port}/`,
  );

  return {
    port,
    url,
    async close() {
      for (const res of streams) res.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
