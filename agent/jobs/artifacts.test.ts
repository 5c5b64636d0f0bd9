import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startArtifactServer } from '../../test/fixtures/jobs/artifact-server.ts';
import type { ArtifactServer } from '../../test/fixtures/jobs/artifact-server.ts';
import { tempDir } from '../../test/support/temp-dir.ts';
import { createArtifactCache, redactUri } from './artifacts.ts';
import type { Artifact } from './schema.ts';
import { silentJobLog } from './util.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let server: ArtifactServer;
beforeAll(async () => {
  server = await startArtifactServer();
});
afterAll(async () => {
  await server.close();
});

const dirs: { remove: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await d.remove();
});

async function cache(extra: Partial<Parameters<typeof createArtifactCache>[0]> = {}) {
  const dir = await tempDir('roost-artifacts-');
  dirs.push(dir);
  return {
    root: dir.path,
    cache: createArtifactCache({
      dir: join(dir.path, 'cache'),
      log: silentJobLog,
      retryDelayMs: () => 1,
      idleTimeoutMs: 500,
      ...extra,
    }),
  };
}

function httpArtifact(path: string, body: Uint8Array): Artifact {
  return { uri: server.url(path), sha256: sha(body), bytes: body.length };
}

describe('artifact cache', () => {
  it('downloads over HTTP, checks the hash and serves the second request from the cache', async () => {
    const body = randomBytes(100_000);
    server.serve('/a.bin', { body });
    const { cache: c } = await cache();
    const seen: number[] = [];
    const first = await c.fetch(httpArtifact('/a.bin', body), {
      allowFile: false,
      maxBytes: 1e6,
      onBytes: (n) => seen.push(n),
    });
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.value.cached).toBe(false);
    expect(sha(await readFile(first.value.path))).toBe(sha(body));
    expect(seen.at(-1)).toBe(body.length);
    const before = server.requests.length;
    const second = await c.fetch(httpArtifact('/a.bin', body), { allowFile: false, maxBytes: 1e6 });
    expect(second.ok && second.value.cached).toBe(true);
    expect(server.requests.length).toBe(before);
  });

  it('resumes a dropped download with a Range request', async () => {
    const body = randomBytes(200_000);
    server.serve('/drop.bin', { body, dropAfter: { bytes: 70_000, times: 2 } });
    const { cache: c } = await cache();
    const result = await c.fetch(httpArtifact('/drop.bin', body), {
      allowFile: false,
      maxBytes: 1e6,
    });
    expect(result.ok).toBe(true);
    const ranges = server.requests.filter((r) => r.path === '/drop.bin').map((r) => r.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(ranges.length).toBe(3);
  });

  it('resumes from a partial file left by an earlier agent', async () => {
    const body = randomBytes(50_000);
    server.serve('/partial.bin', { body });
    const { cache: c, root } = await cache();
    await mkdir(join(root, 'cache', 'partial'), { recursive: true });
    await writeFile(join(root, 'cache', 'partial', `${sha(body)}.part`), body.subarray(0, 20_000));
    const result = await c.fetch(httpArtifact('/partial.bin', body), {
      allowFile: false,
      maxBytes: 1e6,
    });
    expect(result.ok).toBe(true);
    expect(server.requests.filter((r) => r.path === '/partial.bin').at(-1)?.range).toBe(
      'bytes=20000-',
    );
  });

  it('starts over when the server ignores Range', async () => {
    const body = randomBytes(60_000);
    server.serve('/norange.bin', { body, ranges: false, dropAfter: { bytes: 30_000, times: 1 } });
    const { cache: c } = await cache();
    const result = await c.fetch(httpArtifact('/norange.bin', body), {
      allowFile: false,
      maxBytes: 1e6,
    });
    expect(result.ok).toBe(true);
    if (result.ok) expect(sha(await readFile(result.value.path))).toBe(sha(body));
  });

  it('refuses bytes that hash wrong and keeps nothing', async () => {
    const body = randomBytes(1000);
    server.serve('/wrong.bin', { body });
    const { cache: c, root } = await cache();
    const result = await c.fetch(
      { uri: server.url('/wrong.bin'), sha256: 'ab'.repeat(32), bytes: body.length },
      { allowFile: false, maxBytes: 1e6 },
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'hash-mismatch' } });
    expect(readdirSync(join(root, 'cache', 'partial'))).toEqual([]);
    expect(existsSync(join(root, 'cache', 'ab'.repeat(32)))).toBe(false);
  });

  it('stops a body longer than declared, and refuses a declared size over the cap', async () => {
    const body = randomBytes(5000);
    server.serve('/long.bin', { body });
    const { cache: c } = await cache();
    const longer = await c.fetch(
      { uri: server.url('/long.bin'), sha256: sha(body), bytes: 4000 },
      { allowFile: false, maxBytes: 1e6 },
    );
    expect(longer).toMatchObject({ ok: false, error: { code: 'too-large' } });
    const capped = await c.fetch(httpArtifact('/long.bin', body), {
      allowFile: false,
      maxBytes: 100,
    });
    expect(capped).toMatchObject({ ok: false, error: { code: 'too-large' } });
  });

  it('reports HTTP errors, retrying only the ones worth retrying', async () => {
    server.serve('/gone', { body: new Uint8Array(1), status: 404 });
    server.serve('/busy', { body: new Uint8Array(1), status: 503 });
    const { cache: c } = await cache({ attempts: 3 });
    const gone = await c.fetch(
      { uri: server.url('/gone'), sha256: 'a'.repeat(64), bytes: 1 },
      { allowFile: false, maxBytes: 10 },
    );
    expect(gone).toMatchObject({ ok: false, error: { code: 'fetch-failed' } });
    if (!gone.ok) expect(gone.error.message).toContain('HTTP 404');
    expect(server.requests.filter((r) => r.path === '/gone').length).toBe(1);
    const busy = await c.fetch(
      { uri: server.url('/busy'), sha256: 'b'.repeat(64), bytes: 1 },
      { allowFile: false, maxBytes: 10 },
    );
    expect(busy).toMatchObject({ ok: false, error: { code: 'fetch-failed' } });
    expect(server.requests.filter((r) => r.path === '/busy').length).toBe(3);
  });

  it('gives up on a stalled server after the idle timeout and resumes on the next attempt', async () => {
    const body = randomBytes(3000);
    server.serve('/stall.bin', { body, stall: { times: 1 } });
    const { cache: c } = await cache({ idleTimeoutMs: 200 });
    const result = await c.fetch(httpArtifact('/stall.bin', body), {
      allowFile: false,
      maxBytes: 1e6,
    });
    expect(result.ok).toBe(true);
  });

  it('copies file: URIs for private jobs only', async () => {
    const { cache: c, root } = await cache();
    const body = randomBytes(4096);
    const file = join(root, 'model.onnx');
    await writeFile(file, body);
    const artifact = { uri: pathToFileURL(file).href, sha256: sha(body), bytes: body.length };
    const refused = await c.fetch(artifact, { allowFile: false, maxBytes: 1e6 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'uri-not-allowed' } });
    const copied = await c.fetch(artifact, { allowFile: true, maxBytes: 1e6 });
    expect(copied.ok).toBe(true);
    const missing = await c.fetch(
      { ...artifact, uri: pathToFileURL(join(root, 'nope')).href, sha256: 'c'.repeat(64) },
      { allowFile: true, maxBytes: 1e6 },
    );
    expect(missing).toMatchObject({ ok: false, error: { code: 'fetch-failed' } });
    const wrongSize = await c.fetch(
      { ...artifact, sha256: 'd'.repeat(64), bytes: 10 },
      { allowFile: true, maxBytes: 1e6 },
    );
    expect(wrongSize).toMatchObject({ ok: false, error: { code: 'too-large' } });
  });

  it('refuses other schemes and never logs credentials or queries', async () => {
    const { cache: c } = await cache();
    const ftp = await c.fetch(
      { uri: 'ftp://example.com/x', sha256: 'a'.repeat(64), bytes: 1 },
      { allowFile: true, maxBytes: 10 },
    );
    expect(ftp).toMatchObject({ ok: false, error: { code: 'uri-not-allowed' } });
    expect(redactUri('https://user:secret@host/p?token=abc')).toBe('https://host/p?…');
  });

  it('cancels a download through the signal', async () => {
    const body = randomBytes(3000);
    server.serve('/cancel.bin', { body, stall: { times: 5 } });
    const { cache: c } = await cache({ idleTimeoutMs: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const result = await c.fetch(httpArtifact('/cancel.bin', body), {
      allowFile: false,
      maxBytes: 1e6,
      signal: controller.signal,
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'cancelled' } });
  });
});

describe('artifact cache size', () => {
  it('keeps under its size by removing the least recently used files, never one used lately', async () => {
    let clock = Date.parse('2026-11-26T10:00:00Z');
    const hour = 60 * 60_000;
    const { root, cache: c } = await cache({
      maxBytes: 2500,
      keepUsedWithinMs: hour,
      now: () => clock,
      log: { ...silentJobLog, info: (m: string) => lines.push(m) },
    });
    const lines: string[] = [];
    const files = await Promise.all(
      ['a', 'b', 'c', 'd'].map(async (name) => {
        const bytes = randomBytes(1000);
        const path = join(root, `${name}.bin`);
        await writeFile(path, bytes);
        return { uri: pathToFileURL(path).toString(), sha256: sha(bytes), bytes: 1000 };
      }),
    );
    const [a, b, c2, d] = files as [Artifact, Artifact, Artifact, Artifact];
    const get = (x: Artifact) => c.fetch(x, { allowFile: true, maxBytes: 1e6 });
    const inCache = () =>
      readdirSync(join(root, 'cache'))
        .filter((n) => n !== 'partial')
        .sort();
    await get(a);
    clock += 2 * hour;
    await get(b);
    clock += 2 * hour;
    // a is used again: b is now the least recently used.
    expect((await get(a)).ok).toBe(true);
    clock += 2 * hour;
    await get(c2); // 3000 bytes: over the 2500, and b goes
    expect(inCache()).toEqual([a.sha256, c2.sha256].sort());
    expect(lines).toEqual([
      'removed 1 job file not used for a while from the download cache (0 MB), to keep it under 0 GB',
    ]);
    // With a and c both used within the hour, d goes over the size rather than remove them.
    await get(a);
    clock += 10 * 60_000;
    await get(d);
    expect(inCache()).toEqual([a.sha256, c2.sha256, d.sha256].sort());
    // A removed artifact is fetched again when a job needs it.
    const again = await get(b);
    expect(again.ok && again.value.cached).toBe(false);
  });
});
