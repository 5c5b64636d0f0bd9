// The earn loop under faults, on a real Hardhat devnet: the provider's RPC goes away mid-job, the
// agent is killed with SIGKILL after claiming and after submitting, the chain reorganises its
// claim away, and a worker hangs until the lease runs out. In every case the provider sends no
// transaction twice, loses no result and no earnings record, and its books match the chain.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Transaction, Wallet } from 'ethers';
import type { JsonRpcProvider, JsonRpcSigner } from 'ethers';
import {
  LeaseState,
  connectJobMarket,
  jobMarketInterface,
  leaseStateNames,
} from '../../../contracts/bindings/job-market.ts';
import {
  devnetDeployment,
  type Devnet,
  type NetworkDeployment,
} from '../../../contracts/devnet.ts';
import type { Agent } from '../../../agent/agent.ts';
import { fakeSpawner, writingWorker } from '../../../agent/jobs/testing/fake-worker.ts';
import { writeLocalNetwork } from '../../../agent/market/local-network.ts';
import { createRequester, type Requester } from '../../../agent/market/requester.ts';
import type { LeaseRecord } from '../../../agent/market/schema.ts';
import { walletHistorySchema, type WalletHistory } from '../../../agent/wallet/schema.ts';
import { httpClient, type ApiClient } from '../../../agent/api/node-client.ts';
import { startTestChain, type TestChain } from '../../support/devnet-chain.ts';
import { startRpcProxy, type RpcCall } from '../../support/rpc-proxy.ts';
import { startServeProcess, type ServeProcess } from '../../support/serve-process.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';
import { tempDir } from '../../support/temp-dir.ts';
import {
  PROVIDER_PASSWORD,
  callCount,
  expectBooksMatchChain,
  marketEvents,
  startProviderAgent,
  until,
  writeJobFiles,
  writeSignedReport,
  type JobFiles,
} from './support.ts';

const USD = 1_000_000n;
const REWARD = 2n * USD;
const FEE = (REWARD * 100n) / 10_000n;

let chain: TestChain;
let devnet: Devnet;
let rpc: JsonRpcProvider;
let dir: { path: string; remove: () => Promise<void> };
let requester: Requester;
let requesterSigner: JsonRpcSigner;
let quick: JobFiles;
let slow: JobFiles;
/** What a test started, stopped after it whatever happened. */
const cleanups: (() => Promise<unknown>)[] = [];
/** Jobs a test posted: any still open afterwards is cancelled so no later provider takes it. */
const posted: bigint[] = [];

beforeAll(async () => {
  chain = await startTestChain();
  ({ devnet, rpc } = chain);
  dir = await tempDir('roost-faults-');
  quick = await writeJobFiles(join(dir.path, 'quick'), 'quick');
  slow = await writeJobFiles(join(dir.path, 'slow'), 'slow');
  requesterSigner = await rpc.getSigner(devnet.accounts[3]!);
  requester = createRequester({
    signer: requesterSigner,
    marketAddress: devnet.marketAddress,
    tokenAddress: devnet.tokenAddress,
    workDir: join(dir.path, 'requester'),
    pollMs: 100,
  });
}, 120_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  const market = connectJobMarket(devnet.marketAddress, requesterSigner);
  for (const jobId of posted.splice(0)) {
    const lease = await market.getLease(jobId, 0);
    if (lease.state === BigInt(LeaseState.Open))
      await (await market.cancelJob(jobId)).wait().catch(() => undefined);
  }
});

afterAll(async () => {
  await requester?.close();
  await chain?.stop();
  await dir?.remove();
});

/** A provider's data folder with the devnet recorded as its local network (at `rpcUrl`). */
async function providerDir(name: string, rpcUrl = devnet.rpcUrl): Promise<string> {
  const dataDir = join(dir.path, name);
  await mkdir(dataDir, { recursive: true });
  const deployment: NetworkDeployment = { ...devnetDeployment(devnet), rpcUrl };
  await writeLocalNetwork(dataDir, deployment);
  return dataDir;
}

async function registered(provider: string): Promise<void> {
  const market = connectJobMarket(devnet.marketAddress, rpc);
  await until(`${provider} registered`, async () => {
    const p = await market.getProvider(provider);
    return p.registeredAt !== 0n ? true : undefined;
  });
}

async function post(files: JobFiles, leaseSeconds = 600): Promise<bigint> {
  const job = await requester.post({ ...files, reward: REWARD, leaseSeconds });
  posted.push(job.jobId);
  return job.jobId;
}

function leaseOf(agent: Agent, jobId: bigint): LeaseRecord | undefined {
  return agent.market.leases().find((l) => l.jobId === jobId.toString());
}

/**
 * Posts `files` while the agent only watches (manual mode), takes a snapshot of the chain, then
 * lets the agent take the job: reverting to the snapshot takes its claim away.
 */
async function postBehindSnapshot(
  agent: Agent,
  files: JobFiles,
): Promise<{ jobId: bigint; snapshot: string }> {
  const manual = await agent.router.call('settings.update', { work: { mode: 'manual' } });
  expect(manual.ok).toBe(true);
  const jobId = await post(files);
  await until('the job skipped', () =>
    leaseOf(agent, jobId)?.state === 'skipped' ? true : undefined,
  );
  const snapshot = (await rpc.send('evm_snapshot', [])) as string;
  const always = await agent.router.call('settings.update', { work: { mode: 'always' } });
  expect(always.ok).toBe(true);
  return { jobId, snapshot };
}

/** Whether a JSON-RPC request estimates (`eth_estimateGas`) or sends a call of the market's `fn`. */
function touches(calls: RpcCall[], method: string, fn: string): boolean {
  const selector = jobMarketInterface.getFunction(fn)!.selector;
  return calls.some((c) => {
    if (c.method !== method) return false;
    const param = c.params[0];
    const data =
      typeof param === 'string'
        ? Transaction.from(param).data
        : (param as { data?: unknown; input?: unknown } | undefined)?.data;
    return typeof data === 'string' && data.startsWith(selector);
  });
}

async function historyOf(agent: Agent): Promise<WalletHistory> {
  const history = await agent.router.call('wallet.history', {});
  if (!history.ok) throw new Error(history.error.message);
  return walletHistorySchema.parse(history.value);
}

/** `roost serve` of a provider's data folder as a child process, and its API. */
interface Served {
  dataDir: string;
  process: ServeProcess;
  api: ApiClient;
}

async function serve(dataDir: string): Promise<Served> {
  const process = await startServeProcess(dataDir, [], 60_000);
  cleanups.push(() => process.stop('SIGKILL'));
  return { dataDir, process, api: httpClient(process.base, process.token) };
}

async function ok<T>(
  result: Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>,
): Promise<T> {
  const answer = await result;
  if (!answer.ok) throw new Error(answer.error.message);
  return answer.value;
}

async function servedLease(served: Served, jobId: bigint): Promise<LeaseRecord | undefined> {
  const jobs = await ok(served.api.call('market.jobs', {}));
  return jobs.leases.find((l) => l.jobId === jobId.toString());
}

/** How many times `provider` sent `method` for the job to the market (mined calls). */
function calls(provider: string, method: string, jobId: bigint): Promise<number> {
  return callCount(rpc, devnet.marketAddress, provider, method, jobId);
}

/** The provider's books (its leases, its wallet history), in process or served, against the chain. */
async function expectBooksMatch(provider: string, books: Agent | Served): Promise<void> {
  await expectBooksMatchChain({
    rpc,
    marketAddress: devnet.marketAddress,
    provider,
    ...('process' in books
      ? {
          leases: (await ok(books.api.call('market.jobs', {}))).leases,
          history: await ok(books.api.call('wallet.history', {})),
        }
      : { leases: books.market.leases(), history: await historyOf(books) }),
  });
}

/** A provider run by `roost serve`: a report on file, low price, always working, a wallet. */
async function serveProvider(name: string, key: string): Promise<Served> {
  const dataDir = await providerDir(name);
  const reportHash = await writeSignedReport(dataDir);
  const served = await serve(dataDir);
  await ok(
    served.api.call('settings.update', {
      pricing: { pricePerUnitHour: 0.01 },
      work: { mode: 'always' },
      market: { enabled: true, stake: 50 },
    }),
  );
  await ok(
    served.api.call('wallet.import', {
      kind: 'privateKey',
      privateKey: key,
      password: PROVIDER_PASSWORD,
    }),
  );
  const provider = new Wallet(key).address;
  await registered(provider);
  const record = await connectJobMarket(devnet.marketAddress, rpc).getProvider(provider);
  expect(record.reportHash).toBe(reportHash);
  return served;
}

/** SIGKILL, then the same folder served again and the wallet unlocked (its key was in memory). */
async function killAndRestart(served: Served): Promise<Served> {
  expect(await served.process.stop('SIGKILL')).toBeNull();
  const again = await serve(served.dataDir);
  await ok(again.api.call('wallet.unlock', { password: PROVIDER_PASSWORD }));
  return again;
}

async function chainTime(): Promise<number> {
  return (await rpc.getBlock('latest'))!.timestamp;
}

describe('the earn loop under faults', () => {
  it('carries on after the RPC is down for 10 s mid-job and is paid once', async () => {
    const proxy: TcpProxy = await startTcpProxy(devnet.rpcUrl);
    cleanups.push(() => proxy.close());
    const key = Wallet.createRandom().privateKey;
    const provider = new Wallet(key).address;
    const agent = await startProviderAgent(await providerDir('rpc-down', proxy.url), key);
    cleanups.push(() => agent.close());
    await registered(provider);

    const jobId = await post(slow);
    await until('the lease running', () =>
      leaseOf(agent, jobId)?.state === 'running' ? true : undefined,
    );
    await proxy.stop();
    await new Promise((r) => setTimeout(r, 10_000));
    // The outage held the lease up: its result could not reach the chain meanwhile.
    expect(['running', 'uploading', 'submitting']).toContain(leaseOf(agent, jobId)?.state);
    await proxy.start();

    const outcomes = await requester.await(jobId, { timeoutMs: 60_000 });
    expect(outcomes[0], outcomes[0]?.reason).toMatchObject({ verdict: 'accepted', provider });
    const paid = await until('the lease paid', () => {
      const l = leaseOf(agent, jobId);
      return l?.state === 'paid' ? l : undefined;
    });
    expect(paid.payout).toBe((REWARD - FEE).toString());
    const history = agent.market.lease(jobId.toString())!.history.map((h) => h.state);
    expect(history).toEqual([
      'seen',
      'claiming',
      'claimed',
      'running',
      'uploading',
      'submitting',
      'submitted',
      'paid',
    ]);
    expect(await calls(provider, 'claimJob', jobId)).toBe(1);
    expect(await calls(provider, 'submitResult', jobId)).toBe(1);
    await expectBooksMatch(provider, agent);
  }, 90_000);

  // Killed at the first of `claimed` or `running` (usually before the local job is queued), and
  // once the local job is surely running in the worker.
  it.each([
    { when: 'claimed or running', killStates: ['claimed', 'running'] },
    { when: 'running', killStates: ['running'] },
  ])(
    'is killed with SIGKILL after claiming (lease $when), starts again and is paid, with one claim',
    async ({ killStates }) => {
      const key = Wallet.createRandom().privateKey;
      const provider = new Wallet(key).address;
      let served = await serveProvider(`kill-${killStates.join('-')}`, key);

      const jobId = await post(slow);
      const killedIn = await until(`the lease ${killStates.join(' or ')}`, async () => {
        const state = (await servedLease(served, jobId))?.state;
        return state !== undefined && killStates.includes(state) ? state : undefined;
      });
      served = await killAndRestart(served);

      const outcomes = await requester.await(jobId, { timeoutMs: 60_000 });
      expect(outcomes[0], outcomes[0]?.reason).toMatchObject({ verdict: 'accepted', provider });
      const paid = await until('the lease paid', async () => {
        const l = await servedLease(served, jobId);
        return l?.state === 'paid' ? l : undefined;
      });
      expect(paid.payout).toBe((REWARD - FEE).toString());
      const detail = await ok(served.api.call('market.job', { jobId: jobId.toString() }));
      // As after submitting (below): a first look by the just-started provider may wait while
      // the machine's state settles under a full suite's load. A skip before the claim, with
      // its reason, is not this test's concern; one claim and the lease's way after it are.
      const skipped = detail.history.filter((h) => h.state === 'skipped');
      expect(
        detail.history.findIndex((h) => h.state === 'claiming'),
        skipped.map((h) => h.message).join('; '),
      ).toBe(1 + skipped.length);
      const states = detail.history.map((h) => h.state).filter((s) => s !== 'skipped');
      expect(states.slice(0, 3)).toEqual(['seen', 'claiming', 'claimed']);
      expect(states.slice(-5)).toEqual(['running', 'uploading', 'submitting', 'submitted', 'paid']);
      expect(states.filter((state) => state === 'claimed')).toHaveLength(1);
      expect(killStates).toContain(killedIn);
      // One local job did the work, however far it had got when the agent was killed.
      const local = (await ok(served.api.call('job.list', {}))).jobs.filter(
        (j) => j.origin === 'market',
      );
      expect(local.map((j) => [j.id, j.state])).toEqual([[paid.localJobId, 'done']]);
      expect(await calls(provider, 'claimJob', jobId)).toBe(1);
      expect(await calls(provider, 'submitResult', jobId)).toBe(1);
      await expectBooksMatch(provider, served);
    },
    120_000,
  );

  it('is killed with SIGKILL after submitting, starts again and finalizes by itself once the window closes', async () => {
    const key = Wallet.createRandom().privateKey;
    const provider = new Wallet(key).address;
    let served = await serveProvider('kill-submitted', key);

    // Posted but not awaited: nobody accepts, so the result waits out its challenge window.
    const jobId = await post(quick);
    const killedIn = await until(
      'the lease submitting or submitted',
      async () => {
        const state = (await servedLease(served, jobId))?.state;
        return state === 'submitting' || state === 'submitted' ? state : undefined;
      },
      45_000,
    );
    served = await killAndRestart(served);

    await until('the lease submitted', async () =>
      (await servedLease(served, jobId))?.state === 'submitted' ? true : undefined,
    );
    const window = devnet.market.challengeWindowSeconds + 1;
    await rpc.send('evm_increaseTime', [window]);
    await rpc.send('evm_mine', []);
    const paid = await until('the lease paid', async () => {
      const l = await servedLease(served, jobId);
      return l?.state === 'paid' ? l : undefined;
    });
    expect(paid.payout).toBe((REWARD - FEE).toString());
    const detail = await ok(served.api.call('market.job', { jobId: jobId.toString() }));
    // A first look may wait (a moment after start, under a full suite's load, the machine's
    // state is still settling): a skip before the claim, with its reason, is not this test's
    // concern. What follows is one claim and the lease's usual way.
    const skipped = detail.history.filter((h) => h.state === 'skipped');
    expect(
      detail.history.findIndex((h) => h.state === 'claiming'),
      skipped.map((h) => h.message).join('; '),
    ).toBe(1 + skipped.length);
    expect(detail.history.map((h) => h.state).filter((s) => s !== 'skipped')).toEqual([
      'seen',
      'claiming',
      'claimed',
      'running',
      'uploading',
      'submitting',
      'submitted',
      'paid',
    ]);
    expect(['submitting', 'submitted']).toContain(killedIn);
    expect(await calls(provider, 'claimJob', jobId)).toBe(1);
    expect(await calls(provider, 'submitResult', jobId)).toBe(1);
    expect(await calls(provider, 'finalizeResult', jobId)).toBe(1);
    await expectBooksMatch(provider, served);
  }, 120_000);

  it('survives a reorganisation that takes its claim away: the same claim goes in again, paid once', async () => {
    const key = Wallet.createRandom().privateKey;
    const provider = new Wallet(key).address;
    const agent = await startProviderAgent(await providerDir('reorg'), key);
    cleanups.push(() => agent.close());
    await registered(provider);

    const { jobId, snapshot } = await postBehindSnapshot(agent, slow);
    await until('the lease running', () =>
      leaseOf(agent, jobId)?.state === 'running' ? true : undefined,
    );
    expect(await calls(provider, 'claimJob', jobId)).toBe(1);

    expect(await rpc.send('evm_revert', [snapshot])).toBe(true);
    await rpc.send('evm_mine', []);
    await rpc.send('evm_mine', []);
    expect(await calls(provider, 'claimJob', jobId)).toBe(0);

    const outcomes = await requester.await(jobId, { timeoutMs: 60_000 });
    expect(outcomes[0], outcomes[0]?.reason).toMatchObject({ verdict: 'accepted', provider });
    const paid = await until('the lease paid', () => {
      const l = leaseOf(agent, jobId);
      return l?.state === 'paid' ? l : undefined;
    });
    expect(paid.payout).toBe((REWARD - FEE).toString());
    const history = agent.market.lease(jobId.toString())!.history;
    // In the owner's words: no block numbers, which mean nothing to them. The job may still run
    // when the reorganisation is seen, or be uploading already (a busy machine): the claim's two
    // lines come where the lease is then, in this order, once each. On a fast machine the result
    // may have been mined before the revert too, and then it goes in again the same way.
    const said = (message: string) => history.flatMap((h, i) => (h.message === message ? [i] : []));
    const lines = (what: 'claim' | 'result') => ({
      replaced: said(
        `the chain replaced the block that held the ${what}; the same signed transaction is sent again`,
      ),
      again: said(`the ${what} is on the chain again`),
    });
    const claim = lines('claim');
    expect(claim.replaced).toHaveLength(1);
    expect(claim.again).toHaveLength(1);
    expect(claim.replaced[0]).toBeGreaterThanOrEqual(4);
    expect(claim.again[0]).toBeGreaterThan(claim.replaced[0]!);
    const result = lines('result');
    const resultReplaced = result.replaced.length === 1;
    expect(result.replaced.length).toBe(result.again.length);
    expect(result.replaced.length).toBeLessThanOrEqual(1);
    if (resultReplaced) expect(result.again[0]).toBeGreaterThan(result.replaced[0]!);
    const notes = new Set([claim, result].flatMap((l) => [...l.replaced, ...l.again]));
    // Around them, the lease went its usual way.
    expect(
      history.filter((_, i) => !notes.has(i)).map((h) => h.state),
      // What it said instead, when it said more.
      JSON.stringify(history.map((h) => `${h.state}: ${h.message}`)),
    ).toEqual([
      'seen',
      'skipped',
      'claiming',
      'claimed',
      'running',
      'uploading',
      'submitting',
      'submitted',
      'paid',
    ]);
    // One warning of the reorganisation in Activity and one of each transaction it took away,
    // not one more from each part that handled it.
    const activity = await agent.router.call('agent.activity', { limit: 200 });
    if (!activity.ok) throw new Error(activity.error.message);
    const { entries } = activity.value as { entries: { level: string; message: string }[] };
    const warned = entries.filter((e) => e.level === 'warn' && e.message.includes('replaced'));
    const dropped = (label: string) =>
      expect.stringMatching(
        new RegExp(
          `^${label}: transaction 0x[0-9a-f]{64} was dropped when the chain replaced its latest blocks; sending it again$`,
        ),
      );
    expect(warned.map((e) => e.message)).toEqual(
      expect.arrayContaining([
        '[market] the chain replaced its latest blocks; Roost reads them again',
        dropped(`claim job ${jobId}`),
      ]),
    );
    expect(warned).toHaveLength(resultReplaced ? 3 : 2);
    // The lease's end is the one of the claim that stayed on the chain.
    const onChain = await connectJobMarket(devnet.marketAddress, rpc).getLease(jobId, 0);
    expect(paid.leaseEndsAt).toBe(Number(onChain.leaseEndsAt));
    expect(await calls(provider, 'claimJob', jobId)).toBe(1);
    expect(await calls(provider, 'submitResult', jobId)).toBe(1);
    await expectBooksMatch(provider, agent);
  }, 90_000);

  it('survives a reorganisation just as its result goes in: the claim goes in again, then the result', async () => {
    // The chain reverts to before the claim at the worst moment: after Roost saw its claim on
    // the chain and while it prepares the result, which the market then refuses (no claim).
    let snapshot: string | undefined = undefined;
    let reorganised = false;
    const proxy = await startRpcProxy(devnet.rpcUrl, {
      before: async (calls) => {
        if (snapshot === undefined || reorganised) return;
        if (!touches(calls, 'eth_estimateGas', 'submitResult')) return;
        reorganised = true;
        expect(await rpc.send('evm_revert', [snapshot])).toBe(true);
        await rpc.send('evm_mine', []);
        await rpc.send('evm_mine', []);
      },
    });
    cleanups.push(() => proxy.close());
    const key = Wallet.createRandom().privateKey;
    const provider = new Wallet(key).address;
    const agent = await startProviderAgent(await providerDir('reorg-result', proxy.url), key);
    cleanups.push(() => agent.close());
    await registered(provider);

    const held = await postBehindSnapshot(agent, quick);
    const jobId = held.jobId;
    snapshot = held.snapshot;

    const outcomes = await requester.await(jobId, { timeoutMs: 60_000 });
    expect(reorganised).toBe(true);
    expect(outcomes[0], outcomes[0]?.reason).toMatchObject({ verdict: 'accepted', provider });
    const paid = await until('the lease paid', () => {
      const l = leaseOf(agent, jobId);
      return l?.state === 'paid' ? l : undefined;
    });
    expect(paid.payout).toBe((REWARD - FEE).toString());
    const history = agent.market.lease(jobId.toString())!.history;
    const lines = JSON.stringify(history.map((h) => `${h.state}: ${h.message}`));
    const replaced = history.findIndex(
      (h) =>
        h.message ===
        'the chain replaced the block that held the claim; the same signed transaction is sent again',
    );
    const again = history.findIndex((h) => h.message === 'the claim is on the chain again');
    expect(replaced, lines).toBeGreaterThan(0);
    expect(again, lines).toBeGreaterThan(replaced);
    expect(
      history.filter((h) => h.message.includes('on the chain again')),
      lines,
    ).toHaveLength(1);
    // The refusal was the reorganisation's doing, not the result's: no failure on the way.
    expect(
      history.filter((_, i) => i !== replaced && i !== again).map((h) => h.state),
      lines,
    ).toEqual([
      'seen',
      'skipped',
      'claiming',
      'claimed',
      'running',
      'uploading',
      'submitting',
      'submitted',
      'paid',
    ]);
    expect(await calls(provider, 'claimJob', jobId)).toBe(1);
    expect(await calls(provider, 'submitResult', jobId)).toBe(1);
    await expectBooksMatch(provider, agent);
  }, 90_000);

  it('fails the lease, saying why, when its result is mined but refused (the lease ran out on the way)', async () => {
    // The chain's clock passes the lease's end as the signed result is handed over: the call
    // was fine when estimated, and the market refuses it in the block.
    let late = false;
    const proxy = await startRpcProxy(devnet.rpcUrl, {
      before: async (calls) => {
        if (late || !touches(calls, 'eth_sendRawTransaction', 'submitResult')) return;
        late = true;
        const lease = await connectJobMarket(devnet.marketAddress, rpc).getLease(jobId!, 0);
        const wait = Number(lease.leaseEndsAt) - (await chainTime()) + 1;
        await rpc.send('evm_increaseTime', [Math.max(1, wait)]);
        await rpc.send('evm_mine', []);
      },
    });
    cleanups.push(() => proxy.close());
    let jobId: bigint | undefined = undefined;
    const key = Wallet.createRandom().privateKey;
    const provider = new Wallet(key).address;
    const agent = await startProviderAgent(await providerDir('late-result', proxy.url), key);
    cleanups.push(() => agent.close());
    await registered(provider);
    jobId = await post(quick);

    const failed = await until('the lease failed', () => {
      const l = leaseOf(agent, jobId!);
      return l?.state === 'failed' ? l : undefined;
    });
    expect(late).toBe(true);
    expect(failed.reason).toMatch(/^It failed on the chain: .+\.$/);
    expect(failed.reason).not.toMatch(/0x[0-9a-f]{8}/i);
    const history = agent.market.lease(jobId.toString())!.history;
    expect(history.at(-1)?.message).toBe(`the result did not go in. ${failed.reason}`);

    // The requester reopens the lease; the provider's books say it expired.
    await (
      await connectJobMarket(devnet.marketAddress, requesterSigner).expireLease(jobId, 0)
    ).wait();
    await until('the lease expired', () =>
      leaseOf(agent, jobId!)?.state === 'expired' ? true : undefined,
    );
    expect(agent.market.lease(jobId.toString())!.history.map((h) => h.state)).toEqual([
      'seen',
      'claiming',
      'claimed',
      'running',
      'uploading',
      'submitting',
      'failed',
      'expired',
    ]);
    // Sent once, refused in its block, and not sent again.
    expect(await calls(provider, 'submitResult', jobId)).toBe(1);
    await expectBooksMatch(provider, agent);
  }, 90_000);

  it('lets a lease expire when the worker hangs: cancelled before the end, collateral slashed, job open again', async () => {
    const key = Wallet.createRandom().privateKey;
    const provider = new Wallet(key).address;
    // The agent's clock runs 50 s ahead of the chain, so the watchdog (5 s before the lease
    // ends, by the wall clock) fires about 5 s into a 60 s lease.
    const skewMs = (await chainTime()) * 1000 - Date.now() + 50_000;
    const hanging = fakeSpawner(writingWorker({ hangAtSet: 0 }));
    const agent = await startProviderAgent(await providerDir('hang'), key, {
      market: { now: () => new Date(Date.now() + skewMs) },
      jobs: { spawnWorker: hanging.spawn },
    });
    cleanups.push(() => agent.close());
    await registered(provider);
    const market = connectJobMarket(devnet.marketAddress, rpc);
    const stakeBefore = (await market.getProvider(provider)).stake;

    const jobId = await post(quick, 60);
    const failed = await until(
      'the lease failed',
      () => {
        const l = leaseOf(agent, jobId);
        return l?.state === 'failed' ? l : undefined;
      },
      20_000,
    );
    expect(failed.reason).toBe('the lease ran out before the job finished');
    expect(hanging.workers.at(-1)?.killed).toBe(true);
    const local = (await agent.jobs()).show(failed.localJobId!);
    expect(local.ok && local.value.state).toBe('cancelled');

    // The requester reopens the lease once the chain's clock has passed its end.
    const onChain = await market.getLease(jobId, 0);
    const wait = Number(onChain.leaseEndsAt) - (await chainTime()) + 1;
    await rpc.send('evm_increaseTime', [Math.max(1, wait)]);
    await rpc.send('evm_mine', []);
    await (
      await connectJobMarket(devnet.marketAddress, requesterSigner).expireLease(jobId, 0)
    ).wait();

    const expired = await until('the lease expired', () => {
      const l = leaseOf(agent, jobId);
      return l?.state === 'expired' ? l : undefined;
    });
    const events = await marketEvents(rpc, devnet.marketAddress);
    const postedEvent = events.find((e) => e.name === 'JobPosted' && e.args.jobId === jobId)!;
    const expiredEvent = events.find((e) => e.name === 'LeaseExpired' && e.args.jobId === jobId)!;
    const collateral = postedEvent.args.collateral as bigint;
    expect(collateral).toBe(REWARD / 2n);
    expect(expiredEvent.args.collateralSlashed).toBe(collateral);
    expect(String(expiredEvent.args.provider)).toBe(provider);
    expect((await market.getProvider(provider)).stake).toBe(stakeBefore - collateral);
    expect(leaseStateNames[Number((await market.getLease(jobId, 0)).state)]).toBe('Open');
    expect(expired.payout).toBeNull();
    const history = agent.market.lease(jobId.toString())!.history.map((h) => h.state);
    expect(history).toEqual(['seen', 'claiming', 'claimed', 'running', 'failed', 'expired']);
    expect(await calls(provider, 'claimJob', jobId)).toBe(1);
    expect(await calls(provider, 'submitResult', jobId)).toBe(0);
    await expectBooksMatch(provider, agent);
  }, 60_000);
});
