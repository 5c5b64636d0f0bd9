/**
 * The requester's file server: serves a job's model, inputs and market document to providers
 * over HTTP on 127.0.0.1, and takes their results by the upload convention of
 * agent/market/schema.ts (`PUT /uploads/<slot>/<provider>/<file>`).
 *
 * - `GET /files/<name>`: what `publish` put there, with Range requests (the provider's fetcher
 *   resumes a dropped download from where it stopped). `GET /uploads/...` serves what a provider
 *   uploaded, so an arbiter can look at the same bytes.
 * - `PUT /uploads/<slot>/<provider>/<file>`: slot 0 or 1, provider a 0x address, file a plain
 *   name. Written to a temp file and renamed into place, so a reader never sees half a file;
 *   bodies over `maxUploadBytes` are refused with 413. Nothing else is writable.
 * - Loopback only, and requests must name this server in their Host header (a web page that
 *   rebinds a domain to 127.0.0.1 gets 421, not the lab's inputs).
 * - Providers on other machines reach it through what the lab puts in front of it (an SSH
 *   tunnel, a reverse proxy): `publicUrl` is then the address they use. The URLs it hands out
 *   name that address, and requests naming its host are answered too.
 * - Started again on the same folder and port (a resumed requester), it serves the same files and
 *   keeps the uploads already there; a port another program holds is a `PortTakenError`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { sha256File } from '../jobs/artifacts.ts';
import { writeFileAtomic } from '../store/atomic-file.ts';

export interface ArtifactServerOptions {
  /** Folder holding `files/` (published) and `uploads/` (from providers). */
  dir: string;
  /** Only loopback: providers on this machine (tests, labs, the practice mode). */
  host?: '127.0.0.1';
  /** 0 or absent: a free port. */
  port?: number;
  /**
   * Where providers reach this server when it is not 127.0.0.1 (a proxy or a tunnel in front of
   * it): `http(s)://host[:port]`, no path. Published URIs and the upload URL use it.
   */
  publicUrl?: string;
  /** Largest single upload, in bytes. */
  maxUploadBytes: number;
  /** Most files one provider may upload for one lease (default 4096). */
  maxFilesPerLease?: number;
}

export interface PublishedFile {
  uri: string;
  /** 64 lower-case hex digits. */
  sha256: string;
  bytes: number;
}

export interface ArtifactServer {
  /** `http://127.0.0.1:<port>` (or the public URL), no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** The base URL providers upload to (`upload.url` of a market job). */
  readonly uploadUrl: string;
  /** Serves `bytes`, or a copy (a hard link where possible) of the file at a path, as `name`. */
  publish(name: string, content: Uint8Array | { file: string }): Promise<PublishedFile>;
  /** Where uploads land: `<uploadsDir>/<slot>/<provider, lower case>/<file>`. */
  readonly uploadsDir: string;
  close(): Promise<void>;
}

/** The port asked for is in use by another program (or another server of this one). */
export class PortTakenError extends Error {
  readonly port: number;
  constructor(port: number, options?: ErrorOptions) {
    super(`port ${port} on 127.0.0.1 is already in use`, options);
    this.port = port;
  }
}

/** A file name in a URL: letters, digits, `.`, `_`, `-`; not hidden, not `.` or `..`. */
const NAME = /^(?!\.)[A-Za-z0-9._-]{1,200}$/;
const PROVIDER = /^0x[0-9a-fA-F]{40}$/;

export function isServableName(name: string): boolean {
  return NAME.test(name);
}

/**
 * A public URL for the server, checked: http or https, a host, and nothing after it but a `/`.
 * Returns its origin (`http://lab.example:8800`), or throws what is wrong with it.
 */
export function publicOrigin(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`"${text}" is not a URL; give one like http://10.0.0.5:8800`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${text}: the public URL must start with http:// or https://`);
  if (url.username || url.password)
    throw new Error(`${text}: the public URL may not hold a user name or password`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    throw new Error(
      `${text}: the public URL is a host and port only (such as http://10.0.0.5:8800), with no path`,
    );
  return url;
}

function contentType(name: string): string {
  if (name.endsWith('.json')) return 'application/json';
  if (name.endsWith('.txt')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/** One `bytes=` range (`N-`, `N-M`, `-N`); several ranges are answered with the whole file. */
function parseRange(header: string | undefined, size: number): ByteRange {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export async function startArtifactServer(options: ArtifactServerOptions): Promise<ArtifactServer> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') {
    throw new Error(`the artifact server listens on 127.0.0.1 only, not ${String(host)}`);
  }
  if (!Number.isSafeInteger(options.maxUploadBytes) || options.maxUploadBytes <= 0) {
    throw new Error('maxUploadBytes must be a positive whole number of bytes');
  }
  const maxFiles = options.maxFilesPerLease ?? 4096;
  const publicUrl = options.publicUrl === undefined ? undefined : publicOrigin(options.publicUrl);
  const filesDir = join(options.dir, 'files');
  const uploadsDir = join(options.dir, 'uploads');
  await mkdir(filesDir, { recursive: true, mode: 0o700 });
  await mkdir(uploadsDir, { recursive: true, mode: 0o700 });

  const sockets = new Set<Socket>();
  let port = 0;
  const allowedHosts = () =>
    new Set([`127.0.0.1:${port}`, `localhost:${port}`, ...(publicUrl ? [publicUrl.host] : [])]);

  function answer(res: ServerResponse, status: number, message: string): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end(message + '\n');
  }

  async function serveFile(req: IncomingMessage, res: ServerResponse, path: string, name: string) {
    let size: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) return answer(res, 404, 'not found');
      size = info.size;
    } catch {
      return answer(res, 404, 'not found');
    }
    const headers: Record<string, string> = {
      'content-type': contentType(name),
      'accept-ranges': 'bytes',
      'cache-control': 'no-store',
    };
    const range = parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const length = size === 0 ? 0 : end - start + 1;
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'content-length': String(length),
      ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    try {
      await pipeline(createReadStream(path, { start, end }), res);
    } catch {
      res.destroy();
    }
  }

  async function receiveUpload(
    req: IncomingMessage,
    res: ServerResponse,
    slot: string,
    provider: string,
    file: string,
  ) {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > options.maxUploadBytes) {
      return answer(res, 413, `uploads are limited to ${options.maxUploadBytes} bytes`);
    }
    const dir = join(uploadsDir, slot, provider.toLowerCase());
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const existing = (await readdir(dir)).filter((n) => !n.startsWith('.'));
    if (!existing.includes(file) && existing.length >= maxFiles) {
      return answer(res, 413, `a lease may upload at most ${maxFiles} files`);
    }
    const temp = join(dir, `.${file}.${randomBytes(6).toString('hex')}.part`);
    let received: { sha256: string; bytes: number } | 'too-large';
    try {
      received = await receiveBody(req, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
    } catch (error) {
      await rm(temp, { force: true });
      return answer(res, 400, `the upload did not arrive whole: ${(error as Error).message}`);
    }
    if (received === 'too-large') {
      await rm(temp, { force: true });
      return answer(res, 413, `uploads are limited to ${options.maxUploadBytes} bytes`);
    }
    // A provider may say what it sent; a body that hashes otherwise was damaged on the way.
    const claimed = req.headers['x-roost-sha256'];
    if (typeof claimed === 'string' && claimed.toLowerCase() !== received.sha256) {
      await rm(temp, { force: true });
      return answer(res, 400, `the upload hashes to ${received.sha256}, not ${claimed}`);
    }
    const target = join(dir, file);
    const replaced = await stat(target).then(
      () => true,
      () => false,
    );
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      return answer(res, 500, `the upload was not stored: ${(error as Error).message}`);
    }
    res.writeHead(replaced ? 200 : 201, { 'content-type': 'application/json' });
    res.end(JSON.stringify(received) + '\n');
  }

  /**
   * Writes the request body to `sink`, hashing it; stops reading at the size cap (the caller
   * then answers 413 and the connection closes, instead of swallowing the rest of the body).
   */
  function receiveBody(
    req: IncomingMessage,
    sink: WriteStream,
  ): Promise<{ sha256: string; bytes: number } | 'too-large'> {
    return new Promise((resolve, reject) => {
      const hash = createHash('sha256');
      let bytes = 0;
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        sink.destroy();
        reject(error);
      };
      req.on('data', (chunk: Buffer) => {
        if (settled) return;
        bytes += chunk.length;
        if (bytes > options.maxUploadBytes) {
          settled = true;
          req.pause();
          sink.destroy();
          sink.once('close', () => resolve('too-large'));
          return;
        }
        hash.update(chunk);
        if (!sink.write(chunk)) {
          req.pause();
          sink.once('drain', () => req.resume());
        }
      });
      req.on('end', () => {
        if (settled) return;
        sink.end(() => {
          if (settled) return;
          settled = true;
          resolve({ sha256: hash.digest('hex'), bytes });
        });
      });
      req.on('close', () => {
        if (!req.complete) fail(new Error('the connection closed early'));
      });
      req.on('error', fail);
      sink.on('error', fail);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts().has(req.headers.host ?? '')) {
      return answer(
        res,
        421,
        `this server answers only to 127.0.0.1${publicUrl ? ` and ${publicUrl.host}` : ''}`,
      );
    }
    const rawPath = (req.url ?? '/').split('?')[0] as string;
    const parts = rawPath.split('/').slice(1);
    const method = req.method ?? 'GET';
    if (parts[0] === 'files' && parts.length === 2 && NAME.test(parts[1] as string)) {
      if (method !== 'GET' && method !== 'HEAD')
        return answer(res, 405, 'published files are read-only');
      return serveFile(req, res, join(filesDir, parts[1] as string), parts[1] as string);
    }
    if (parts[0] === 'uploads' && parts.length === 4) {
      const [, slot, provider, file] = parts as [string, string, string, string];
      const valid = /^[01]$/.test(slot) && PROVIDER.test(provider) && NAME.test(file);
      if (!valid) return answer(res, 404, 'not an upload path: /uploads/<0|1>/<0x address>/<file>');
      if (method === 'PUT') return receiveUpload(req, res, slot, provider, file);
      if (method === 'GET' || method === 'HEAD')
        return serveFile(req, res, join(uploadsDir, slot, provider.toLowerCase(), file), file);
      return answer(res, 405, 'uploads take PUT');
    }
    return answer(res, 404, 'not found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => answer(res, 500, (error as Error).message));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE' && options.port
          ? new PortTakenError(options.port, { cause: error })
          : error,
      );
    };
    server.once('error', failed);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = publicUrl ? publicUrl.origin : `http://127.0.0.1:${port}`;

  async function publish(
    name: string,
    content: Uint8Array | { file: string },
  ): Promise<PublishedFile> {
    if (!NAME.test(name)) throw new Error(`not a file name that can be served: ${name}`);
    const target = join(filesDir, name);
    if (content instanceof Uint8Array) {
      await writeFileAtomic(target, content, 0o644);
    } else {
      // A hard link costs nothing for a large model; a copy where links are not possible.
      await rm(target, { force: true });
      try {
        await link(content.file, target);
      } catch {
        const temp = join(filesDir, `.${name}.${randomBytes(6).toString('hex')}.part`);
        await copyFile(content.file, temp);
        await rename(temp, target);
      }
    }
    const info = await stat(target);
    return {
      uri: `${url}/files/${name}`,
      sha256: await sha256File(target),
      bytes: info.size,
    };
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    uploadUrl: `${url}/uploads`,
    uploadsDir,
    publish,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
