import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { AgentProvider } from '../AgentContext.tsx';
import { WalletPage } from './WalletPage.tsx';
import { defaultSettings, type ResultOf } from '../../../agent/api/contract.ts';
import { marketStatus } from '../../../agent/market/testing/market-status.ts';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';
import { addAppStyles } from '../testing/styles.ts';

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
    // A row's value without its buttons: the amount, where a row marks it, else the whole row.
    terms.map((dt) => {
      const dd = dt.nextElementSibling;
      return [
        dt.textContent ?? '',
        (dd?.querySelector('span[data-testid]') ?? dd)?.textContent ?? '',
      ];
    }),
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

  it('keeps Take it back a small button, as Lock is, so its row is no taller than the rest', async () => {
    addAppStyles();
    render(
      <AgentProvider client={fakeAgent(provider('100', '0')).client}>
        <WalletPage />
      </AgentProvider>,
    );
    const take = await screen.findByRole('button', { name: 'Take it back' });
    const px = (e: Element, property: 'fontSize' | 'paddingTop') =>
      parseFloat(getComputedStyle(e)[property]);
    // A small button, as Lock and Download encrypted backup are: smaller than its row's words,
    // and not the 0.5rem padding of a page's main buttons.
    expect(px(take, 'fontSize')).toBeLessThan(px(take.closest('dd')!, 'fontSize'));
    expect(px(take, 'paddingTop')).toBeLessThan(px(take, 'fontSize') / 2);
  });

  it('names the network by what it is, not by its setting id nor a block number', async () => {
    render(
      <AgentProvider client={fakeAgent(undefined).client}>
        <WalletPage />
      </AgentProvider>,
    );
    await waitFor(() =>
      expect(screen.getByTestId('wallet-network').textContent).toBe(
        'The built-in test network; its tokens are test money with no value',
      ),
    );
  });

  it('shows a payment whose time could not be read with no time, not its block number', async () => {
    const entry = (
      at: string | null,
      logIndex: number,
    ): ResultOf<'wallet.history'>['entries'][number] => ({
      kind: 'received',
      amount: { amount: '1', baseUnits: '1000000', symbol: 'rUSD', decimals: 6 },
      counterparty: null,
      counterpartyRole: null,
      reason: null,
      jobId: null,
      slot: null,
      blockNumber: 17,
      txHash: `0x${'ab'.repeat(32)}`,
      logIndex,
      at,
    });
    const timed = entry('2025-03-01T14:05:00.000Z', 0);
    const base = fakeAgent(undefined);
    const { client } = fakeAgentClient((method, params) =>
      method === 'wallet.history'
        ? ok({ entries: [timed, entry(null, 1)] })
        : (base.client.call as (m: string, p?: unknown) => Promise<unknown>)(method, params),
    );
    render(
      <AgentProvider client={client}>
        <WalletPage />
      </AgentProvider>,
    );
    const rows = (await screen.findByTestId('wallet-history')).querySelectorAll('tbody tr');
    const when = [...rows].map((row) => row.querySelector('td')?.textContent);
    expect(when).toEqual([new Date(timed.at!).toLocaleString(), '—']);
  });

  it('says which network a withdrawal goes on in words, with the chain id a wallet checks', async () => {
    const base = fakeAgent(undefined);
    const { client } = fakeAgentClient((method, params) =>
      method === 'wallet.prepareWithdraw'
        ? ok({
            id: 'p1',
            kind: 'withdraw',
            amount: { amount: '0.99', symbol: 'rUSD' },
            to: ADDRESS,
            network: balance.network,
            fee: {
              estimated: { amount: '0.0000399', symbol: 'ETH' },
              max: { amount: '0.0000544', symbol: 'ETH' },
            },
            warnings: [],
          })
        : (base.client.call as (m: string, p?: unknown) => Promise<unknown>)(method, params),
    );
    render(
      <AgentProvider client={client}>
        <WalletPage />
      </AgentProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Review' }));
    const review = await screen.findByTestId('transfer-review');
    const network = [...review.querySelectorAll('dt')].find((dt) => dt.textContent === 'Network');
    expect(network?.nextElementSibling?.textContent).toBe('Built-in test network (chain 31337)');
  });

  it("sends the chain's coin when asked, naming both by their symbols", async () => {
    const base = fakeAgent(undefined);
    const sent: unknown[] = [];
    const { client } = fakeAgentClient((method, params) => {
      if (method === 'wallet.prepareSend') {
        sent.push(params);
        return { ok: false, error: { code: 'WALLET_BAD_AMOUNT', message: 'not in this test' } };
      }
      return (base.client.call as (m: string, p?: unknown) => Promise<unknown>)(method, params);
    });
    render(
      <AgentProvider client={client}>
        <WalletPage />
      </AgentProvider>,
    );
    fireEvent.click(await screen.findByLabelText('Send to another address'));
    const what = screen.getByLabelText<HTMLSelectElement>('What to send');
    await waitFor(() =>
      expect([...what.options].map((o) => o.textContent)).toEqual([
        "rUSD (the market's token: stake, jobs)",
        "ETH (the chain's coin: fees)",
      ]),
    );
    fireEvent.change(what, { target: { value: 'native' } });
    fireEvent.change(screen.getByLabelText('To address'), { target: { value: ADDRESS } });
    fireEvent.change(screen.getByLabelText('Amount (or "all")'), { target: { value: '0.1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Review' }));
    await waitFor(() => expect(sent).toEqual([{ to: ADDRESS, amount: '0.1', asset: 'native' }]));
    // The token, as before, says no asset: the agent's default.
    fireEvent.change(what, { target: { value: 'token' } });
    fireEvent.click(screen.getByRole('button', { name: 'Review' }));
    await waitFor(() => expect(sent[1]).toEqual({ to: ADDRESS, amount: '0.1' }));
  });

  it('says a stake earns nothing while market jobs are off, and turns them on in one click', async () => {
    const updates: unknown[] = [];
    const settings = structuredClone(defaultSettings); // market jobs start off
    const { client } = fakeAgentClient((method, params) => {
      if (method === 'settings.update') {
        updates.push(params);
        return ok({ ...settings, market: { ...settings.market, enabled: true } });
      }
      if (method === 'settings.get') return ok(settings);
      return fakeAgent(provider('100', '0')).client.call(method as never, params as never);
    });
    render(
      <AgentProvider client={client}>
        <WalletPage />
      </AgentProvider>,
    );
    const note = await screen.findByTestId('market-off-note');
    expect(note.textContent).toBe(
      'Market jobs are off, so this stake earns nothing. Take market jobs again',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Take market jobs again' }));
    await waitFor(() => expect(updates).toEqual([{ market: { enabled: true } }]));
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

describe('taking the stake back', () => {
  const pending = (stake: string, unstaking: string, locked = '0') =>
    marketStatus({
      state: 'off',
      provider: {
        ...provider(stake, locked).provider!,
        unstaking: { amount: unstaking, symbol: 'rUSD', availableAt: '2025-03-01T14:05:00.000Z' },
      },
    });

  /** The wallet of fakeAgent, whose market answers the unstake calls as `market` says. */
  function unstakeAgent(market: Record<string, unknown>) {
    const calls: [string, unknown][] = [];
    const base = fakeAgent(provider('100', '25'));
    const fake = fakeAgentClient((method, params) => {
      calls.push([method, params]);
      if (method in market) return market[method];
      return (base.client.call as (m: string, p?: unknown) => Promise<unknown>)(method, params);
    });
    return { ...fake, calls };
  }

  it('says what happens before it asks, then shows the stake on its way back with Cancel', async () => {
    const { client, calls } = unstakeAgent({
      'market.unstake': ok({
        requested: { amount: '75', symbol: 'rUSD' },
        unstaking: { amount: '75', symbol: 'rUSD', availableAt: '2025-03-01T14:05:00.000Z' },
        locked: { amount: '25', symbol: 'rUSD' },
        marketJobsTurnedOff: true,
        status: pending('25', '75', '25'),
      }),
      'market.cancelUnstake': ok(provider('100', '25')),
    });
    render(
      <AgentProvider client={client}>
        <WalletPage />
      </AgentProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Take it back' }));
    expect(screen.getByTestId('unstake-confirm').querySelector('p')?.textContent).toBe(
      'Take back 75 rUSD of stake? Market jobs turn off, since while they are on Roost stakes again. The market releases it after its wait of 1 h; Roost finishes it by itself then, and it is withdrawable on this page. 25 rUSD stays locked by jobs in progress: you can take it back once they finish.',
    );
    expect(calls.some(([m]) => m === 'market.unstake')).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Take back 75 rUSD' }));
    const onItsWay = await screen.findByTestId('balance-unstaking');
    expect(calls.find(([m]) => m === 'market.unstake')?.[1]).toEqual({});
    expect(onItsWay.textContent).toBe(
      `75 rUSD, released ${new Date('2025-03-01T14:05:00.000Z').toLocaleString()}; Roost then makes it withdrawable on this page by itself`,
    );
    expect(summary()['Staked in the market']).toBe(
      '25 rUSD (25 rUSD of it locked by jobs in progress)',
    );
    expect(screen.queryByTestId('unstake-confirm')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Cancel taking the stake back' }));
    await waitFor(() => expect(screen.queryByTestId('balance-unstaking')).toBeNull());
    expect(calls.filter(([m]) => m === 'market.cancelUnstake')).toHaveLength(1);
    expect(summary()['Staked in the market']).toBe(
      '100 rUSD (25 rUSD of it locked by jobs in progress)',
    );
  });

  it("shows the market's refusal and keeps the stake as it was", async () => {
    const message =
      'The wallet is locked: unlock it (Wallet page, or `roost wallet unlock`) so Roost can sign the request, then ask again. Nothing was changed.';
    const { client } = unstakeAgent({
      'market.unstake': { ok: false, error: { code: 'WALLET_LOCKED', message } },
    });
    render(
      <AgentProvider client={client}>
        <WalletPage />
      </AgentProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Take it back' }));
    fireEvent.click(screen.getByRole('button', { name: 'Take back 75 rUSD' }));
    expect((await screen.findByRole('alert')).textContent).toBe(message);
    expect(screen.queryByTestId('balance-unstaking')).toBeNull();
    expect(summary()['Staked in the market']).toBe(
      '100 rUSD (25 rUSD of it locked by jobs in progress)',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Keep it staked' }));
    expect(screen.queryByTestId('unstake-confirm')).toBeNull();
  });

  it('shows all of the stake on its way back, and no button when all is locked', async () => {
    render(
      <AgentProvider client={fakeAgent(pending('0', '100')).client}>
        <WalletPage />
      </AgentProvider>,
    );
    expect((await screen.findByTestId('balance-unstaking')).textContent).toMatch(
      /^100 rUSD, released /,
    );
    expect(screen.queryByRole('button', { name: 'Take it back' })).toBeNull();
    cleanup();
    render(
      <AgentProvider client={fakeAgent(provider('10', '10')).client}>
        <WalletPage />
      </AgentProvider>,
    );
    await screen.findByTestId('balance-staked');
    expect(screen.queryByRole('button', { name: 'Take it back' })).toBeNull();
    expect(screen.getByText(/All of it is locked by jobs in progress/)).toBeTruthy();
  });
});
