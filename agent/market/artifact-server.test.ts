import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import { PortTakenError, publicOrigin, startArtifactServer } from './artifact-server.ts';
import type { ArtifactServer } from './artifact-server.ts';

const PROVIDER = '0xAbCdEf0123456789aBcDeF0123456789AbCdEf01';
const CAP = 64 * 1024;

let dir: { path: string; remove: () => Promise<void> };
let server: ArtifactServer;

beforeAll(async () => {
  dir = await tempDir('roost-artifact-server-');
  server = await startArtifactServer({ dir: join(dir.path, 'srv'), maxUploadBytes: CAP });
});
afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw HTTP request: the path goes out exactly as written (fetch would normalise `..`). */
function raw(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Uint8Array | Uint8Array[] } = {},
): Promise<Answer> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const parts = Array.isArray(options.body) ? options.body : options.body ? [options.body] : [];
    for (const part of parts) req.write(part);
    req.end();
  });
}

describe('the artifact server', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.uploadUrl).toBe(`${server.url}/uploads`);
    await expect(
      startArtifactServer({
        dir: join(dir.path, 'other'),
        host: '0.0.0.0' as '127.0.0.1',
        maxUploadBytes: CAP,
      }),
    ).rejects.toThrow(/127\.0\.0\.1 only/);
  });

  it('serves published bytes and files, with their sha256 and size', async () => {
    const bytes = new TextEncoder().encode('0123456789abcdef');
    const published = await server.publish('digits.bin', bytes);
    expect(published).toEqual({
      uri: `${server.url}/files/digits.bin`,
      sha256: sha256(bytes),
      bytes: 16,
    });
    const got = await fetch(published.uri);
    expect(got.status).toBe(200);
    expect(got.headers.get('accept-ranges')).toBe('bytes');
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);

    const source = join(dir.path, 'model.onnx');
    const modelBytes = new Uint8Array(5000).map((_, i) => i % 251);
    await writeFile(source, modelBytes);
    const model = await server.publish('model.onnx', { file: source });
    expect(model.sha256).toBe(sha256(modelBytes));
    expect(model.bytes).toBe(5000);
    const head = await raw('HEAD', '/files/model.onnx', {
      headers: { host: new URL(server.url).host },
    });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('5000');
    expect(head.body.length).toBe(0);
    await expect(server.publish('../escape', bytes)).rejects.toThrow(/not a file name/);
  });

  it('answers Range requests so a download resumes where it stopped', async () => {
    const uri = `${server.url}/files/digits.bin`;
    const from = await fetch(uri, { headers: { range: 'bytes=10-' } });
    expect(from.status).toBe(206);
    expect(from.headers.get('content-range')).toBe('bytes 10-15/16');
    expect(await from.text()).toBe('abcdef');
    const middle = await fetch(uri, { headers: { range: 'bytes=2-4' } });
    expect(middle.status).toBe(206);
    expect(await middle.text()).toBe('234');
    const suffix = await fetch(uri, { headers: { range: 'bytes=-3' } });
    expect(await suffix.text()).toBe('def');
    const past = await fetch(uri, { headers: { range: 'bytes=16-' } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */16');
    // Several ranges: the whole file, which HTTP allows.
    const several = await fetch(uri, { headers: { range: 'bytes=0-1,4-5' } });
    expect(several.status).toBe(200);
    expect(await several.text()).toBe('0123456789abcdef');
  });

  it('stores an upload atomically under slot and provider, and serves it back', async () => {
    const body = new TextEncoder().encode('{"hello":"world"}');
    const url = `${server.uploadUrl}/1/${PROVIDER}/result.json`;
    const put = await fetch(url, { method: 'PUT', body });
    expect(put.status).toBe(201);
    expect(await put.json()).toEqual({ sha256: sha256(body), bytes: body.length });
    const stored = join(server.uploadsDir, '1', PROVIDER.toLowerCase(), 'result.json');
    expect(new Uint8Array(await readFile(stored))).toEqual(body);
    // Only the finished file is there: no temp files left behind.
    expect(readdirSync(join(server.uploadsDir, '1', PROVIDER.toLowerCase()))).toEqual([
      'result.json',
    ]);

    const again = new TextEncoder().encode('{"hello":"again"}');
    const replaced = await fetch(url, { method: 'PUT', body: again });
    expect(replaced.status).toBe(200);
    const back = await fetch(url);
    expect(await back.text()).toBe('{"hello":"again"}');

    const bad = await fetch(`${server.uploadUrl}/0/${PROVIDER}/out.npy`, {
      method: 'PUT',
      body,
      headers: { 'x-roost-sha256': '0'.repeat(64) },
    });
    expect(bad.status).toBe(400);
    expect(existsSync(join(server.uploadsDir, '0', PROVIDER.toLowerCase(), 'out.npy'))).toBe(false);
  });

  it('refuses uploads over the size cap, announced or not', async () => {
    const big = new Uint8Array(CAP + 1);
    const announced = await fetch(`${server.uploadUrl}/0/${PROVIDER}/big.npy`, {
      method: 'PUT',
      body: big,
    });
    expect(announced.status).toBe(413);
    // Chunked: no length up front, the cap is met while reading.
    const chunked = await raw('PUT', `/uploads/0/${PROVIDER}/big2.npy`, {
      headers: { host: new URL(server.url).host, 'transfer-encoding': 'chunked' },
      body: [new Uint8Array(CAP / 2), new Uint8Array(CAP / 2), new Uint8Array(1024)],
    }).catch((error: unknown) => ({ status: -1, error }));
    expect(chunked.status).toBe(413);
    const leaseDir = join(server.uploadsDir, '0', PROVIDER.toLowerCase());
    const left = existsSync(leaseDir) ? readdirSync(leaseDir) : [];
    expect(left.filter((n) => n.startsWith('big'))).toEqual([]);
    expect(left.filter((n) => n.startsWith('.'))).toEqual([]);
    // Exactly the cap is fine.
    const exact = await fetch(`${server.uploadUrl}/0/${PROVIDER}/exact.npy`, {
      method: 'PUT',
      body: new Uint8Array(CAP),
    });
    expect(exact.status).toBe(201);
  });

  it('writes nothing but uploads, refuses bad names and traversal, and 404s the rest', async () => {
    const host = { host: new URL(server.url).host };
    const body = new Uint8Array([1, 2, 3]);
    const cases: [string, string, number][] = [
      ['PUT', '/files/digits.bin', 405],
      ['DELETE', '/files/digits.bin', 405],
      ['POST', `/uploads/0/${PROVIDER}/x.npy`, 405],
      ['PUT', `/uploads/2/${PROVIDER}/x.npy`, 404],
      ['PUT', '/uploads/0/0x1234/x.npy', 404],
      ['PUT', '/uploads/0/not-an-address/x.npy', 404],
      ['PUT', `/uploads/0/${PROVIDER}/.hidden`, 404],
      ['PUT', `/uploads/0/${PROVIDER}/../../files/digits.bin`, 404],
      ['PUT', `/uploads/0/${PROVIDER}/..%2f..%2ffiles%2fdigits.bin`, 404],
      ['PUT', `/uploads/0/${PROVIDER}/sub/x.npy`, 404],
      ['PUT', '/anything', 404],
      ['GET', '/files/../uploads/1', 404],
      ['GET', '/files/..%2f..%2fetc%2fpasswd', 404],
      ['GET', '/files/nope.bin', 404],
      ['GET', '/', 404],
      ['GET', '/uploads', 404],
    ];
    for (const [method, path, status] of cases) {
      const answer = await raw(method, path, {
        headers: host,
        ...(method === 'GET' ? {} : { body }),
      });
      expect({ method, path, status: answer.status }).toEqual({ method, path, status });
    }
    expect(existsSync(join(dir.path, 'srv', 'files', 'x.npy'))).toBe(false);
    expect(new Uint8Array(await readFile(join(dir.path, 'srv', 'files', 'digits.bin')))).toEqual(
      new TextEncoder().encode('0123456789abcdef'),
    );
  });

  it('answers only requests addressed to 127.0.0.1 (no DNS rebinding)', async () => {
    const answer = await raw('GET', '/files/digits.bin', { headers: { host: 'evil.example' } });
    expect(answer.status).toBe(421);
    const named = await raw('GET', '/files/digits.bin', {
      headers: { host: `localhost:${new URL(server.url).port}` },
    });
    expect(named.status).toBe(200);
  });

  it('started again on the same folder and port, serves the same files and the uploads already in', async () => {
    const folder = join(dir.path, 'again');
    const first = await startArtifactServer({ dir: folder, maxUploadBytes: CAP });
    const published = await first.publish('m.bin', new TextEncoder().encode('model bytes'));
    const put = await fetch(`${first.uploadUrl}/0/${PROVIDER}/result.json`, {
      method: 'PUT',
      body: '{"r":1}',
    });
    expect(put.status).toBe(201);
    // A second server cannot take a port in use: it says which.
    const taken = startArtifactServer({ dir: folder, port: first.port, maxUploadBytes: CAP });
    await expect(taken).rejects.toThrow(PortTakenError);
    await expect(taken).rejects.toThrow(`port ${first.port} on 127.0.0.1 is already in use`);
    await first.close();

    const second = await startArtifactServer({
      dir: folder,
      port: first.port,
      maxUploadBytes: CAP,
    });
    try {
      expect(second.url).toBe(first.url);
      expect(await (await fetch(published.uri)).text()).toBe('model bytes');
      const uploaded = await fetch(`${second.uploadUrl}/0/${PROVIDER}/result.json`);
      expect(await uploaded.text()).toBe('{"r":1}');
      const more = await fetch(`${second.uploadUrl}/0/${PROVIDER}/c.npy`, {
        method: 'PUT',
        body: 'npy',
      });
      expect(more.status).toBe(201);
    } finally {
      await second.close();
    }
  });

  it('behind a proxy, hands out the public URL and answers requests that name it', async () => {
    // A reverse proxy on another port of this machine stands for the lab's: it passes each
    // request on with its Host header unchanged, as Caddy or socat do.
    const target = { port: 0 };
    const proxy = createServer((req, res) => {
      const out = request(
        {
          host: '127.0.0.1',
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent: false,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    });
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    const proxyPort = (proxy.address() as AddressInfo).port;
    const publicUrl = `http://localhost:${proxyPort}`;
    const behind = await startArtifactServer({
      dir: join(dir.path, 'proxied'),
      maxUploadBytes: CAP,
      publicUrl: `${publicUrl}/`,
    });
    target.port = behind.port;
    try {
      expect(behind.url).toBe(publicUrl);
      expect(behind.uploadUrl).toBe(`${publicUrl}/uploads`);
      const published = await behind.publish('m.bin', new TextEncoder().encode('through'));
      expect(published.uri).toBe(`${publicUrl}/files/m.bin`);
      expect(await (await fetch(published.uri)).text()).toBe('through');
      const put = await fetch(`${behind.uploadUrl}/1/${PROVIDER}/result.json`, {
        method: 'PUT',
        body: '{"r":2}',
      });
      expect(put.status).toBe(201);
      expect(
        await readFile(join(behind.uploadsDir, '1', PROVIDER.toLowerCase(), 'result.json'), 'utf8'),
      ).toBe('{"r":2}');
      // Still loopback-only on its own port, and still deaf to other hosts.
      const direct = await fetch(`http://127.0.0.1:${behind.port}/files/m.bin`);
      expect(direct.status).toBe(200);
      const other = await fetch(`${publicUrl.replace('localhost', '127.0.0.1')}/files/m.bin`);
      expect(other.status).toBe(421);
      expect(await other.text()).toContain(`127.0.0.1 and localhost:${proxyPort}`);
    } finally {
      await behind.close();
      await new Promise<void>((done) => proxy.close(() => done()));
    }
  });

  it('refuses a public URL that is not a plain http(s) origin, saying why', () => {
    expect(publicOrigin('https://lab.example:8443').origin).toBe('https://lab.example:8443');
    expect(() => publicOrigin('10.0.0.5:8800')).toThrow('give one like http://10.0.0.5:8800');
    expect(() => publicOrigin('lab')).toThrow('"lab" is not a URL');
    expect(() => publicOrigin('http://lab.example/jobs')).toThrow('with no path');
    expect(() => publicOrigin('http://me:pw@lab.example')).toThrow('user name or password');
    expect(() => publicOrigin('ftp://lab.example')).toThrow('http:// or https://');
  });
});
