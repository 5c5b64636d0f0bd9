import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../test/support/temp-dir.ts';
import { EventBus } from '../events.ts';
import { createLogger, type LogEntry } from '../log.ts';
import { createRouter, type Handlers } from './router.ts';
import { methodNames } from './contract.ts';
import { startHttpServer, type RunningServer } from './http-server.ts';
import { createUploadLinks, type UploadLinks } from './upload-links.ts';

describe('an upload link on the HTTP server', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let server: RunningServer;
  let uploads: UploadLinks;
  const logged: LogEntry[] = [];
  beforeEach(async () => {
    dir = await tempDir();
    uploads = createUploadLinks({ dir: join(dir.path, 'uploads') });
    const log = createLogger({ sink: (e) => logged.push(e) });
    server = await startHttpServer({
      // No method is called here: uploads go around the API.
      router: createRouter(
        Object.fromEntries(
          methodNames.map((m) => [m, () => Promise.reject(new Error(`${m} was called`))]),
        ) as unknown as Handlers,
        log,
      ),
      events: new EventBus(),
      log,
      token: 't'.repeat(43),
      port: 0,
      uploads,
      uploadIdleSeconds: 0.3,
    });
  });
  afterEach(async () => {
    await server?.close();
    await dir.remove();
  });

  it('cuts an upload that stalls, keeping nothing of it', async () => {
    const issued = await uploads.issue([{ name: 'big.onnx', bytes: 1000 }]);
    const [file] = issued.files;
    // Sends a third of the file, then nothing: the server hangs up after its idle time.
    const ended = await new Promise<string>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port: server.port,
        method: 'PUT',
        path: file!.link,
        headers: { 'Content-Length': '1000' },
      });
      req.on('response', (res) => resolve(`answered ${res.statusCode}`));
      req.on('error', (error) => resolve(`cut: ${(error as NodeJS.ErrnoException).code}`));
      req.write(Buffer.alloc(333));
    });
    expect(ended).toBe('cut: ECONNRESET');
    await expect.poll(() => readdir(issued.folder)).toEqual([]);
    expect(logged.map((e) => e.message)).toContain(
      'upload of big.onnx stopped: nothing came for too long',
    );
  });
});
