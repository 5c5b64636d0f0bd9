import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../api/node-client.ts';
import { runWalletCommand, unlockLasts } from './wallet.ts';

async function wallet(positionals: string[], json: boolean, answers: Record<string, unknown>) {
  let out = '';
  let err = '';
  const client = {
    call: async (method: string) =>
      answers[method] ?? { ok: false, error: { code: 'UNAVAILABLE', message: 'no' } },
  } as unknown as ApiClient;
  const code = await runWalletCommand({
    client,
    positionals,
    values: { yes: true },
    json,
    out: (t) => (out += t),
    err: (t) => (err += t),
    ask: async () => Promise.resolve('n'),
  });
  return { code, out, err };
}

describe('roost wallet --json', () => {
  const badAddress = {
    ok: false,
    error: { code: 'WALLET_BAD_ADDRESS', message: '"0xnope" is not an address.' },
  };

  it("writes the agent's refusal as JSON on stdout, and the words on stderr", async () => {
    const r = await wallet(['send', '0xnope', '5'], true, { 'wallet.prepareSend': badAddress });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual(badAddress);
    expect(r.err).toBe('Error: "0xnope" is not an address.\n');
  });

  it('keeps stdout empty without --json', async () => {
    const r = await wallet(['send', '0xnope', '5'], false, { 'wallet.prepareSend': badAddress });
    expect(r).toEqual({ code: 1, out: '', err: 'Error: "0xnope" is not an address.\n' });
  });

  it("says there is no wallet in JSON too, with the agent's code for it", async () => {
    const r = await wallet(['address'], true, {
      'wallet.status': { ok: true, value: { state: 'none', address: null } },
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, error: { code: 'WALLET_NONE' } });
  });
});

describe('roost wallet unlock', () => {
  it('says the wallet locks again when no Roost runs beside the command', () => {
    const own = { via: 'this process', inProcess: true } as unknown as ApiClient;
    const running = { via: 'http://127.0.0.1:7787', inProcess: false } as unknown as ApiClient;
    expect(unlockLasts({ client: own })).toMatch(
      /^No Roost is running here, so the wallet locks again as this command ends\. Start Roost/,
    );
    expect(unlockLasts({ client: running })).toBe('');
  });
});
