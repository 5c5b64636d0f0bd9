import { describe, expect, it } from 'vitest';
import { createSseParser, httpTransport, preloadTransport, takeToken } from './transport.ts';
import { defaultSettings, type AgentEvent } from '../../../agent/api/contract.ts';

describe('createSseParser', () => {
  it('splits a stream into events, across chunk boundaries, ignoring comments', () => {
    const seen: [string, string][] = [];
    const feed = createSseParser((event, data) => seen.push([event, data]));
    feed('retry: 2000\n\n: keep-alive\n\nevent: agent.log\ndata: {"a":');
    feed('1}\n\nevent: settings.changed\r\ndata: {}\r\n\r\n');
    expect(seen).toEqual([
      ['agent.log', '{"a":1}'],
      ['settings.changed', '{}'],
    ]);
  });
});

describe('takeToken', () => {
  it('takes the token from the fragment, keeps it for the tab and cleans the address', () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
    } as unknown as Storage;
    let replaced = '';
    const history = {
      replaceState: (_s: unknown, _t: string, url: string) => (replaced = url),
    } as unknown as History;
    const token = 'a'.repeat(43);
    expect(
      takeToken(
        { hash: `#token=${token}`, pathname: '/', search: '' } as Location,
        storage,
        history,
      ),
    ).toBe(token);
    expect(replaced).toBe('/#/dashboard');
    expect(
      takeToken({ hash: '#/settings', pathname: '/', search: '' } as Location, storage, history),
    ).toBe(token);
  });
});

describe('httpTransport', () => {
  it('sends the bearer token and checks the answer against the contract', async () => {
    const requests: [string, RequestInit][] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      requests.push([url, init]);
      return new Response(JSON.stringify({ ok: true, value: defaultSettings }), { status: 200 });
    }) as typeof fetch;
    const t = httpTransport('http://127.0.0.1:1', 'tok', fetchImpl);
    expect(await t.call('settings.get', {})).toEqual({ ok: true, value: defaultSettings });
    expect(requests[0]![0]).toBe('http://127.0.0.1:1/api/settings.get');
    expect((requests[0]![1].headers as Record<string, string>).Authorization).toBe('Bearer tok');
  });

  it('turns a malformed answer or a dead server into a typed error', async () => {
    const bad = httpTransport(
      'http://x',
      't',
      (async () => new Response('{"ok":true,"value":{"nope":1}}')) as unknown as typeof fetch,
    );
    expect(await bad.call('settings.get', {})).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL' },
    });
    const dead = httpTransport('http://x', 't', (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch);
    expect(await dead.call('agent.status', {})).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    });
  });
});

describe('preloadTransport', () => {
  it('drops events that are not in the contract', () => {
    let push: (e: unknown) => void = () => undefined;
    const t = preloadTransport({
      call: async () => ({}),
      onEvent: (l) => ((push = l), () => undefined),
    });
    const got: AgentEvent[] = [];
    const states: string[] = [];
    t.listen(
      (e) => got.push(e),
      (s) => states.push(s),
    );
    push({
      event: 'agent.log',
      payload: { level: 'info', subsystem: 's', message: 'm', at: 'now' },
    });
    push({ event: 'agent.log', payload: { level: 'LOUD' } });
    push({ event: 'wallet.stolen', payload: {} });
    expect(states).toEqual(['open']);
    expect(got).toHaveLength(1);
  });
});

describe('download links', () => {
  it("lead to roost serve over HTTP, and to the app's own origin through the preload bridge", () => {
    const ticket = `/download/${'t'.repeat(43)}`;
    expect(httpTransport('http://127.0.0.1:7787', 'token').linkUrl?.(ticket)).toBe(
      `http://127.0.0.1:7787${ticket}`,
    );
    const bridge = { call: async () => undefined, onEvent: () => () => undefined };
    expect(preloadTransport(bridge).linkUrl?.(ticket)).toBe(`${window.location.origin}${ticket}`);
  });
});

describe('chosen files', () => {
  it("have their own paths through the app's bridge, and are sent to roost serve over HTTP", () => {
    const chosen = new File(['x'], 'x.npy');
    const asked: unknown[] = [];
    const bridge = {
      call: async () => undefined,
      onEvent: () => () => undefined,
      pathForFile: (file: File) => {
        asked.push(file);
        return '/home/ana/x.npy';
      },
    };
    const app = preloadTransport(bridge);
    expect(app.pathOf?.(chosen)).toBe('/home/ana/x.npy');
    expect(asked).toEqual([chosen]);
    expect(app.upload).toBeUndefined();
    // An older bridge without it: no paths, so the page offers no file choosing there.
    expect(preloadTransport({ call: bridge.call, onEvent: bridge.onEvent }).pathOf).toBeUndefined();
    const served = httpTransport('http://127.0.0.1:7787', 'token');
    expect(served.pathOf).toBeUndefined();
    expect(typeof served.upload).toBe('function');
  });
});
