// The earn loop in one process against a real Hardhat devnet: a provider agent (its real market
// client, job service and sandboxed worker) and a requester (the real requester library, its own
// artifact server on 127.0.0.1). A job is posted, claimed, run, uploaded, submitted, checked and
// accepted; the provider withdraws; every balance adds up to the last base unit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet, formatUnits, type JsonRpcProvider } from 'ethers';
import { devnetDeployment, type Devnet } from '../../../contracts/devnet.ts';
import { connectJobMarket } from '../../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../../contracts/bindings/roost-test-token.ts';
import type { Agent } from '../../../agent/agent.ts';
import { writeLocalNetwork } from '../../../agent/market/local-network.ts';
import { createRequester, type Requester } from '../../../agent/market/requester.ts';
import { createPractice } from '../../../agent/market/practice.ts';
import { createNetworkSource } from '../../../agent/wallet/network.ts';
import type { LeaseRecord } from '../../../agent/market/schema.ts';
import { startTestChain, type TestChain } from '../../support/devnet-chain.ts';
import { tempDir } from '../../support/temp-dir.ts';
import {
  PROVIDER_PASSWORD,
  REPORT_HASH,
  marketCalls,
  startProviderAgent,
  until,
  writeJobFiles,
  type JobFiles,
} from './support.ts';

const USD = 1_000_000n;

let chain: TestChain;
let devnet: Devnet;
let rpc: JsonRpcProvider;
let dir: { path: string; remove: () => Promise<void> };
let agent: Agent;
let requester: Requester;
let files: JobFiles;
const providerKey = Wallet.createRandom().privateKey;
const provider = new Wallet(providerKey).address;

function lease(jobId: bigint): LeaseRecord | undefined {
  return agent.market.leases().find((l) => l.jobId === jobId.toString());
}

beforeAll(async () => {
  chain = await startTestChain();
  ({ devnet, rpc } = chain);
  dir = await tempDir('roost-earn-');
  const dataDir = join(dir.path, 'provider');
  await mkdir(dataDir, { recursive: true });
  await writeLocalNetwork(dataDir, devnetDeployment(devnet));
  agent = await startProviderAgent(dataDir, providerKey);
  files = await writeJobFiles(join(dir.path, 'files'), 'quick');
  requester = createRequester({
    signer: await rpc.getSigner(devnet.accounts[3]!),
    marketAddress: devnet.marketAddress,
    tokenAddress: devnet.tokenAddress,
    workDir: join(dir.path, 'requester'),
    pollMs: 100,
  });
}, 120_000);

afterAll(async () => {
  await requester?.close();
  await agent?.close();
  await chain?.stop();
  await dir?.remove();
});

describe('the earn loop on a devnet', () => {
  it('registers, claims, runs, submits, gets accepted and paid, and withdraws to the last base unit', async () => {
    const market = connectJobMarket(devnet.marketAddress, rpc);
    const token = connectRoostTestToken(devnet.tokenAddress, rpc);

    // The provider registers by itself on the local devnet, funded by it, with the stake asked.
    const registered = await until('registration', async () => {
      const p = await market.getProvider(provider);
      return p.registeredAt !== 0n ? p : undefined;
    });
    expect(registered.reportHash).toBe(REPORT_HASH);
    expect(registered.score).toBe(100n);
    expect(registered.pricePerUnitHour).toBe(USD / 100n);
    expect(registered.stake).toBe(50n * USD);

    const treasuryBefore = await market.withdrawable(devnet.treasury);
    const requesterBefore = await token.balanceOf(devnet.accounts[3]!);
    const providerTokensBefore = await token.balanceOf(provider);

    const reward = 2n * USD;
    const posted = await requester.post({
      ...files,
      reward,
      leaseSeconds: 600,
    });
    const outcomes = await requester.await(posted.jobId, { timeoutMs: 90_000 });
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0], outcomes[0]?.reason).toMatchObject({ verdict: 'accepted', provider });

    const paid = await until('the lease paid', async () => {
      const l = lease(posted.jobId);
      return l?.state === 'paid' ? l : undefined;
    });
    const fee = (reward * 100n) / 10_000n;
    expect(paid.payout).toBe((reward - fee).toString());
    // Why it earned less than the job paid: the market's fee, in the token.
    expect(paid.reason).toBe(
      `result accepted; the market kept ${formatUnits(fee, 6).replace(/\.0$/, '')} rUSD as its fee`,
    );
    const history = agent.market.lease(posted.jobId.toString())!.history.map((h) => h.state);
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
    expect(await market.withdrawable(provider)).toBe(reward - fee);
    expect(await market.withdrawable(devnet.treasury)).toBe(treasuryBefore + fee);
    expect(await token.balanceOf(devnet.accounts[3]!)).toBe(requesterBefore - reward);

    // Paid, the lease is done with its local job: the job (folder and rows) may go, and the
    // lease, what it paid and the earnings read from it stay.
    const localJobId = paid.localJobId!;
    const listed = await agent.router.call('job.list', {});
    if (!listed.ok) throw new Error(listed.error.message);
    expect(
      (listed.value as { jobs: { id: string; removable: boolean }[] }).jobs.find(
        (j) => j.id === localJobId,
      ),
    ).toMatchObject({ removable: true });
    const removed = await agent.router.call('job.remove', { ids: [localJobId] });
    expect(removed).toMatchObject({ ok: true, value: { removed: [localJobId] } });
    expect(existsSync(join(agent.dataDir, 'jobs', localJobId))).toBe(false);
    const shown = await agent.router.call('market.job', { jobId: posted.jobId.toString() });
    expect(shown).toMatchObject({
      ok: true,
      value: { state: 'paid', payout: paid.payout, localJobId, localJobRemoved: true },
    });
    const csv = await agent.router.call('yield.payoutsCsv', {});
    if (!csv.ok) throw new Error(csv.error.message);
    expect((csv.value as { csv: string }).csv).toMatch(
      new RegExp(String.raw`\r\n[^,]+,earned,1\.98,rUSD,[^\r]*,${posted.jobId},`),
    );

    // The provider withdraws through its wallet, after the decoded confirmation.
    const unlocked = await agent.router.call('wallet.unlock', { password: PROVIDER_PASSWORD });
    expect(unlocked.ok).toBe(true);
    const prepared = await agent.router.call('wallet.prepareWithdraw', {});
    if (!prepared.ok) throw new Error(prepared.error.message);
    const withdrawal = prepared.value as { id: string; amount: { amount: string } };
    expect(withdrawal.amount.amount).toBe('1.98');
    const sent = await agent.router.call('wallet.confirm', { id: withdrawal.id, wait: true });
    expect(sent.ok).toBe(true);
    expect(await market.withdrawable(provider)).toBe(0n);
    expect(await token.balanceOf(provider)).toBe(providerTokensBefore + reward - fee);

    // Exactly one claim and one result submission went out from the provider.
    const calls = await providerCalls(provider);
    expect(calls.filter((c) => c === 'claimJob')).toHaveLength(1);
    expect(calls.filter((c) => c === 'submitResult')).toHaveLength(1);
  });

  it('withdraws by itself above the threshold once a lease is paid', async () => {
    const market = connectJobMarket(devnet.marketAddress, rpc);
    const token = connectRoostTestToken(devnet.tokenAddress, rpc);
    await agent.settings.update({ market: { autoWithdrawAbove: 1 } });
    const before = await token.balanceOf(provider);
    const reward = 3n * USD;
    const posted = await requester.post({
      ...files,
      reward,
      leaseSeconds: 600,
    });
    const [outcome] = await requester.await(posted.jobId, { timeoutMs: 90_000 });
    expect(outcome?.verdict).toBe('accepted');
    const earned = reward - (reward * 100n) / 10_000n;
    await until('the automatic withdrawal', async () =>
      (await token.balanceOf(provider)) === before + earned ? true : undefined,
    );
    expect(await market.withdrawable(provider)).toBe(0n);
    const calls = await providerCalls(provider);
    expect(calls.filter((c) => c === 'withdraw')).toHaveLength(2); // the first test's, and this
    await agent.settings.update({ market: { autoWithdrawAbove: null } });
  });

  it('practice mode posts a sample job that the provider takes and is paid for', async () => {
    const network = createNetworkSource({
      dataDir: agent.dataDir,
      settings: () => agent.settings.get().network,
    });
    const practice = createPractice({
      dataDir: join(dir.path, 'practice'),
      network,
      enabled: () => true,
      provider: () => Promise.resolve(provider),
      log: { info: () => undefined, warn: () => undefined },
    });
    try {
      const jobId = await practice.postOne();
      expect(jobId).not.toBeNull();
      expect(practice.posted()).toBe(1);
      const paid = await until('the practice lease paid', async () => {
        const l = lease(jobId!);
        return l?.state === 'paid' ? l : undefined;
      });
      expect(BigInt(paid.payout!)).toBeGreaterThan(0n);
      // The account it posts from, as the lease journal recorded it (the price suggestion
      // leaves its jobs out).
      expect(practice.requester()?.toLowerCase()).toBe(paid.requester.toLowerCase());
    } finally {
      await practice.close();
      network.close();
    }
  });

  it('skips a job that pays under the price and says why', async () => {
    const posted = await requester.post({
      ...files,
      reward: 1000n, // 0.001 rUSD for 10 minutes; the ask is 0.166666, said as 0.167
      leaseSeconds: 600,
    });
    const skipped = await until('the skip', async () => {
      const l = lease(posted.jobId);
      return l?.state === 'skipped' ? l : undefined;
    });
    expect(skipped.reason).toMatch(
      /pays 0\.001 rUSD for a 10 min lease; your price asks 0\.167 rUSD/,
    );

    // The provider lowers its price: the chain learns it, and the skipped job is taken after all.
    await agent.settings.update({ pricing: { pricePerUnitHour: 0.00001 } });
    const market = connectJobMarket(devnet.marketAddress, rpc);
    await until('the new price on chain', async () =>
      (await market.getProvider(provider)).pricePerUnitHour === 10n ? true : undefined,
    );
    const taken = await until('the skipped job claimed', async () => {
      const l = lease(posted.jobId);
      return l && !['seen', 'skipped', 'claiming'].includes(l.state) ? l : undefined;
    });
    expect(taken.slot).toBe(0);
  });

  it('takes a job skipped for want of collateral once a lease it held is paid and frees its own', async () => {
    // A stake of 50: job A's lease locks 30 of it (half its reward), so job B's 30 does not fit.
    const a = await requester.post({ ...files, reward: 60n * USD, leaseSeconds: 600 });
    await until('job A claimed', async () => {
      const l = lease(a.jobId);
      return l && !['seen', 'skipped', 'claiming'].includes(l.state) ? true : undefined;
    });
    const b = await requester.post({ ...files, reward: 60n * USD, leaseSeconds: 600 });
    const skipped = await until('job B skipped for its collateral', async () => {
      const l = lease(b.jobId);
      return l?.state === 'skipped' && /collateral/.test(l.reason ?? '') ? l : undefined;
    });
    expect(skipped.reason).toMatch(/^needs 30 rUSD of collateral; your free stake is \d/);
    // A is checked, accepted and paid: its collateral comes free, and B is taken after all.
    const [outcomeA] = await requester.await(a.jobId, { timeoutMs: 60_000 });
    expect(outcomeA?.verdict).toBe('accepted');
    const [outcomeB] = await requester.await(b.jobId, { timeoutMs: 60_000 });
    expect(outcomeB, outcomeB?.reason).toMatchObject({ verdict: 'accepted', provider });
    expect(
      agent.market
        .lease(b.jobId.toString())!
        .history.map((h) => h.state)
        .slice(0, 3),
    ).toEqual(['seen', 'skipped', 'claiming']);
  }, 150_000);

  it("says in the job's Why how the arbiter ruled: for this provider, or for the requester", async () => {
    const market = connectJobMarket(devnet.marketAddress, rpc);
    const asRequester = connectJobMarket(
      devnet.marketAddress,
      await rpc.getSigner(devnet.accounts[3]!),
    );
    // The devnet's arbiter is one of the node's accounts.
    const asArbiter = connectJobMarket(devnet.marketAddress, await rpc.getSigner(devnet.arbiter));
    const won = await requester.post({ ...files, reward: 2n * USD, leaseSeconds: 600 });
    const lost = await requester.post({ ...files, reward: 2n * USD, leaseSeconds: 600 });
    for (const job of [won, lost]) {
      await until(`job ${job.jobId} submitted`, async () =>
        lease(job.jobId)?.state === 'submitted' ? true : undefined,
      );
      await (await asRequester.disputeResult(job.jobId, 0, 'http://127.0.0.1:9/gone')).wait();
      await until(`job ${job.jobId} disputed`, async () =>
        lease(job.jobId)?.state === 'disputed' ? true : undefined,
      );
    }
    // Its reason could not be read (fetch never uses port 9): the Why says what it can.
    expect(lease(won.jobId)?.reason).toBe(
      "the requester disputed the result; the market's arbiter decides",
    );
    const stakeBefore = (await market.getProvider(provider)).stake;
    await (await asArbiter.resolveDispute(won.jobId, 0, true)).wait();
    await (await asArbiter.resolveDispute(lost.jobId, 0, false)).wait();
    const paid = await until('the ruling for the provider', async () => {
      const l = lease(won.jobId);
      return l?.state === 'paid' ? l : undefined;
    });
    expect(paid.reason).toBe('the arbiter ruled for you; the market kept 0.02 rUSD as its fee');
    const rejected = await until('the ruling for the requester', async () => {
      const l = lease(lost.jobId);
      return l?.state === 'rejected' ? l : undefined;
    });
    expect(rejected.reason).toBe(
      'the arbiter ruled for the requester: the reward went back to it, with your collateral of 1 rUSD',
    );
    expect(stakeBefore - (await market.getProvider(provider)).stake).toBe(USD);
  }, 120_000);

  // Last: it moves the chain's clock past the arbiter's time.
  it("ends a dispute nobody rules on once the arbiter's time is up: collateral back, reward refunded", async () => {
    const market = connectJobMarket(devnet.marketAddress, rpc);
    const reward = 2n * USD;
    const posted = await requester.post({ ...files, reward, leaseSeconds: 600 });
    await until('the result submitted', async () =>
      lease(posted.jobId)?.state === 'submitted' ? true : undefined,
    );
    const lockedBefore = (await market.getProvider(provider)).locked;
    const collateral = (reward * 5_000n) / 10_000n;
    expect(lockedBefore).toBeGreaterThanOrEqual(collateral);
    const refundBefore = await market.withdrawable(devnet.accounts[3]!);
    // The requester disputes by hand, with its reason on a server of its own, and the devnet's
    // arbiter never rules.
    const why = createServer((_req, res) => res.end('Disputed: output y is all zeros\n'));
    await new Promise<void>((resolve) => why.listen(0, '127.0.0.1', resolve));
    const reasonUri = `http://127.0.0.1:${(why.address() as AddressInfo).port}/why.txt`;
    const asRequester = connectJobMarket(
      devnet.marketAddress,
      await rpc.getSigner(devnet.accounts[3]!),
    );
    await (await asRequester.disputeResult(posted.jobId, 0, reasonUri)).wait();
    // The provider's owner reads why, in the job's Why and its history.
    const disputed = await until('the dispute and its reason seen', async () => {
      const l = lease(posted.jobId);
      return l?.state === 'disputed' && l.reason?.includes('all zeros') ? l : undefined;
    });
    await new Promise((resolve) => why.close(resolve));
    expect(disputed.reason).toBe(
      'the requester disputed the result: "Disputed: output y is all zeros"; the market\'s arbiter decides',
    );
    expect(agent.market.lease(posted.jobId.toString())!.history.map((h) => h.message)).toContain(
      "the requester's reason: Disputed: output y is all zeros",
    );
    // Until the arbiter's time is up, nothing is sent.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await providerCalls(provider)).filter((c) => c === 'voidStaleDispute')).toEqual([]);

    const timeout = Number(await market.arbitrationTimeout());
    await rpc.send('evm_increaseTime', [600 + timeout + 5]);
    await rpc.send('evm_mine', []);
    const voided = await until('the dispute voided', async () => {
      const l = lease(posted.jobId);
      return l?.state === 'voided' ? l : undefined;
    });
    expect(voided.payout).toBe('0');
    expect(voided.reason).toBe(
      'nobody ruled on the dispute in time: the reward went back to the requester, and your collateral is free again',
    );
    expect(agent.market.lease(posted.jobId.toString())!.history.at(-1)?.message).toBe(
      'the dispute went stale: reward refunded, collateral returned',
    );
    // Its collateral is free again (the skipped job's lease of the test before may have settled
    // in the same jump of the clock, freeing its own).
    expect((await market.getProvider(provider)).locked).toBeLessThanOrEqual(
      lockedBefore - collateral,
    );
    expect(await market.withdrawable(devnet.accounts[3]!)).toBe(refundBefore + reward);
    expect((await providerCalls(provider)).filter((c) => c === 'voidStaleDispute')).toHaveLength(1);
  });
});

/** Names of the market functions the provider's transactions called, in block order. */
async function providerCalls(from: string): Promise<string[]> {
  return (await marketCalls(rpc, devnet.marketAddress, from)).map((c) => c.name);
}
