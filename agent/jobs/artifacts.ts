/**
 * Artifact fetch into a content cache keyed by sha256. A job names its model and inputs by URI,
 * size and hash; the bytes land in `<cache>/<sha256>` only after they hash right, so a cached
 * file is always the file the spec meant. Downloads go through `<cache>/partial/<sha256>.part`
 * and resume from there (HTTP Range) after a dropped connection or an agent restart. `file:`
 * URIs are copied through the same path (the copy is what gets hashed, so a file changed on
 * disk afterwards changes nothing), and only for private jobs.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Artifact, JobResult } from './schema.ts';
import { fail, type JobLog, messageOf } from './util.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ArtifactCacheOptions {
  /** The cache folder (`<dataDir>/jobs/cache`). */
  dir: string;
  fetch?: FetchLike;
  log: JobLog;
  /** Attempts per HTTP artifact, each resuming where the last stopped; default 4. */
  attempts?: number;
  /** Wait before attempt n (1-based) after a failure; default 500 ms · 2^(n-1). */
  retryDelayMs?: (attempt: number) => number;
  /** Abort a download when no byte arrives for this long; default 30 s. */
  idleTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The most bytes the cache keeps; after a new artifact comes in, the least recently used ones
   * go until it fits. Default 10 GiB.
   */
  maxBytes?: number;
  /** An artifact used this recently is never removed (a job may still read it); default 1 h. */
  keepUsedWithinMs?: number;
  now?: () => number;
}

/** The default size of the artifact cache. */
export const ARTIFACT_CACHE_MAX_BYTES = 10 * 2 ** 30;

export interface FetchOptions {
  /** `file:` URIs are allowed (private jobs only). */
  allowFile: boolean;
  /** The most bytes this artifact may have (a limit of the job or of the agent). */
  maxBytes: number;
  signal?: AbortSignal;
  /** Bytes of this artifact on disk so far (cached, resumed or new). */
  onBytes?: (bytes: number) => void;
}

export interface FetchedArtifact {
  path: string;
  /** True when the bytes were already in the cache. */
  cached: boolean;
}

export interface ArtifactCache {
  readonly dir: string;
  /** The cached file of this hash, if it is there. */
  lookup(sha256: string): Promise<string | undefined>;
  /** Fetch (or find) an artifact; never throws. */
  fetch(artifact: Artifact, options: FetchOptions): Promise<JobResult<FetchedArtifact>>;
}

const COPY_CHUNK_BYTES = 1024 * 1024;

const HTTP_ERRORS_WORTH_RETRYING = new Set([408, 425, 429, 500, 502, 503, 504]);

class FetchFailure extends Error {
  readonly code: 'fetch-failed' | 'too-large' | 'hash-mismatch' | 'cancelled' | 'io-error';
  readonly retry: boolean;
  constructor(code: FetchFailure['code'], message: string, retry = false) {
    super(message);
    this.code = code;
    this.retry = retry;
  }
}

/** A URI with any user:password and query string cut, for logs and messages. */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    url.username = '';
    url.password = '';
    const query = url.search ? '?…' : '';
    url.search = '';
    url.hash = '';
    return `${url.toString()}${query}`;
  } catch {
    return '(unparseable URI)';
  }
}

export function createArtifactCache(options: ArtifactCacheOptions): ArtifactCache {
  const dir = options.dir;
  const partialDir = join(dir, 'partial');
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const attempts = options.attempts ?? 4;
  const retryDelayMs = options.retryDelayMs ?? ((n) => 500 * 2 ** (n - 1));
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = options.log;
  /** One download per hash at a time: two jobs with the same model share it. */
  const inFlight = new Map<string, Promise<JobResult<FetchedArtifact>>>();

  const cachedPath = (sha256: string) => join(dir, sha256);
  const now = options.now ?? (() => Date.now());
  const maxBytes = options.maxBytes ?? ARTIFACT_CACHE_MAX_BYTES;
  const keepUsedWithinMs = options.keepUsedWithinMs ?? 60 * 60_000;

  /** Last use is the file's modification time (reading does not change it everywhere). */
  async function markUsed(path: string): Promise<void> {
    const at = new Date(now());
    await utimes(path, at, at).catch(() => undefined);
  }

  /**
   * Removes the least recently used artifacts until the cache fits in maxBytes, never `keep`
   * (just fetched) nor one used within keepUsedWithinMs, nor a download in progress.
   */
  async function trim(keep: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    const files: { name: string; size: number; usedAt: number }[] = [];
    for (const name of names) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const info = await stat(join(dir, name)).catch(() => undefined);
      if (info?.isFile()) files.push({ name, size: info.size, usedAt: info.mtimeMs });
    }
    let total = files.reduce((sum, f) => sum + f.size, 0);
    if (total <= maxBytes) return;
    const removable = files
      .filter(
        (f) => f.name !== keep && !inFlight.has(f.name) && now() - f.usedAt > keepUsedWithinMs,
      )
      .sort((a, b) => a.usedAt - b.usedAt);
    let freed = 0;
    let count = 0;
    for (const f of removable) {
      if (total <= maxBytes) break;
      try {
        await rm(join(dir, f.name));
      } catch {
        continue; // in use elsewhere (Windows) or gone: the next trim tries again
      }
      total -= f.size;
      freed += f.size;
      count++;
    }
    if (count > 0)
      log.info(
        `removed ${count} job file${count === 1 ? '' : 's'} not used for a while from the download cache (${Math.round(freed / 2 ** 20)} MB), to keep it under ${Math.round(maxBytes / 2 ** 30)} GB`,
      );
  }

  async function lookup(sha256: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    try {
      const info = await stat(cachedPath(sha256));
      return info.isFile() ? cachedPath(sha256) : undefined;
    } catch {
      return undefined;
    }
  }

  async function fetchArtifact(
    artifact: Artifact,
    opts: FetchOptions,
  ): Promise<JobResult<FetchedArtifact>> {
    const where = redactUri(artifact.uri);
    if (artifact.bytes > opts.maxBytes) {
      return fail(
        'too-large',
        `${where} is ${artifact.bytes} bytes, over the limit of ${opts.maxBytes} bytes`,
      );
    }
    let scheme: string;
    try {
      scheme = new URL(artifact.uri).protocol;
    } catch {
      return fail('uri-not-allowed', `${where} is not a valid URI`);
    }
    if (scheme === 'file:' && !opts.allowFile) {
      return fail('uri-not-allowed', `file: URIs are allowed only in private jobs (${where})`);
    }
    if (scheme !== 'file:' && scheme !== 'http:' && scheme !== 'https:') {
      return fail('uri-not-allowed', `${where}: only file:, http: and https: URIs are allowed`);
    }
    const hit = await lookup(artifact.sha256);
    if (hit) {
      const info = await stat(hit);
      if (info.size === artifact.bytes) {
        await markUsed(hit);
        opts.onBytes?.(artifact.bytes);
        return { ok: true, value: { path: hit, cached: true } };
      }
      // The same hash with another size means the spec is wrong, not the cache.
      return fail(
        'hash-mismatch',
        `${where}: the spec says ${artifact.bytes} bytes, but the bytes with sha256 ${artifact.sha256} are ${info.size} bytes`,
      );
    }
    try {
      await mkdir(partialDir, { recursive: true, mode: 0o700 });
      if (scheme === 'file:') await copyFile(artifact, opts);
      else await download(artifact, opts);
      await markUsed(cachedPath(artifact.sha256));
      await trim(artifact.sha256);
      return { ok: true, value: { path: cachedPath(artifact.sha256), cached: false } };
    } catch (error) {
      if (error instanceof FetchFailure) return fail(error.code, error.message);
      return fail('io-error', `${where}: ${messageOf(error)}`);
    }
  }

  /** Moves a finished partial file into the cache if it hashes right; removes it if not. */
  async function finish(artifact: Artifact, partial: string, hash: Hash): Promise<void> {
    const digest = hash.digest('hex');
    if (digest !== artifact.sha256) {
      await rm(partial, { force: true });
      throw new FetchFailure(
        'hash-mismatch',
        `${redactUri(artifact.uri)}: the bytes hash to ${digest}, not the ${artifact.sha256} the spec declares`,
      );
    }
    await rename(partial, cachedPath(artifact.sha256));
  }

  async function copyFile(artifact: Artifact, opts: FetchOptions): Promise<void> {
    const where = redactUri(artifact.uri);
    let source: string;
    try {
      source = fileURLToPath(artifact.uri);
    } catch (error) {
      throw new FetchFailure('fetch-failed', `${where}: ${messageOf(error)}`);
    }
    let info;
    try {
      info = await stat(source);
    } catch {
      throw new FetchFailure('fetch-failed', `${source} does not exist or cannot be read`);
    }
    if (!info.isFile()) throw new FetchFailure('fetch-failed', `${source} is not a file`);
    if (info.size !== artifact.bytes) {
      throw new FetchFailure(
        info.size > artifact.bytes ? 'too-large' : 'fetch-failed',
        `${source} is ${info.size} bytes, but the spec says ${artifact.bytes}`,
      );
    }
    const partial = join(partialDir, `${artifact.sha256}.${process.pid}.copy`);
    const hash = createHash('sha256');
    const out = await open(partial, 'w', 0o600);
    let written = 0;
    try {
      // 1 MiB reads, not the stream's 64 KiB: a 92 MB model copied and hashed in ~200 ms
      // instead of ~290 (fewer awaited writes).
      for await (const chunk of createReadStream(source, {
        signal: opts.signal,
        highWaterMark: COPY_CHUNK_BYTES,
      })) {
        const bytes = chunk as Buffer;
        written += bytes.length;
        if (written > artifact.bytes) {
          throw new FetchFailure('too-large', `${source} grew past ${artifact.bytes} bytes`);
        }
        hash.update(bytes);
        await writeAll(out, bytes);
        opts.onBytes?.(written);
      }
      await out.sync();
    } catch (error) {
      await out.close();
      await rm(partial, { force: true });
      if (opts.signal?.aborted) throw new FetchFailure('cancelled', 'cancelled');
      throw error;
    }
    await out.close();
    if (written !== artifact.bytes) {
      await rm(partial, { force: true });
      throw new FetchFailure('fetch-failed', `${source} shrank while it was read`);
    }
    await finish(artifact, partial, hash);
  }

  async function download(artifact: Artifact, opts: FetchOptions): Promise<void> {
    const where = redactUri(artifact.uri);
    for (let attempt = 1; ; attempt++) {
      try {
        await downloadOnce(artifact, opts);
        return;
      } catch (error) {
        if (opts.signal?.aborted) throw new FetchFailure('cancelled', 'cancelled');
        const failure =
          error instanceof FetchFailure
            ? error
            : new FetchFailure('fetch-failed', `${where}: ${messageOf(error)}`, true);
        if (!failure.retry || attempt >= attempts) throw failure;
        const wait = retryDelayMs(attempt);
        log.warn(`${failure.message}; trying again in ${wait} ms (attempt ${attempt + 1})`);
        await sleep(wait);
      }
    }
  }

  async function downloadOnce(artifact: Artifact, opts: FetchOptions): Promise<void> {
    const where = redactUri(artifact.uri);
    const partial = join(partialDir, `${artifact.sha256}.part`);
    const hash = createHash('sha256');
    let have = await stat(partial).then(
      (info) => info.size,
      () => 0,
    );
    if (have > artifact.bytes) {
      await rm(partial, { force: true });
      have = 0;
    }
    if (have > 0) {
      // Resuming: the bytes we already have go into the hash first.
      for await (const chunk of createReadStream(partial, { end: have - 1 })) {
        hash.update(chunk as Buffer);
      }
    }
    if (have === artifact.bytes) {
      opts.onBytes?.(have);
      await finish(artifact, partial, hash);
      return;
    }

    const controller = new AbortController();
    const onAbort = () => controller.abort();
    opts.signal?.addEventListener('abort', onAbort);
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(new Error('idle')), idleTimeoutMs);
    };
    try {
      armIdle();
      let response: Response;
      try {
        response = await fetchImpl(artifact.uri, {
          signal: controller.signal,
          redirect: 'follow',
          headers: have > 0 ? { range: `bytes=${have}-` } : {},
        });
      } catch (error) {
        throw new FetchFailure(
          'fetch-failed',
          `${where}: ${controller.signal.reason instanceof Error && controller.signal.reason.message === 'idle' ? `no answer in ${idleTimeoutMs} ms` : messageOf(error)}`,
          true,
        );
      }
      if (response.url && !/^https?:/i.test(response.url)) {
        throw new FetchFailure('fetch-failed', `${where} redirected to a non-HTTP URI`);
      }
      let append = false;
      if (response.status === 206 && have > 0) {
        const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(
          response.headers.get('content-range') ?? '',
        );
        if (range && Number(range[1]) === have) {
          if (range[3] !== '*' && Number(range[3]) !== artifact.bytes) {
            throw new FetchFailure(
              Number(range[3]) > artifact.bytes ? 'too-large' : 'fetch-failed',
              `${where} is ${range[3]} bytes, but the spec says ${artifact.bytes}`,
            );
          }
          append = true;
        }
      } else if (response.status === 416 && have > 0) {
        // The server says we asked past its end: start over rather than trust the partial.
        await response.body?.cancel();
        await rm(partial, { force: true });
        throw new FetchFailure('fetch-failed', `${where}: the server refused to resume`, true);
      } else if (response.status !== 200) {
        await response.body?.cancel();
        throw new FetchFailure(
          'fetch-failed',
          `${where} answered HTTP ${response.status}`,
          HTTP_ERRORS_WORTH_RETRYING.has(response.status),
        );
      }
      if (!append) {
        // A full body: whatever we had is dropped and the hash starts again.
        return await writeBody(response, artifact, opts, partial, 0, createHash('sha256'), armIdle);
      }
      return await writeBody(response, artifact, opts, partial, have, hash, armIdle);
    } finally {
      clearTimeout(idle);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async function writeBody(
    response: Response,
    artifact: Artifact,
    opts: FetchOptions,
    partial: string,
    start: number,
    hash: Hash,
    armIdle: () => void,
  ): Promise<void> {
    const where = redactUri(artifact.uri);
    const length = response.headers.get('content-length');
    if (length !== null && start + Number(length) > artifact.bytes) {
      await response.body?.cancel();
      throw new FetchFailure(
        'too-large',
        `${where} is ${start + Number(length)} bytes, but the spec says ${artifact.bytes}`,
      );
    }
    const out = await open(partial, start > 0 ? 'a' : 'w', 0o600);
    let have = start;
    try {
      if (!response.body) throw new FetchFailure('fetch-failed', `${where}: empty answer`, true);
      for await (const chunk of response.body) {
        armIdle();
        if (have + chunk.byteLength > artifact.bytes) {
          throw new FetchFailure(
            'too-large',
            `${where} sent more than the ${artifact.bytes} bytes the spec declares`,
          );
        }
        hash.update(chunk);
        await writeAll(out, chunk);
        have += chunk.byteLength;
        opts.onBytes?.(have);
      }
      await out.sync();
    } catch (error) {
      await out.close();
      if (error instanceof FetchFailure) {
        if (error.code === 'too-large') await rm(partial, { force: true });
        throw error;
      }
      // A dropped connection keeps the partial file for the next attempt.
      throw new FetchFailure('fetch-failed', `${where}: ${messageOf(error)}`, true);
    }
    await out.close();
    if (have !== artifact.bytes) {
      throw new FetchFailure(
        'fetch-failed',
        `${where} ended after ${have} of ${artifact.bytes} bytes`,
        true,
      );
    }
    await finish(artifact, partial, hash);
  }

  return {
    dir,
    lookup,
    fetch(artifact, opts) {
      const running = inFlight.get(artifact.sha256);
      if (running) {
        return running.then(async (result) => {
          if (result.ok) {
            opts.onBytes?.(artifact.bytes);
            return result;
          }
          return fetchArtifact(artifact, opts);
        });
      }
      const promise = fetchArtifact(artifact, opts).finally(() => inFlight.delete(artifact.sha256));
      inFlight.set(artifact.sha256, promise);
      return promise;
    },
  };
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

/** SHA-256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
