// Nothing is lost on kill -9: a requester that dies after posting leaves its job in the data
// folder's journal, and another requester on the same folder (or `roost market await`) serves the
// job's files again on the same port and finishes it. A real Hardhat devnet, real HTTP on
// 127.0.0.1, the real `roost` command line as child processes; the test plays the provider
// (requester-support.ts), fetching the model from the restarted server by the document's URLs.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ContractTransactionResponse,
  JsonRpcProvider,
  JsonRpcSigner,
  Signer,
  TransactionRequest,
  Wallet,
} from 'ethers';
import { TEST_DOLLAR, devnetDeployment } from '../../../contracts/devnet.ts';
import type { Devnet } from '../../../contracts/devnet.ts';
import {
  LeaseState,
  connectJobMarket,
  jobMarketInterface,
} from '../../../contracts/bindings/job-market.ts';
import { chainKeyOf } from '../../../agent/market/chain-key.ts';
import { marketDbPath, openMarketDb } from '../../../agent/market/db.ts';
import { writeLocalNetwork } from '../../../agent/market/local-network.ts';
import { openRequestJournal } from '../../../agent/market/request-journal.ts';
import type { PostedRequest, RecordedVerdict } from '../../../agent/market/request-journal.ts';
import { createRequester } from '../../../agent/market/requester.ts';
import type { PostRequest, Requester, RequesterEvent } from '../../../agent/market/requester.ts';
import { runRoost } from '../../support/roost-cli.ts';
import { ROOST_BIN } from '../../support/serve-process.ts';
import { startTestChain, type TestChain } from '../../support/devnet-chain.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { newProvider, provide as provideAs, writeMatmulFiles } from './requester-support.ts';
import type { Tamper } from './requester-support.ts';

const REWARD = 2n * TEST_DOLLAR;

let chain: TestChain;
let devnet: Devnet;
let rpc: JsonRpcProvider;
let dir: { path: string; remove: () => Promise<void> };
let dataDir: string;
let chainKey: string;
let provider: Wallet;
let modelPath: string;
let aPath: string;
let bPath: string;
const requesters: Requester[] = [];

beforeAll(async () => {
  chain = await startTestChain();
  ({ devnet, rpc } = chain);
  dir = await tempDir('roost-requester-resume-');
  dataDir = join(dir.path, 'lab');
  await writeLocalNetwork(dataDir, devnetDeployment(devnet));
  chainKey = await chainKeyOf(rpc, devnet.chainId, devnet.marketAddress, devnet.deployBlock);
  ({ modelPath, aPath, bPath } = await writeMatmulFiles(dir.path));
  provider = await newProvider(devnet, rpc);
}, 120_000);

afterAll(async () => {
  for (const r of requesters) await r.close();
  await chain?.stop();
  await dir?.remove();
});

function provide(jobId: bigint, tamper: Tamper = 'none'): Promise<number> {
  return provideAs(devnet, rpc, dir.path, provider, jobId, tamper);
}

/** A requester on the lab's data folder, keeping its journal there. */
async function labRequester(
  signer?: Signer,
  onEvent?: (event: RequesterEvent) => void,
): Promise<Requester> {
  const requester = createRequester({
    ...(onEvent ? { onEvent } : {}),
    signer: signer ?? (await rpc.getSigner(devnet.accounts[3]!)),
    marketAddress: devnet.marketAddress,
    tokenAddress: devnet.tokenAddress,
    workDir: join(dataDir, 'market', 'requester'),
    pollMs: 100,
    uploadGraceMs: 1000,
    journal: { dataDir, chainKey },
  });
  requesters.push(requester);
  return requester;
}

function postRequest(extra: Partial<PostRequest> = {}): PostRequest {
  return { model: modelPath, inputs: { a: aPath, b: bPath }, reward: REWARD, ...extra };
}

/** The journal as another process would read it. */
function journalRows(): { requests: PostedRequest[]; verdicts: (id: bigint) => RecordedVerdict[] } {
  const db = openMarketDb(marketDbPath(dataDir));
  try {
    const journal = openRequestJournal(db);
    const requests = journal.list(chainKey);
    const verdicts = new Map(
      requests
        .filter((r) => r.jobId !== null)
        .map((r) => [r.jobId!, journal.verdicts(chainKey, r.jobId!)]),
    );
    return { requests, verdicts: (id) => verdicts.get(id) ?? [] };
  } finally {
    db.close();
  }
}

async function leaseState(jobId: bigint, slot = 0): Promise<bigint> {
  return (await connectJobMarket(devnet.marketAddress, rpc).getLease(jobId, slot)).state;
}

/**
 * The devnet's account 3, except that once its postJob transaction is mined, the call that sent
 * it never returns: the process "dies" between the post and writing down the job id.
 */
function cutOffAfterPost(inner: JsonRpcSigner) {
  const selector = jobMarketInterface.getFunction('postJob')!.selector;
  let cut: () => void = () => {};
  const cutOff = new Promise<void>((resolve) => (cut = resolve));
  const signer = new Proxy(inner, {
    get(target, key) {
      if (key === 'sendTransaction')
        return async (tx: TransactionRequest): Promise<ContractTransactionResponse> => {
          const sent = await target.sendTransaction(tx);
          if (typeof tx.data !== 'string' || !tx.data.startsWith(selector))
            return sent as ContractTransactionResponse;
          await sent.wait();
          cut();
          return new Promise(() => {});
        };
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return { signer, cutOff };
}

describe('a requester killed after posting', () => {
  it('is resumed by another on the same data folder: same port, same files, uploads taken, accepted', async () => {
    const first = await labRequester();
    const posted = await first.post(postRequest());
    const row = journalRows().requests.find((r) => r.jobId === posted.jobId);
    expect(row).toMatchObject({
      state: 'posted',
      specUri: posted.specURI,
      specHash: posted.specHash,
      txHash: posted.txHash,
      requester: devnet.accounts[3]!.toLowerCase(),
      port: Number(new URL(posted.specURI).port),
      record: { redundancy: 1, document: posted.document, tolerance: { rtol: 1e-3, atol: 1e-5 } },
    });
    // The requester goes away without a word to the journal; its server with it.
    await first.close();
    await expect(fetch(posted.specURI)).rejects.toThrow();

    const second = await labRequester();
    const resumed = await second.resume(posted.jobId);
    expect(resumed).toEqual(posted);
    const served = await fetch(posted.specURI);
    expect(served.status).toBe(200);

    const waiting = second.await(posted.jobId, { timeoutMs: 60_000 });
    // The provider fetches the model and inputs from the restarted server and uploads there.
    const slot = await provide(posted.jobId);
    const [outcome] = await waiting;
    expect(outcome).toMatchObject({ slot, provider: provider.address, verdict: 'accepted' });
    expect(outcome!.outputs.some((f) => f.endsWith('c.npy'))).toBe(true);
    expect(await leaseState(posted.jobId, slot)).toBe(LeaseState.Paid);
    expect(journalRows().verdicts(posted.jobId)).toMatchObject([
      { slot, verdict: 'accepted', provider: provider.address, final: true },
    ]);
  });

  it('finds a job whose post was cut off before its id was written, by its spec hash', async () => {
    const { signer, cutOff } = cutOffAfterPost(await rpc.getSigner(devnet.accounts[3]!));
    const market = connectJobMarket(devnet.marketAddress, rpc);
    const first = await labRequester(signer);
    void first.post(postRequest());
    await cutOff;
    const jobId = await market.jobCount();
    const intent = journalRows().requests.find((r) => r.state === 'posting');
    expect(intent).toMatchObject({ jobId: null, txHash: null });
    expect((await market.getJob(jobId)).specHash).toBe(intent!.specHash);
    await first.close();

    const second = await labRequester();
    const resumed = await second.resume(jobId);
    expect(resumed.specHash).toBe(intent!.specHash);
    const row = journalRows().requests.find((r) => r.key === intent!.key);
    expect(row).toMatchObject({ state: 'posted', jobId });
    expect(row!.txHash).toMatch(/^0x[0-9a-f]{64}$/);

    const waiting = second.await(jobId, { timeoutMs: 60_000 });
    await provide(jobId);
    expect((await waiting).map((o) => o.verdict)).toEqual(['accepted']);
  });

  it('says a lease was claimed even when it was claimed and submitted before it looked', async () => {
    const events: RequesterEvent[] = [];
    const requester = await labRequester(undefined, (e) => events.push(e));
    const posted = await requester.post(postRequest());
    // The provider claims, runs and submits while nobody awaits the job.
    const slot = await provide(posted.jobId);
    const [outcome] = await requester.await(posted.jobId, { timeoutMs: 60_000 });
    expect(outcome?.verdict).toBe('accepted');
    const seen = events
      .filter((e) => 'slot' in e && e.slot === slot)
      .map((e) => `${e.type}${'provider' in e ? ` ${String(e.provider)}` : ''}`);
    expect(seen.slice(0, 2)).toEqual([`claimed ${provider.address}`, `result ${provider.address}`]);
  });

  it('keeps a verdict given before the kill, with its reason', async () => {
    const first = await labRequester();
    const posted = await first.post(postRequest());
    const waiting = first.await(posted.jobId, { timeoutMs: 60_000 });
    await provide(posted.jobId, 'bytes');
    const [disputed] = await waiting;
    expect(disputed!.verdict).toBe('disputed');
    await first.close();

    const second = await labRequester();
    await second.resume(posted.jobId);
    const [again] = await second.await(posted.jobId, { timeoutMs: 10_000 });
    expect(again).toEqual(disputed);
    expect(again!.reason).toMatch(/the output c\.npy has sha256/);
  });

  it('holds a resumed canary job to the known answer computed before the kill', async () => {
    const first = await labRequester();
    const posted = await first.post(postRequest({ canary: true }));
    await first.close();
    const second = await labRequester();
    await second.resume(posted.jobId);
    const waiting = second.await(posted.jobId, { timeoutMs: 60_000 });
    await provide(posted.jobId, 'values');
    const [outcome] = await waiting;
    expect(outcome!.verdict).toBe('disputed');
    expect(outcome!.reason).toMatch(/the outputs differ from the known answer/);
  });

  it('says so in plain words when the port is taken, and resumes once it is free', async () => {
    const first = await labRequester();
    const posted = await first.post(postRequest());
    const port = Number(new URL(posted.specURI).port);
    // The first requester still serves the job.
    const second = await labRequester();
    await expect(second.resume(posted.jobId)).rejects.toThrow(
      new RegExp(
        `port ${port} on 127\\.0\\.0\\.1 is taken by another program, and the job's document on chain tells providers to fetch from and upload to http://127\\.0\\.0\\.1:${port}\\. If another roost market await or post-job, or a running Roost \\(roost serve, the app: its Jobs page lists the jobs it watches\\), still serves this job, let that one finish; otherwise stop the program holding the port`,
      ),
    );
    await first.close();
    // Another program on the port.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    await expect(second.resume(posted.jobId)).rejects.toThrow(/is taken by another program/);
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    await second.resume(posted.jobId);
    expect((await fetch(posted.specURI)).status).toBe(200);
  });

  it('refuses a job it has no record of, another account’s, and one whose files are gone', async () => {
    const requester = await labRequester();
    await expect(requester.resume(999_999n)).rejects.toThrow(
      /job 999999 was not posted from this data folder on this chain/,
    );
    const first = await labRequester();
    const posted = await first.post(postRequest());
    await first.close();
    const other = await labRequester(await rpc.getSigner(devnet.accounts[4]!));
    await expect(other.resume(posted.jobId)).rejects.toThrow(
      new RegExp(`job ${posted.jobId} was posted by 0x[0-9a-fA-F]{40}, not by 0x[0-9a-fA-F]{40}`),
    );
    const row = journalRows().requests.find((r) => r.jobId === posted.jobId)!;
    await rm(join(row.servedDir, 'files', 'job.json'));
    await expect(requester.resume(posted.jobId)).rejects.toThrow(
      /document \(job\.json\) is no longer in .*files, so providers could not fetch it/,
    );
  });
});

describe('roost market post-job killed with SIGKILL', () => {
  let cliData: string;
  beforeAll(async () => {
    cliData = join(dir.path, 'cli-lab');
    await writeLocalNetwork(cliData, devnetDeployment(devnet));
  });

  /** Runs `roost <args>` as a child; resolves with the first stdout line matching `pattern`. */
  function roostUntil(args: string[], pattern: RegExp) {
    const child: ChildProcess = spawn(process.execPath, [ROOST_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const matched = new Promise<RegExpExecArray>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        stdout += line + '\n';
        const m = pattern.exec(line);
        if (m) resolve(m);
      });
      void exited.then((code) =>
        reject(new Error(`roost ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`)),
      );
    });
    return { child, matched, exited, output: () => ({ stdout, stderr }) };
  }

  it('leaves a job that roost market await finishes and roost market requests lists', async () => {
    const post = roostUntil(
      [
        'market',
        'post-job',
        '--model',
        modelPath,
        '--input',
        `a=${aPath}`,
        '--input',
        `b=${bPath}`,
        '--price',
        '1.5',
        '--account',
        '4',
        '--data-dir',
        cliData,
      ],
      /^Posted job (\d+) /,
    );
    const jobId = BigInt((await post.matched)[1]!);
    post.child.kill('SIGKILL');
    expect(await post.exited).toBe(null);

    const listed = await runRoost(['market', 'requests', '--json', '--data-dir', cliData]);
    expect(listed.code, listed.stderr).toBe(0);
    const before = JSON.parse(listed.stdout) as {
      jobs: {
        jobId: string;
        state: string;
        price: { amount: string };
        leases: { state: string }[];
      }[];
    };
    expect(before.jobs).toMatchObject([
      {
        jobId: jobId.toString(),
        state: 'posted',
        price: { amount: '1.5' },
        leases: [{ state: 'open' }],
      },
    ]);

    const resumed = roostUntil(
      ['market', 'await', jobId.toString(), '--data-dir', cliData],
      new RegExp(`^Serving job ${jobId}'s files again at http://127\\.0\\.0\\.1:\\d+`),
    );
    await resumed.matched;
    // A second await of the same job finds the port held by the first, and says so.
    const twice = await runRoost(['market', 'await', jobId.toString(), '--data-dir', cliData]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/port \d+ on 127\.0\.0\.1 is taken by another program/);

    await provide(jobId);
    expect(await resumed.exited, resumed.output().stderr).toBe(0);
    expect(resumed.output().stdout).toContain(`Lease 0: accepted (${provider.address})`);
    expect(resumed.output().stdout).toContain('Every lease was accepted.');

    const text = await runRoost(['market', 'requests', '--data-dir', cliData]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^Jobs posted from this data folder on the local devnet, market 0x[0-9a-fA-F]{40}:\n/,
    );
    expect(text.stdout).toContain(`Job ${jobId}: 1 lease(s) × 1.5`);
    expect(text.stdout).toContain(`lease 0: accepted; ${provider.address} was paid`);

    // Awaiting a finished job again only reports it, with the same JSON as post-job.
    const again = await runRoost([
      'market',
      'await',
      jobId.toString(),
      '--json',
      '--data-dir',
      cliData,
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      ok: true,
      jobId: jobId.toString(),
      price: { amount: '1.5', baseUnits: '1500000' },
      leases: [{ slot: 0, provider: provider.address, verdict: 'accepted' }],
    });
  });

  it('refuses a job it has no record of and a job id that is not one', async () => {
    const unknown = await runRoost(['market', 'await', '999999', '--data-dir', cliData]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /job 999999 was not posted from this data folder on the local devnet/,
    );
    const bad = await runRoost(['market', 'await', 'abc', '--data-dir', cliData]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"abc" is not a job id[\s\S]*Usage: roost market await <jobId>/);
  });
});
