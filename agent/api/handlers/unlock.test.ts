import { afterEach, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../agent.ts';
import { tempDir } from '../../../test/support/temp-dir.ts';
import type { UnlockMemoryStatus } from '../contract.ts';
import { NO_UNLOCK_MEMORY, type UnlockMemory } from './unlock.ts';

const PASSWORD = 'a long enough wallet password';
const LIGHT = { N: 1024, r: 8, p: 1 };

/** What a desktop host injects: here in memory, with a switch for "no keyring". */
function fakeMemory(available = true) {
  const stored: string[] = [];
  const status = async (): Promise<UnlockMemoryStatus> => ({
    available,
    remembered: available && stored.length > 0,
    why: available ? null : 'no keyring here',
    backend: available ? 'kwallet5' : 'basic_text',
  });
  const memory: UnlockMemory = {
    status,
    async remember(password) {
      stored.push(password);
      return status();
    },
    async forget() {
      stored.length = 0;
      return status();
    },
  };
  return { memory, stored };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function agentWith(memory?: UnlockMemory): Promise<{ agent: Agent; logs: string[] }> {
  const dir = await tempDir('roost-unlock-api-');
  const agent = await createAgent({
    dataDir: dir.path,
    host: 'test',
    wallet: { scrypt: LIGHT },
    ...(memory ? { unlockMemory: memory } : {}),
  });
  const logs: string[] = [];
  agent.events.subscribe((e) => {
    if (e.event === 'agent.log') logs.push(e.payload.message);
  });
  cleanup.push(async () => {
    await agent.close();
    await dir.remove();
  });
  const imported = await agent.router.call('wallet.import', {
    kind: 'privateKey',
    privateKey: `0x${'11'.repeat(32)}`,
    password: PASSWORD,
  });
  expect(imported.ok).toBe(true);
  await agent.router.call('wallet.lock', {});
  return { agent, logs };
}

describe('unlock.* (the remembered password)', () => {
  it('headless: not available, in words, and remember is refused', async () => {
    const { agent } = await agentWith();
    expect(await agent.router.call('unlock.status', {})).toEqual({
      ok: true,
      value: NO_UNLOCK_MEMORY,
    });
    const refused = await agent.router.call('unlock.remember', { password: PASSWORD });
    expect(refused).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(JSON.stringify(refused)).toMatch(/Only the desktop app/);
    expect(await agent.router.call('unlock.forget', {})).toMatchObject({ ok: true });
  });

  it('checks the password by unlocking with it before remembering it', async () => {
    const { memory, stored } = fakeMemory();
    const { agent, logs } = await agentWith(memory);
    const wrong = await agent.router.call('unlock.remember', { password: 'not the password!' });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'WALLET_WRONG_PASSWORD' } });
    expect(stored).toEqual([]);

    const ok = await agent.router.call('unlock.remember', { password: PASSWORD });
    expect(ok).toEqual({
      ok: true,
      value: { available: true, remembered: true, why: null, backend: 'kwallet5' },
    });
    expect(stored).toEqual([PASSWORD]);
    const wallet = await agent.router.call('wallet.status', {});
    expect(wallet).toMatchObject({ ok: true, value: { state: 'unlocked' } });
    expect(await agent.router.call('unlock.forget', {})).toMatchObject({
      ok: true,
      value: { remembered: false },
    });
    // Neither answer nor log repeats the password.
    expect(JSON.stringify([wrong, ok])).not.toContain(PASSWORD);
    expect(logs.join('\n')).not.toContain(PASSWORD);
  });

  it('refuses, saying why, where the keychain cannot keep it (basic_text)', async () => {
    const { memory, stored } = fakeMemory(false);
    const { agent } = await agentWith(memory);
    const refused = await agent.router.call('unlock.remember', { password: PASSWORD });
    expect(refused).toEqual({
      ok: false,
      error: { code: 'UNAVAILABLE', message: 'no keyring here' },
    });
    expect(stored).toEqual([]);
    // The wallet was not unlocked for a remember that could not happen.
    expect(await agent.router.call('wallet.status', {})).toMatchObject({
      value: { state: 'locked' },
    });
  });

  it('never quotes a password it refuses as params', async () => {
    const { agent } = await agentWith();
    const bad = await agent.router.call('unlock.remember', { password: PASSWORD, extra: 1 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    expect(JSON.stringify(bad)).not.toContain(PASSWORD);
  });
});
