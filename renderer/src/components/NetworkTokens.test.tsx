import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { NetworkTokens } from './NetworkTokens.tsx';
import { defaultSettings, type ResultOf, type Settings } from '../../../agent/api/contract.ts';
import type { ApiClient } from '../api/transport.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';

afterEach(cleanup);

function withSettings(settings: Settings): ApiClient {
  return fakeAgentClient((method) => (method === 'settings.get' ? ok(settings) : unavailable()))
    .client;
}

const custom = (tokens: Settings['network']['tokens']): Settings => ({
  ...structuredClone(defaultSettings),
  pricing: { ...defaultSettings.pricing, tokenValueInCurrency: 0.92, currency: 'USD' },
  network: {
    name: 'custom',
    rpcUrl: 'http://10.0.0.5:8545',
    marketAddress: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    tokens,
  },
});

const network = (chainId: number, over: Partial<ResultOf<'wallet.network'>>) => ({
  name: 'custom',
  chainId,
  rpcUrl: 'http://10.0.0.5:8545',
  marketAddress: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  tokenAddress: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
  test: false,
  tokensDecidedBy: 'default' as const,
  ...over,
});

describe('NetworkTokens (the Wallet page and Settings)', () => {
  it('marks a chain nobody decided on, with the value its tokens are counted at', async () => {
    render(
      <AgentProvider client={withSettings(custom('unknown'))}>
        <NetworkTokens network={network(424242, {})} />
      </AgentProvider>,
    );
    const shown = await screen.findByTestId('network-tokens');
    expect(shown.textContent).toBe(
      'chain 424242 — not a known network; tokens counted as money at your token value (0.92 USD each); if they have no value, change it in Settings → Network',
    );
    expect(shown.className).toBe('note-warn');
  });

  it('says a choice of real money does not apply on a known test chain', async () => {
    render(
      <AgentProvider client={withSettings(custom('real'))}>
        <NetworkTokens network={network(11155111, { test: true, tokensDecidedBy: 'test-chain' })} />
      </AgentProvider>,
    );
    expect((await screen.findByTestId('network-tokens')).textContent).toBe(
      'chain 11155111 (Sepolia), a test network; its tokens are test money with no value (your choice of real money does not apply on a test network)',
    );
  });
});
