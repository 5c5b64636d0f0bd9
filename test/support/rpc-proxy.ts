/**
 * A JSON-RPC proxy on 127.0.0.1 that counts the calls passing through it by method, for tests of
 * how much a client asks of a node (a public RPC limits and bills by the request). `before` sees
 * each request's calls before they go on, to change the chain at an exact moment of a client's
 * work (a reorganisation just as a transaction is prepared).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RpcProxy {
  url: string;
  /** Calls since the last reset, by method (a batch counts each call in it). */
  counts(): Record<string, number>;
  total(): number;
  reset(): void;
  close(): Promise<void>;
}

export interface RpcCall {
  method: string;
  params: unknown[];
}

export async function startRpcProxy(
  targetUrl: string,
  options: { before?: (calls: RpcCall[]) => Promise<void> } = {},
): Promise<RpcProxy> {
  let counts: Record<string, number> = {};
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const calls: RpcCall[] = [];
      try {
        const parsed = JSON.parse(body) as
          { method?: unknown; params?: unknown } | { method?: unknown; params?: unknown }[];
        for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
          const method = typeof call.method === 'string' ? call.method : '?';
          counts[method] = (counts[method] ?? 0) + 1;
          calls.push({ method, params: Array.isArray(call.params) ? call.params : [] });
        }
      } catch {
        counts['(not JSON)'] = (counts['(not JSON)'] ?? 0) + 1;
      }
      Promise.resolve(options.before?.(calls))
        .then(() =>
          fetch(targetUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }),
        )
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
