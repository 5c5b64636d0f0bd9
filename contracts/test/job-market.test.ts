// End-to-end flows of the market with ethers, as the agent and a requester drive it: the main
// path with its gas, redundancy, expiry, disputes, pause, and the whole history rebuilt from
// events alone.
import { expect } from 'chai';
import { network } from 'hardhat';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/types';
import type { ContractTransactionResponse } from 'ethers';
import {
  Credit,
  LeaseState,
  decodeJobMarketError,
  deployJobMarket,
  leaseStateNames,
  parseJobMarketLog,
} from '../bindings/job-market.ts';
import type { JobMarket, JobMarketEvent } from '../bindings/job-market.ts';
import { deployRoostTestToken } from '../bindings/roost-test-token.ts';
import type { RoostTestToken } from '../bindings/roost-test-token.ts';

const { ethers, networkHelpers } = await network.create();

const USD = 1_000_000n;
const FEE_BPS = 250n;
const COLLATERAL_BPS = 5_000n;
const CHALLENGE = 3_600;
const UNSTAKE_DELAY = 3 * 86_400;
const ARBITRATION = 86_400;
const REWARD = 40n * USD;
const LEASE = 3_600;
const SCORE = 1_200n;
const SPEC_HASH = ethers.id('spec: resnet50 on 64 images');
const RESULT_HASH = ethers.id('outputs');
const REPORT_HASH = ethers.id('bench report v1');

interface Fixture {
  token: RoostTestToken;
  market: JobMarket;
  admin: HardhatEthersSigner;
  arbiter: HardhatEthersSigner;
  treasury: HardhatEthersSigner;
  requester: HardhatEthersSigner;
  provider: HardhatEthersSigner;
  provider2: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
}

async function deployMarket(): Promise<Fixture> {
  const [admin, arbiter, treasury, requester, provider, provider2, stranger] =
    await ethers.getSigners();
  if (
    stranger === undefined ||
    admin === undefined ||
    arbiter === undefined ||
    treasury === undefined
  ) {
    throw new Error('the hardhat network has too few accounts');
  }
  if (requester === undefined || provider === undefined || provider2 === undefined) {
    throw new Error('the hardhat network has too few accounts');
  }
  const token = await deployRoostTestToken(admin);
  const market = await deployJobMarket(
    admin,
    await token.getAddress(),
    admin.address,
    arbiter.address,
    treasury.address,
    FEE_BPS,
    COLLATERAL_BPS,
    CHALLENGE,
    UNSTAKE_DELAY,
    ARBITRATION,
  );
  for (const who of [requester, provider, provider2, stranger]) {
    await token.connect(who).faucet(10_000n * USD);
    await token.connect(who).approve(await market.getAddress(), ethers.MaxUint256);
  }
  await market.connect(provider).registerProvider(REPORT_HASH, SCORE, 2n * USD, 500n * USD);
  await market.connect(provider2).registerProvider(REPORT_HASH, SCORE, 2n * USD, 500n * USD);
  return { token, market, admin, arbiter, treasury, requester, provider, provider2, stranger };
}

async function post(f: Fixture, redundancy = 1n, reward = REWARD): Promise<bigint> {
  const deadline = BigInt(await networkHelpers.time.latest()) + 86_400n;
  const jobId = await f.market
    .connect(f.requester)
    .postJob.staticCall(SPEC_HASH, 'ipfs://spec', reward, SCORE, LEASE, deadline, redundancy);
  await f.market
    .connect(f.requester)
    .postJob(SPEC_HASH, 'ipfs://spec', reward, SCORE, LEASE, deadline, redundancy);
  return jobId;
}

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error('no receipt');
  return receipt.gasUsed;
}

const fee = (reward: bigint): bigint => (reward * FEE_BPS) / 10_000n;
const collateral = (reward: bigint): bigint => (reward * COLLATERAL_BPS) / 10_000n;

describe('JobMarket flows', function () {
  it('runs the main path from post to withdraw, and reports its gas', async function () {
    const f = await networkHelpers.loadFixture(deployMarket);
    const { market, token, requester, provider, treasury, stranger } = f;
    const steps = ['postJob', 'claimJob', 'submitResult', 'finalizeResult', 'withdraw'] as const;
    const rounds: bigint[][] = [];

    for (let round = 0; round < 2; round++) {
      const deadline = BigInt(await networkHelpers.time.latest()) + 86_400n;
      const jobId = BigInt(round + 1);
      const gas: bigint[] = [];
      gas.push(
        await gasOf(
          market
            .connect(requester)
            .postJob(SPEC_HASH, 'ipfs://spec', REWARD, SCORE, LEASE, deadline, 1n),
        ),
      );
      gas.push(await gasOf(market.connect(provider).claimJob(jobId)));
      gas.push(
        await gasOf(market.connect(provider).submitResult(jobId, 0, RESULT_HASH, 'ipfs://result')),
      );
      await networkHelpers.time.increase(CHALLENGE);
      gas.push(await gasOf(market.connect(stranger).finalizeResult(jobId, 0)));
      const payout = await market.withdrawable(provider.address);
      const before = await token.balanceOf(provider.address);
      gas.push(await gasOf(market.connect(provider).withdraw(payout)));
      expect(await token.balanceOf(provider.address)).to.equal(before + payout);
      expect(payout).to.equal(REWARD - fee(REWARD));
      expect((await market.getLease(jobId, 0)).state).to.equal(LeaseState.Paid);
      rounds.push(gas);
    }
    expect(await market.withdrawable(treasury.address)).to.equal(2n * fee(REWARD));

    const [first = [], later = []] = rounds;
    const sum = (gas: bigint[]): bigint => gas.reduce((a, b) => a + b, 0n);
    const row = (name: string, a: bigint, b: bigint): string =>
      `        ${name.padEnd(15)} ${String(a).padStart(8)} | ${String(b).padStart(8)}`;
    console.log('\n      gas, main path (first job of these parties | a later job):');
    steps.forEach((step, i) => console.log(row(step, first[i] ?? 0n, later[i] ?? 0n)));
    console.log(row('total', sum(first), sum(later)));
    // A budget, so a change that makes the happy path much dearer fails here.
    expect(sum(later)).to.be.lessThan(400_000n);
  });

  it('pays each lease of a redundant job separately: one accepted early, one rejected by the arbiter', async function () {
    const f = await networkHelpers.loadFixture(deployMarket);
    const { market, requester, provider, provider2, arbiter, treasury } = f;
    const jobId = await post(f, 2n);
    await expect(market.connect(provider).claimJob(jobId)).to.emit(market, 'LeaseClaimed');
    await expect(market.connect(provider2).claimJob(jobId)).to.emit(market, 'LeaseClaimed');
    await market.connect(provider).submitResult(jobId, 0, RESULT_HASH, 'ipfs://a');
    await market
      .connect(provider2)
      .submitResult(jobId, 1, ethers.id('different outputs'), 'ipfs://b');

    await expect(market.connect(requester).acceptResult(jobId, 0))
      .to.emit(market, 'LeaseSettled')
      .withArgs(
        jobId,
        0,
        provider.address,
        LeaseState.Paid,
        REWARD - fee(REWARD),
        fee(REWARD),
        0,
        0,
      );
    await expect(market.connect(requester).disputeResult(jobId, 1, 'ipfs://outputs-differ'))
      .to.emit(market, 'ResultDisputed')
      .withArgs(jobId, 1, requester.address, 'ipfs://outputs-differ');
    await expect(market.connect(arbiter).resolveDispute(jobId, 1, false))
      .to.emit(market, 'LeaseSettled')
      .withArgs(jobId, 1, provider2.address, LeaseState.Rejected, 0, 0, REWARD, collateral(REWARD));

    expect(await market.withdrawable(provider.address)).to.equal(REWARD - fee(REWARD));
    expect(await market.withdrawable(treasury.address)).to.equal(fee(REWARD));
    expect(await market.withdrawable(requester.address)).to.equal(REWARD + collateral(REWARD));
    expect((await market.getProvider(provider2.address)).stake).to.equal(
      500n * USD - collateral(REWARD),
    );
  });

  it('reopens an expired lease, compensates the requester, and lets another provider finish', async function () {
    const f = await networkHelpers.loadFixture(deployMarket);
    const { market, requester, provider, provider2, stranger } = f;
    const jobId = await post(f);
    await market.connect(provider).claimJob(jobId);
    await networkHelpers.time.increase(LEASE);
    await expect(market.connect(stranger).expireLease(jobId, 0))
      .to.emit(market, 'LeaseExpired')
      .withArgs(jobId, 0, provider.address, collateral(REWARD));
    expect((await market.getLease(jobId, 0)).state).to.equal(LeaseState.Open);

    await market.connect(provider2).claimJob(jobId);
    await market.connect(provider2).submitResult(jobId, 0, RESULT_HASH, 'ipfs://result');
    await market.connect(requester).acceptResult(jobId, 0);
    expect(await market.withdrawable(requester.address)).to.equal(collateral(REWARD));
    expect(await market.withdrawable(provider2.address)).to.equal(REWARD - fee(REWARD));
  });

  it('voids a dispute the arbiter never decides', async function () {
    const f = await networkHelpers.loadFixture(deployMarket);
    const { market, requester, provider, stranger } = f;
    const jobId = await post(f);
    await market.connect(provider).claimJob(jobId);
    await market.connect(provider).submitResult(jobId, 0, RESULT_HASH, 'ipfs://result');
    await market.connect(requester).disputeResult(jobId, 0, 'ipfs://why');
    await expect(market.connect(stranger).voidStaleDispute(jobId, 0)).to.be.revertedWithCustomError(
      market,
      'ArbitrationPending',
    );
    await networkHelpers.time.increase(CHALLENGE + ARBITRATION);
    await market.connect(stranger).voidStaleDispute(jobId, 0);
    expect(await market.withdrawable(requester.address)).to.equal(REWARD);
    expect((await market.getProvider(provider.address)).locked).to.equal(0n);
  });

  it('pauses new business while running leases still settle and pay out', async function () {
    const f = await networkHelpers.loadFixture(deployMarket);
    const { market, admin, requester, provider, stranger } = f;
    const jobId = await post(f);
    await market.connect(provider).claimJob(jobId);
    await market.connect(admin).pause();

    await expect(post(f)).to.be.revertedWithCustomError(market, 'EnforcedPause');
    await expect(market.connect(stranger).pause()).to.be.revertedWithCustomError(
      market,
      'AccessControlUnauthorizedAccount',
    );
    await market.connect(provider).submitResult(jobId, 0, RESULT_HASH, 'ipfs://result');
    await market.connect(requester).acceptResult(jobId, 0);
    const payout = await market.withdrawable(provider.address);
    await expect(market.connect(provider).withdraw(payout))
      .to.emit(market, 'Withdrawn')
      .withArgs(provider.address, payout);
  });

  it('decodes every revert as a named custom error', async function () {
    const f = await networkHelpers.loadFixture(deployMarket);
    const { market, stranger } = f;
    let data: string | undefined;
    try {
      await market.connect(stranger).withdraw.staticCall(5n);
    } catch (error) {
      data = (error as { data?: string }).data;
    }
    expect(data).to.be.a('string');
    const decoded = decodeJobMarketError(data ?? '0x');
    expect(decoded?.name).to.equal('InsufficientBalance');
    if (decoded?.name === 'InsufficientBalance') {
      expect(decoded.args.available).to.equal(0n);
      expect(decoded.args.requested).to.equal(5n);
    }
    expect(decodeJobMarketError('0x12345678')).to.equal(null);
  });

  it('rebuilds every balance, stake and lease from events alone', async function () {
    const f = await networkHelpers.loadFixture(deployMarket);
    const { market, token, requester, provider, provider2, arbiter, admin, stranger, treasury } = f;

    // A mixed history: paid, rejected, expired-then-paid, cancelled, unstaked, withdrawn, fee changed.
    const a = await post(f, 2n);
    await market.connect(provider).claimJob(a);
    await market.connect(provider2).claimJob(a);
    await market.connect(provider).submitResult(a, 0, RESULT_HASH, 'ipfs://r0');
    await market.connect(provider2).submitResult(a, 1, RESULT_HASH, 'ipfs://r1');
    await market.connect(requester).acceptResult(a, 0);
    await market.connect(requester).disputeResult(a, 1, 'ipfs://bad');
    await market.connect(arbiter).resolveDispute(a, 1, false);
    await market.connect(admin).setFee(500);
    const b = await post(f, 1n, 7n * USD);
    await market.connect(provider2).claimJob(b);
    await networkHelpers.time.increase(LEASE);
    await market.connect(stranger).expireLease(b, 0);
    await market.connect(provider).claimJob(b);
    await market.connect(provider).submitResult(b, 0, RESULT_HASH, 'ipfs://r2');
    await networkHelpers.time.increase(CHALLENGE);
    await market.connect(stranger).finalizeResult(b, 0);
    const c = await post(f, 2n, 3n * USD);
    await market.connect(requester).cancelJob(c);
    await market.connect(provider).addStake(25n * USD);
    await market.connect(provider).requestUnstake(100n * USD);
    await networkHelpers.time.increase(UNSTAKE_DELAY);
    await market.connect(provider).completeUnstake();
    await market.connect(provider).withdraw(50n * USD);
    await market.connect(requester).withdraw(await market.withdrawable(requester.address));

    // Replay.
    const logs = await ethers.provider.getLogs({
      address: await market.getAddress(),
      fromBlock: 0,
    });
    const events = logs
      .map((log) => parseJobMarketLog(log))
      .filter((e): e is JobMarketEvent => e !== null);
    expect(events.length).to.be.greaterThan(20);

    const balances = new Map<string, bigint>();
    const stakes = new Map<string, { stake: bigint; locked: bigint }>();
    const leases = new Map<string, bigint>();
    const add = (account: string, amount: bigint): void => {
      balances.set(account, (balances.get(account) ?? 0n) + amount);
    };
    const stakeOf = (account: string): { stake: bigint; locked: bigint } => {
      const s = stakes.get(account) ?? { stake: 0n, locked: 0n };
      stakes.set(account, s);
      return s;
    };
    const collateralOf = new Map<bigint, bigint>();
    const redundancyOf = new Map<bigint, bigint>();
    for (const e of events) {
      switch (e.name) {
        case 'Credited':
          add(e.args.account, e.args.amount);
          break;
        case 'Withdrawn':
          add(e.args.account, -e.args.amount);
          break;
        case 'ProviderRegistered':
          stakeOf(e.args.provider).stake = e.args.stake;
          break;
        case 'StakeAdded':
        case 'UnstakeCancelled':
          stakeOf(e.args.provider).stake = e.args.stake;
          break;
        case 'UnstakeRequested':
          stakeOf(e.args.provider).stake = e.args.stake;
          break;
        case 'JobPosted':
          collateralOf.set(e.args.jobId, e.args.collateral);
          redundancyOf.set(e.args.jobId, e.args.redundancy);
          for (let s = 0n; s < e.args.redundancy; s++)
            leases.set(`${e.args.jobId}/${s}`, LeaseState.Open);
          break;
        case 'JobCancelled':
          for (let s = 0n; s < (redundancyOf.get(e.args.jobId) ?? 0n); s++) {
            if (leases.get(`${e.args.jobId}/${s}`) === LeaseState.Open)
              leases.set(`${e.args.jobId}/${s}`, LeaseState.Cancelled);
          }
          break;
        case 'LeaseClaimed':
          stakeOf(e.args.provider).locked += e.args.collateral;
          leases.set(`${e.args.jobId}/${e.args.slot}`, LeaseState.Claimed);
          break;
        case 'ResultSubmitted':
          leases.set(`${e.args.jobId}/${e.args.slot}`, LeaseState.Submitted);
          break;
        case 'ResultDisputed':
          leases.set(`${e.args.jobId}/${e.args.slot}`, LeaseState.Disputed);
          break;
        case 'LeaseExpired': {
          const s = stakeOf(e.args.provider);
          s.locked -= e.args.collateralSlashed;
          s.stake -= e.args.collateralSlashed;
          leases.set(`${e.args.jobId}/${e.args.slot}`, LeaseState.Open);
          break;
        }
        case 'LeaseSettled': {
          const s = stakeOf(e.args.provider);
          s.locked -= collateralOf.get(e.args.jobId) ?? 0n;
          s.stake -= e.args.collateralSlashed;
          leases.set(`${e.args.jobId}/${e.args.slot}`, e.args.outcome);
          break;
        }
        default:
          break;
      }
    }

    const accounts = [requester, provider, provider2, treasury, arbiter, admin, stranger];
    let owed = 0n;
    for (const who of accounts) {
      const onChain = await market.withdrawable(who.address);
      expect(balances.get(who.address) ?? 0n, `balance of ${who.address}`).to.equal(onChain);
      owed += onChain;
    }
    for (const who of [provider, provider2]) {
      const p = await market.getProvider(who.address);
      expect(stakeOf(who.address).stake).to.equal(p.stake);
      expect(stakeOf(who.address).locked).to.equal(p.locked);
      owed += p.stake + p.unstaking;
    }
    for (const [key, state] of leases) {
      const [jobId, slot] = key.split('/').map(BigInt);
      const lease = await market.getLease(jobId ?? 0n, slot ?? 0n);
      expect(leaseStateNames[Number(state)], key).to.equal(leaseStateNames[Number(lease.state)]);
    }
    // Nothing is escrowed any more, so the market holds exactly what it owes.
    expect(await token.balanceOf(await market.getAddress())).to.equal(owed);
    expect(
      events.filter((e) => e.name === 'Credited' && e.args.reason === Credit.Fee),
    ).to.have.length(2);
  });
});
