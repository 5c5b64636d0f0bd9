import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import type { AgentStatus } from '../api/contract.ts';
import { SERVE_FILE } from '../api/node-client.ts';
import type * as NodeClient from '../api/node-client.ts';
import { TOKEN_FILE } from '../api/token.ts';
import { statusCommand } from './status.ts';

// The real lookup, counted: each call reads serve.json.
const lookups = vi.hoisted(() => ({ serve: 0 }));
vi.mock('../api/node-client.ts', async (original) => {
  const real = await original<typeof NodeClient>();
  return {
    ...real,
    findRunningServer: (dataDir: string) => {
      lookups.serve += 1;
      return real.findRunningServer(dataDir);
    },
  };
});

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A `roost serve` stand-in: its serve.json and token, and an HTTP face answering agent.status. */
async function runningServe(dataDir: string): Promise<number> {
  const status: AgentStatus = {
    state: 'running',
    host: 'serve',
    startedAt: '2025-06-04T12:00:00.000Z',
    uptimeSeconds: 60,
    dataDir,
    server: null,
    warnings: [],
  };
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const ok = request.url === '/api/agent.status';
      response.writeHead(ok ? 200 : 404, { 'Content-Type': 'application/json' });
      response.end(
        JSON.stringify(
          ok ? { ok: true, value: status } : { ok: false, error: { code: 'NOT_FOUND' } },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  await writeFile(
    join(dataDir, SERVE_FILE),
    JSON.stringify({ pid: process.pid, port, startedAt: status.startedAt }),
  );
  await writeFile(join(dataDir, TOKEN_FILE), 'a-token\n');
  return port;
}

describe('roost status', () => {
  it('reads serve.json once, and asks the serve it names', async () => {
    const dir = await tempDir();
    cleanup.push(dir.remove);
    const port = await runningServe(dir.path);
    let stdout = '';
    lookups.serve = 0;
    const code = await statusCommand.run({
      io: { stdout: (t) => (stdout += t), stderr: () => undefined, env: {} },
      positionals: [],
      values: {},
      json: false,
      dataDir: dir.path,
    });
    expect(code).toBe(0);
    expect(stdout).toContain(`Roost is running (serve, at http://127.0.0.1:${port})`);
    expect(lookups.serve).toBe(1);
  });
});
