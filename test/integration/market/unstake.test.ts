// Taking the stake back, in one process against a real Hardhat devnet: the provider agent asks for
// its stake back (market jobs turn off, so nothing stakes again), the status shows it on its way
// with the time the market lets it go, a cancel puts it back, turning market jobs on again puts a
// pending unstake back instead of taking new tokens from the wallet, and once the market's wait
// is over (the devnet's clock moved on) the agent finishes it by itself and the tokens can be
// withdrawn to the wallet; the wallet's history shows each step. Wrong requests change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet, type JsonRpcProvider } from 'ethers';
import { devnetDeployment, type Devnet } from '../../../contracts/devnet.ts';
import { connectJobMarket, type JobMarket } from '../../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../../contracts/bindings/roost-test-token.ts';
import type { Agent } from '../../../agent/agent.ts';
import type { MethodName, ParamsOf, Result, ResultOf } from '../../../agent/api/contract.ts';
import { writeLocalNetwork } from '../../../agent/market/local-network.ts';
import { startTestChain, type TestChain } from '../../support/devnet-chain.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { marketCalls, startProviderAgent, until } from './support.ts';

const USD = 1_000_000n;

let chain: TestChain;
let devnet: Devnet;
let rpc: JsonRpcProvider;
let market: JobMarket;
let dir: { path: string; remove: () => Promise<void> };
let agent: Agent;
const providerKey = Wallet.createRandom().privateKey;
const provider = new Wallet(providerKey).address;

async function calls(name: string): Promise<number> {
  return (await marketCalls(rpc, devnet.marketAddress, provider)).filter((c) => c.name === name)
    .length;
}

/** The agent's API, typed as the contract says. */
function call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<Result<ResultOf<M>>> {
  return agent.router.call(method, params) as Promise<Result<ResultOf<M>>>;
}

async function status(): Promise<ResultOf<'market.status'>> {
  const r = await call('market.status', {});
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

beforeAll(async () => {
  chain = await startTestChain();
  ({ devnet, rpc } = chain);
  market = connectJobMarket(devnet.marketAddress, rpc);
  dir = await tempDir('roost-unstake-');
  const dataDir = join(dir.path, 'provider');
  await mkdir(dataDir, { recursive: true });
  await writeLocalNetwork(dataDir, devnetDeployment(devnet));
  agent = await startProviderAgent(dataDir, providerKey, { market: { unstakeCheckMs: 200 } });
  await until('registration', async () =>
    (await market.getProvider(provider)).stake === 50n * USD ? true : undefined,
  );
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await chain?.stop();
  await dir?.remove();
});

describe('taking the stake back', () => {
  it('refuses a wrong amount with what to do, and changes nothing', async () => {
    const notNumber = await call('market.unstake', { amount: 'lots' });
    expect(notNumber).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    if (!notNumber.ok)
      expect(notNumber.error.message).toBe(
        '"lots" is not an amount: write it like 12.5 (digits, and a dot before the decimals). Give the rUSD to take back, or leave the amount out to take back all the free stake (50 rUSD). Nothing was changed.',
      );
    const tooMuch = await call('market.unstake', { amount: '80' });
    expect(tooMuch).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_PARAMS',
        message: 'You asked to take back 80 rUSD, but 50 rUSD is staked. Nothing was changed.',
      },
    });
    const nothingPending = await call('market.cancelUnstake', {});
    expect(nothingPending).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(agent.settings.get().market.enabled).toBe(true);
    expect((await market.getProvider(provider)).stake).toBe(50n * USD);
    expect(await calls('requestUnstake')).toBe(0);
  });

  it('asks for part of the stake back, turns market jobs off, and a cancel puts it back', async () => {
    const before = await status();
    expect(before.provider).toMatchObject({ unstaking: null, unstakeDelaySeconds: 3600 });

    const asked = await call('market.unstake', { amount: '20' });
    if (!asked.ok) throw new Error(asked.error.message);
    expect(asked.value).toMatchObject({
      requested: { amount: '20', symbol: 'rUSD' },
      unstaking: { amount: '20', symbol: 'rUSD' },
      locked: { amount: '0', symbol: 'rUSD' },
      marketJobsTurnedOff: true,
    });
    expect(agent.settings.get().market.enabled).toBe(false);
    const p = await market.getProvider(provider);
    expect(p.stake).toBe(30n * USD);
    expect(p.unstaking).toBe(20n * USD);
    const availableAt = new Date(Number(p.unstakeAvailableAt) * 1000).toISOString();
    expect(asked.value.unstaking.availableAt).toBe(availableAt);

    // The status shows it on its way, with the time the market lets it go.
    const pending = await status();
    expect(pending.state).toBe('off');
    expect(pending.provider).toMatchObject({
      stake: { amount: '30' },
      unstaking: { amount: '20', symbol: 'rUSD', availableAt },
    });

    // Not yet: the market's wait is not over.
    const early = await call('market.completeUnstake', {});
    expect(early).toMatchObject({ ok: false, error: { code: 'JOB_STATE' } });
    if (!early.ok) expect(early.error.message).toMatch(/^The market releases 20 rUSD at .* UTC/);

    // With market jobs off, nothing stakes again meanwhile.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await market.getProvider(provider)).stake).toBe(30n * USD);
    expect(await calls('addStake')).toBe(0);

    const cancelled = await call('market.cancelUnstake', {});
    if (!cancelled.ok) throw new Error(cancelled.error.message);
    expect(cancelled.value.provider).toMatchObject({ stake: { amount: '50' }, unstaking: null });
    expect((await market.getProvider(provider)).unstaking).toBe(0n);
  });

  it('turning market jobs on again puts a pending unstake back, taking nothing from the wallet', async () => {
    const token = connectRoostTestToken(devnet.tokenAddress, rpc);
    const asked = await call('market.unstake', { amount: '10' });
    if (!asked.ok) throw new Error(asked.error.message);
    // Already off: this request turned nothing off.
    expect(asked.value.marketJobsTurnedOff).toBe(false);
    const held = await token.balanceOf(provider);
    const cancels = await calls('cancelUnstake');

    const on = await call('settings.update', { market: { enabled: true } });
    expect(on.ok).toBe(true);
    await until('the unstake put back', async () => {
      const p = await market.getProvider(provider);
      return p.unstaking === 0n && p.stake === 50n * USD ? true : undefined;
    });
    expect(await calls('cancelUnstake')).toBe(cancels + 1);
    expect(await calls('addStake')).toBe(0);
    expect(await token.balanceOf(provider)).toBe(held);
  });

  it('takes all the free stake back; the agent finishes it after the wait and it is withdrawable', async () => {
    const token = connectRoostTestToken(devnet.tokenAddress, rpc);
    const asked = await call('market.unstake', {});
    if (!asked.ok) throw new Error(asked.error.message);
    expect(asked.value).toMatchObject({
      requested: { amount: '50' },
      unstaking: { amount: '50' },
      marketJobsTurnedOff: true,
    });
    expect((await market.getProvider(provider)).stake).toBe(0n);
    // Nothing left to take back but what is already on its way.
    const again = await call('market.unstake', {});
    expect(again).toMatchObject({ ok: false, error: { code: 'JOB_STATE' } });

    // The devnet's clock passes the market's wait; the agent finishes by itself, and tells the
    // UI at once, though with market jobs off it reads the status from the chain only now and
    // then.
    const heard: ResultOf<'market.status'>[] = [];
    const unsubscribe = agent.events.subscribe((e) => {
      if (e.event === 'market.changed') heard.push(e.payload as ResultOf<'market.status'>);
    });
    await rpc.send('evm_increaseTime', [3601]);
    await rpc.send('evm_mine', []);
    await until('the unstake finished by the agent', async () =>
      (await market.withdrawable(provider)) === 50n * USD ? true : undefined,
    );
    await until('the UI told', async () =>
      heard.some(
        (st) => st.provider?.unstaking === null && st.provider.withdrawable.amount === '50',
      )
        ? true
        : undefined,
    );
    unsubscribe();
    expect(await calls('completeUnstake')).toBe(1);
    const done = await status();
    expect(done.provider).toMatchObject({
      stake: { amount: '0' },
      unstaking: null,
      withdrawable: { amount: '50' },
    });
    const nothing = await call('market.unstake', {});
    expect(nothing).toMatchObject({
      ok: false,
      error: {
        code: 'NOT_FOUND',
        message: `Nothing is staked in the market for ${provider}, so there is nothing to take back.`,
      },
    });

    // Withdrawable as earnings are: the wallet's withdraw flow brings it home.
    const before = await token.balanceOf(provider);
    const prepared = await call('wallet.prepareWithdraw', {});
    if (!prepared.ok) throw new Error(prepared.error.message);
    const sent = await call('wallet.confirm', { id: prepared.value.id, wait: true });
    expect(sent.ok).toBe(true);
    expect(await token.balanceOf(provider)).toBe(before + 50n * USD);
    expect(agent.settings.get().market.enabled).toBe(false);

    // The wallet's history tells the whole story, from the chain's events, newest first.
    const history = await call('wallet.history', {});
    if (!history.ok) throw new Error(history.error.message);
    const story = history.value.entries
      .filter((e) => e.kind !== 'staked' && e.kind !== 'received')
      .map((e) => [e.kind, e.amount.amount, e.reason]);
    expect(story).toEqual([
      ['withdrawn', '50', null],
      ['credited', '50', 'Unstake'],
      ['unstake-requested', '50', null],
      ['unstake-cancelled', '10', null],
      ['unstake-requested', '10', null],
      ['unstake-cancelled', '20', null],
      ['unstake-requested', '20', null],
    ]);
    const first = history.value.entries.find((e) => e.kind === 'unstake-requested');
    expect(first?.availableAt).toBe(asked.value.unstaking.availableAt);
    expect(history.value.ledger.matches).toBe(true);
  });

  it('with the wallet locked, says nothing is staked without asking for the password', async () => {
    // The stake is a read, which needs no key: the status shows it, and a take-back or a cancel
    // the market would refuse says why, not "unlock the wallet" first.
    const locked = await call('wallet.lock', {});
    expect(locked).toMatchObject({ ok: true, value: { state: 'locked', workSigning: false } });
    // The agent's next tick ends the session a signing wallet had (the status names no network).
    await until('the session ended', async () =>
      (await status()).network === null ? true : undefined,
    );
    expect((await status()).provider).toMatchObject({
      address: provider,
      stake: { amount: '0' },
      unstaking: null,
    });
    expect(await call('market.unstake', {})).toMatchObject({
      ok: false,
      error: {
        code: 'NOT_FOUND',
        message: `Nothing is staked in the market for ${provider}, so there is nothing to take back.`,
      },
    });
    expect(await call('market.cancelUnstake', {})).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', message: expect.stringMatching(/^No stake is on its way back/) },
    });
  });
});
