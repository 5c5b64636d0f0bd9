import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { AgentProvider } from '../AgentContext.tsx';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';
import { DeployMarket, deployFormProblem } from './DeployMarket.tsx';

afterEach(cleanup);

const LAB = '0x' + '3'.repeat(40);

const wallet = (state: ResultOf<'wallet.status'>['state']) => ({
  state,
  address: state === 'none' ? null : LAB,
  workSigning: state === 'unlocked',
  autoLock: { afterMs: null, at: null },
  origin: null,
  keystoreFile: '/data/wallet/keystore.json',
  pendingCreation: null,
  problem: null,
});

const deployed: ResultOf<'market.deploy'> = {
  chainId: 4242,
  rpcUrl: 'http://10.0.0.5:8545',
  marketAddress: '0x' + 'a'.repeat(40),
  tokenAddress: '0x' + 'b'.repeat(40),
  tokenSymbol: 'rUSD',
  tokenDecimals: 6,
  testToken: true,
  deployer: LAB,
  blockNumber: 3,
  transactions: ['0x' + '1'.repeat(64), '0x' + '2'.repeat(64), '0x' + '3'.repeat(64)],
  tokenBalance: '100000000000',
};

function mount(answer: (method: string, params: unknown) => unknown) {
  const calls: [string, unknown][] = [];
  const { client } = fakeAgentClient((method, params) => {
    calls.push([method, params]);
    return answer(method, params);
  });
  render(
    <AgentProvider client={client}>
      <DeployMarket />
    </AgentProvider>,
  );
  return calls;
}

const type = (label: RegExp, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('deployFormProblem', () => {
  it('takes an http(s) URL, an optional token address and a fee of 0 to 1000', () => {
    expect(deployFormProblem('http://10.0.0.5:8545', '', '0')).toBeUndefined();
    expect(deployFormProblem('https://rpc.lab', '0x' + 'b'.repeat(40), '1000')).toBeUndefined();
    expect(deployFormProblem('10.0.0.5:8545', '', '0')).toContain("Give your chain's JSON-RPC URL");
    expect(deployFormProblem('ws://10.0.0.5:8545', '', '0')).toContain('JSON-RPC URL');
    expect(deployFormProblem('http://10.0.0.5:8545', 'usdc', '0')).toContain('ERC-20');
    expect(deployFormProblem('http://10.0.0.5:8545', '', '1001')).toContain('0 to 1000');
    expect(deployFormProblem('http://10.0.0.5:8545', '', '1 %')).toContain('0 to 1000');
  });
});

describe('DeployMarket', () => {
  it('asks for a wallet first', async () => {
    mount((method) => (method === 'wallet.status' ? ok(wallet('none')) : unavailable()));
    expect((await screen.findByTestId('deploy-needs-wallet')).textContent).toContain(
      'create or import one on the Wallet page first',
    );
    expect(screen.queryByRole('button', { name: 'Deploy…' })).toBeNull();
  });

  it('refuses a wrong form without asking the agent, then reviews, deploys and says what next', async () => {
    const calls = mount((method) =>
      method === 'wallet.status'
        ? ok(wallet('locked'))
        : method === 'market.deploy'
          ? ok(deployed)
          : unavailable(),
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Deploy…' }));
    expect(screen.getByRole('alert').textContent).toContain("Give your chain's JSON-RPC URL");

    type(/JSON-RPC URL/, 'http://10.0.0.5:8545');
    type(/Market fee/, '25');
    fireEvent.click(screen.getByRole('button', { name: 'Deploy…' }));
    const review = screen.getByRole('group', { name: 'Deploy a market' });
    expect(review.textContent).toContain(
      `Deploy a Roost market on the chain at http://10.0.0.5:8545 with the Roost test dollar, from ${LAB}, with a fee of 0.25 %?`,
    );
    // Locked: the password for this one deploy.
    type(/Wallet password/, 'the lab password');
    fireEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    const done = await screen.findByTestId('deployed');
    expect(calls.find(([m]) => m === 'market.deploy')?.[1]).toEqual({
      rpcUrl: 'http://10.0.0.5:8545',
      feeBps: 25,
      password: 'the lab password',
    });
    expect(done.querySelector('.command-lines')?.textContent).toBe(
      `roost settings set network.tokens test\nroost serve --rpc http://10.0.0.5:8545 --market 0x${'a'.repeat(40)}`,
    );
    // Chain 4242 is no development node: its node must make blocks on a clock.
    expect(done.textContent).toContain('must make blocks on a clock');
    expect(done.textContent).toContain('this wallet holds 100000 rUSD');
  });

  it("shows the agent's refusal in the review and keeps it open", async () => {
    const message =
      'The wallet 0x… has 0 ETH on chain 4242, and a deploy needs about 0.008 ETH for its fees. Nothing was deployed.';
    mount((method) =>
      method === 'wallet.status'
        ? ok(wallet('unlocked'))
        : method === 'market.deploy'
          ? { ok: false, error: { code: 'WALLET_INSUFFICIENT_BALANCE', message } }
          : unavailable(),
    );
    await screen.findByLabelText(/JSON-RPC URL/);
    type(/JSON-RPC URL/, 'http://10.0.0.5:8545');
    fireEvent.click(screen.getByRole('button', { name: 'Deploy…' }));
    // Unlocked: no password asked.
    expect(screen.queryByLabelText(/Wallet password/)).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    expect((await screen.findByRole('alert')).textContent).toBe(`Not enough funds. ${message}`);
    expect(screen.getByRole('group', { name: 'Deploy a market' })).toBeTruthy();
  });
});
