/**
 * `npm run bench:claim` — a figure, not a test: how long from a job being posted on the market to
 * Roost's claim being on chain, on a local Hardhat devnet (goal ≤ 1 s).
 *
 *   node bench/claim.bench.ts [--jobs 10]
 *
 * Roost's path is the whole provider agent: its follower sees JobPosted, the service fetches the
 * job document from the requester's server, checks its hash, decides (score, price, stake,
 * policy) and claims through the transaction manager. The baseline, in the same run on the same
 * devnet, is a bare ethers script that sends claimJob the moment the post's receipt is in its hand
 * (no following, no checks): the chain's own round trip. Both are timed from the post's receipt
 * to the claim being mined (the devnet mines each transaction as it arrives).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { JsonRpcProvider, Wallet } from 'ethers';
import { connectJobMarket } from '../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../contracts/bindings/roost-test-token.ts';
import { devnetDeployment, startDevnet } from '../contracts/devnet.ts';
import { createAgent } from '../agent/agent.ts';
import { writeLocalNetwork } from '../agent/market/local-network.ts';
import { createRequester } from '../agent/market/requester.ts';
import { writeSampleJob } from '../agent/market/practice.ts';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '10' } } });
const JOBS = Number(values.jobs);
const USD = 1_000_000n;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const work = await mkdtemp(join(tmpdir(), 'roost-bench-claim-'));
const devnet = await startDevnet();
const rpc = new JsonRpcProvider(devnet.rpcUrl, devnet.chainId, {
  staticNetwork: true,
  cacheTimeout: -1,
  pollingInterval: 50,
});
const dataDir = join(work, 'provider');
await mkdir(dataDir, { recursive: true });
await writeLocalNetwork(dataDir, devnetDeployment(devnet));
const agent = await createAgent({
  dataDir,
  host: 'test',
  background: true,
  embeddedDevnet: false,
  hardware: { env: { ...process.env, ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi' } },
  // The benchmark needs a registered score, not a benchmark run.
  // Leases are not run (autoStart off), so many are held at once.
  market: {
    latestReport: () => Promise.resolve({ hash: `0x${'cd'.repeat(32)}`, score: 100 }),
    capacity: 1_000,
  },
  // Claimed jobs are not run: the figure is about the claim.
  jobs: { autoStart: false },
});
const requester = createRequester({
  signer: await rpc.getSigner(devnet.accounts[3]!),
  marketAddress: devnet.marketAddress,
  tokenAddress: devnet.tokenAddress,
  workDir: join(work, 'requester'),
});

try {
  await agent.settings.update({
    pricing: { pricePerUnitHour: 0.01 },
    work: { mode: 'always' },
    market: { stake: 1000 },
  });
  const key = Wallet.createRandom().privateKey;
  const address = new Wallet(key).address;
  await agent.router.call('wallet.import', {
    kind: 'privateKey',
    privateKey: key,
    password: 'bench password',
  });
  const market = connectJobMarket(devnet.marketAddress, rpc);
  for (let i = 0; ; i++) {
    if ((await market.getProvider(address)).registeredAt !== 0n) break;
    if (i > 600) throw new Error('the agent did not register within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }

  // The baseline claimer: a registered provider with a score the agent lacks.
  const rawSigner = await rpc.getSigner(devnet.accounts[4]!);
  const rawMarket = connectJobMarket(devnet.marketAddress, rawSigner);
  await (
    await connectRoostTestToken(devnet.tokenAddress, rawSigner).approve(
      devnet.marketAddress,
      1000n * USD,
    )
  ).wait();
  await (
    await rawMarket.registerProvider(`0x${'ef'.repeat(32)}`, 100_000n, 1n, 1000n * USD)
  ).wait();

  const { model, inputs } = await writeSampleJob(join(work, 'job'), 1, { n: 16, chain: 1 });

  const claimedAt = new Map<string, number>();
  agent.events.subscribe((e) => {
    if (e.event === 'market.lease' && e.payload.state === 'claimed')
      claimedAt.set(e.payload.jobId, performance.now());
  });

  const roost: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < JOBS; i++) {
    // Roost: post, then wait for the agent's claim.
    const posted = await requester.post({
      model,
      inputs,
      reward: USD,
      leaseSeconds: 600,
    });
    const t0 = performance.now();
    const id = posted.jobId.toString();
    while (!claimedAt.has(id)) {
      if (performance.now() - t0 > 30_000) throw new Error(`job ${id} was not claimed within 30 s`);
      await new Promise((r) => setTimeout(r, 2));
    }
    roost.push(claimedAt.get(id)! - t0);

    // Baseline: a job only the raw claimer qualifies for, claimed as soon as it is posted.
    const rawPosted = await requester.post({
      model,
      inputs,
      reward: USD,
      leaseSeconds: 600,
      minScore: 50_000,
    });
    const t1 = performance.now();
    await (await rawMarket.claimJob(rawPosted.jobId)).wait();
    raw.push(performance.now() - t1);
  }

  const r = median(roost);
  const b = median(raw);
  process.stdout.write(
    [
      `JobPosted → claim mined, ${JOBS} jobs on a local devnet`,
      `  Roost agent (follow, fetch + hash-check the job, decide, claim): median ${r.toFixed(0)} ms, max ${Math.max(...roost).toFixed(0)} ms`,
      `  bare ethers claim right after the post's receipt (baseline):      median ${b.toFixed(0)} ms`,
      `  ratio Roost / baseline: ${(r / b).toFixed(2)}   goal: Roost ≤ 1000 ms → ${r <= 1000 ? 'met' : 'NOT met'}`,
      '',
    ].join('\n'),
  );
} finally {
  await requester.close();
  await agent.close();
  rpc.destroy();
  await devnet.stop();
  await rm(work, { recursive: true, force: true });
}
