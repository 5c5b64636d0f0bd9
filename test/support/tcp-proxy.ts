/**
 * A TCP proxy on 127.0.0.1 in front of a local service (a devnet's RPC), for tests of what
 * happens while that service is unreachable: stop() closes the port and cuts every open
 * connection, so clients see ECONNREFUSED or ECONNRESET exactly as with a node that went away;
 * start() listens on the same port again.
 */
import { Socket, createServer } from 'node:net';
import type { Server } from 'node:net';

export interface TcpProxy {
  /** The target's URL with host and port replaced: `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Whether it currently forwards. */
  readonly running: boolean;
  /** Refuse new connections and drop open ones. Safe to call when stopped. */
  stop(): Promise<void>;
  /** Forward again, on the same port. Safe to call when running. */
  start(): Promise<void>;
  /** Stop for good. */
  close(): Promise<void>;
}

/** Starts a running proxy to `targetUrl` (an http(s) URL or `host:port` on this machine). */
export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl.includes('://') ? targetUrl : `tcp://${targetUrl}`);
  const targetHost = target.hostname;
  const targetPort = Number(target.port);
  if (!Number.isInteger(targetPort) || targetPort <= 0) {
    throw new Error(`startTcpProxy needs a URL with a port, got ${targetUrl}`);
  }
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  let closed = false;

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const next = createServer((client) => {
        const upstream = new Socket();
        sockets.add(client);
        sockets.add(upstream);
        const drop = (): void => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop);
        upstream.on('error', drop);
        client.on('close', drop);
        upstream.on('close', drop);
        upstream.connect(targetPort, targetHost, () => {
          client.pipe(upstream);
          upstream.pipe(client);
        });
      });
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        next.off('error', reject);
        const address = next.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('the proxy has no TCP address'));
          return;
        }
        port = address.port;
        server = next;
        resolve();
      });
    });

  const stop = async (): Promise<void> => {
    const current = server;
    if (current === null) return;
    server = null;
    const closing = new Promise<void>((resolve) => current.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closing;
  };

  await listen();
  const scheme = target.protocol === 'tcp:' ? 'http:' : target.protocol;
  const path = target.pathname === '/' ? '' : target.pathname;
  const url = `${scheme}//127.0.0.1:${port}${path}`;
  return {
    url,
    port,
    get running() {
      return server !== null;
    },
    stop,
    async start() {
      if (closed) throw new Error('the proxy was closed');
      if (server === null) await listen();
    },
    async close() {
      closed = true;
      await stop();
    },
  };
}
