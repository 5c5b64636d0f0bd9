/**
 * A JSON-RPC proxy on 127.0.0.1 that counts the calls passing through it by method, for tests of
 * how much a client asks of a node (a public RPC limits and bills by the request).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RpcCounter {
  url: string;
  /** Calls since the last reset, by method (a batch counts each call in it). */
  counts(): Record<string, number>;
  total(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startRpcCounter(targetUrl: string): Promise<RpcCounter> {
  let counts: Record<string, number> = {};
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const parsed = JSON.parse(body) as { method?: unknown } | { method?: unknown }[];
        for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
          const method = typeof call.method === 'string' ? call.method : '?';
          counts[method] = (counts[method] ?? 0) + 1;
        }
      } catch {
        counts['(not JSON)'] = (counts['(not JSON)'] ?? 0) + 1;
      }
      fetch(targetUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then(async (answer) => {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(await answer.text());
        })
        .catch((error: unknown) => {
          res.writeHead(502);
          res.end(String(error));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      counts = {};
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
