import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { WalletPage } from './WalletPage.tsx';
import { defaultSettings, type ResultOf } from '../../../agent/api/contract.ts';
import { marketStatus } from '../../../agent/market/testing/market-status.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';

afterEach(cleanup);

const ADDRESS = '0x00000000000000000000000000000000000000aA';

const balance = {
  address: ADDRESS,
  network: {
    name: 'local',
    chainId: 31337,
    rpcUrl: null,
    marketAddress: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    tokenAddress: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
    test: true,
    tokensDecidedBy: 'devnet',
  },
  blockNumber: 21,
  native: { amount: '99.9996', symbol: 'ETH' },
  token: {
    amount: '0',
    symbol: 'rUSD',
    address: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
  },
  withdrawable: { amount: '0.99', symbol: 'rUSD' },
};

/** An unlocked wallet whose market record is `market` (or no answer at all). */
function fakeAgent(market: ResultOf<'market.status'> | undefined) {
  return fakeAgentClient((method) => {
    switch (method) {
      case 'settings.get':
        return ok(structuredClone(defaultSettings));
      case 'wallet.status':
        return ok({
          state: 'unlocked',
          address: ADDRESS,
          workSigning: true,
          autoLock: { afterMs: null, at: null },
          origin: null,
        });
      case 'wallet.balance':
        return ok(balance);
      case 'wallet.history':
        return ok({ entries: [] });
      case 'market.status':
        return market ? ok(market) : unavailable();
      default:
        return unavailable();
    }
  });
}

/** The wallet summary as label → value. */
function summary(): Record<string, string> {
  const terms = [...document.querySelectorAll('#wallet-card + dl dt')];
  return Object.fromEntries(
    terms.map((dt) => [dt.textContent ?? '', dt.nextElementSibling?.textContent ?? '']),
  );
}

const provider = (stake: string, locked: string) =>
  marketStatus({
    provider: {
      ...marketStatus().provider!,
      address: ADDRESS.toLowerCase(),
      stake: { amount: stake, symbol: 'rUSD' },
      locked: { amount: locked, symbol: 'rUSD' },
    },
  });

describe('the Wallet page summary', () => {
  it('shows what registering staked in the market beside what is in the wallet', async () => {
    render(
      <AgentProvider client={fakeAgent(provider('100', '0')).client}>
        <WalletPage />
      </AgentProvider>,
    );
    expect((await screen.findByTestId('balance-staked')).textContent).toBe('100 rUSD');
    expect(summary()).toMatchObject({
      'Earned, in the market': '0.99 rUSD',
      'In the wallet': '0 rUSD',
      'Staked in the market': '100 rUSD',
    });
    // Read in the order the money sits: in the wallet, then staked, then the coin for fees.
    expect(Object.keys(summary()).slice(0, 6)).toEqual([
      'Address',
      'State',
      'Earned, in the market',
      'In the wallet',
      'Staked in the market',
      'For fees',
    ]);
  });

  it('says how much of the stake jobs in progress hold, and follows market.changed', async () => {
    const { client, emit } = fakeAgent(provider('100', '0'));
    render(
      <AgentProvider client={client}>
        <WalletPage />
      </AgentProvider>,
    );
    await screen.findByTestId('balance-staked');
    emit({ event: 'market.changed', payload: provider('95', '2.5') });
    await waitFor(() =>
      expect(screen.getByTestId('balance-staked').textContent).toBe(
        '95 rUSD (2.5 rUSD of it locked by jobs in progress)',
      ),
    );
  });

  it('has no stake row before the wallet has a stake, or when the market does not answer', async () => {
    for (const market of [
      provider('0', '0'),
      marketStatus({ provider: null, state: 'waiting', problem: 'not registered' }),
      undefined,
    ]) {
      render(
        <AgentProvider client={fakeAgent(market).client}>
          <WalletPage />
        </AgentProvider>,
      );
      await screen.findByTestId('balance-token');
      expect(screen.queryByTestId('balance-staked')).toBeNull();
      expect(summary()['In the wallet']).toBe('0 rUSD');
      cleanup();
    }
  });
});
