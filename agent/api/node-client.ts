import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  events as eventSchemas,
  isEventName,
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
  /** The agent runs in this process (the command's own), not in a running Roost. */
  readonly inProcess: boolean;
  /**
   * The agent's events: this process's own agent's, or a running Roost's through its event
   * stream (absent where it can't be followed). A stream may start a moment after subscribing.
   */
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
    inProcess: false,
    callRaw,
    call: (method, params) => callRaw(method, params) as never,
    events: { subscribe: (listener) => followEvents(baseUrl, token, fetchImpl, listener) },
  };
}

/** A stream's block longer than this is not one of Roost's events: it is dropped. */
const MAX_EVENT_CHARS = 1_000_000;
/** Between a stream that ended or failed and the next try (the server's own `retry:`). */
const RECONNECT_MS = 2000;

/**
 * One event of a server-sent event stream's block (`event: job.progress` and `data: {...}`
 * lines), checked against the contract; undefined for a comment, an unknown event or a payload
 * that is not the contract's.
 */
export function parseEventBlock(block: string): AgentEvent | undefined {
  let name: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (name === undefined || !isEventName(name) || data.length === 0) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(data.join('\n'));
  } catch {
    return undefined;
  }
  const parsed = eventSchemas[name].safeParse(payload);
  return parsed.success ? ({ event: name, payload: parsed.data } as AgentEvent) : undefined;
}

/**
 * Follows a running Roost's `/api/events` until the returned stop is called: each event the
 * contract knows goes to `listener`; a stream that fails or ends is opened again 2 s later.
 */
function followEvents(
  baseUrl: string,
  token: string,
  fetchImpl: typeof fetch,
  listener: (event: AgentEvent) => void,
): () => void {
  const stop = new AbortController();
  void (async () => {
    while (!stop.signal.aborted) {
      try {
        const response = await fetchImpl(`${baseUrl}/api/events`, {
          headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
          signal: stop.signal,
        });
        if (response.ok && response.body) {
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value.replaceAll('\r\n', '\n');
            for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
              const event = parseEventBlock(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
              if (event && !stop.signal.aborted) listener(event);
            }
            if (buffer.length > MAX_EVENT_CHARS) buffer = '';
          }
        } else await response.body?.cancel();
      } catch {
        // Gone, refused or stopped: tried again below unless stopped.
      }
      await sleep(RECONNECT_MS, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  })();
  return () => stop.abort();
}
