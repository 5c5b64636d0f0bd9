import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  methods,
  resultSchema,
  type AgentEvent,
  type MethodName,
  type ParamsOf,
  type Result,
  type ResultOf,
} from './contract.ts';
import { TOKEN_FILE } from './token.ts';
import { processAlive } from '../store/instance-lock.ts';

/** A typed caller of the contract, whatever carries the call (in-process, HTTP). */
export interface ApiClient {
  call<M extends MethodName>(method: M, params?: ParamsOf<M>): Promise<Result<ResultOf<M>>>;
  /** For `roost api <method>`: any name, untyped params. */
  callRaw(method: string, params: unknown): Promise<Result<unknown>>;
  readonly via: string;
  /** The agent's events, when it runs in this process (progress of a job run here). */
  readonly events?: { subscribe(listener: (event: AgentEvent) => void): () => void };
}

export const SERVE_FILE = 'serve.json';
export const serveInfoSchema = z.object({
  pid: z.number().int().positive(),
  port: z.number().int().positive(),
  startedAt: z.string(),
});
export type ServeInfo = z.infer<typeof serveInfoSchema>;

/**
 * What a running Roost wrote in its data folder (`serve.json`, the desktop app's `app.json`) and
 * the folder's API token, if the file parses and its process is alive (a crash leaves the file).
 */
export async function readLiveInfo<T extends { pid: number }>(
  dataDir: string,
  file: string,
  schema: z.ZodType<T>,
): Promise<(T & { token: string }) | undefined> {
  let info: T;
  let token: string;
  try {
    const parsed = schema.safeParse(JSON.parse(await readFile(join(dataDir, file), 'utf8')));
    if (!parsed.success) return undefined;
    info = parsed.data;
    token = (await readFile(join(dataDir, TOKEN_FILE), 'utf8')).trim();
  } catch {
    return undefined;
  }
  if (!processAlive(info.pid)) return undefined; // stale file: the process is gone
  return { ...info, token };
}

/** The running `roost serve` of a data folder, if one is alive. */
export function findRunningServer(
  dataDir: string,
): Promise<(ServeInfo & { token: string }) | undefined> {
  return readLiveInfo(dataDir, SERVE_FILE, serveInfoSchema);
}

/**
 * Calls a running Roost over HTTP with its token: `roost serve` at its URL, or the desktop app
 * through its command channel (a `fetchImpl` over the socket, `via` naming it).
 */
export function httpClient(
  baseUrl: string,
  token: string,
  fetchImpl: typeof fetch = fetch,
  via: string = baseUrl,
): ApiClient {
  const who = via === baseUrl ? `Roost at ${baseUrl}` : `Roost (${via})`;
  const callRaw = async (method: string, params: unknown): Promise<Result<unknown>> => {
    let response: Response;
    try {
      response = await fetchImpl(`${baseUrl}/api/${encodeURIComponent(method)}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(params ?? {}),
      });
    } catch (error) {
      return {
        ok: false,
        error: {
          code: 'UNAVAILABLE',
          message: `${who} did not answer (${(error as Error).message}). Run the command again in a moment; if it goes on, restart Roost (quit the app, or stop roost serve and start it again).`,
        },
      };
    }
    const body: unknown = await response.json().catch(() => undefined);
    const known = methods[method as MethodName];
    const parsed = resultSchema(known ? known.result : z.unknown()).safeParse(body);
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          code: 'INTERNAL',
          message: `${who} answered ${response.status} with something that is not an API result.`,
        },
      };
    }
    return parsed.data as Result<unknown>;
  };
  return {
    via,
    callRaw,
    call: (method, params) => callRaw(method, params) as never,
  };
}
