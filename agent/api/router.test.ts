import { describe, expect, it } from 'vitest';
import { createRouter, type Handlers } from './router.ts';
import { ApiFailure } from './errors.ts';
import { createLogger } from '../log.ts';
import { defaultSettings, methodNames, type AgentEvent } from './contract.ts';
import { EventBus } from '../events.ts';

/** Every method answers UNAVAILABLE unless a test gives it a handler. */
function handlers(overrides: Partial<Handlers> = {}): Handlers {
  const base = Object.fromEntries(
    methodNames.map((m) => [
      m,
      () => {
        throw new ApiFailure('UNAVAILABLE', `${m} is not part of this test`);
      },
    ]),
  ) as unknown as Handlers;
  return {
    ...base,
    'agent.version': () => ({
      roost: '1',
      contract: 1,
      node: '24',
      platform: 'linux',
      arch: 'x64',
    }),
    'settings.get': () => defaultSettings,
    'settings.update': () => defaultSettings,
    ...overrides,
  };
}

describe('router', () => {
  const events = new EventBus();
  const seen: AgentEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const log = createLogger({ events });

  it('answers an unknown method with UNKNOWN_METHOD and the known ones', async () => {
    const r = await createRouter(handlers(), log).call('wallet.steal', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    if (!r.ok) expect(r.error.message).toContain('settings.update');
  });

  it('refuses invalid params in plain words, before the handler runs', async () => {
    let ran = false;
    const router = createRouter(
      handlers({
        'settings.update': () => {
          ran = true;
          return defaultSettings;
        },
      }),
      log,
    );
    const r = await router.call('settings.update', { work: { idleMinutes: 'soon' } });
    expect(ran).toBe(false);
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    if (!r.ok) expect(r.error.message).toBe('work.idleMinutes must be a number (got "soon").');
    // The method is for the log, not for the user reading the message.
    if (!r.ok) expect(r.error.message).not.toContain('settings.update');
    const r2 = await router.call('agent.status', { verbose: true });
    if (!r2.ok) expect(r2.error.message).toContain('unknown key "verbose"');
    else expect.fail('extra params must be refused');
  });

  it('passes typed failures through and hides crashes behind INTERNAL', async () => {
    const router = createRouter(
      handlers({
        'settings.get': () => {
          throw new ApiFailure('UNAVAILABLE', 'busy');
        },
        'agent.version': () => {
          throw new TypeError('secret internals');
        },
      }),
      log,
    );
    expect(await router.call('settings.get', {})).toEqual({
      ok: false,
      error: { code: 'UNAVAILABLE', message: 'busy' },
    });
    const crashed = await router.call('agent.version', {});
    expect(crashed).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    if (!crashed.ok) expect(crashed.error.message).not.toContain('secret');
    expect(
      seen.some(
        (e) =>
          e.event === 'agent.log' &&
          e.payload.level === 'error' &&
          e.payload.message.includes('secret internals'),
      ),
    ).toBe(true);
  });

  it('does not let a handler answer outside the contract', async () => {
    const router = createRouter(handlers({ 'agent.version': () => ({ roost: 1 }) as never }), log);
    expect(await router.call('agent.version', {})).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL' },
    });
  });

  it('treats missing params as empty', async () => {
    expect(await createRouter(handlers(), log).call('agent.version', undefined)).toMatchObject({
      ok: true,
    });
  });
});
