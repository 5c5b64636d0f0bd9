import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { access, mkdir, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { encodeModel, valueInfo } from '../fixtures/jobs/models.ts';
import { decodeNpy, encodeNpy } from '../../worker/npy.ts';
import { readZip } from '../../agent/diagnostics/zip.ts';
import { createAgent } from '../../agent/agent.ts';
import { serve, type Serving } from '../../agent/serve.ts';
import { tempDir } from '../support/temp-dir.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A raw HTTP request, so tests can send any Host and Origin header (fetch would not). */
function raw(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        setHost: !options.headers?.Host,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

describe('roost serve HTTP API', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let serving: Serving;
  let port: number;
  let token: string;
  const auth = () => ({ Authorization: `Bearer ${token}` });
  const post = (method: string, body: unknown, headers: Record<string, string> = {}) =>
    raw(port, {
      method: 'POST',
      path: `/api/${method}`,
      headers: { ...auth(), 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    dir = await tempDir();
    const staticDir = join(dir.path, 'static');
    await mkdir(staticDir);
    await writeFile(
      join(staticDir, 'index.html'),
      '<!doctype html><title>Roost</title><div id="root"></div>',
    );
    await writeFile(join(dir.path, 'secret.txt'), 'outside the static folder');
    serving = await serve({
      dataDir: join(dir.path, 'data'),
      port: 0,
      staticDir,
      embeddedDevnet: false,
    });
    port = serving.server.port;
    token = (await readFile(join(dir.path, 'data', 'api-token'), 'utf8')).trim();
  });

  afterAll(async () => {
    await serving.stop();
    await dir.remove();
  });

  it('answers a call with the token', async () => {
    const r = await post('agent.status', {});
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({
      ok: true,
      // The port it listens on, chosen by --port (0: a free one), not the setting's 7787.
      value: { state: 'running', host: 'serve', server: { port, portFrom: 'flag' } },
    });
    expect(serving.server.url).toBe(`http://127.0.0.1:${port}/#token=${token}`);
  });

  it('refuses a request without a token: 401', async () => {
    const r = await raw(port, {
      method: 'POST',
      path: '/api/agent.status',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  });

  it('refuses a wrong token: 401, for calls and for the event stream', async () => {
    const r = await post('settings.get', {}, { Authorization: 'Bearer not-the-token' });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body).error.message).toContain('wrong');
    const events = await raw(port, {
      path: '/api/events',
      headers: { Authorization: 'Bearer nope' },
    });
    expect(events.status).toBe(401);
  });

  it('refuses a Host header that is not this machine: 403 (DNS rebinding)', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      '127.0.0.1.evil.example',
      `localhost:${port + 1}`,
    ]) {
      const r = await raw(port, {
        method: 'POST',
        path: '/api/agent.status',
        headers: { Host: host, ...auth(), 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(r.status, host).toBe(403);
      expect(JSON.parse(r.body).error.code).toBe('FORBIDDEN');
    }
    const page = await raw(port, { path: '/', headers: { Host: 'attacker.test' } });
    expect(page.status).toBe(403);
    const ok = await raw(port, { path: '/', headers: { Host: `localhost:${port}` } });
    expect(ok.status).toBe(200);
  });

  it('refuses a foreign Origin: 403, even with the token', async () => {
    const r = await post(
      'settings.update',
      { work: { idleMinutes: 99 } },
      { Origin: 'https://evil.example' },
    );
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.code).toBe('FORBIDDEN');
    const same = await post('agent.version', {}, { Origin: `http://127.0.0.1:${port}` });
    expect(same.status).toBe(200);
    expect(JSON.parse((await post('settings.get', {})).body).value.work.idleMinutes).toBe(10);
  });

  it('answers an unknown method with 404 and a code', async () => {
    const r = await post('wallet.drain', {});
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
  });

  it('answers invalid params with 400 and the problem in plain words', async () => {
    const r = await post('settings.update', { work: { idleMinutes: 0 } });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error).toEqual({
      code: 'INVALID_PARAMS',
      message: 'work.idleMinutes must be at least 1 (got 0).',
    });
    const notJson = await post('settings.update', '{"work":');
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).error.message).toContain('not valid JSON');
    const wrongType = await raw(port, {
      method: 'POST',
      path: '/api/agent.status',
      headers: { ...auth(), 'Content-Type': 'text/plain' },
      body: '{}',
    });
    expect(wrongType.status).toBe(400);
    const tooBig = await post('settings.update', JSON.stringify({ pad: 'x'.repeat(1_100_000) }));
    expect(tooBig.status).toBe(400);
  });

  it('needs POST for methods', async () => {
    const r = await raw(port, { path: '/api/agent.status', headers: auth() });
    expect(r.status).toBe(404);
    expect(r.headers.allow).toBe('POST');
  });

  it('streams events as server-sent events', async () => {
    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${port}/api/events`, {
      headers: auth(),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const update = post('settings.update', { general: { theme: 'dark' } });
    while (!text.includes('event: settings.changed')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    await update;
    controller.abort();
    expect(text).toContain('event: agent.log');
    const changed = text.split('\n\n').find((b) => b.startsWith('event: settings.changed'))!;
    expect(JSON.parse(changed.split('\ndata: ')[1]!).general.theme).toBe('dark');
  });

  /** A Relu job on the CPU through the API, waited for until it finished. */
  async function runRelu(name: string) {
    await writeFile(
      join(dir.path, 'relu.onnx'),
      encodeModel({
        nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
        inputs: [valueInfo('x', 'float32', [2])],
        outputs: [valueInfo('y', 'float32', [2])],
      }),
    );
    await writeFile(join(dir.path, 'x.npy'), encodeNpy('float32', [2], Float32Array.from([-1, 2])));
    const added = JSON.parse(
      (
        await post('job.add', {
          model: join(dir.path, 'relu.onnx'),
          inputs: { x: join(dir.path, 'x.npy') },
          executionProviders: ['cpu'],
          name,
        })
      ).body,
    );
    expect(added).toMatchObject({ ok: true, value: { state: 'queued' } });
    const id: string = added.value.id;
    let job;
    for (let i = 0; i < 600; i++) {
      job = JSON.parse((await post('job.show', { id })).body).value;
      if (['done', 'failed', 'cancelled'].includes(job.state)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job).toMatchObject({ state: 'done' });
    return { id, job };
  }

  it("hands a finished job's files to the page: all in a zip, or one, checked against its result", async () => {
    const { id, job } = await runRelu('relu for download');
    const output = job.result.receipt.outputs[0];
    const zipped = await post('job.download', { id });
    expect(zipped.status).toBe(200);
    const zip = JSON.parse(zipped.body).value;
    expect(zip).toMatchObject({
      fileName: 'roost-job-relu-for-download.zip',
      mediaType: 'application/zip',
    });
    const entries = readZip(Buffer.from(zip.content, 'base64'));
    expect(entries.map((e) => e.name).sort()).toEqual(
      [`out/${output.file}`, 'result.json', 'spec.json'].sort(),
    );
    const npy = entries.find((e) => e.name === `out/${output.file}`)!.data;
    const decoded = decodeNpy(npy);
    if (!decoded.ok) throw new Error(decoded.error);
    expect(Array.from(decoded.value.data as Float32Array)).toEqual([0, 2]);
    const receipt = JSON.parse(
      Buffer.from(entries.find((e) => e.name === 'result.json')!.data).toString(),
    );
    expect(receipt.receipt.jobId).toBe(id);

    const one = JSON.parse((await post('job.download', { id, file: output.file })).body).value;
    expect(one.fileName).toBe(output.file.replaceAll('/', '-'));
    expect(Buffer.from(one.content, 'base64').equals(Buffer.from(npy))).toBe(true);

    // On roost serve the page asks for a link: GET it (the ticket is the credential, no token)
    // and the browser streams the same files; a zip of stored entries, then the link is spent.
    const linked = JSON.parse((await post('job.download', { id, as: 'link' })).body).value;
    expect(linked).toMatchObject({ fileName: 'roost-job-relu-for-download.zip' });
    expect(linked.link).toMatch(/^\/download\/[A-Za-z0-9_-]{43}$/);
    const got = await fetch(`http://127.0.0.1:${port}${linked.link}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/zip');
    expect(got.headers.get('content-length')).toBe(String(linked.bytes));
    expect(got.headers.get('content-disposition')).toBe(
      `attachment; filename="roost-job-relu-for-download.zip"; filename*=UTF-8''roost-job-relu-for-download.zip`,
    );
    const streamed = readZip(Buffer.from(await got.arrayBuffer()));
    expect(streamed.map((e) => [e.name, e.method])).toEqual(entries.map((e) => [e.name, 0]));
    expect(streamed.find((e) => e.name === `out/${output.file}`)!.data.equals(npy)).toBe(true);
    const spent = await fetch(`http://127.0.0.1:${port}${linked.link}`);
    expect(spent.status).toBe(404);
    expect(((await spent.json()) as { error: { message: string } }).error.message).toContain(
      'used already or has expired',
    );
    const oneLink = JSON.parse(
      (await post('job.download', { id, file: output.file, as: 'link' })).body,
    ).value;
    const oneGot = await fetch(`http://127.0.0.1:${port}${oneLink.link}`);
    expect(Buffer.from(await oneGot.arrayBuffer()).equals(Buffer.from(npy))).toBe(true);
    // A made-up ticket hands out nothing.
    expect((await fetch(`http://127.0.0.1:${port}/download/${'A'.repeat(43)}`)).status).toBe(404);

    const unknown = await post('job.download', { id, file: '../../api-token' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.message).toContain(
      `Its files: ${output.file}, result.json, spec.json.`,
    );

    // At a glance: Relu of [-1, 2].
    const preview = JSON.parse((await post('job.outputPreview', { id, file: output.file })).body);
    expect(preview.value).toMatchObject({
      dtype: 'float32',
      shape: [2],
      count: 2,
      min: 0,
      max: 2,
      mean: 1,
      nan: 0,
      first: ['0', '2'],
    });
    const noSuch = await post('job.outputPreview', { id, file: 'result.json' });
    expect(JSON.parse(noSuch.body).error.code).toBe('NOT_FOUND');

    // An output changed on disk since the job wrote it is not handed out as the job's.
    await writeFile(join(job.jobDir, 'out', ...output.file.split('/')), 'not the output');
    const changed = JSON.parse((await post('job.download', { id, file: output.file })).body);
    expect(changed.error.code).toBe('JOB_STATE');
    expect(changed.error.message).toContain('changed since the job wrote it');
  });

  it('takes files chosen on the page through one-use upload links, and runs a job from them', async () => {
    const model = encodeModel({
      nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
      inputs: [valueInfo('x', 'float32', [2])],
      outputs: [valueInfo('y', 'float32', [2])],
    });
    const x = encodeNpy('float32', [2], Float32Array.from([-3, 4]));
    const asked = JSON.parse(
      (
        await post('job.uploadFiles', {
          files: [
            { name: 'relu.onnx', bytes: model.byteLength },
            { name: 'x 1.npy', bytes: x.byteLength },
          ],
        })
      ).body,
    );
    expect(asked.ok).toBe(true);
    const { folder, files } = asked.value as {
      folder: string;
      files: { name: string; path: string; link: string }[];
    };
    expect(folder.startsWith(join(dir.path, 'data', 'uploads') + sep)).toBe(true);
    const put = (link: string, body: Uint8Array, headers: Record<string, string> = {}) =>
      fetch(`http://127.0.0.1:${port}${link}`, { method: 'PUT', body, headers });
    // The ticket is the credential: no token. The answer says where the file is and its hash.
    const sent = [];
    for (const [file, bytes] of [
      [files[0]!, model],
      [files[1]!, x],
    ] as const) {
      const answer = await put(file.link, bytes);
      expect(answer.status).toBe(200);
      sent.push(((await answer.json()) as { value: unknown }).value);
      expect(await readFile(file.path)).toEqual(Buffer.from(bytes));
    }
    expect(sent).toEqual([
      { path: join(folder, 'relu.onnx'), bytes: model.byteLength, sha256: sha256(model) },
      { path: join(folder, 'x 1.npy'), bytes: x.byteLength, sha256: sha256(x) },
    ]);
    // A link works once.
    const again = await put(files[1]!.link, x);
    expect(again.status).toBe(404);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain(
      'used already or has lapsed',
    );
    // The paths work as if typed: the job runs on the uploaded files.
    const added = JSON.parse(
      (
        await post('job.add', {
          model: files[0]!.path,
          inputs: { x: files[1]!.path },
          executionProviders: ['cpu'],
        })
      ).body,
    );
    expect(added.ok).toBe(true);
    let job;
    for (let i = 0; i < 600; i++) {
      job = JSON.parse((await post('job.show', { id: added.value.id })).body).value;
      if (['done', 'failed', 'cancelled'].includes(job.state)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job).toMatchObject({ state: 'done' });
    const out = await readFile(join(job.jobDir, 'out', job.result.receipt.outputs[0].file));
    const decoded = decodeNpy(out);
    if (!decoded.ok) throw new Error(decoded.error);
    expect(Array.from(decoded.value.data as Float32Array)).toEqual([0, 4]);
  });

  it('refuses an upload that is not what its link was asked for, keeping nothing of it', async () => {
    const ask = async (files: { name: string; bytes: number }[]) =>
      JSON.parse((await post('job.uploadFiles', { files })).body);
    const { value } = await ask([
      { name: 'a.npy', bytes: 8 },
      { name: 'b.npy', bytes: 8 },
    ]);
    const [a, b] = value.files as { path: string; link: string }[];
    const tooBig = await fetch(`http://127.0.0.1:${port}${a!.link}`, {
      method: 'PUT',
      body: new Uint8Array(20),
    });
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { error: { message: string } }).error.message).toBe(
      'a.npy is 20 bytes, not the 8 bytes its link was asked for. Choose it again.',
    );
    // A page of another site can't send it (the Origin is checked before the ticket is taken).
    const foreign = await raw(port, {
      method: 'PUT',
      path: b!.link,
      headers: { Origin: 'https://evil.example', 'Content-Length': '8' },
      body: 'x'.repeat(8),
    });
    expect(foreign.status).toBe(403);
    const own = await fetch(`http://127.0.0.1:${port}${b!.link}`, {
      method: 'PUT',
      body: new Uint8Array(8),
    });
    expect(own.status).toBe(200);
    expect(existsSync(a!.path) || existsSync(`${a!.path}.part`)).toBe(false);
    expect(await readdir(value.folder)).toEqual(['b.npy']);
    // A name that is not a plain file name: a clear refusal, and no folder made.
    const before = await readdir(join(dir.path, 'data', 'uploads'));
    const bad = await post('job.uploadFiles', { files: [{ name: '../api-token', bytes: 1 }] });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toBe(
      '"../api-token" is not a plain file name (no folders, colons or control characters): rename it and choose it again.',
    );
    expect(await readdir(join(dir.path, 'data', 'uploads'))).toEqual(before);
  });

  it('hands a support bundle the page wrote over for saving, and nothing else from the data folder', async () => {
    const written = JSON.parse((await post('diagnostics.supportBundle', {})).body).value;
    const fileName = written.path.split('/').pop();
    const got = JSON.parse((await post('diagnostics.supportBundleFile', { fileName })).body).value;
    expect(got).toMatchObject({ fileName, mediaType: 'application/zip', bytes: written.bytes });
    expect(Buffer.from(got.content, 'base64').equals(await readFile(written.path))).toBe(true);
    for (const other of ['../settings.json', 'api-token', 'roost-support-../../x.zip']) {
      const refused = await post('diagnostics.supportBundleFile', { fileName: other });
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.body).error.code).toBe('INVALID_PARAMS');
    }
    const gone = await post('diagnostics.supportBundleFile', {
      fileName: 'roost-support-gone.zip',
    });
    expect(gone.status).toBe(404);

    // Past what an answer carries (64 MiB): refused as bytes, streamed whole by a link.
    const big = join(dir.path, 'data', 'support', 'roost-support-big.zip');
    await writeFile(big, 'PK');
    await truncate(big, 100 * 1024 * 1024);
    const asBytes = await post('diagnostics.supportBundleFile', {
      fileName: 'roost-support-big.zip',
    });
    expect(asBytes.status).toBe(413);
    expect(JSON.parse(asBytes.body).error.message).toContain('100 MB');
    const link = JSON.parse(
      (
        await post('diagnostics.supportBundleFile', {
          fileName: 'roost-support-big.zip',
          as: 'link',
        })
      ).body,
    ).value;
    expect(link).toMatchObject({ bytes: 100 * 1024 * 1024, mediaType: 'application/zip' });
    const streamed = await fetch(`http://127.0.0.1:${port}${link.link}`);
    expect(streamed.status).toBe(200);
    const body = Buffer.from(await streamed.arrayBuffer());
    expect(body.length).toBe(100 * 1024 * 1024);
    expect(body.subarray(0, 2).toString()).toBe('PK');
    expect(body.subarray(2).every((b) => b === 0)).toBe(true);

    // A file that changed after its link was handed out is not sent.
    const again = JSON.parse(
      (
        await post('diagnostics.supportBundleFile', {
          fileName: 'roost-support-big.zip',
          as: 'link',
        })
      ).body,
    ).value;
    await truncate(big, 10);
    const changed = await fetch(`http://127.0.0.1:${port}${again.link}`);
    expect(changed.status).toBe(409);
    expect(((await changed.json()) as { error: { message: string } }).error.message).toContain(
      'changed or went since the download was asked for',
    );
  });

  it('removes a finished job: its folder and its row go, and the event stream says so', async () => {
    const { id, job } = await runRelu('relu');
    expect(existsSync(join(job.jobDir, 'result.json'))).toBe(true);

    const controller = new AbortController();
    const stream = await fetch(`http://127.0.0.1:${port}/api/events`, {
      headers: auth(),
      signal: controller.signal,
    });
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    const r = await post('job.remove', { ids: [id] });
    expect(r.status).toBe(200);
    const value = JSON.parse(r.body).value;
    expect(value.removed).toEqual([id]);
    expect(value.bytesFreed).toBeGreaterThan(0);
    let text = '';
    while (!text.includes('event: job.removed')) {
      const { value: chunk, done } = await reader.read();
      if (done) break;
      text += chunk;
    }
    controller.abort();
    const event = text.split('\n\n').find((b) => b.startsWith('event: job.removed'))!;
    expect(JSON.parse(event.split('\ndata: ')[1]!)).toEqual({
      ids: [id],
      bytesFreed: value.bytesFreed,
    });
    expect(existsSync(job.jobDir)).toBe(false);
    expect(JSON.parse((await post('job.show', { id })).body).error.code).toBe('NOT_FOUND');
    const list = JSON.parse((await post('job.list', {})).body).value.jobs;
    expect(list.map((j: { id: string }) => j.id)).not.toContain(id);
    // Again: nothing by that id any more, said in words.
    expect(JSON.parse((await post('job.remove', { ids: [id] })).body).error).toEqual({
      code: 'NOT_FOUND',
      message: `No job ${id}. Nothing was removed.`,
    });
  });

  it('serves the dashboard with a strict CSP, and nothing outside its folder', async () => {
    const page = await raw(port, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect((await raw(port, { path: '/settings' })).body).toContain('<div id="root">');
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/missing.js',
    ]) {
      const r = await raw(port, { path });
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('outside the static folder');
    }
  });

  it('listens on 127.0.0.1 only', async () => {
    const { networkInterfaces } = await import('node:os');
    const other = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!other) {
      console.log(
        '[test] skipped the external-interface check: this machine has no non-loopback IPv4 address',
      );
      return;
    }
    await expect(fetch(`http://${other.address}:${port}/`)).rejects.toThrow();
  });

  it('writes serve.json so the CLI finds the running agent, and removes it on stop', async () => {
    const info = JSON.parse(await readFile(join(dir.path, 'data', 'serve.json'), 'utf8'));
    expect(info).toMatchObject({ pid: process.pid, port });
  });
});

describe('roost serve lifecycle', () => {
  it('says clearly when the port is taken', async () => {
    const dir = await tempDir();
    const first = await serve({ dataDir: join(dir.path, 'a'), port: 0, embeddedDevnet: false });
    await expect(
      serve({ dataDir: join(dir.path, 'b'), port: first.server.port, embeddedDevnet: false }),
    ).rejects.toThrow(new RegExp(`Port ${first.server.port} on 127.0.0.1 is already in use`));
    await first.stop();
    await expect(access(join(dir.path, 'a', 'serve.json'))).rejects.toThrow();
    await dir.remove();
  });

  it('says in agent.status that the server.port setting chose the port, when no --port did', async () => {
    const dir = await tempDir();
    // A free port, saved as the setting; then a serve with no port of its own.
    const probe = await serve({ dataDir: join(dir.path, 'probe'), port: 0, embeddedDevnet: false });
    const free = probe.server.port;
    await probe.stop();
    const dataDir = join(dir.path, 'data');
    const setup = await createAgent({ dataDir, host: 'test' });
    expect((await setup.router.call('settings.update', { server: { port: free } })).ok).toBe(true);
    await setup.close();
    const serving = await serve({ dataDir, embeddedDevnet: false });
    try {
      expect(serving.server.port).toBe(free);
      const status = await serving.agent.router.call('agent.status', {});
      expect(status.ok && status.value).toMatchObject({
        server: { port: free, portFrom: 'setting' },
      });
    } finally {
      await serving.stop();
      await dir.remove();
    }
  });
});
