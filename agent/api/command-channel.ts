/**
 * The desktop app's channel for `roost` commands. The app shows no dashboard over HTTP, but a
 * user who keeps it in the tray still types `roost status` or `roost job run` in a terminal; with
 * no way in, every command would start a second agent on the same data folder (which the folder
 * lock refuses). So the app answers the same API as `roost serve` on a Unix socket in its data
 * folder (a named pipe on Windows): no port, no network, no firewall prompt. Every request still
 * needs the data folder's API token; `app.json` tells commands where the channel is.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { startHttpServer, type RunningServer } from './http-server.ts';
import { readLiveInfo } from './node-client.ts';
import { loadOrCreateToken } from './token.ts';
import type { Agent } from '../agent.ts';
import { writeFileAtomic } from '../store/atomic-file.ts';

/** Where the running desktop app says its channel is. */
export const APP_FILE = 'app.json';
export const SOCKET_FILE = 'agent.sock';

const appInfoSchema = z.object({
  pid: z.number().int().positive(),
  socket: z.string().min(1).max(1000),
  startedAt: z.string(),
});
export type AppInfo = z.infer<typeof appInfoSchema>;

/** Unix socket paths longer than this do not fit sockaddr_un (104 bytes on macOS, 108 on Linux). */
const MAX_SOCKET_PATH_BYTES = 103;

/**
 * The channel's address for a data folder: `\\.\pipe\roost-<hash>` on Windows; else
 * `<dataDir>/agent.sock`, or, where that path is too long for a socket, `agent.sock` in a private
 * folder under the temp dir named by the data folder's hash.
 */
export function commandSocketPath(
  dataDir: string,
  platform: NodeJS.Platform = process.platform,
  temp: string = tmpdir(),
): string {
  const hash = createHash('sha256')
    .update(platform === 'win32' ? resolve(dataDir).toLowerCase() : resolve(dataDir))
    .digest('hex')
    .slice(0, 16);
  if (platform === 'win32') return `\\\\.\\pipe\\roost-${hash}`;
  const inside = join(resolve(dataDir), SOCKET_FILE);
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH_BYTES) return inside;
  return join(temp, `roost-${hash}`, SOCKET_FILE);
}

/** Makes the socket's folder ready: ours, a real folder, and private when it is one of ours in the temp dir. */
async function prepareSocketFolder(socket: string, dataDir: string): Promise<void> {
  const folder = join(socket, '..');
  if (resolve(folder) !== resolve(dataDir)) {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const info = await lstat(folder);
    const uid = process.getuid?.();
    if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o077) !== 0)
      throw new Error(
        `${folder} is not a private folder of this user; remove it, or use a data folder with a shorter path.`,
      );
  }
  // A socket left by a desktop app that was killed: this process holds the folder's lock now.
  const old = await lstat(socket).catch(() => undefined);
  if (old?.isSocket()) await rm(socket, { force: true });
}

export interface CommandChannelOptions {
  dataDir: string;
  /** The app's agent: the router answers, the log says where, the token is kept out of logs. */
  agent: Pick<Agent, 'router' | 'events' | 'log' | 'addSecret'>;
  platform?: NodeJS.Platform;
}

export interface CommandChannel {
  readonly socket: string;
  close(): Promise<void>;
}

/** Starts answering commands for the app's agent; call while holding the data folder's lock. */
export async function startCommandChannel(options: CommandChannelOptions): Promise<CommandChannel> {
  const { dataDir, agent } = options;
  const platform = options.platform ?? process.platform;
  const socket = commandSocketPath(dataDir, platform);
  const token = await loadOrCreateToken(dataDir);
  agent.addSecret(token);
  if (platform !== 'win32') await prepareSocketFolder(socket, dataDir);
  const server: RunningServer = await startHttpServer({
    router: agent.router,
    events: agent.events,
    log: agent.log.child('commands'),
    token,
    port: 0,
    socketPath: socket,
  });
  const appFile = join(dataDir, APP_FILE);
  try {
    if (platform !== 'win32') await chmod(socket, 0o600);
    const info: AppInfo = { pid: process.pid, socket, startedAt: new Date().toISOString() };
    await writeFileAtomic(appFile, JSON.stringify(info) + '\n', 0o600);
  } catch (error) {
    await server.close();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    socket,
    close() {
      closed ??= (async () => {
        await server.close();
        await rm(appFile, { force: true });
        if (platform !== 'win32') await rm(socket, { force: true });
      })();
      return closed;
    },
  };
}

/** The running desktop app's channel for this data folder, if the app is alive. */
export function findRunningApp(
  dataDir: string,
): Promise<(AppInfo & { token: string }) | undefined> {
  return readLiveInfo(dataDir, APP_FILE, appInfoSchema);
}

/**
 * A `fetch` that reaches a server on a Unix socket or named pipe: the part of fetch the API
 * client uses (POST with headers and a JSON body, or GET of the event stream; the status, and
 * the body as it arrives; an abort signal).
 */
export function socketFetch(socket: string): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const headers: Record<string, string> = { Host: 'localhost' };
    new Headers(init?.headers).forEach((value, key) => (headers[key] = value));
    const body = typeof init?.body === 'string' ? init.body : undefined;
    if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
    const signal = init?.signal ?? undefined;
    signal?.throwIfAborted();
    return new Promise<Response>((settle, fail) => {
      const req = request(
        {
          socketPath: socket,
          method: init?.method ?? 'GET',
          path: url.pathname + url.search,
          headers,
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 500;
          if ([204, 205, 304].includes(status)) {
            res.resume();
            settle(new Response(null, { status }));
            return;
          }
          // As it arrives: the event stream never ends while the app runs.
          settle(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status }));
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  }) as typeof fetch;
}
