import { describe, expect, it } from 'vitest';
import { isTrustedSender, registerIpc, methodChannel, EVENT_CHANNEL } from './ipc.ts';
import { methodNames, type Result } from '../agent/api/contract.ts';
import { EventBus } from '../agent/events.ts';
import type { Router } from '../agent/api/router.ts';

type Handler = (event: unknown, params: unknown) => Promise<Result<unknown>>;

function frame(url: string, parent: unknown = null) {
  return { url, parent };
}

describe('isTrustedSender', () => {
  const ids = new Set([7]);
  it('trusts only the top frame of our window on the app origin', () => {
    expect(
      isTrustedSender(
        { senderFrame: frame('roost://app/index.html'), sender: { id: 7 } } as never,
        ids,
      ),
    ).toBe(true);
    expect(
      isTrustedSender(
        { senderFrame: frame('roost://app/index.html', {}), sender: { id: 7 } } as never,
        ids,
      ),
    ).toBe(false);
    expect(
      isTrustedSender(
        { senderFrame: frame('https://evil.example/'), sender: { id: 7 } } as never,
        ids,
      ),
    ).toBe(false);
    expect(
      isTrustedSender(
        { senderFrame: frame('roost://app/index.html'), sender: { id: 8 } } as never,
        ids,
      ),
    ).toBe(false);
    expect(isTrustedSender({ senderFrame: null, sender: { id: 7 } } as never, ids)).toBe(false);
  });
});

describe('registerIpc', () => {
  function setup() {
    const handlers = new Map<string, Handler>();
    const calls: [string, unknown][] = [];
    const router: Router = {
      methods: methodNames,
      call: async (method, params) => {
        calls.push([method, params]);
        return { ok: true, value: 'done' };
      },
    };
    const events = new EventBus();
    const sent: [string, unknown][] = [];
    const contents = {
      id: 7,
      isDestroyed: () => false,
      getURL: () => 'roost://app/index.html',
      send: (c: string, m: unknown) => sent.push([c, m]),
    };
    const logged: string[] = [];
    const unregister = registerIpc({
      ipcMain: {
        handle: (channel: string, h: Handler) => handlers.set(channel, h),
        removeHandler: (channel: string) => handlers.delete(channel),
      } as never,
      router,
      events,
      trustedContents: () => [contents as never],
      log: (m) => logged.push(m),
    });
    return { handlers, calls, events, sent, logged, unregister };
  }

  it('registers exactly one channel per contract method', () => {
    const { handlers } = setup();
    expect([...handlers.keys()].sort()).toEqual(methodNames.map(methodChannel).sort());
  });

  it('passes a trusted call to the router', async () => {
    const { handlers, calls } = setup();
    const r = await handlers.get('roost:settings.update')!(
      { senderFrame: frame('roost://app/'), sender: { id: 7 } },
      { work: { idleMinutes: 3 } },
    );
    expect(r).toEqual({ ok: true, value: 'done' });
    expect(calls).toEqual([['settings.update', { work: { idleMinutes: 3 } }]]);
  });

  it('refuses an untrusted sender without reaching the agent', async () => {
    const { handlers, calls, logged } = setup();
    const r = await handlers.get('roost:settings.get')!(
      { senderFrame: frame('https://evil.example/'), sender: { id: 7 } },
      {},
    );
    expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(calls).toEqual([]);
    expect(logged[0]).toContain('refused settings.get');
  });

  it('forwards agent events to our windows, and unregisters cleanly', () => {
    const { events, sent, unregister, handlers } = setup();
    events.emit('agent.log', { level: 'info', subsystem: 't', message: 'hi', at: 'now' });
    expect(sent).toEqual([
      [
        EVENT_CHANNEL,
        {
          event: 'agent.log',
          payload: { level: 'info', subsystem: 't', message: 'hi', at: 'now' },
        },
      ],
    ]);
    unregister();
    expect(handlers.size).toBe(0);
    events.emit('agent.log', { level: 'info', subsystem: 't', message: 'again', at: 'now' });
    expect(sent).toHaveLength(1);
  });
});
