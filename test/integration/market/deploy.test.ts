// `market.deploy` against a real chain: a Hardhat node on 127.0.0.1 stands for the lab's own, and
// an agent in this process with a wallet of its own deploys a market there through its API. What
// it deployed is read back from the chain (code, token, roles, parameters, the faucet's test
// dollars), the settings point at it, and the wallet's network is the new market. Each refusal
// (no coin for the fees, a token with no code, a locked wallet, a second market by accident)
// sends nothing and saves nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet, ZeroAddress, type JsonRpcProvider } from 'ethers';
import { connectJobMarket } from '../../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../../contracts/bindings/roost-test-token.ts';
import type { Devnet } from '../../../contracts/devnet.ts';
import { LAB_MARKET_PARAMS } from '../../../contracts/market-params.ts';
import { createAgent, type Agent } from '../../../agent/agent.ts';
import type { MethodName, ParamsOf, Result, ResultOf } from '../../../agent/api/contract.ts';
import { httpClient } from '../../../agent/api/node-client.ts';
import { encryptWallet, keystorePath, writeKeystoreFile } from '../../../agent/wallet/keystore.ts';
import { startTestChain, type TestChain } from '../../support/devnet-chain.ts';
import { runRoost } from '../../support/roost-cli.ts';
import { startServeProcess, type ServeProcess } from '../../support/serve-process.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { LIGHT_SCRYPT, until } from './support.ts';

const ETH = 10n ** 18n;
const PASSWORD = 'the lab password';

let chain: TestChain;
let devnet: Devnet;
let rpc: JsonRpcProvider;
let dir: { path: string; remove: () => Promise<void> };
let agent: Agent;
let serving: ServeProcess | undefined;
const lab = Wallet.createRandom();

function call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<Result<ResultOf<M>>> {
  return agent.router.call(method, params) as Promise<Result<ResultOf<M>>>;
}

async function network() {
  const r = await call('settings.get', {});
  if (!r.ok) throw new Error(r.error.message);
  return r.value.network;
}

/** How many transactions the lab's wallet has sent on the chain. */
const sentByLab = () => rpc.getTransactionCount(lab.address, 'latest');

beforeAll(async () => {
  chain = await startTestChain();
  ({ devnet, rpc } = chain);
  dir = await tempDir('roost-deploy-');
  agent = await createAgent({
    dataDir: join(dir.path, 'lab'),
    host: 'test',
    embeddedDevnet: false,
    hardware: { env: { ...process.env, ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi' } },
    wallet: { scrypt: LIGHT_SCRYPT },
  });
  const imported = await call('wallet.import', {
    kind: 'privateKey',
    privateKey: lab.privateKey,
    password: PASSWORD,
  });
  if (!imported.ok) throw new Error(imported.error.message);
  // The lab's wallet starts with no coin on its chain.
  await rpc.send('hardhat_setBalance', [lab.address, '0x0']);
}, 120_000);

afterAll(async () => {
  await serving?.stop();
  await agent?.close();
  await chain?.stop();
  await dir?.remove();
});

describe('market.deploy', () => {
  it('refuses a wallet with no coin for the fees, naming it and the chain; nothing changes', async () => {
    const before = await network();
    const r = await call('market.deploy', { rpcUrl: devnet.rpcUrl });
    expect(r).toMatchObject({ ok: false, error: { code: 'WALLET_INSUFFICIENT_BALANCE' } });
    if (!r.ok) {
      expect(r.error.message).toContain(`The wallet ${lab.address} has 0 ETH on chain 31337`);
      expect(r.error.message).toMatch(/a deploy needs about [\d.]+ ETH for its fees/);
      expect(r.error.message).toContain('Nothing was deployed.');
    }
    expect(await network()).toEqual(before);
    expect(await sentByLab()).toBe(0);
  });

  it('refuses a token with no contract there; nothing changes', async () => {
    await rpc.send('hardhat_setBalance', [lab.address, `0x${(10n * ETH).toString(16)}`]);
    const before = await network();
    const nowhere = Wallet.createRandom().address;
    const r = await call('market.deploy', { rpcUrl: devnet.rpcUrl, token: nowhere });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    if (!r.ok)
      expect(r.error.message).toContain(
        `There is no contract at ${nowhere} on chain 31337 (${devnet.rpcUrl})`,
      );
    expect(await network()).toEqual(before);
    expect(await sentByLab()).toBe(0);
  });

  it('refuses a locked wallet without its password, and a wrong password', async () => {
    await call('wallet.lock', {});
    const locked = await call('market.deploy', { rpcUrl: devnet.rpcUrl });
    expect(locked).toMatchObject({ ok: false, error: { code: 'WALLET_LOCKED' } });
    const wrong = await call('market.deploy', { rpcUrl: devnet.rpcUrl, password: 'not it at all' });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'WALLET_WRONG_PASSWORD' } });
    if (!wrong.ok) expect(wrong.error.message).not.toContain('not it at all');
    expect(await sentByLab()).toBe(0);
    expect((await network()).name).toBe('local');
  });

  let deployed: ResultOf<'market.deploy'>;

  it('deploys the test dollar and the market from the wallet, takes the faucet once, and works on it', async () => {
    // Locked, with the password for this one deploy (as wallet.confirm takes it).
    const r = await call('market.deploy', { rpcUrl: devnet.rpcUrl, password: PASSWORD });
    if (!r.ok) throw new Error(r.error.message);
    deployed = r.value;
    expect(deployed).toMatchObject({
      chainId: 31337,
      rpcUrl: devnet.rpcUrl,
      tokenSymbol: 'rUSD',
      tokenDecimals: 6,
      testToken: true,
      deployer: lab.address,
    });
    expect(deployed.transactions).toHaveLength(3);
    for (const hash of deployed.transactions)
      expect((await rpc.getTransactionReceipt(hash))?.status).toBe(1);

    expect(await rpc.getCode(deployed.tokenAddress)).not.toBe('0x');
    expect(await rpc.getCode(deployed.marketAddress)).not.toBe('0x');
    expect([deployed.marketAddress, deployed.tokenAddress]).not.toContain(devnet.marketAddress);
    const market = connectJobMarket(deployed.marketAddress, rpc);
    expect(await market.token()).toBe(deployed.tokenAddress);
    for (const role of [
      await market.DEFAULT_ADMIN_ROLE(),
      await market.PAUSER_ROLE(),
      await market.ARBITER_ROLE(),
    ])
      expect(await market.hasRole(role, lab.address)).toBe(true);
    expect(await market.treasury()).toBe(lab.address);
    expect(Number(await market.feeBps())).toBe(0);
    expect(Number(await market.collateralBps())).toBe(LAB_MARKET_PARAMS.collateralBps);
    expect(Number(await market.challengeWindow())).toBe(LAB_MARKET_PARAMS.challengeWindowSeconds);
    expect(Number(await market.unstakeDelay())).toBe(LAB_MARKET_PARAMS.unstakeDelaySeconds);
    expect(Number(await market.arbitrationTimeout())).toBe(
      LAB_MARKET_PARAMS.arbitrationTimeoutSeconds,
    );
    expect((await rpc.getTransactionReceipt(deployed.transactions[1]!))?.blockNumber).toBe(
      deployed.blockNumber,
    );

    const token = connectRoostTestToken(deployed.tokenAddress, rpc);
    const faucet = await token.FAUCET_LIMIT();
    expect(await token.balanceOf(lab.address)).toBe(faucet);
    expect(deployed.tokenBalance).toBe(faucet.toString());

    expect(await network()).toEqual({
      name: 'custom',
      rpcUrl: devnet.rpcUrl,
      marketAddress: deployed.marketAddress,
      tokens: 'test',
    });
    // The wallet stays locked, and its network is the new market now.
    expect((await call('wallet.status', {})).ok && (await agent.wallet.status()).state).toBe(
      'locked',
    );
    const balance = await call('wallet.balance', {});
    if (!balance.ok) throw new Error(balance.error.message);
    expect(balance.value.network).toMatchObject({
      name: 'custom',
      chainId: 31337,
      marketAddress: deployed.marketAddress,
      tokenAddress: deployed.tokenAddress,
      test: true,
    });
    expect(balance.value.token.baseUnits).toBe(faucet.toString());
  });

  it('refuses a second market on the chain it works on, unless asked to replace it', async () => {
    const sent = await sentByLab();
    const again = await call('market.deploy', { rpcUrl: devnet.rpcUrl, password: PASSWORD });
    expect(again).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    if (!again.ok) {
      expect(again.error.message).toContain(
        `This Roost already works on market ${deployed.marketAddress} on chain 31337`,
      );
      expect(again.error.message).toContain('--replace');
    }
    expect(await sentByLab()).toBe(sent);
    expect((await network()).marketAddress).toBe(deployed.marketAddress);
  });

  it("deploys a market paid in a token already on the chain, with the lab's fee", async () => {
    const sent = await sentByLab();
    const r = await call('market.deploy', {
      rpcUrl: devnet.rpcUrl,
      token: devnet.tokenAddress.toLowerCase(),
      feeBps: 25,
      replace: true,
      password: PASSWORD,
    });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toMatchObject({
      tokenAddress: devnet.tokenAddress,
      tokenSymbol: 'rUSD',
      tokenDecimals: 6,
      testToken: false,
    });
    expect(r.value.transactions).toHaveLength(1);
    expect(await sentByLab()).toBe(sent + 1);
    const market = connectJobMarket(r.value.marketAddress, rpc);
    expect(await market.token()).toBe(devnet.tokenAddress);
    expect(Number(await market.feeBps())).toBe(25);
    expect(await market.treasury()).not.toBe(ZeroAddress);
    expect((await network()).marketAddress).toBe(r.value.marketAddress);
  });
});

describe('roost market deploy', () => {
  it('deploys through a running roost serve, which moves to the new market, and prints the lines for the other machines', async () => {
    // The lab's machine: roost serve with a wallet of its own, unlocked from a private file.
    const other = Wallet.createRandom();
    const dataDir = join(dir.path, 'serve');
    await mkdir(join(dataDir, 'wallet'), { recursive: true, mode: 0o700 });
    await writeKeystoreFile(
      keystorePath(dataDir),
      await encryptWallet(other, PASSWORD, LIGHT_SCRYPT),
    );
    const passwordFile = join(dir.path, 'serve-password');
    await writeFile(passwordFile, PASSWORD);
    await chmod(passwordFile, 0o600);
    await rpc.send('hardhat_setBalance', [other.address, `0x${(10n * ETH).toString(16)}`]);
    serving = await startServeProcess(dataDir, ['--unlock-with', passwordFile], 60_000, {
      ROOST_WALLET_PASSWORD_FILE: '',
      CREDENTIALS_DIRECTORY: '',
    });

    const r = await runRoost([
      'market',
      'deploy',
      '--rpc',
      devnet.rpcUrl,
      '--fee-bps',
      '10',
      '--yes',
      '--data-dir',
      dataDir,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const market = /market: {3}(0x[0-9a-fA-F]{40}) \(block \d+\)/.exec(r.stdout)?.[1];
    expect(market).toBeDefined();
    expect(r.stdout).toContain(`Deployed a Roost market on chain 31337 at ${devnet.rpcUrl}:`);
    expect(r.stdout).toContain(
      `On each provider machine:\n  roost settings set network.tokens test\n  roost serve --rpc ${devnet.rpcUrl} --market ${market}\n`,
    );
    expect(r.stdout).toContain(
      'this wallet holds 100000 rUSD. Send them from here:\n  roost wallet send <provider address> <amount>            (rUSD)\n',
    );
    expect(Number(await connectJobMarket(market!, rpc).feeBps())).toBe(10);

    // The running Roost works on it now: its settings and its market session.
    const client = httpClient(serving.base, serving.token);
    const settings = await client.call('settings.get');
    expect(settings.ok && settings.value.network).toEqual({
      name: 'custom',
      rpcUrl: devnet.rpcUrl,
      marketAddress: market,
      tokens: 'test',
    });
    await until('the market session on the new market', async () => {
      const status = await client.call('market.status');
      return status.ok && status.value.network?.marketAddress === market ? true : undefined;
    });
  });
});
