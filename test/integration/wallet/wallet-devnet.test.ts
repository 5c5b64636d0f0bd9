// The wallet against a real chain: a Hardhat devnet from contracts/devnet.ts, read through
// networks/local.json like the agent does. Funds arrive from the node's accounts, the wallet sends
// and withdraws after a decoded confirmation, earns a lease payout through its work signer, and its
// history, rebuilt from events, is checked against the chain to the last base unit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet, id, parseEther } from 'ethers';
import type { JsonRpcProvider, Signer } from 'ethers';
import { TEST_DOLLAR, devnetDeployment } from '../../../contracts/devnet.ts';
import type { Devnet } from '../../../contracts/devnet.ts';
import { connectJobMarket, parseJobMarketLog } from '../../../contracts/bindings/job-market.ts';
import {
  connectRoostTestToken,
  deployRoostTestToken,
} from '../../../contracts/bindings/roost-test-token.ts';
import { writeLocalNetwork } from '../../../agent/market/local-network.ts';
import { createNetworkSource } from '../../../agent/wallet/network.ts';
import { createWalletService } from '../../../agent/wallet/service.ts';
import type { WalletService } from '../../../agent/wallet/service.ts';
import { isWalletError } from '../../../agent/wallet/errors.ts';
import { walletEvents, walletMethods } from '../../../agent/wallet/schema.ts';
import type { WalletErrorCode, WalletEvent } from '../../../agent/wallet/schema.ts';
import { startTestChain, type TestChain } from '../../support/devnet-chain.ts';
import { tempDir } from '../../support/temp-dir.ts';

const LIGHT = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'devnet wallet password';
const USD = TEST_DOLLAR;

let chain: TestChain;
let devnet: Devnet;
let rpc: JsonRpcProvider;
let netDir: { path: string; remove: () => Promise<void> };
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  chain = await startTestChain();
  ({ devnet, rpc } = chain);
  netDir = await tempDir('roost-wallet-net-');
  await writeLocalNetwork(netDir.path, devnetDeployment(devnet));
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await chain?.stop();
  await netDir?.remove();
});

interface Harness {
  wallet: WalletService;
  address: string;
  key: string;
  events: WalletEvent[];
  /** Moves the wallet's clock (expiry tests). */
  skew: { ms: number };
}

async function walletFor(networkDir = netDir.path): Promise<Harness> {
  const dir = await tempDir('roost-wallet-');
  const events: WalletEvent[] = [];
  const skew = { ms: 0 };
  const network = createNetworkSource({
    dataDir: networkDir,
    settings: () => ({ name: 'local', rpcUrl: null, marketAddress: null }),
  });
  const wallet = createWalletService({
    dataDir: dir.path,
    network,
    scrypt: LIGHT,
    now: () => Date.now() + skew.ms,
    receiptPollMs: 100,
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    onEvent: (e) => events.push(e),
  });
  cleanups.push(async () => {
    await wallet.close();
    network.close();
    await dir.remove();
  });
  const key = Wallet.createRandom().privateKey;
  const status = await wallet.importWallet({
    kind: 'privateKey',
    privateKey: key,
    password: PASSWORD,
  });
  return { wallet, address: status.address ?? '', key, events, skew };
}

function funder(index = 5): Promise<Signer> {
  return rpc.getSigner(devnet.accounts[index]);
}

async function fund(to: string, eth: string, dollars: bigint): Promise<void> {
  const from = await funder();
  if (eth !== '0') await (await from.sendTransaction({ to, value: parseEther(eth) })).wait();
  if (dollars > 0n) {
    const token = connectRoostTestToken(devnet.tokenAddress, from);
    await (await token.transfer(to, dollars * USD)).wait();
  }
}

async function failure(run: Promise<unknown>): Promise<{ code: WalletErrorCode; message: string }> {
  try {
    await run;
  } catch (error) {
    if (isWalletError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a WalletError');
}

async function chainState(address: string) {
  const token = connectRoostTestToken(devnet.tokenAddress, rpc);
  const market = connectJobMarket(devnet.marketAddress, rpc);
  return {
    eth: await rpc.getBalance(address),
    token: await token.balanceOf(address),
    withdrawable: await market.withdrawable(address),
    nonce: await rpc.getTransactionCount(address),
  };
}

describe('wallet on a devnet', () => {
  it('reads coin, token and market balances at one block', async () => {
    const h = await walletFor();
    const empty = await h.wallet.balance();
    expect(walletMethods['wallet.balance'].result.parse(empty)).toEqual(empty);
    expect(empty).toMatchObject({
      address: h.address,
      network: {
        name: 'local',
        chainId: devnet.chainId,
        rpcUrl: devnet.rpcUrl,
        marketAddress: devnet.marketAddress,
        tokenAddress: devnet.tokenAddress,
        // The built-in devnet's tokens are test money: the earnings show no currency for them.
        test: true,
      },
      native: { amount: '0', baseUnits: '0', symbol: 'ETH', decimals: 18 },
      token: { amount: '0', symbol: 'rUSD', decimals: 6, address: devnet.tokenAddress },
      withdrawable: { amount: '0', symbol: 'rUSD' },
    });

    await fund(h.address, '1.5', 100n);
    const funded = await h.wallet.balance();
    expect(funded.native).toMatchObject({ amount: '1.5', baseUnits: parseEther('1.5').toString() });
    expect(funded.token).toMatchObject({ amount: '100', baseUnits: (100n * USD).toString() });
    expect(funded.blockNumber).toBe((await rpc.getBlock('latest'))?.number);
  });

  it('sends tokens exactly as prepared, once, and the balances add up to the last unit', async () => {
    const h = await walletFor();
    await fund(h.address, '1', 100n);
    const recipient = Wallet.createRandom().address;
    const before = await chainState(h.address);

    const prepared = await h.wallet.prepareSend({ to: recipient.toLowerCase(), amount: '25.5' });
    expect(walletMethods['wallet.prepareSend'].result.parse(prepared)).toEqual(prepared);
    expect(prepared).toMatchObject({
      kind: 'send',
      from: h.address,
      to: recipient,
      asset: 'token',
      amount: { amount: '25.5', baseUnits: '25500000', symbol: 'rUSD', decimals: 6 },
      call: { contract: devnet.tokenAddress, method: 'transfer' },
      warnings: [],
    });
    expect(BigInt(prepared.fee.estimated.baseUnits)).toBeGreaterThan(0n);
    expect(BigInt(prepared.fee.max.baseUnits)).toBeGreaterThanOrEqual(
      BigInt(prepared.fee.estimated.baseUnits),
    );
    expect(Date.parse(prepared.expiresAt) - Date.parse(prepared.createdAt)).toBe(5 * 60_000);
    // Preparing sends nothing.
    expect(await chainState(h.address)).toEqual(before);

    const sent = await h.wallet.confirm({ id: prepared.id, wait: true });
    expect(walletMethods['wallet.confirm'].result.parse(sent)).toEqual(sent);
    expect(sent).toMatchObject({
      status: 'mined',
      from: h.address,
      to: recipient,
      nonce: before.nonce,
    });
    const receipt = await rpc.getTransactionReceipt(sent.hash);
    expect(receipt?.blockNumber).toBe(sent.blockNumber);
    expect(receipt?.to).toBe(devnet.tokenAddress);
    expect((await rpc.getTransaction(sent.hash))?.gasLimit).toBe(BigInt(prepared.fee.gasLimit));
    const fee = BigInt(sent.feePaid?.baseUnits ?? '-1');
    expect(fee).toBe(receipt?.fee);
    expect(fee).toBeLessThanOrEqual(BigInt(prepared.fee.max.baseUnits));

    const after = await chainState(h.address);
    expect(after.token).toBe(before.token - 25_500_000n);
    expect(after.eth).toBe(before.eth - fee);
    expect(await connectRoostTestToken(devnet.tokenAddress, rpc).balanceOf(recipient)).toBe(
      25_500_000n,
    );

    // Never twice.
    expect((await failure(h.wallet.confirm({ id: prepared.id }))).code).toBe(
      'WALLET_PREPARED_USED',
    );
    expect(await chainState(h.address)).toEqual(after);

    const txEvents = h.events.filter((e) => e.event === 'wallet.transaction');
    expect(txEvents.map((e) => e.event === 'wallet.transaction' && e.payload.status)).toEqual([
      'submitted',
      'mined',
    ]);
    for (const e of h.events) expect(walletEvents[e.event].safeParse(e.payload).success).toBe(true);
  });

  it('sends the coin, with a plain-transfer gas limit', async () => {
    const h = await walletFor();
    await fund(h.address, '2', 0n);
    const recipient = Wallet.createRandom().address;
    const before = await chainState(h.address);
    const prepared = await h.wallet.prepareSend({ to: recipient, amount: '0.25', asset: 'native' });
    expect(prepared).toMatchObject({
      asset: 'native',
      call: null,
      amount: { amount: '0.25', symbol: 'ETH', decimals: 18 },
    });
    // The node's estimate, without the headroom a contract call gets.
    expect(Number(prepared.fee.gasLimit)).toBeGreaterThanOrEqual(21_000);
    expect(Number(prepared.fee.gasLimit)).toBeLessThan(21_100);
    const sent = await h.wallet.confirm({ id: prepared.id, wait: true });
    const fee = BigInt(sent.feePaid?.baseUnits ?? '0');
    expect((await chainState(h.address)).eth).toBe(before.eth - parseEther('0.25') - fee);
    expect(await rpc.getBalance(recipient)).toBe(parseEther('0.25'));
  });

  it('lets a prepared transfer expire, refuses unknown ids, and sends nothing', async () => {
    const h = await walletFor();
    await fund(h.address, '1', 10n);
    const prepared = await h.wallet.prepareSend({ to: Wallet.createRandom().address, amount: '1' });
    const before = await chainState(h.address);
    h.skew.ms = 5 * 60_000;
    const expired = await failure(h.wallet.confirm({ id: prepared.id }));
    expect(expired.code).toBe('WALLET_PREPARED_EXPIRED');
    expect(expired.message).toMatch(/Prepare it again/);
    expect((await failure(h.wallet.confirm({ id: prepared.id }))).code).toBe(
      'WALLET_PREPARED_EXPIRED',
    );
    expect((await failure(h.wallet.confirm({ id: 'made-up' }))).code).toBe(
      'WALLET_PREPARED_UNKNOWN',
    );
    expect(await chainState(h.address)).toEqual(before);
  });

  it('needs the unlocked wallet or the password to confirm; a wrong password keeps the id usable', async () => {
    const h = await walletFor();
    await fund(h.address, '1', 10n);
    const prepared = await h.wallet.prepareSend({ to: Wallet.createRandom().address, amount: '2' });
    await h.wallet.lock();
    expect((await failure(h.wallet.confirm({ id: prepared.id }))).code).toBe('WALLET_LOCKED');
    expect((await failure(h.wallet.confirm({ id: prepared.id, password: 'nope nope' }))).code).toBe(
      'WALLET_WRONG_PASSWORD',
    );
    const sent = await h.wallet.confirm({ id: prepared.id, password: PASSWORD, wait: true });
    expect(sent.status).toBe('mined');
    expect((await h.wallet.status()).state).toBe('locked');
  });

  it('warns when the coin cannot pay the fee, refuses to send until it can, and nothing moves', async () => {
    const h = await walletFor();
    await fund(h.address, '0', 50n);
    const prepared = await h.wallet.prepareSend({ to: Wallet.createRandom().address, amount: '1' });
    expect(prepared.warnings.map((w) => w.code)).toEqual(['GAS_BALANCE_LOW']);
    expect(prepared.warnings[0]?.message).toMatch(
      new RegExp(`The wallet has 0 ETH, too little to pay the fee .* Add ETH to ${h.address}`),
    );
    const before = await chainState(h.address);
    const refused = await failure(h.wallet.confirm({ id: prepared.id }));
    expect(refused.code).toBe('WALLET_INSUFFICIENT_BALANCE');
    expect(refused.message).toMatch(
      /ETH balance can't pay for this transaction and its fee: it has 0 ETH .* then confirm again; nothing was sent/,
    );
    expect(await chainState(h.address)).toEqual(before);
    // With coin added, the same confirmation goes through.
    await fund(h.address, '0.01', 0n);
    expect((await h.wallet.confirm({ id: prepared.id, wait: true })).status).toBe('mined');
  });

  it('warns about sending to a contract and to itself', async () => {
    const h = await walletFor();
    await fund(h.address, '1', 10n);
    const self = await h.wallet.prepareSend({ to: h.address, amount: '1' });
    expect(self.warnings.map((w) => w.code)).toEqual(['SEND_TO_SELF']);
    const someContract = await deployRoostTestToken(await funder());
    const toContract = await h.wallet.prepareSend({
      to: await someContract.getAddress(),
      amount: '1',
    });
    expect(toContract.warnings.map((w) => w.code)).toEqual(['RECIPIENT_IS_CONTRACT']);
    expect(toContract.warnings[0]?.message).toMatch(/is a contract, not a personal wallet/);
    const dust = await h.wallet.prepareSend({
      to: Wallet.createRandom().address,
      amount: '0.000000000000000001',
      asset: 'native',
    });
    expect(dust.warnings.map((w) => w.code)).toEqual(['FEE_EXCEEDS_AMOUNT']);
  });

  it('refuses bad recipients and amounts in plain words, and changes nothing', async () => {
    const h = await walletFor();
    await fund(h.address, '1', 10n);
    const before = await chainState(h.address);
    const cases: [() => Promise<unknown>, WalletErrorCode, RegExp][] = [
      [
        () => h.wallet.prepareSend({ to: '0x1234', amount: '1' }),
        'WALLET_BAD_ADDRESS',
        /4 characters after 0x instead of 40/,
      ],
      [
        () =>
          h.wallet.prepareSend({
            to: devnet.admin.replace(/[a-f]/, (c) => c.toUpperCase()),
            amount: '1',
          }),
        'WALLET_BAD_ADDRESS',
        /checksum/,
      ],
      [
        () => h.wallet.prepareSend({ to: devnet.tokenAddress, amount: '1' }),
        'WALLET_BAD_ADDRESS',
        /token contract itself/,
      ],
      [
        () => h.wallet.prepareSend({ to: devnet.marketAddress, amount: '1' }),
        'WALLET_BAD_ADDRESS',
        /market contract/,
      ],
      [
        () => h.wallet.prepareSend({ to: devnet.admin, amount: '1,5' }),
        'WALLET_BAD_AMOUNT',
        /comma/,
      ],
      [
        () => h.wallet.prepareSend({ to: devnet.admin, amount: '0.0000001' }),
        'WALLET_BAD_AMOUNT',
        /6 decimal places/,
      ],
      [
        () => h.wallet.prepareSend({ to: devnet.admin, amount: '-3' }),
        'WALLET_BAD_AMOUNT',
        /more than 0/,
      ],
      [
        () => h.wallet.prepareSend({ to: devnet.admin, amount: '10.000001' }),
        'WALLET_INSUFFICIENT_BALANCE',
        /holds 10 rUSD; you asked to send 10.000001/,
      ],
      [
        () => h.wallet.prepareSend({ to: devnet.admin, amount: '5', asset: 'native' }),
        'WALLET_INSUFFICIENT_BALANCE',
        /holds 1 ETH; you asked to send 5/,
      ],
      [
        () => h.wallet.prepareSend({ to: devnet.admin, amount: 'all', asset: 'native' }),
        'WALLET_BAD_AMOUNT',
        /leave nothing to pay the fee/,
      ],
      [() => h.wallet.prepareWithdraw(), 'WALLET_INSUFFICIENT_BALANCE', /Nothing to withdraw/],
    ];
    for (const [run, code, message] of cases) {
      const e = await failure(run());
      expect(e.code, message.source).toBe(code);
      expect(e.message).toMatch(message);
    }
    expect(await chainState(h.address)).toEqual(before);
  });

  it('earns a lease payout, withdraws it after confirmation, and rebuilds the history from events', async () => {
    const h = await walletFor();
    await fund(h.address, '1', 200n);
    // The agent's work signer (the wallet key, never handed out) drives the provider side.
    const provider = (await h.wallet.workSigner()).connect(rpc);
    const market = connectJobMarket(devnet.marketAddress, provider);
    const token = connectRoostTestToken(devnet.tokenAddress, provider);
    await (await token.approve(devnet.marketAddress, 100n * USD)).wait();
    await (await market.registerProvider(id('report'), 1200n, 1n, 100n * USD)).wait();

    const requester = await funder(3);
    const reward = 40n * USD;
    await (
      await connectRoostTestToken(devnet.tokenAddress, requester).approve(
        devnet.marketAddress,
        reward,
      )
    ).wait();
    const latest = await rpc.getBlock('latest');
    const posted = await (
      await connectJobMarket(devnet.marketAddress, requester).postJob(
        id('spec'),
        'http://127.0.0.1/spec.json',
        reward,
        1000n,
        3600n,
        BigInt((latest?.timestamp ?? 0) + 86_400),
        1n,
      )
    ).wait();
    const jobId = posted?.logs
      .map((log) => parseJobMarketLog(log))
      .find((e) => e?.name === 'JobPosted')?.args.jobId as bigint;
    await (await market.claimJob(jobId)).wait();
    await (await market.submitResult(jobId, 0n, id('outputs'), 'http://127.0.0.1/out')).wait();
    await (await connectJobMarket(devnet.marketAddress, requester).acceptResult(jobId, 0n)).wait();

    const payout = reward - (reward * BigInt(devnet.market.feeBps)) / 10_000n;
    const earned = await h.wallet.balance();
    expect(earned.withdrawable.baseUnits).toBe(payout.toString());
    expect(earned.token.baseUnits).toBe((100n * USD).toString());

    // Part, then the rest.
    const part = await h.wallet.prepareWithdraw({ amount: '10' });
    expect(part).toMatchObject({
      kind: 'withdraw',
      from: h.address,
      to: h.address,
      amount: { amount: '10', symbol: 'rUSD' },
      call: { contract: devnet.marketAddress, method: 'withdraw' },
      warnings: [],
    });
    const tooMuch = await failure(h.wallet.prepareWithdraw({ amount: '100' }));
    expect(tooMuch).toMatchObject({
      code: 'WALLET_INSUFFICIENT_BALANCE',
      message: expect.stringMatching(
        /market holds 39.6 rUSD for this wallet; you asked to withdraw 100/,
      ),
    });
    const first = await h.wallet.confirm({ id: part.id, wait: true });
    const rest = await h.wallet.prepareWithdraw();
    const stale = await h.wallet.prepareWithdraw(); // the same money, prepared twice
    expect(rest.amount.baseUnits).toBe((payout - 10n * USD).toString());
    const second = await h.wallet.confirm({ id: rest.id, wait: true });
    const refused = await failure(h.wallet.confirm({ id: stale.id, wait: true }));
    expect(refused).toEqual({
      code: 'WALLET_TX_FAILED',
      message:
        'The chain refused the transaction: the market holds only 0 rUSD for this wallet, not the 29.6 rUSD asked (InsufficientBalance).',
    });
    expect([first.status, second.status]).toEqual(['mined', 'mined']);

    const after = await chainState(h.address);
    expect(after.withdrawable).toBe(0n);
    expect(after.token).toBe(100n * USD + payout);

    const history = await h.wallet.history();
    expect(walletMethods['wallet.history'].result.parse(history)).toEqual(history);
    expect(history).toMatchObject({
      address: h.address,
      fromBlock: devnet.deployBlock,
      toBlock: (await rpc.getBlock('latest'))?.number,
      total: 5,
      ledger: {
        credited: { baseUnits: payout.toString() },
        withdrawn: { baseUnits: payout.toString() },
        withdrawable: { baseUnits: '0' },
        matches: true,
      },
    });
    const summary = history.entries.map((e) => [
      e.kind,
      e.amount.amount,
      e.counterpartyRole,
      e.reason,
    ]);
    // A withdrawal shows once (not again as the tokens it brought in); the stake as staked.
    expect(summary).toEqual([
      ['withdrawn', '29.6', 'market', null],
      ['withdrawn', '10', 'market', null],
      ['credited', '39.6', 'market', 'Payout'],
      ['staked', '100', 'market', null],
      ['received', '200', null, null],
    ]);
    const credited = history.entries[2];
    expect(credited).toMatchObject({ jobId: jobId.toString(), slot: 0 });
    // Every entry points at a real transaction of that block.
    for (const entry of history.entries) {
      const receipt = await rpc.getTransactionReceipt(entry.txHash);
      expect(receipt?.blockNumber).toBe(entry.blockNumber);
      expect(Date.parse(entry.at ?? '')).toBeGreaterThan(0);
    }
    expect(history.entries.filter((e) => e.txHash === second.hash)).toHaveLength(1);
    expect(history.entries[0]?.blockNumber).toBe(second.blockNumber);

    const limited = await h.wallet.history({ limit: 2 });
    expect(limited.entries).toEqual(history.entries.slice(0, 2));
    expect(limited.total).toBe(5);
  });

  it('refuses to confirm on a network that changed since prepare', async () => {
    const ownNet = await tempDir('roost-wallet-net-');
    cleanups.push(ownNet.remove);
    await writeLocalNetwork(ownNet.path, devnetDeployment(devnet));
    const h = await walletFor(ownNet.path);
    await fund(h.address, '1', 10n);
    const prepared = await h.wallet.prepareSend({ to: Wallet.createRandom().address, amount: '1' });
    const before = await chainState(h.address);
    await writeLocalNetwork(ownNet.path, {
      ...devnetDeployment(devnet),
      chainId: devnet.chainId + 1,
    });
    const e = await failure(h.wallet.confirm({ id: prepared.id }));
    expect(e.code).toBe('WALLET_NETWORK_CHANGED');
    expect(e.message).toMatch(/network changed since this was prepared; nothing was sent/);
    expect(await chainState(h.address)).toEqual(before);
  });

  it('says plainly when the node does not answer, or no local network runs', async () => {
    const dead = await tempDir('roost-wallet-net-');
    cleanups.push(dead.remove);
    await writeLocalNetwork(dead.path, {
      ...devnetDeployment(devnet),
      rpcUrl: 'http://127.0.0.1:1',
    });
    const h = await walletFor(dead.path);
    const down = await failure(h.wallet.balance());
    expect(down.code).toBe('NETWORK_UNAVAILABLE');
    expect(down.message).toMatch(
      /The chain at http:\/\/127.0.0.1:1 did not answer \(ECONNREFUSED\)/,
    );
    expect((await failure(h.wallet.history())).code).toBe('NETWORK_UNAVAILABLE');

    const none = await tempDir('roost-wallet-net-');
    cleanups.push(none.remove);
    await mkdir(join(none.path, 'networks'), { recursive: true });
    await writeFile(join(none.path, 'networks', 'local.json'), '{}');
    const h2 = await walletFor(none.path);
    const missing = await failure(h2.wallet.prepareWithdraw());
    expect(missing.code).toBe('NETWORK_UNAVAILABLE');
    expect(missing.message).toMatch(/local network is not running/);
  });

  it('works with a custom network given as an RPC URL and a market address', async () => {
    const dir = await tempDir('roost-wallet-');
    const network = createNetworkSource({
      dataDir: dir.path,
      settings: () => ({
        name: 'custom',
        rpcUrl: devnet.rpcUrl,
        marketAddress: devnet.marketAddress.toLowerCase(),
      }),
    });
    const wallet = createWalletService({
      dataDir: dir.path,
      network,
      scrypt: LIGHT,
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
    cleanups.push(async () => {
      await wallet.close();
      network.close();
      await dir.remove();
    });
    const resolved = await network();
    expect(resolved).toMatchObject({
      name: 'custom',
      chainId: devnet.chainId,
      marketAddress: devnet.marketAddress,
      tokenAddress: devnet.tokenAddress,
      deployBlock: devnet.deployBlock,
    });
    const status = await wallet.importWallet({
      kind: 'privateKey',
      privateKey: Wallet.createRandom().privateKey,
      password: PASSWORD,
    });
    await fund(status.address ?? '', '0', 3n);
    expect((await wallet.balance()).token.amount).toBe('3');
  });
});
