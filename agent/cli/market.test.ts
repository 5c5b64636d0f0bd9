import { describe, expect, it } from 'vitest';
import { defaultSettings, type ResultOf } from '../api/contract.ts';
import type { ApiClient } from '../api/node-client.ts';
import { marketStatus } from '../market/testing/market-status.ts';
import { runMarketCommand } from './market.ts';

async function statusText(
  network: Pick<NonNullable<ResultOf<'market.status'>['network']>, 'test' | 'tokensDecidedBy'>,
  settingsAnswer: boolean,
): Promise<string> {
  const status = marketStatus(
    { state: 'waiting', problem: 'no wallet yet: create or import one (roost wallet create)' },
    { name: 'custom', chainId: 424242, ...network },
  );
  const client = {
    call: async (method: string) =>
      method === 'market.status'
        ? { ok: true, value: status }
        : method === 'settings.get' && settingsAnswer
          ? {
              ok: true,
              value: {
                ...defaultSettings,
                pricing: { ...defaultSettings.pricing, tokenValueInCurrency: 2, currency: 'USD' },
              },
            }
          : { ok: false, error: { code: 'UNAVAILABLE', message: 'no' } },
  } as unknown as ApiClient;
  let out = '';
  const code = await runMarketCommand({
    client,
    positionals: ['status'],
    values: {},
    json: false,
    out: (t) => (out += t),
    err: (t) => (out += t),
  });
  expect(code).toBe(0);
  return out;
}

describe('roost market status', () => {
  it("says what the network's tokens are worth, as roost wallet balance does", async () => {
    expect(await statusText({ test: false, tokensDecidedBy: 'default' }, true)).toContain(
      '  network:    custom, chain 424242 — not a known network; tokens counted as money at your token value (2 USD each); if they have no value, roost settings set network.tokens test\n',
    );
    expect(await statusText({ test: true, tokensDecidedBy: 'setting' }, true)).toContain(
      '  network:    custom, chain 424242; its tokens are test money with no value (your choice: network.tokens)\n',
    );
  });

  it('still names the chain when the settings cannot be read', async () => {
    expect(await statusText({ test: false, tokensDecidedBy: 'default' }, false)).toContain(
      '  network:    custom, chain 424242\n',
    );
  });
});
