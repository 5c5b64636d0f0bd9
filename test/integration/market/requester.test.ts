// The requester against a real chain: a Hardhat devnet, real HTTP on 127.0.0.1, onnxruntime on
// CPU. The test plays the provider with its own devnet accounts the way the agent does
// (requester-support.ts): it reads the JobPosted event, fetches the document and the artifacts
// from the requester's server, runs the model, signs a receipt, uploads by the upload convention
// and submits the result hash on chain. The requester judges it.
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBeHex, zeroPadValue } from 'ethers';
import type { JsonRpcProvider, Signer, Wallet } from 'ethers';
import { TEST_DOLLAR, devnetDeployment } from '../../../contracts/devnet.ts';
import type { Devnet } from '../../../contracts/devnet.ts';
import {
  LeaseState,
  connectJobMarket,
  jobMarketInterface,
  parseJobMarketLog,
} from '../../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../../contracts/bindings/roost-test-token.ts';
import { runMarketPost } from '../../../agent/cli/market-post.ts';
import { runRequesterCommand } from '../../../agent/cli/market-requests.ts';
import { writeLocalNetwork } from '../../../agent/market/local-network.ts';
import { createRequester } from '../../../agent/market/requester.ts';
import type {
  LeaseOutcome,
  PostRequest,
  Requester,
  RequesterEvent,
} from '../../../agent/market/requester.ts';
import type { Receipt } from '../../../agent/jobs/schema.ts';
import { until } from '../jobs/support.ts';
import { startTestChain, type TestChain } from '../../support/devnet-chain.ts';
import { tempDir } from '../../support/temp-dir.ts';
import {
  newProvider,
  provide as provideAs,
  sha256,
  writeMatmulFiles,
} from './requester-support.ts';
import type { Tamper } from './requester-support.ts';

const USD = TEST_DOLLAR;
const REWARD = 2n * USD;

let chain: TestChain;
let devnet: Devnet;
let rpc: JsonRpcProvider;
let dir: { path: string; remove: () => Promise<void> };
let requesterSigner: Signer;
let requester: Requester;
const events: RequesterEvent[] = [];
const providers: Wallet[] = [];
let modelPath: string;
let aPath: string;
let bPath: string;

beforeAll(async () => {
  chain = await startTestChain();
  ({ devnet, rpc } = chain);
  dir = await tempDir('roost-requester-it-');
  requesterSigner = await rpc.getSigner(devnet.accounts[3]);
  requester = createRequester({
    signer: requesterSigner,
    marketAddress: devnet.marketAddress,
    tokenAddress: devnet.tokenAddress,
    workDir: join(dir.path, 'requester'),
    pollMs: 100,
    uploadGraceMs: 1000,
    onEvent: (e) => events.push(e),
  });
  ({ modelPath, aPath, bPath } = await writeMatmulFiles(dir.path));
  providers.push(await newProvider(devnet, rpc), await newProvider(devnet, rpc));
}, 120_000);

afterAll(async () => {
  await requester?.close();
  await chain?.stop();
  await dir?.remove();
});

/** The test as a provider: claim, fetch, run, sign, upload, submit. Returns the slot. */
function provide(wallet: Wallet, jobId: bigint, tamper: Tamper = 'none'): Promise<number> {
  return provideAs(devnet, rpc, dir.path, wallet, jobId, tamper);
}

function postRequest(extra: Partial<PostRequest> = {}): PostRequest {
  return { model: modelPath, inputs: { a: aPath, b: bPath }, reward: REWARD, ...extra };
}

async function leaseState(jobId: bigint, slot: number): Promise<bigint> {
  return (await connectJobMarket(devnet.marketAddress, rpc).getLease(jobId, slot)).state;
}

async function withdrawable(address: string): Promise<bigint> {
  return connectJobMarket(devnet.marketAddress, rpc).withdrawable(address);
}

const PAYOUT = REWARD - (REWARD * 100n) / 10_000n; // the devnet's fee is 1 %

describe('the requester on a devnet', () => {
  it('posts a job, serves it, accepts a good result and the provider is paid', async () => {
    const [provider] = providers as [Wallet];
    const balanceBefore = await connectRoostTestToken(devnet.tokenAddress, rpc).balanceOf(
      devnet.accounts[3]!,
    );
    const creditBefore = await withdrawable(provider.address);
    const posted = await requester.post(postRequest());
    expect(posted.specHash).toMatch(/^0x[0-9a-f]{64}$/);
    const documentBytes = new Uint8Array(await (await fetch(posted.specURI)).arrayBuffer());
    expect(`0x${sha256(documentBytes)}`).toBe(posted.specHash);
    expect(posted.document.upload.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/uploads$/);
    const onChain = await connectJobMarket(devnet.marketAddress, rpc).getJob(posted.jobId);
    expect(onChain.specHash).toBe(posted.specHash);
    expect(onChain.reward).toBe(REWARD);
    // Only what the job escrows was taken (and approved).
    const token = connectRoostTestToken(devnet.tokenAddress, rpc);
    expect(await token.balanceOf(devnet.accounts[3]!)).toBe(balanceBefore - REWARD);
    expect(await token.allowance(devnet.accounts[3]!, devnet.marketAddress)).toBe(0n);

    const waiting = requester.await(posted.jobId, { timeoutMs: 60_000 });
    const slot = await provide(provider, posted.jobId);
    const outcomes = await waiting;
    expect(outcomes).toEqual([
      {
        slot,
        provider: provider.address,
        verdict: 'accepted',
        outputs: expect.arrayContaining([expect.stringMatching(/c\.npy$/)]) as string[],
      },
    ]);
    for (const file of outcomes[0]!.outputs) expect(existsSync(file)).toBe(true);
    expect(await leaseState(posted.jobId, slot)).toBe(LeaseState.Paid);
    expect(await withdrawable(provider.address)).toBe(creditBefore + PAYOUT);
    const kinds = events.filter((e) => 'jobId' in e && e.jobId === posted.jobId).map((e) => e.type);
    expect(kinds).toEqual(['posted', 'claimed', 'result', 'verdict']);
  });

  it('runs a canary first and disputes outputs that miss the known answer, saying why', async () => {
    const [provider] = providers as [Wallet];
    const creditBefore = await withdrawable(provider.address);
    const posted = await requester.post(postRequest({ canary: true }));
    const waiting = requester.await(posted.jobId, { timeoutMs: 60_000 });
    const slot = await provide(provider, posted.jobId, 'values');
    const [outcome] = (await waiting) as [LeaseOutcome];
    expect(outcome.verdict).toBe('disputed');
    expect(outcome.reason).toMatch(/differ from the known answer/);
    expect(outcome.reason).toMatch(/output "c" of input set 0: 1 of 12 elements differ/);
    expect(outcome.reason).toMatch(/at \[1, 2\]/);
    expect(await leaseState(posted.jobId, slot)).toBe(LeaseState.Disputed);
    expect(await withdrawable(provider.address)).toBe(creditBefore);
    // The reason is published where the dispute's reasonURI points.
    const disputed = (
      await rpc.getLogs({
        address: devnet.marketAddress,
        topics: [
          jobMarketInterface.getEvent('ResultDisputed')!.topicHash,
          zeroPadValue(toBeHex(posted.jobId), 32),
        ],
        fromBlock: 0,
      })
    )
      .map((l) => parseJobMarketLog(l))
      .find((e) => e?.name === 'ResultDisputed');
    if (disputed?.name !== 'ResultDisputed') throw new Error('no ResultDisputed event');
    const text = await (await fetch(disputed.args.reasonURI)).text();
    expect(text).toContain(`job ${posted.jobId}, lease ${slot}, provider ${provider.address}`);
    expect(text).toContain(outcome.reason);
  });

  it('accepts an honest result of a canary job', async () => {
    const [, provider] = providers as [Wallet, Wallet];
    const posted = await requester.post(postRequest({ canary: true }));
    const waiting = requester.await(posted.jobId, { timeoutMs: 60_000 });
    await provide(provider, posted.jobId);
    const [outcome] = (await waiting) as [LeaseOutcome];
    expect(outcome).toMatchObject({ verdict: 'accepted', provider: provider.address });
    // The known answer came from a real run here (the job service's worker, on CPU).
    const jobsDir = join(dir.path, 'requester', 'jobs');
    const known = readdirSync(jobsDir)
      .map((d) => join(jobsDir, d, 'known-answer'))
      .filter((d) => existsSync(join(d, 'c.npy')));
    expect(known.length).toBeGreaterThanOrEqual(2);
    const receipt = JSON.parse(await readFile(join(known[0]!, 'result.json'), 'utf8')) as {
      receipt: Receipt;
    };
    expect(receipt.receipt.executionProvider).toBe('cpu');
  });

  it('disputes an uploaded output that is not the one the receipt signs for', async () => {
    const [provider] = providers as [Wallet];
    const posted = await requester.post(postRequest());
    const waiting = requester.await(posted.jobId, { timeoutMs: 60_000 });
    const slot = await provide(provider, posted.jobId, 'bytes');
    const [outcome] = (await waiting) as [LeaseOutcome];
    expect(outcome.verdict).toBe('disputed');
    expect(outcome.reason).toMatch(
      /the output c\.npy has sha256 [0-9a-f]{64}; the receipt says sha256/,
    );
    expect(await leaseState(posted.jobId, slot)).toBe(LeaseState.Disputed);
  });

  it('waits a moment for uploads, then disputes a result whose files never came', async () => {
    const [provider] = providers as [Wallet];
    const posted = await requester.post(postRequest());
    const waiting = requester.await(posted.jobId, { timeoutMs: 60_000 });
    await provide(provider, posted.jobId, 'no-upload');
    const [outcome] = (await waiting) as [LeaseOutcome];
    expect(outcome.verdict).toBe('disputed');
    expect(outcome.reason).toBe('the provider submitted a result but uploaded no result.json');
  });

  it("disputes a receipt signed by someone other than the lease's provider", async () => {
    const [provider] = providers as [Wallet];
    const posted = await requester.post(postRequest());
    const waiting = requester.await(posted.jobId, { timeoutMs: 60_000 });
    await provide(provider, posted.jobId, 'signer');
    const [outcome] = (await waiting) as [LeaseOutcome];
    expect(outcome.verdict).toBe('disputed');
    expect(outcome.reason).toMatch(
      new RegExp(
        `the receipt is signed by 0x[0-9a-fA-F]{40}, not by the lease's provider ${provider.address}`,
      ),
    );
  });

  it('redundancy 2: two providers that agree are both accepted and both paid', async () => {
    const [first, second] = providers as [Wallet, Wallet];
    const before = [await withdrawable(first.address), await withdrawable(second.address)];
    const posted = await requester.post(postRequest({ redundancy: 2 }));
    const waiting = requester.await(posted.jobId, { timeoutMs: 60_000 });
    const slots = [await provide(first, posted.jobId), await provide(second, posted.jobId)];
    expect(slots.sort()).toEqual([0, 1]);
    const outcomes = await waiting;
    expect(outcomes.map((o) => [o.slot, o.verdict])).toEqual([
      [0, 'accepted'],
      [1, 'accepted'],
    ]);
    expect(await withdrawable(first.address)).toBe(before[0]! + PAYOUT);
    expect(await withdrawable(second.address)).toBe(before[1]! + PAYOUT);
  });

  it('redundancy 2: two providers that disagree are both disputed', async () => {
    const [first, second] = providers as [Wallet, Wallet];
    const posted = await requester.post(postRequest({ redundancy: 2 }));
    const waiting = requester.await(posted.jobId, { timeoutMs: 60_000 });
    await provide(first, posted.jobId);
    await provide(second, posted.jobId, 'values');
    const outcomes = await waiting;
    expect(outcomes.map((o) => o.verdict)).toEqual(['disputed', 'disputed']);
    expect(outcomes[0]!.reason).toMatch(/the two leases' outputs disagree/);
  });

  it('reopens a lease whose provider ran out of time, takes its collateral, and goes on', async () => {
    const [late, onTime] = providers as [Wallet, Wallet];
    const market = connectJobMarket(devnet.marketAddress, rpc);
    const creditBefore = await withdrawable(devnet.accounts[3]!);
    const posted = await requester.post(postRequest({ leaseSeconds: 120, deadlineSeconds: 3600 }));
    const waiting = requester.await(posted.jobId, { timeoutMs: 60_000 });
    await (await connectJobMarket(devnet.marketAddress, late).claimJob(posted.jobId)).wait();
    await until(() => events.some((e) => e.type === 'claimed' && e.jobId === posted.jobId));
    await rpc.send('evm_increaseTime', [121]);
    await rpc.send('evm_mine', []);
    await until(() => events.some((e) => e.type === 'expired' && e.jobId === posted.jobId));
    expect(await leaseState(posted.jobId, 0)).toBe(LeaseState.Open);
    const collateral = await market.collateralFor(REWARD);
    expect(await withdrawable(devnet.accounts[3]!)).toBe(creditBefore + collateral);
    await provide(onTime, posted.jobId);
    const [outcome] = (await waiting) as [LeaseOutcome];
    expect(outcome).toMatchObject({ verdict: 'accepted', provider: onTime.address });
  });

  it('cancels a lease nobody can claim before the deadline any more, refunding its reward', async () => {
    const creditBefore = await withdrawable(devnet.accounts[3]!);
    const posted = await requester.post(postRequest({ leaseSeconds: 600, deadlineSeconds: 700 }));
    await rpc.send('evm_increaseTime', [200]);
    await rpc.send('evm_mine', []);
    const [outcome] = await requester.await(posted.jobId, { timeoutMs: 30_000 });
    expect(outcome).toMatchObject({ slot: 0, provider: null, verdict: 'unfinished' });
    expect(outcome!.reason).toMatch(/nobody claimed this lease before the job’s deadline/);
    expect(await leaseState(posted.jobId, 0)).toBe(LeaseState.Cancelled);
    expect(await withdrawable(devnet.accounts[3]!)).toBe(creditBefore + REWARD);
  });

  it('stops waiting when asked, and leaves the job on chain', async () => {
    const posted = await requester.post(postRequest());
    await expect(requester.await(posted.jobId, { timeoutMs: 300 })).rejects.toThrow(
      /no verdict on 1 lease\(s\) after 300 ms; it stays on chain/,
    );
    const controller = new AbortController();
    const waiting = requester.await(posted.jobId, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toThrow(/stopped waiting for job/);
    expect(await leaseState(posted.jobId, 0)).toBe(LeaseState.Open);
    await expect(requester.await(999_999n)).rejects.toThrow(/did not post job 999999/);
  });

  it('refuses a job whose inputs do not fit the model before anything reaches the chain', async () => {
    const market = connectJobMarket(devnet.marketAddress, rpc);
    const count = await market.jobCount();
    await expect(requester.post(postRequest({ inputs: { a: aPath, x: bPath } }))).rejects.toThrow(
      /the model's inputs are a, b, but the job gives a, x/,
    );
    await expect(requester.post(postRequest({ reward: 0n }))).rejects.toThrow(/reward/);
    await expect(
      requester.post(postRequest({ leaseSeconds: 600, deadlineSeconds: 600 })),
    ).rejects.toThrow(/deadline/);
    expect(await market.jobCount()).toBe(count);
  });
});

describe('roost market post-job', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = join(dir.path, 'cli-data');
    await writeLocalNetwork(dataDir, devnetDeployment(devnet));
  });

  function cli(args: Record<string, string | boolean | string[]>, json = false) {
    const out: string[] = [];
    const err: string[] = [];
    const run = runMarketPost({
      dataDir,
      positionals: ['post-job'],
      values: args,
      json,
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      pollMs: 100,
    });
    return { run, out, err };
  }

  async function nextJob(after: bigint): Promise<bigint> {
    const market = connectJobMarket(devnet.marketAddress, rpc);
    for (let i = 0; i < 600; i++) {
      const count = await market.jobCount();
      if (count > after) return count;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no job was posted');
  }

  it('posts, waits for the provider, accepts, and prints one JSON object', async () => {
    const [provider] = providers as [Wallet];
    const before = await connectJobMarket(devnet.marketAddress, rpc).jobCount();
    const { run, out, err } = cli(
      { model: modelPath, input: [`a=${aPath}`, `b=${bPath}`], price: '1.5', account: '4' },
      true,
    );
    const jobId = await nextJob(before);
    await provide(provider, jobId);
    expect(await run).toBe(0);
    expect(err.join('')).toBe('');
    expect(out).toHaveLength(1);
    const result = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(result).toMatchObject({
      ok: true,
      jobId: jobId.toString(),
      price: { amount: '1.5', baseUnits: '1500000' },
      leases: [{ slot: 0, provider: provider.address, verdict: 'accepted' }],
    });
    const job = await connectJobMarket(devnet.marketAddress, rpc).getJob(jobId);
    expect(job.requester).toBe(devnet.accounts[4]);
    expect(job.reward).toBe(1_500_000n);
  });

  it('prints progress lines and exits 1 when a lease is disputed', async () => {
    const [provider] = providers as [Wallet];
    const before = await connectJobMarket(devnet.marketAddress, rpc).jobCount();
    const { run, out } = cli({
      model: modelPath,
      input: [`a=${aPath}`, `b=${bPath}`],
      price: '1',
      account: '4',
    });
    const jobId = await nextJob(before);
    await provide(provider, jobId, 'bytes');
    expect(await run).toBe(1);
    const text = out.join('');
    expect(text).toContain(`Posted job ${jobId}`);
    expect(text).toContain(`Lease 0: claimed by ${provider.address}`);
    expect(text).toContain(`Lease 0: result in from ${provider.address}`);
    expect(text).toMatch(/Lease 0: disputed \(0x[0-9a-fA-F]{40}\): the output c\.npy has sha256/);
    expect(text).toContain('Not every lease was accepted');

    // `roost market requests` says what happens next, then how the arbiter ruled.
    const requests = async () => {
      const lines: string[] = [];
      const code = await runRequesterCommand({
        dataDir,
        positionals: ['requests'],
        values: {},
        json: false,
        out: (t) => lines.push(t),
        err: (t) => lines.push(t),
      });
      expect(code).toBe(0);
      return lines.join('');
    };
    const lease = await connectJobMarket(devnet.marketAddress, rpc).getLease(jobId, 0);
    const timeout = await connectJobMarket(devnet.marketAddress, rpc).arbitrationTimeout();
    const endsUnruled = new Date(Number(lease.challengeEndsAt + timeout) * 1000).toISOString();
    expect(await requests()).toContain(
      `lease 0: disputed (${provider.address}'s result): the market's arbiter decides; if nobody rules by ${endsUnruled}, the dispute ends unruled and the reward comes back to you`,
    );
    const arbiter = connectJobMarket(devnet.marketAddress, await rpc.getSigner(devnet.arbiter));
    await (await arbiter.resolveDispute(jobId, 0, false)).wait();
    expect(await requests()).toContain(
      `lease 0: rejected (${provider.address}'s result): the arbiter ruled for you; the reward and the provider's collateral were credited to the posting account in the market. Roost disputed it`,
    );

    // Another disputed result, ruled for the provider: paid, and not "when its window closed".
    const again = await connectJobMarket(devnet.marketAddress, rpc).jobCount();
    const second = cli({
      model: modelPath,
      input: [`a=${aPath}`, `b=${bPath}`],
      price: '1',
      account: '4',
    });
    const paidJob = await nextJob(again);
    await provide(provider, paidJob, 'bytes');
    expect(await second.run).toBe(1);
    await (await arbiter.resolveDispute(paidJob, 0, true)).wait();
    expect(await requests()).toContain(
      `lease 0: paid to ${provider.address}: the market's arbiter ruled for the provider. Roost disputed it`,
    );
  });

  it('refuses --no-wait, a bad price, an unknown account and a chain that does not answer, in words', async () => {
    const base = { model: modelPath, input: [`a=${aPath}`], price: '1' };
    await expect(cli({ ...base, 'no-wait': true }).run).rejects.toThrow(
      /--no-wait cannot be used here: the model and inputs are served from this machine/,
    );
    await expect(cli({ ...base, price: '1,5' }).run).rejects.toThrow(/--price: "1,5" uses a comma/);
    await expect(cli({ ...base, price: '0.0000001' }).run).rejects.toThrow(/6 decimal places/);
    await expect(cli({ ...base, account: '99' }).run).rejects.toThrow(
      /--account 99: the local devnet has \d+ unlocked accounts/,
    );
    await expect(cli({ ...base, redundancy: '3' }).run).rejects.toThrow(
      /--redundancy takes 1 or 2/,
    );
    await expect(cli({ ...base, input: ['a'] }).run).rejects.toThrow(
      /--input takes <name>=<file\.npy>/,
    );

    // No devnet, or a custom network whose node does not answer: the machine's state, not a
    // wrong command line (exit 1, an "Error:" line, no usage).
    let said = '';
    const empty = join(dir.path, 'no-network');
    expect(
      await runMarketPost({
        dataDir: empty,
        positionals: [],
        values: base,
        json: false,
        out: () => {},
        err: (t) => (said += t),
      }),
    ).toBe(1);
    expect(said).toMatch(
      /^Error: No local devnet is recorded in .*local\.json\. Start one with roost devnet/,
    );

    const custom = join(dir.path, 'custom-network');
    await writeLocalNetwork(custom, devnetDeployment(devnet));
    await writeFile(
      join(custom, 'settings.json'),
      JSON.stringify({
        format: 1,
        settings: {
          network: {
            name: 'custom',
            // Nothing listens on port 1.
            rpcUrl: 'http://127.0.0.1:1',
            marketAddress: devnet.marketAddress,
          },
        },
      }),
    );
    said = '';
    expect(
      await runMarketPost({
        dataDir: custom,
        positionals: ['post-job'],
        values: base,
        json: false,
        out: () => {},
        err: (t) => (said += t),
      }),
    ).toBe(1);
    expect(said).toMatch(/^Error: The chain at http:\/\/127\.0\.0\.1:1 did not answer/);
    expect(await readFile(join(custom, 'settings.json'), 'utf8')).toContain('custom');
  });
});
