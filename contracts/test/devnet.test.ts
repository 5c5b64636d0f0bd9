// contracts/devnet.ts for real: a Hardhat node child process on 127.0.0.1, a deployed and funded
// market, a job run over JSON-RPC, and a clean stop.
import { existsSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { JsonRpcProvider } from 'ethers';
import { connectJobMarket, LeaseState } from '../bindings/job-market.ts';
import { connectRoostTestToken } from '../bindings/roost-test-token.ts';
import { TEST_DOLLAR, devnetDeployment, startDevnet } from '../devnet.ts';
import type { Devnet } from '../devnet.ts';

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('devnet', function () {
  this.timeout(120_000);
  let devnet: Devnet | undefined;

  afterEach(async function () {
    await devnet?.stop();
    devnet = undefined;
  });

  it('starts a node on 127.0.0.1, deploys a funded market and runs a job over JSON-RPC', async function () {
    const lines: string[] = [];
    devnet = await startDevnet({ log: (line) => lines.push(line) });
    const url = new URL(devnet.rpcUrl);
    expect(url.hostname).to.equal('127.0.0.1');
    expect(devnet.chainId).to.equal(31337);
    expect(lines.some((line) => /private key/i.test(line))).to.equal(false);

    const provider = new JsonRpcProvider(devnet.rpcUrl, devnet.chainId, {
      staticNetwork: true,
      pollingInterval: 50,
    });
    try {
      expect((await provider.getNetwork()).chainId).to.equal(31337n);
      const [, , , requesterAddress, providerAddress] = devnet.accounts;
      if (requesterAddress === undefined || providerAddress === undefined)
        throw new Error('too few accounts');
      const requester = await provider.getSigner(requesterAddress);
      const worker = await provider.getSigner(providerAddress);
      const market = connectJobMarket(devnet.marketAddress, provider);
      const token = connectRoostTestToken(devnet.tokenAddress, provider);

      expect(await market.token()).to.equal(devnet.tokenAddress);
      expect(await market.challengeWindow()).to.equal(BigInt(devnet.market.challengeWindowSeconds));
      for (const account of devnet.accounts.slice(0, 10)) {
        expect(await token.balanceOf(account)).to.equal(10_000n * TEST_DOLLAR);
      }
      expect(await token.balanceOf(devnet.accounts[10] ?? '')).to.equal(0n);

      const marketAddress = devnet.marketAddress;
      await (await token.connect(requester).approve(marketAddress, 1_000n * TEST_DOLLAR)).wait();
      await (await token.connect(worker).approve(marketAddress, 1_000n * TEST_DOLLAR)).wait();
      await (
        await market
          .connect(worker)
          .registerProvider(`0x${'11'.repeat(32)}`, 900n, TEST_DOLLAR, 100n * TEST_DOLLAR)
      ).wait();
      const block = await provider.getBlock('latest');
      const deadline = BigInt(block?.timestamp ?? 0) + 7_200n;
      const reward = 20n * TEST_DOLLAR;
      await (
        await market
          .connect(requester)
          .postJob(
            `0x${'22'.repeat(32)}`,
            'http://127.0.0.1/spec.json',
            reward,
            800n,
            600n,
            deadline,
            1n,
          )
      ).wait();
      const jobId = await market.jobCount();
      await (await market.connect(worker).claimJob(jobId)).wait();
      await (
        await market
          .connect(worker)
          .submitResult(jobId, 0, `0x${'33'.repeat(32)}`, 'http://127.0.0.1/out.json')
      ).wait();
      await provider.send('evm_increaseTime', [devnet.market.challengeWindowSeconds]);
      await provider.send('evm_mine', []);
      await (await market.connect(requester).finalizeResult(jobId, 0)).wait();
      expect((await market.getLease(jobId, 0)).state).to.equal(LeaseState.Paid);

      const payout = await market.withdrawable(providerAddress);
      expect(payout).to.equal(reward - (reward * BigInt(devnet.market.feeBps)) / 10_000n);
      await (await market.connect(worker).withdraw(payout)).wait();
      expect(await token.balanceOf(providerAddress)).to.equal(
        10_000n * TEST_DOLLAR - 100n * TEST_DOLLAR + payout,
      );

      const events = await market.queryFilter('LeaseSettled', devnet.deployBlock);
      expect(events).to.have.length(1);
    } finally {
      provider.destroy();
    }
  });

  it('listens on loopback only', async function () {
    devnet = await startDevnet({ fundAccounts: 0 });
    const port = Number(new URL(devnet.rpcUrl).port);
    expect(await accepts('127.0.0.1', port)).to.equal(true);
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal);
    if (external === undefined) {
      this.skip();
      return;
    }
    expect(await accepts(external.address, port)).to.equal(false);
  });

  it('takes a port and chain id, describes its deployment, and stops cleanly', async function () {
    const port = await freePort();
    devnet = await startDevnet({
      port,
      chainId: 1337,
      fundAccounts: 1,
      fundAmount: 150_000n * TEST_DOLLAR,
    });
    expect(devnet.rpcUrl).to.equal(`http://127.0.0.1:${port}`);
    expect(devnet.chainId).to.equal(1337);

    const record = JSON.parse(JSON.stringify(devnetDeployment(devnet))) as ReturnType<
      typeof devnetDeployment
    >;
    expect(record.contracts.JobMarket.address).to.equal(devnet.marketAddress);
    expect(
      record.contracts.JobMarket.abi.some(
        (item) => item.type === 'function' && item.name === 'postJob',
      ),
    ).to.equal(true);
    expect(record.contracts.RoostTestToken.address).to.equal(devnet.tokenAddress);
    expect(record.accounts.arbiter).to.equal(devnet.accounts[1]);

    const provider = new JsonRpcProvider(devnet.rpcUrl, 1337, { staticNetwork: true });
    const token = connectRoostTestToken(devnet.tokenAddress, provider);
    expect(await token.balanceOf(devnet.accounts[0] ?? '')).to.equal(150_000n * TEST_DOLLAR);
    expect(await token.balanceOf(devnet.accounts[1] ?? '')).to.equal(0n);
    provider.destroy();

    const { pid } = devnet;
    await devnet.stop();
    await devnet.stop();
    expect(alive(pid)).to.equal(false);
    expect(await accepts('127.0.0.1', port)).to.equal(false);
  });

  it('fails clearly when the port is taken', async function () {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      let message = '';
      try {
        devnet = await startDevnet({ port: address.port, startupTimeoutMs: 30_000 });
      } catch (error) {
        message = error instanceof Error ? error.message : String(error);
      }
      expect(message).to.match(/\[devnet\] the node exited/);
      expect(message).to.match(/EADDRINUSE|in use/i);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('runs in a folder of its own, with no hardhat.config.ts and outside the repository', async function () {
    const workDir = await mkdtemp(path.join(os.tmpdir(), 'roost-devnet-work-'));
    try {
      devnet = await startDevnet({ workDir, fundAccounts: 0 });
      expect(existsSync(path.join(workDir, 'package.json'))).to.equal(true);
      expect(existsSync(path.join(workDir, 'artifacts', 'build-info'))).to.equal(true);
      expect(existsSync(path.join(workDir, 'hardhat.config.ts'))).to.equal(false);
      // Linux shows a process's working folder.
      if (process.platform === 'linux')
        expect(readlinkSync(`/proc/${devnet.pid}/cwd`)).to.equal(workDir);
      await devnet.stop();
      devnet = undefined;
      // A folder it was given stays; a temporary one of its own would go.
      expect(existsSync(workDir)).to.equal(true);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });
});
