// The arbiter's side against a real Hardhat devnet: a requester (one of the node's accounts)
// disputes two results a provider submitted, with its reasons published on a server on
// 127.0.0.1 (one of them gone). An agent in this process, whose wallet the market's admin then
// makes an arbiter, lists the disputes with the reasons fetched, is refused what the market
// would refuse (before any transaction), and rules for the provider; then the real `roost`
// command line, on the same data folder with the wallet locked, rules the other for the
// requester after asking, and a data folder with no wallet is refused. What each side was
// credited is read back from the chain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MaxUint256, Wallet, id, type JsonRpcProvider } from 'ethers';
import { devnetDeployment, TEST_DOLLAR, type Devnet } from '../../../contracts/devnet.ts';
import {
  LeaseState,
  connectJobMarket,
  parseJobMarketLog,
  type JobMarket,
} from '../../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../../contracts/bindings/roost-test-token.ts';
import { createAgent, type Agent } from '../../../agent/agent.ts';
import type { MethodName, ParamsOf, Result, ResultOf } from '../../../agent/api/contract.ts';
import { writeLocalNetwork } from '../../../agent/market/local-network.ts';
import { startTestChain, type TestChain } from '../../support/devnet-chain.ts';
import { runRoost } from '../../support/roost-cli.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { LIGHT_SCRYPT, until } from './support.ts';

const USD = TEST_DOLLAR;
const REWARD = 5n * USD;
const REQUESTER = 3;
const PROVIDER = 4;
const PASSWORD = 'the arbiter password';
const REASON = 'Disputed: output y differs from the canary by 0.41 (allowed 0.001)';

let chain: TestChain;
let devnet: Devnet;
let rpc: JsonRpcProvider;
let market: JobMarket;
let dir: { path: string; remove: () => Promise<void> };
let arbiterDir: string;
let agent: Agent | undefined;
let server: Server;
let reasonBase: string;
const arbiter = Wallet.createRandom();

function call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<Result<ResultOf<M>>> {
  if (!agent) throw new Error('the agent is closed');
  return agent.router.call(method, params) as Promise<Result<ResultOf<M>>>;
}

const sentByArbiter = () => rpc.getTransactionCount(arbiter.address, 'latest');
const account = (i: number) => devnet.accounts[i]!;
const as = async (i: number) =>
  connectJobMarket(devnet.marketAddress, await rpc.getSigner(account(i)));

/** Posts a one-lease job, has the provider claim it and (unless `submit` is false) submit. */
async function postClaimSubmit(name: string, submit = true): Promise<bigint> {
  const latest = await rpc.getBlock('latest');
  const receipt = await (
    await (
      await as(REQUESTER)
    ).postJob(
      id(name),
      `http://127.0.0.1:9/${name}/job.json`,
      REWARD,
      0n,
      3600n,
      BigInt((latest?.timestamp ?? 0) + 86_400),
      1n,
    )
  ).wait();
  const posted = receipt?.logs
    .map((l) => parseJobMarketLog(l))
    .find((e) => e?.name === 'JobPosted');
  const jobId = posted?.args.jobId as bigint;
  await (await (await as(PROVIDER)).claimJob(jobId)).wait();
  if (submit)
    await (
      await (
        await as(PROVIDER)
      ).submitResult(jobId, 0, id(`${name} result`), `http://127.0.0.1:9/${name}/result.json`)
    ).wait();
  return jobId;
}

async function dispute(jobId: bigint, reasonUri: string): Promise<void> {
  await (await (await as(REQUESTER)).disputeResult(jobId, 0, reasonUri)).wait();
}

/** The rulable disputes of each `market.disputes` event, by job. */
const announced: string[][] = [];
let first: bigint;
let second: bigint;
let undisputed: bigint;

beforeAll(async () => {
  chain = await startTestChain();
  ({ devnet, rpc } = chain);
  market = connectJobMarket(devnet.marketAddress, rpc);
  dir = await tempDir('roost-arbiter-');
  server = createServer((req, res) => {
    if (req.url === '/why-1.txt') {
      // A reason that tries to rewrite the terminal: its escape and bidi characters go.
      res.end(`${REASON}\n\u001b[2J\u202eevil\n`);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  reasonBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  for (const i of [REQUESTER, PROVIDER])
    await (
      await connectRoostTestToken(devnet.tokenAddress, await rpc.getSigner(account(i))).approve(
        devnet.marketAddress,
        MaxUint256,
      )
    ).wait();
  await (await (await as(PROVIDER)).registerProvider(id('report'), 1200n, 1n, 100n * USD)).wait();
  first = await postClaimSubmit('first');
  await dispute(first, `${reasonBase}/why-1.txt`);
  second = await postClaimSubmit('second');
  await dispute(second, `${reasonBase}/gone.txt`);
  undisputed = await postClaimSubmit('third', false);

  arbiterDir = join(dir.path, 'arbiter');
  await mkdir(arbiterDir, { recursive: true });
  await writeLocalNetwork(arbiterDir, devnetDeployment(devnet));
  agent = await createAgent({
    dataDir: arbiterDir,
    host: 'test',
    // Long-lived, as roost serve: it looks for disputes to announce (fast here).
    background: true,
    market: { disputesCheckMs: 200 },
    embeddedDevnet: false,
    hardware: { env: { ...process.env, ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi' } },
    wallet: { scrypt: LIGHT_SCRYPT },
  });
  const imported = await call('wallet.import', {
    kind: 'privateKey',
    privateKey: arbiter.privateKey,
    password: PASSWORD,
  });
  if (!imported.ok) throw new Error(imported.error.message);
  agent.events.subscribe((e) => {
    if (e.event === 'market.disputes') announced.push(e.payload.disputes.map((d) => d.jobId));
  });
  await rpc.send('hardhat_setBalance', [arbiter.address, `0x${(10n ** 18n).toString(16)}`]);
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await new Promise((resolve) => server?.close(resolve));
  await chain?.stop();
  await dir?.remove();
});

describe('disputes and rulings', () => {
  it('lists the open disputes with what is at stake and the reasons, and that this wallet may not rule', async () => {
    const r = await call('market.disputes', {});
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toMatchObject({
      network: { chainId: 31337, marketAddress: devnet.marketAddress },
      wallet: arbiter.address,
      arbiter: false,
    });
    expect(r.value.disputes.map((d) => d.jobId)).toEqual([String(first), String(second)]);
    const [one, two] = r.value.disputes;
    const lease = await market.getLease(first, 0);
    const timeout = await market.arbitrationTimeout();
    expect(one).toMatchObject({
      slot: 0,
      requester: account(REQUESTER),
      provider: account(PROVIDER),
      reward: { amount: '5', symbol: 'rUSD' },
      collateral: { amount: '2.5', symbol: 'rUSD' },
      resultHash: id('first result'),
      resultUri: 'http://127.0.0.1:9/first/result.json',
      reasonUri: `${reasonBase}/why-1.txt`,
      reason: `${REASON}\n[2Jevil`,
      reasonProblem: null,
      voidableAt: new Date(Number(lease.challengeEndsAt + timeout) * 1000).toISOString(),
    });
    expect(one!.cannotRule).toContain(
      `This wallet (${arbiter.address}) is not the arbiter of market`,
    );
    expect(two).toMatchObject({ reason: null, reasonUri: `${reasonBase}/gone.txt` });
    expect(two!.reasonProblem).toBe(
      "The reason could not be read: the requester's server answered 404.",
    );
    // The Jobs page asks only as an arbiter: this wallet is none, so it lists nothing.
    const page = await call('market.disputes', { arbiterOnly: true });
    expect(page).toMatchObject({ ok: true, value: { arbiter: false, disputes: [] } });
  });

  it('refuses a ruling from a wallet that is not the arbiter, sending nothing', async () => {
    const r = await call('market.resolveDispute', {
      jobId: String(first),
      slot: 0,
      winner: 'provider',
    });
    expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    if (!r.ok)
      expect(r.error.message).toMatch(
        /only a wallet holding its arbiter role.*Nothing was sent\.$/,
      );
    expect(await sentByArbiter()).toBe(0);
  });

  it('refuses what the market would refuse, before asking for the key', async () => {
    // The market's admin makes this wallet an arbiter.
    const admin = await as(0);
    await (await admin.grantRole(await market.ARBITER_ROLE(), arbiter.address)).wait();
    await call('wallet.lock', {});

    const unknown = await call('market.resolveDispute', {
      jobId: '999',
      slot: 0,
      winner: 'provider',
    });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    if (!unknown.ok) expect(unknown.error.message).toContain('There is no job 999 on market');

    const noSlot = await call('market.resolveDispute', {
      jobId: String(first),
      slot: 1,
      winner: 'provider',
    });
    expect(noSlot).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    if (!noSlot.ok)
      expect(noSlot.error.message).toContain(
        `Job ${first} has one lease, numbered 0; there is no lease 1.`,
      );

    const notDisputed = await call('market.resolveDispute', {
      jobId: String(undisputed),
      slot: 0,
      winner: 'requester',
    });
    expect(notDisputed).toMatchObject({ ok: false, error: { code: 'JOB_STATE' } });
    if (!notDisputed.ok)
      expect(notDisputed.error.message).toContain(
        `Lease 0 of job ${undisputed} is not disputed: it is claimed, with no result yet.`,
      );

    // Everything checks out, but the wallet is locked: it says so.
    const locked = await call('market.resolveDispute', {
      jobId: String(first),
      slot: 0,
      winner: 'provider',
    });
    expect(locked).toMatchObject({ ok: false, error: { code: 'WALLET_LOCKED' } });
    expect(await sentByArbiter()).toBe(0);
    expect((await market.getLease(first, 0)).state).toBe(BigInt(LeaseState.Disputed));
  });

  it('rules for the provider: it is paid, and the dispute leaves the list', async () => {
    // Made the arbiter, the agent announces the two disputes it may rule on (a notice), once.
    await until('the disputes announced', () =>
      announced.some((jobs) => jobs.join() === `${first},${second}`) ? true : undefined,
    );
    const unlocked = await call('wallet.unlock', { password: PASSWORD });
    if (!unlocked.ok) throw new Error(unlocked.error.message);
    const listed = await call('market.disputes', {});
    if (!listed.ok) throw new Error(listed.error.message);
    expect(listed.value.arbiter).toBe(true);
    expect(listed.value.disputes.map((d) => d.cannotRule)).toEqual([null, null]);
    const page = await call('market.disputes', { arbiterOnly: true });
    if (!page.ok) throw new Error(page.error.message);
    expect(page.value.disputes.map((d) => d.jobId)).toEqual([String(first), String(second)]);

    const before = await market.withdrawable(account(PROVIDER));
    const r = await call('market.resolveDispute', {
      jobId: String(first),
      slot: 0,
      winner: 'provider',
    });
    if (!r.ok) throw new Error(r.error.message);
    // The devnet's market takes 1 %.
    expect(r.value).toMatchObject({
      winner: 'provider',
      provider: account(PROVIDER),
      providerPaid: { amount: '4.95', symbol: 'rUSD' },
      requesterCredited: { amount: '0', symbol: 'rUSD' },
    });
    expect((await rpc.getTransactionReceipt(r.value.transaction))?.status).toBe(1);
    expect((await market.withdrawable(account(PROVIDER))) - before).toBe((REWARD * 99n) / 100n);
    expect((await market.getLease(first, 0)).state).toBe(BigInt(LeaseState.Paid));
    const after = await call('market.disputes', {});
    if (!after.ok) throw new Error(after.error.message);
    expect(after.value.disputes.map((d) => d.jobId)).toEqual([String(second)]);

    // A dispute made since the last listing is found (the agent reads only the newer blocks).
    const late = await postClaimSubmit('late');
    await dispute(late, `${reasonBase}/why-1.txt`);
    const withLate = await call('market.disputes', {});
    if (!withLate.ok) throw new Error(withLate.error.message);
    expect(withLate.value.disputes.map((d) => d.jobId)).toEqual([String(second), String(late)]);
    const lateRuled = await call('market.resolveDispute', {
      jobId: String(late),
      slot: 0,
      winner: 'provider',
    });
    if (!lateRuled.ok) throw new Error(lateRuled.error.message);

    // The announcements followed: the two ruled on gone (the late one may have come and gone
    // between two looks), the first set announced once.
    await until('the rulings announced', () =>
      announced.at(-1)?.join() === String(second) ? true : undefined,
    );
    expect(announced.filter((jobs) => jobs.join() === `${first},${second}`)).toHaveLength(1);

    // Ruled once: a second ruling is refused, and nothing more is sent.
    const sent = await sentByArbiter();
    const again = await call('market.resolveDispute', {
      jobId: String(first),
      slot: 0,
      winner: 'requester',
    });
    expect(again).toMatchObject({ ok: false, error: { code: 'JOB_STATE' } });
    if (!again.ok) expect(again.error.message).toContain('it is paid to the provider');
    expect(await sentByArbiter()).toBe(sent);
  });

  it('`roost market resolve` asks, takes the password, and rules for the requester', async () => {
    await agent?.close();
    agent = undefined;

    const listed = await runRoost(['market', 'disputes', '--data-dir', arbiterDir]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`One open dispute on market ${devnet.marketAddress}`);
    expect(listed.stdout).toContain(`This wallet, ${arbiter.address}, is its arbiter.`);
    expect(listed.stdout).toContain(`Job ${second}, lease 0: disputed`);
    expect(listed.stdout).toContain(
      "reason      The reason could not be read: the requester's server answered 404.",
    );
    expect(listed.stdout).toContain(
      `rule        roost market resolve ${second} 0 --for provider   (or --for requester)`,
    );

    const no = await runRoost(
      ['market', 'resolve', String(second), '0', '--for', 'requester', '--data-dir', arbiterDir],
      180_000,
      'n\n',
    );
    expect(no.code).toBe(1);
    expect(no.stdout + no.stderr).toContain(
      `Rule on lease 0 of job ${second} for the requester? the requester ${account(REQUESTER)} gets the 5 rUSD reward back and the provider's 2.5 rUSD collateral. A ruling is final.`,
    );
    expect(no.stderr).toContain('Nothing was sent.');
    expect((await market.getLease(second, 0)).state).toBe(BigInt(LeaseState.Disputed));

    const requesterBefore = await market.withdrawable(account(REQUESTER));
    const stakeBefore = (await market.getProvider(account(PROVIDER))).stake;
    const yes = await runRoost(
      ['market', 'resolve', String(second), '0', '--for', 'requester', '--data-dir', arbiterDir],
      180_000,
      `y\n${PASSWORD}\n`,
    );
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toContain(
      `Ruled for the requester: ${account(REQUESTER)} was credited 7.5 rUSD, the reward and the provider's collateral`,
    );
    expect((await market.getLease(second, 0)).state).toBe(BigInt(LeaseState.Rejected));
    expect((await market.withdrawable(account(REQUESTER))) - requesterBefore).toBe(
      REWARD + REWARD / 2n,
    );
    expect(stakeBefore - (await market.getProvider(account(PROVIDER))).stake).toBe(REWARD / 2n);
  }, 240_000);

  it('a data folder with no wallet reads the disputes but may not rule', async () => {
    const otherDir = join(dir.path, 'no-wallet');
    await mkdir(otherDir, { recursive: true });
    await writeLocalNetwork(otherDir, devnetDeployment(devnet));
    // One dispute left open for it to read.
    const third = await postClaimSubmit('fourth');
    await dispute(third, `${reasonBase}/why-1.txt`);

    const listed = await runRoost(['market', 'disputes', '--json', '--data-dir', otherDir]);
    expect(listed.code, listed.stderr).toBe(0);
    const value = JSON.parse(listed.stdout) as ResultOf<'market.disputes'>;
    expect(value).toMatchObject({ wallet: null, arbiter: false });
    expect(value.disputes.map((d) => [d.jobId, d.reason])).toEqual([
      [String(third), `${REASON}\n[2Jevil`],
    ]);

    const r = await runRoost([
      'market',
      'resolve',
      String(third),
      '0',
      '--for',
      'provider',
      '--yes',
      '--data-dir',
      otherDir,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('There is no wallet in this data folder');
    expect(r.stderr).toContain('Nothing was sent.');
    expect((await market.getLease(third, 0)).state).toBe(BigInt(LeaseState.Disputed));
  }, 240_000);
});
