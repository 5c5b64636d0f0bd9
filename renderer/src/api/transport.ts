/**
 * The one module that knows how the renderer reaches the agent: Electron's preload bridge when
 * present (`window.roost`), otherwise HTTP + server-sent events to `roost serve` with the token.
 */
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
  type UploadedFile,
  uploadedFileSchema,
} from '../../../agent/api/contract.ts';

/** What electron/preload.ts exposes through contextBridge; nothing else crosses. */
export interface PreloadBridge {
  call(method: string, params: unknown): Promise<unknown>;
  onEvent(listener: (event: unknown) => void): () => void;
  /** A file chosen in the window: its path on this computer ('' when it has none). */
  pathForFile?(file: File): string;
}

declare global {
  interface Window {
    roost?: PreloadBridge;
  }
}

export type ConnectionState = 'connecting' | 'open' | 'retrying' | 'unauthorized';

export interface Transport {
  call(method: string, params: unknown): Promise<Result<unknown>>;
  /**
   * The address of a download link the agent handed out (`/download/<ticket>`): on `roost serve`
   * over HTTP, and on the desktop app's own origin (`roost://app`), which serves them too.
   */
  linkUrl?: (path: string) => string;
  /**
   * Where a file chosen on the page is on the machine Roost runs on, when the page can know (the
   * desktop app, where both are this computer): its path, or '' for a file with none.
   */
  pathOf?: (file: File) => string;
  /**
   * Sends a chosen file's bytes to an upload link the agent handed out (`/upload/<ticket>`, from
   * job.uploadFiles) where the page can't know its path (the browser dashboard of roost serve);
   * `onProgress` hears the bytes sent so far.
   */
  upload?: (
    link: string,
    file: Blob,
    onProgress?: (sent: number) => void,
    signal?: AbortSignal,
  ) => Promise<Result<UploadedFile>>;
  /** Starts receiving events; returns a function that stops. */
  listen(
    onEvent: (event: AgentEvent) => void,
    onState: (state: ConnectionState) => void,
  ): () => void;
}

export interface ApiClient {
  call<M extends MethodName>(
    method: M,
    ...params: keyof ParamsOf<M> extends never ? [ParamsOf<M>?] : [ParamsOf<M>]
  ): Promise<Result<ResultOf<M>>>;
  listen: Transport['listen'];
  linkUrl?: Transport['linkUrl'];
  pathOf?: Transport['pathOf'];
  upload?: Transport['upload'];
}

function parseEvent(raw: unknown): AgentEvent | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const { event, payload } = raw as { event?: unknown; payload?: unknown };
  if (typeof event !== 'string' || !isEventName(event)) return undefined;
  const parsed = eventSchemas[event].safeParse(payload);
  return parsed.success ? ({ event, payload: parsed.data } as AgentEvent) : undefined;
}

/** Every answer is checked against the contract, whichever side of the bridge it came from. */
function checkResult(method: string, raw: unknown): Result<unknown> {
  const spec = (methods as Record<string, { result: Parameters<typeof resultSchema>[0] }>)[method];
  if (!spec)
    return {
      ok: false,
      error: { code: 'UNKNOWN_METHOD', message: `There is no method "${method}".` },
    };
  const parsed = resultSchema(spec.result).safeParse(raw);
  return parsed.success
    ? (parsed.data as Result<unknown>)
    : {
        ok: false,
        error: {
          code: 'INTERNAL',
          message: `The agent answered ${method} with something unexpected.`,
        },
      };
}

export function preloadTransport(bridge: PreloadBridge): Transport {
  return {
    // The app's own origin (roost://app) serves the agent's download links.
    linkUrl: (path) => `${window.location.origin}${path}`,
    ...(bridge.pathForFile ? { pathOf: (file: File) => bridge.pathForFile?.(file) ?? '' } : {}),
    async call(method, params) {
      try {
        return checkResult(method, await bridge.call(method, params));
      } catch (error) {
        return {
          ok: false,
          error: { code: 'UNAVAILABLE', message: `The agent did not answer (${String(error)}).` },
        };
      }
    },
    listen(onEvent, onState) {
      onState('open');
      return bridge.onEvent((raw) => {
        const event = parseEvent(raw);
        if (event) onEvent(event);
      });
    },
  };
}

/** Splits a server-sent-events byte stream into `{ event, data }` messages. */
export function createSseParser(
  onMessage: (event: string, data: string) => void,
): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) onMessage(event, data.join('\n'));
    }
  };
}

/** What an upload stopped on the page's word answers. */
export const UPLOAD_STOPPED = 'The upload was stopped.';

function stopped(): Result<UploadedFile> {
  return { ok: false, error: { code: 'UNAVAILABLE', message: UPLOAD_STOPPED } };
}

/**
 * PUTs a file to an upload link. XMLHttpRequest, not fetch: only it reports how much of a request
 * body has gone, which a big model or batch needs for its progress bar.
 */
function uploadTo(
  url: string,
  file: Blob,
  onProgress?: (sent: number) => void,
  signal?: AbortSignal,
): Promise<Result<UploadedFile>> {
  const failed = (message: string): Result<UploadedFile> => ({
    ok: false,
    error: { code: 'UNAVAILABLE', message },
  });
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded);
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      const parsed = resultSchema(uploadedFileSchema).safeParse(body);
      resolve(
        parsed.success
          ? (parsed.data as Result<UploadedFile>)
          : failed(`Roost answered the upload with something unexpected (HTTP ${xhr.status}).`),
      );
    };
    xhr.onerror = () =>
      resolve(
        failed('The upload stopped: Roost is not answering. Is `roost serve` still running?'),
      );
    xhr.onabort = () => resolve(stopped());
    if (signal?.aborted) return resolve(stopped());
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

export function httpTransport(
  baseUrl: string,
  token: string,
  fetchImpl: typeof fetch = fetch.bind(globalThis),
): Transport {
  const headers = { Authorization: `Bearer ${token}` };
  return {
    linkUrl: (path) => `${baseUrl}${path}`,
    upload: (link, file, onProgress, signal) =>
      uploadTo(`${baseUrl}${link}`, file, onProgress, signal),
    async call(method, params) {
      let response: Response;
      try {
        response = await fetchImpl(`${baseUrl}/api/${encodeURIComponent(method)}`, {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/json' },
          body: JSON.stringify(params ?? {}),
        });
      } catch {
        return {
          ok: false,
          error: {
            code: 'UNAVAILABLE',
            message: 'Roost is not answering. Is `roost serve` still running?',
          },
        };
      }
      const body: unknown = await response.json().catch(() => undefined);
      return checkResult(method, body);
    },
    listen(onEvent, onState) {
      let stopped = false;
      let controller: AbortController | undefined;
      let delay = 1000;
      const connect = async () => {
        while (!stopped) {
          controller = new AbortController();
          try {
            const response = await fetchImpl(`${baseUrl}/api/events`, {
              headers,
              signal: controller.signal,
            });
            if (response.status === 401) {
              onState('unauthorized');
              return;
            }
            if (!response.ok || !response.body) throw new Error(`status ${response.status}`);
            onState('open');
            delay = 1000;
            const parse = createSseParser((event, data) => {
              try {
                const parsed = parseEvent({ event, payload: JSON.parse(data) });
                if (parsed) onEvent(parsed);
              } catch {
                // A malformed message is dropped; the stream goes on.
              }
            });
            const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              parse(value);
            }
          } catch {
            if (stopped) return;
          }
          if (stopped) return;
          onState('retrying');
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 15_000);
        }
      };
      onState('connecting');
      void connect();
      return () => {
        stopped = true;
        controller?.abort();
      };
    },
  };
}

const TOKEN_KEY = 'roost.token';

/**
 * The token arrives in the URL fragment (`#token=...`, never sent in a request line); it is kept
 * for this tab only and removed from the address bar.
 */
export function takeToken(
  location: Location,
  storage: Storage,
  history: History,
): string | undefined {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (match?.[1]) {
    storage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, '', `${location.pathname}${location.search}#/dashboard`);
    return match[1];
  }
  return storage.getItem(TOKEN_KEY) ?? undefined;
}

export function saveToken(storage: Storage, token: string): void {
  storage.setItem(TOKEN_KEY, token);
}

export function forgetToken(storage: Storage): void {
  storage.removeItem(TOKEN_KEY);
}

export function createClient(transport: Transport): ApiClient {
  return {
    call: ((method: MethodName, params?: unknown) =>
      transport.call(method, params ?? {})) as ApiClient['call'],
    listen: transport.listen,
    ...(transport.linkUrl ? { linkUrl: transport.linkUrl } : {}),
    ...(transport.pathOf ? { pathOf: transport.pathOf } : {}),
    ...(transport.upload ? { upload: transport.upload } : {}),
  };
}
