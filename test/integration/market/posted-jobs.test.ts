// Jobs posted from the app (market.postJob and the rest) against a real Hardhat devnet: an agent
// in this process posts from files, serves them on 127.0.0.1 and watches the job; the test plays
// the provider (requester-support.ts), so the agent checks a real signed result and accepts it.
// A refused post escrows nothing; a job left unfinished when the agent stopped is watched again
// by the next agent on the same data folder; open leases are cancelled with their reward
// refunded. On a custom network the data folder's wallet pays: refused while locked (nothing
// sent), posted with the password, and posted while the same Roost takes market jobs with it
// (each send at the same moment gets its own nonce; the market client skips its own job).
import { contentOf } from '../../../agent/api/testing/downloads.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet, parseEther, type JsonRpcProvider } from 'ethers';
import { TEST_DOLLAR, devnetDeployment, type Devnet } from '../../../contracts/devnet.ts';
import { LeaseState, connectJobMarket } from '../../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../../contracts/bindings/roost-test-token.ts';
import { createAgent, type Agent } from '../../../agent/agent.ts';
import { readZip } from '../../../agent/diagnostics/zip.ts';
import { decodeNpy } from '../../../worker/npy.ts';
import { marketDbPath, openMarketDb } from '../../../agent/market/db.ts';
import type {
  EventPayload,
  MethodName,
  ParamsOf,
  Result,
  ResultOf,
} from '../../../agent/api/contract.ts';
import { writeLocalNetwork } from '../../../agent/market/local-network.ts';
import { startTestChain, type TestChain } from '../../support/devnet-chain.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { cancelledBy, openLeasesOf } from '../../../agent/market/request-views.ts';
import { newProvider, provide, writeMatmulFiles } from './requester-support.ts';
import { LIGHT_SCRYPT, customNetworkFolder, until } from './support.ts';

let chain: TestChain;
let devnet: Devnet;
let rpc: JsonRpcProvider;
let dir: { path: string; remove: () => Promise<void> };
let labDir: string;
let files: { modelPath: string; aPath: string; bPath: string };
let provider: Wallet;
const agents: Agent[] = [];
const seen: EventPayload<'market.postedJob'>[] = [];

async function startAgent(dataDir: string): Promise<Agent> {
  const agent = await createAgent({
    dataDir,
    host: 'test',
    // Long-lived, as roost serve: it watches unfinished posts again when it starts.
    background: true,
    embeddedDevnet: false,
    postedJobs: { pollMs: 100 },
    hardware: { env: { ...process.env, ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi' } },
    wallet: { scrypt: LIGHT_SCRYPT },
  });
  agent.events.subscribe((e) => {
    if (e.event === 'market.postedJob') seen.push(e.payload);
  });
  agents.push(agent);
  return agent;
}

function caller(agent: Agent) {
  return <M extends MethodName>(method: M, params: ParamsOf<M>) =>
    agent.router.call(method, params) as Promise<Result<ResultOf<M>>>;
}

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const job = (extra: Partial<ParamsOf<'market.postJob'>> = {}): ParamsOf<'market.postJob'> => ({
  model: files.modelPath,
  inputs: { a: files.aPath, b: files.bPath },
  price: '2',
  name: 'matmul check',
  ...extra,
});

const jobCount = () => connectJobMarket(devnet.marketAddress, rpc).jobCount();

beforeAll(async () => {
  chain = await startTestChain();
  ({ devnet, rpc } = chain);
  dir = await tempDir('roost-posted-jobs-');
  labDir = join(dir.path, 'lab');
  await writeLocalNetwork(labDir, devnetDeployment(devnet));
  files = await writeMatmulFiles(dir.path);
  provider = await newProvider(devnet, rpc);
}, 120_000);

afterAll(async () => {
  for (const agent of agents) await agent.close();
  await chain?.stop();
  await dir?.remove();
});

describe('posting from the app on the local devnet', () => {
  let agent: Agent;
  let call: ReturnType<typeof caller>;
  let accepted: string;

  beforeAll(async () => {
    agent = await startAgent(labDir);
    call = caller(agent);
  });

  it('says who pays and that nothing was posted yet', async () => {
    const listed = value(await call('market.postedJobs', {}));
    expect(listed).toMatchObject({
      network: {
        label: 'the local devnet',
        kind: 'local',
        testMoney: true,
        symbol: 'rUSD',
        marketAddress: devnet.marketAddress,
      },
      payer: { address: devnet.accounts[0], kind: 'devnet-account' },
      postProblem: null,
      jobs: [],
      otherChains: 0,
    });
  });

  it('refuses a post whose files are wrong, escrowing nothing', async () => {
    const before = await jobCount();
    const missing = await call('market.postJob', job({ model: join(dir.path, 'nope.onnx') }));
    expect(missing).toMatchObject({ ok: false, error: { code: 'JOB_REFUSED' } });
    if (!missing.ok) expect(missing.error.message).toContain('nope.onnx');
    const wrongName = await call('market.postJob', job({ inputs: { x: files.aPath } }));
    expect(wrongName).toMatchObject({ ok: false, error: { code: 'JOB_REFUSED' } });
    const price = await call('market.postJob', job({ price: 'two' }));
    expect(price).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    if (!price.ok) expect(price.error.message).toMatch(/^price: /);
    const url = await call('market.postJob', job({ publicUrl: 'https://lab.example' }));
    expect(url).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    if (!url.ok) expect(url.error.message).toContain('needs a port');
    const path = await call(
      'market.postJob',
      job({ publicUrl: 'https://lab.example/roost', port: 8811 }),
    );
    expect(path).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
    if (!path.ok) expect(path.error.message).toContain('with no path');
    expect(await jobCount()).toBe(before);
    expect(value(await call('market.postedJobs', {})).jobs).toEqual([]);
  });

  it('posts, serves the files, checks the provider’s signed result and accepts it', async () => {
    const token = connectRoostTestToken(devnet.tokenAddress, rpc);
    const payerBefore = await token.balanceOf(devnet.accounts[0]!);
    const posted = value(await call('market.postJob', job({ executionProviders: ['cpu'] })));
    accepted = posted.jobId;
    // The job's document, served here, carries the accelerators providers may use.
    const document = (await (await fetch(posted.specURI)).json()) as {
      job: { executionProviders?: string[] };
    };
    expect(document.job.executionProviders).toEqual(['cpu']);
    expect(posted).toMatchObject({
      requester: devnet.accounts[0],
      price: { amount: '2', symbol: 'rUSD' },
      redundancy: 1,
    });
    expect(posted.servedAt).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // 2 rUSD went into the market's escrow.
    expect(payerBefore - (await token.balanceOf(devnet.accounts[0]!))).toBe(2n * TEST_DOLLAR);
    const listed = value(await call('market.postedJobs', {}));
    expect(listed.jobs).toHaveLength(1);
    expect(listed.jobs[0]).toMatchObject({
      jobId: accepted,
      state: 'posted',
      name: 'matmul check',
      price: { amount: '2', symbol: 'rUSD' },
      watch: 'watching',
      leases: [{ slot: 0, state: 'open', provider: null }],
    });

    await provide(devnet, rpc, dir.path, provider, BigInt(accepted));
    await until('the verdict', () =>
      seen.find((e) => e.jobId === accepted && e.kind === 'finished'),
    );
    const after = value(await call('market.postedJobs', {})).jobs.find((j) => j.jobId === accepted);
    expect(after).toMatchObject({
      watch: 'done',
      watchProblem: null,
      leases: [{ slot: 0, state: 'accepted', provider: provider.address, verdict: 'accepted' }],
    });
    // The checked result is kept where the page says.
    expect(after!.resultsDir).not.toBeNull();
    expect((await readdir(after!.resultsDir!, { recursive: true })).join(' ')).toContain(
      'result.json',
    );
    // And handed to the page in one zip, by lease and verdict.
    const results = value(await call('market.postedJobResults', { jobId: accepted }));
    expect(results).toMatchObject({
      fileName: `roost-posted-job-${accepted}-matmul-check.zip`,
      mediaType: 'application/zip',
    });
    const entries = readZip(contentOf(results));
    const names = entries.map((e) => e.name);
    expect(names).toContain('lease-0-accepted/result.json');
    const npy = entries.find((e) => /^lease-0-accepted\/.+\.npy$/.test(e.name))!;
    // Each lease lists the outputs Roost checked, and each can be looked at: the provider's
    // 4×3 product, read back as the zip carries it.
    const output = after!.leases[0]!.outputs![0]!;
    expect(npy.name).toBe(`lease-0-accepted/${output}`);
    const preview = value(
      await call('market.postedJobOutputPreview', { jobId: accepted, slot: 0, file: output }),
    );
    const decoded = decodeNpy(npy.data);
    if (!decoded.ok) throw new Error(decoded.error);
    const values = Array.from(decoded.value.data as Float32Array);
    expect(preview).toMatchObject({
      dtype: 'float32',
      shape: [4, 3],
      count: 12,
      nan: 0,
      min: Math.min(...values),
      max: Math.max(...values),
    });
    const other = await call('market.postedJobOutputPreview', {
      jobId: accepted,
      slot: 1,
      file: output,
    });
    expect(other).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const kinds = seen.filter((e) => e.jobId === accepted).map((e) => e.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['posted', 'claimed', 'result', 'verdict', 'finished']),
    );
    const lease = await connectJobMarket(devnet.marketAddress, rpc).getLease(BigInt(accepted), 0);
    expect(lease.state).toBe(BigInt(LeaseState.Paid));

    // Settled: its leases are kept in the journal, and the listing reads them from there, not
    // from the chain again (a mark put into the kept row shows on the page).
    const db = openMarketDb(marketDbPath(labDir));
    try {
      const row = db
        .prepare('SELECT leases FROM market_request_settled WHERE job_id = ?')
        .get(accepted) as { leases: string } | undefined;
      expect(JSON.parse(row!.leases)).toEqual([
        { slot: 0, state: 'accepted', provider: provider.address },
      ]);
      db.prepare('UPDATE market_request_settled SET leases = ? WHERE job_id = ?').run(
        JSON.stringify([{ slot: 0, state: 'accepted', provider: provider.address, note: 'kept' }]),
        accepted,
      );
    } finally {
      db.close();
    }
    const again = value(await call('market.postedJobs', {})).jobs.find((j) => j.jobId === accepted);
    expect(again!.leases).toEqual([
      {
        slot: 0,
        state: 'accepted',
        provider: provider.address,
        note: 'kept',
        verdict: 'accepted',
        verdictFinal: true,
        outputs: ['c.npy'],
      },
    ]);
  });

  it('cancels the leases nobody claimed and refunds them; a second cancel is refused', async () => {
    const posted = value(await call('market.postJob', job({ redundancy: 2, price: '1.5' })));
    // Nothing checked yet: no results to download, said in words.
    const none = await call('market.postedJobResults', { jobId: posted.jobId });
    expect(none).toMatchObject({ ok: false, error: { code: 'JOB_STATE' } });
    expect(await call('market.postedJobResults', { jobId: '99999' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    const cancelled = value(await call('market.cancelPostedJob', { jobId: posted.jobId }));
    expect(cancelled).toMatchObject({
      jobId: posted.jobId,
      cancelled: [0, 1],
      refund: { amount: '3', symbol: 'rUSD' },
    });
    const again = await call('market.cancelPostedJob', { jobId: posted.jobId });
    expect(again).toMatchObject({ ok: false, error: { code: 'JOB_STATE' } });
    await until('the watch to end', async () => {
      const listed = value(await call('market.postedJobs', {}));
      const view = listed.jobs.find((j) => j.jobId === posted.jobId);
      return view?.watch === 'done' ? view : undefined;
    });
    const view = value(await call('market.postedJobs', {})).jobs.find(
      (j) => j.jobId === posted.jobId,
    );
    expect(view!.leases.map((l) => l.state)).toEqual(['cancelled', 'cancelled']);
  });

  it('says what the chain cancelled, not what was open when asked: a lease claimed meanwhile runs on', async () => {
    const posted = value(await call('market.postJob', job({ redundancy: 2, price: '1.5' })));
    const jobId = BigInt(posted.jobId);
    const market = { chain: rpc, marketAddress: devnet.marketAddress, label: 'the devnet' };
    const asked = await openLeasesOf(market, jobId, 'roost market requests');
    expect(asked.open).toEqual([0, 1]);
    // Between the look and the cancellation, a provider claims the first lease.
    const provider = await newProvider(devnet, rpc);
    await (await connectJobMarket(devnet.marketAddress, provider).claimJob(jobId)).wait();
    const requester = await rpc.getSigner(posted.requester);
    const receipt = await (
      await connectJobMarket(devnet.marketAddress, requester).cancelJob(jobId)
    ).wait();
    expect(await cancelledBy(market, jobId, receipt!, asked.open)).toEqual({
      cancelled: [1],
      refund: 1_500_000n,
    });
    await expect(cancelledBy(market, jobId, { logs: [] }, asked.open)).rejects.toThrow(
      `the cancellation of job ${jobId} was mined, but the market logged no JobCancelled for it`,
    );
  });

  it('posts a folder of inputs as a batch, one input set per .npy file, as a private job does', async () => {
    const folder = join(dir.path, 'batch-a');
    await mkdir(folder, { recursive: true });
    for (const name of ['a1.npy', 'a2.npy']) await copyFile(files.aPath, join(folder, name));
    const empty = join(dir.path, 'batch-empty');
    await mkdir(empty, { recursive: true });
    const refused = await call('market.postJob', job({ inputs: { a: empty, b: files.bPath } }));
    expect(refused).toMatchObject({ ok: false, error: { code: 'JOB_REFUSED' } });
    if (!refused.ok) expect(refused.error.message).toContain('holds no .npy files');

    const posted = value(
      await call('market.postJob', job({ inputs: { a: folder, b: files.bPath } })),
    );
    const document = (await (await fetch(posted.specURI)).json()) as {
      job: { inputs: Record<string, { sha256: string }>[] };
    };
    expect(document.job.inputs).toHaveLength(2);
    // The same b in both sets; a from each file of the folder.
    expect(document.job.inputs[0]!.b!.sha256).toBe(document.job.inputs[1]!.b!.sha256);
    value(await call('market.cancelPostedJob', { jobId: posted.jobId }));
  });

  it('refuses to watch or cancel a job it did not post', async () => {
    const unknown = await call('market.watchPostedJob', { jobId: '999' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const nothing = await call('market.cancelPostedJob', { jobId: '999' });
    expect(nothing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const bad = await call('market.watchPostedJob', { jobId: '0' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
  });

  it('watches a job left unfinished again when the next agent starts', async () => {
    const posted = value(await call('market.postJob', job({ name: 'left behind' })));
    await agent.close();
    agents.splice(agents.indexOf(agent), 1);
    // The files are no longer served: nobody watches the job now.
    await expect(fetch(posted.specURI)).rejects.toThrow();

    const next = await startAgent(labDir);
    const callNext = caller(next);
    const watching = await until('the job to be watched again', async () => {
      const view = value(await callNext('market.postedJobs', {})).jobs.find(
        (j) => j.jobId === posted.jobId,
      );
      return view?.watch === 'watching' ? view : undefined;
    });
    expect(watching.servedAt).toBe(posted.servedAt);
    await provide(devnet, rpc, dir.path, provider, BigInt(posted.jobId));
    await until('the verdict after the restart', () =>
      seen.find((e) => e.jobId === posted.jobId && e.kind === 'finished'),
    );
    const view = value(await callNext('market.postedJobs', {})).jobs.find(
      (j) => j.jobId === posted.jobId,
    );
    expect(view).toMatchObject({ watch: 'done', leases: [{ state: 'accepted' }] });
    // The earlier job is still listed as it ended; the newest come first.
    const listed = value(await callNext('market.postedJobs', {}));
    expect(listed.jobs.find((j) => j.jobId === accepted)?.leases[0]?.state).toBe('accepted');
    const ids = listed.jobs.map((j) => Number(j.jobId));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(listed.older).toBe(0);
    const newest = value(await callNext('market.postedJobs', { limit: 1 }));
    expect(newest.jobs.map((j) => j.jobId)).toEqual([posted.jobId]);
    expect(newest.older).toBe(ids.length - 1);
    // One job by its id (what roost market post-job follows through a running Roost).
    const one = value(await callNext('market.postedJobs', { jobId: accepted }));
    expect(one.jobs.map((j) => j.jobId)).toEqual([accepted]);
    expect(one.older).toBe(0);
    expect(value(await callNext('market.postedJobs', { jobId: '999999' })).jobs).toEqual([]);
  });
});

describe('posting from the app on a custom network, paid by the wallet', () => {
  const PASSWORD = 'lab wallet password';
  const labWallet = Wallet.createRandom();
  let customDir: string;
  let agent: Agent;
  let call: ReturnType<typeof caller>;

  beforeAll(async () => {
    const funder = await rpc.getSigner(devnet.accounts[5]);
    await (await funder.sendTransaction({ to: labWallet.address, value: parseEther('5') })).wait();
    await (
      await connectRoostTestToken(devnet.tokenAddress, funder).transfer(
        labWallet.address,
        20n * TEST_DOLLAR,
      )
    ).wait();
    customDir = join(dir.path, 'custom');
    await customNetworkFolder(
      customDir,
      { rpcUrl: devnet.rpcUrl, marketAddress: devnet.marketAddress },
      { market: { enabled: false } },
    );
    agent = await startAgent(customDir);
    call = caller(agent);
    value(
      await call('wallet.import', {
        kind: 'privateKey',
        privateKey: labWallet.privateKey,
        password: PASSWORD,
      }),
    );
    value(await call('wallet.lock', {}));
  }, 60_000);

  it('asks for the password of a locked wallet, sending nothing, then posts with it', async () => {
    const listed = value(await call('market.postedJobs', {}));
    expect(listed).toMatchObject({
      network: { kind: 'custom', testMoney: true },
      payer: { address: labWallet.address, kind: 'wallet' },
      postProblem: null,
    });
    const before = await rpc.getTransactionCount(labWallet.address, 'latest');
    const locked = await call('market.postJob', job());
    expect(locked).toMatchObject({ ok: false, error: { code: 'WALLET_LOCKED' } });
    const wrong = await call('market.postJob', job({ password: 'not it' }));
    expect(wrong).toMatchObject({ ok: false, error: { code: 'WALLET_WRONG_PASSWORD' } });
    expect(await rpc.getTransactionCount(labWallet.address, 'latest')).toBe(before);

    const posted = value(await call('market.postJob', job({ password: PASSWORD })));
    expect(posted.requester).toBe(labWallet.address);
    // The wallet stays locked: the password was for this post only.
    expect(value(await call('wallet.status', {})).state).toBe('locked');
    await provide(devnet, rpc, dir.path, provider, BigInt(posted.jobId));
    await until('the verdict on the custom network', () =>
      seen.find((e) => e.jobId === posted.jobId && e.kind === 'finished'),
    );
  });

  it('after a restart with the wallet locked, says why a job is not watched, and watches it once unlocked', async () => {
    const posted = value(await call('market.postJob', job({ password: PASSWORD })));
    await agent.close();
    agents.splice(agents.indexOf(agent), 1);
    agent = await startAgent(customDir);
    call = caller(agent);
    const stopped = await until('the reason it is not watched', async () => {
      const view = value(await call('market.postedJobs', {})).jobs.find(
        (j) => j.jobId === posted.jobId,
      );
      return view?.watchProblem ? view : undefined;
    });
    expect(stopped.watch).toBe('stopped');
    expect(stopped.watchProblem).toContain('The wallet is locked');
    // Said once (a needs-you notice): the results wait unchecked until someone unlocks.
    const said = seen.filter((e) => e.jobId === posted.jobId && e.kind === 'stopped');
    expect(said).toHaveLength(1);
    expect(said[0]!.text).toContain('The wallet is locked');
    const locked = await call('market.watchPostedJob', { jobId: posted.jobId });
    expect(locked).toMatchObject({ ok: false, error: { code: 'WALLET_LOCKED' } });

    value(await call('wallet.unlock', { password: PASSWORD }));
    await until('the job to be watched after the unlock', async () => {
      const view = value(await call('market.postedJobs', {})).jobs.find(
        (j) => j.jobId === posted.jobId,
      );
      return view?.watch === 'watching' ? view : undefined;
    });
    await provide(devnet, rpc, dir.path, provider, BigInt(posted.jobId));
    await until('the verdict after the unlock', () =>
      seen.find((e) => e.jobId === posted.jobId && e.kind === 'finished'),
    );
    value(await call('wallet.lock', {}));
  });

  it('posts while this Roost takes market jobs with the same wallet: sends at the same moment each get their own nonce, and the market client leaves its own job alone', async () => {
    value(await call('wallet.unlock', { password: PASSWORD }));
    value(await call('settings.update', { market: { enabled: true } }));
    expect(value(await call('market.postedJobs', {})).postProblem).toBeNull();
    const before = await rpc.getTransactionCount(labWallet.address, 'latest');
    // Two payments from the Wallet page and a post (its approve and its postJob), all at once
    // from the one address, while the market client registers from it too.
    const pay = async (amount: string) => {
      const prepared = value(
        await call('wallet.prepareSend', { to: devnet.accounts[6]!, amount, asset: 'native' }),
      );
      return value(await call('wallet.confirm', { id: prepared.id, wait: true }));
    };
    const [first, second, posted] = await Promise.all([
      pay('0.01'),
      pay('0.02'),
      call('market.postJob', job()).then(value),
    ]);
    expect(first.status).toBe('mined');
    expect(second.status).toBe('mined');
    expect(first.nonce).not.toBe(second.nonce);
    expect(posted.requester).toBe(labWallet.address);
    expect(await rpc.getTransactionCount(labWallet.address, 'latest')).toBeGreaterThanOrEqual(
      before + 4,
    );

    // Its own market client sees the job and skips it for good, saying why.
    const skipped = await until('the market client to skip its own job', async () => {
      const { leases } = value(await call('market.jobs', {}));
      return leases.find((l) => l.jobId === posted.jobId && l.state === 'skipped');
    });
    expect(skipped.reason).toContain('posted by this wallet');
    const cancelled = value(await call('market.cancelPostedJob', { jobId: posted.jobId }));
    expect(cancelled.cancelled).toEqual([0]);
    value(await call('settings.update', { market: { enabled: false } }));
    value(await call('wallet.lock', {}));
  });
});
