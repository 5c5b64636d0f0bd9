// A lab's own market across its machines, each part real: the lab's chain (a Hardhat node on
// 127.0.0.1 stands for the one on the lab's network); the lab's machine
// deploying its market with the real `roost market deploy` and paying its provider's stake and
// fees with `roost wallet send`; a provider machine running the real `roost serve --rpc --market`
// with a wallet of its own; and the lab posting with the real `roost market post-job`, paid from
// the lab's wallet (its password on stdin, as a script gives it). The lab serves the job's files
// on a fixed port behind a proxy, and the job's document names the proxy's address: providers on
// other machines fetch and upload through it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer as createTcpServer, connect, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { JsonRpcProvider, Wallet } from 'ethers';
import { startDevnet, type Devnet } from '../../../contracts/devnet.ts';
import { LeaseState, connectJobMarket } from '../../../contracts/bindings/job-market.ts';
import { connectRoostTestToken } from '../../../contracts/bindings/roost-test-token.ts';
import { encryptWallet, keystorePath } from '../../../agent/wallet/keystore.ts';
import { startTestChain, type TestChain } from '../../support/devnet-chain.ts';
import { writeJobFiles, writeSignedReport } from '../../support/market-files.ts';
import { runRoost, startRoost } from '../../support/roost-cli.ts';
import { ROOST_BIN, startServeProcess, type ServeProcess } from '../../support/serve-process.ts';
import { customNetworkFolder } from './support.ts';
import { tempDir } from '../../support/temp-dir.ts';

const USD = 1_000_000n;
const ETH = 10n ** 18n;
const LAB_PASSWORD = 'the lab password';

let chain: TestChain;
let devnet: Devnet;
let rpc: JsonRpcProvider;
let dir: { path: string; remove: () => Promise<void> };
let providerMachine: ServeProcess;
let proxy: Server;
let labDir: string;
let marketAddress: string;
/** The lab's chain and market, as a custom network's settings name them. */
const labNetwork = () => ({ rpcUrl: devnet.rpcUrl, marketAddress });
let tokenAddress: string;
const lab = Wallet.createRandom();
const providerKey = Wallet.createRandom().privateKey;
const provider = new Wallet(providerKey).address;

async function call(method: string, params: unknown = {}): Promise<unknown> {
  const res = await fetch(`${providerMachine.base}/api/${method}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${providerMachine.token}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(params),
  });
  const body = (await res.json()) as { ok: boolean; value?: unknown; error?: { message: string } };
  if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
  return body.value;
}

/** A free port on 127.0.0.1 (listened on and let go). */
async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

/** What a lab puts in front of the file server: a TCP forward, the Host header passed as is. */
async function forward(toPort: number): Promise<Server> {
  const server = createTcpServer((socket) => {
    const upstream = connect(toPort, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
}

/**
 * The lab's real `roost market post-job`, killed with SIGKILL once it says the job is posted
 * (the job stays on chain, its files no longer served). Resolves with the job id and what it
 * said on stderr by then.
 */
async function postThenKill(
  files: { model: string; inputs: Record<string, string> },
  price: string,
  extra: string[] = [],
  dataDir = labDir,
): Promise<{ jobId: string; stderr: string }> {
  const post = spawn(
    process.execPath,
    [
      ROOST_BIN,
      'market',
      'post-job',
      '--data-dir',
      dataDir,
      '--model',
      files.model,
      ...Object.entries(files.inputs).flatMap(([name, file]) => ['--input', `${name}=${file}`]),
      '--price',
      price,
      ...extra,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  post.stdin.end(`${LAB_PASSWORD}\n`);
  let stderr = '';
  post.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((done) => post.once('exit', done));
  const jobId = await new Promise<string>((resolve, reject) => {
    createInterface({ input: post.stdout }).on('line', (line) => {
      const m = /^Posted job (\d+) /.exec(line);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) =>
      reject(new Error(`post-job exited ${code} before posting:\n${stderr}`)),
    );
  });
  post.kill('SIGKILL');
  await exited;
  return { jobId, stderr };
}

/**
 * A data folder of the lab's machine that also takes market jobs with the lab's wallet (its
 * keystore copied in): the requester's commands go through its running Roost.
 */
async function labThatProvides(name: string): Promise<string> {
  const folder = join(dir.path, name);
  await customNetworkFolder(folder, labNetwork(), { market: { enabled: true } });
  await mkdir(join(folder, 'wallet'), { recursive: true, mode: 0o700 });
  await writeFile(keystorePath(folder), await readFile(keystorePath(labDir)), { mode: 0o600 });
  return folder;
}

beforeAll(async () => {
  chain = await startTestChain();
  ({ devnet, rpc } = chain);
  dir = await tempDir('roost-lab-market-');
  // The lab's chain is a development node (chain 31337) that makes a block only with a
  // transaction, as Hardhat and Anvil do unless told otherwise: providers act on its events at
  // once, with no blocks to wait for on top.

  // The lab's machine: its wallet (its keystore, as roost wallet import leaves it) with the
  // chain's coin, deploys the lab's market and pays its provider's stake and fees.
  labDir = join(dir.path, 'lab');
  await mkdir(join(labDir, 'wallet'), { recursive: true, mode: 0o700 });
  await writeFile(
    keystorePath(labDir),
    await encryptWallet(lab, LAB_PASSWORD, { N: 1024, r: 8, p: 1 }),
    { mode: 0o600 },
  );
  await rpc.send('hardhat_setBalance', [lab.address, `0x${(10n * ETH).toString(16)}`]);
  const deployed = await runRoost(
    ['market', 'deploy', '--data-dir', labDir, '--rpc', devnet.rpcUrl, '--yes', '--json'],
    120_000,
    `${LAB_PASSWORD}\n`,
  );
  if (deployed.code !== 0) throw new Error(`roost market deploy failed:\n${deployed.stderr}`);
  ({ marketAddress, tokenAddress } = JSON.parse(deployed.stdout) as {
    marketAddress: string;
    tokenAddress: string;
  });
  for (const send of [
    ['wallet', 'send', provider, '1', '--native'],
    ['wallet', 'send', provider, '500'],
  ]) {
    const sent = await runRoost(
      [...send, '--yes', '--data-dir', labDir],
      120_000,
      `${LAB_PASSWORD}\n`,
    );
    if (sent.code !== 0) throw new Error(`roost ${send.join(' ')} failed:\n${sent.stderr}`);
  }

  // The provider's machine, as deploy's lines say: Roost on the lab's chain and market, with a
  // benchmark report to register with.
  const providerDir = join(dir.path, 'provider');
  await mkdir(providerDir, { recursive: true, mode: 0o700 });
  await writeSignedReport(providerDir);
  providerMachine = await startServeProcess(providerDir, [
    '--rpc',
    devnet.rpcUrl,
    '--market',
    marketAddress,
  ]);
  await call('wallet.import', {
    kind: 'privateKey',
    privateKey: providerKey,
    password: 'provider password',
  });
  await call('settings.update', {
    pricing: { pricePerUnitHour: 0.0001 },
    work: { mode: 'always' },
    market: { enabled: true },
    network: { tokens: 'test' },
  });
  const market = connectJobMarket(marketAddress, rpc);
  const deadline = Date.now() + 90_000;
  while ((await market.getProvider(provider)).registeredAt === 0n) {
    if (Date.now() > deadline)
      throw new Error(`the provider did not register:\n${providerMachine.stderr()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 180_000);

afterAll(async () => {
  await providerMachine?.stop();
  await new Promise<void>((done) => (proxy ? proxy.close(() => done()) : done()));
  await chain?.stop();
  await dir?.remove();
});

describe("a lab's own market across its machines", () => {
  it('posts from the lab wallet, serves through the proxy, and pays the provider machine', async () => {
    const files = await writeJobFiles(join(dir.path, 'files'), 'quick');
    const port = await freePort();
    proxy = await forward(port);
    const publicUrl = `http://localhost:${(proxy.address() as AddressInfo).port}`;
    const token = connectRoostTestToken(tokenAddress, rpc);
    const market = connectJobMarket(marketAddress, rpc);
    const labBefore = await token.balanceOf(lab.address);
    const providerBefore = await market.withdrawable(provider);

    const posted = await runRoost(
      [
        'market',
        'post-job',
        '--data-dir',
        labDir,
        '--model',
        files.model,
        ...Object.entries(files.inputs).flatMap(([name, file]) => ['--input', `${name}=${file}`]),
        '--price',
        '3',
        '--port',
        String(port),
        '--public-url',
        publicUrl,
        '--json',
      ],
      120_000,
      `${LAB_PASSWORD}\n`,
    );
    expect(posted.code, `${posted.stdout}\n${posted.stderr}\n${providerMachine.stderr()}`).toBe(0);
    // The password was asked for, naming the wallet that pays; never echoed.
    expect(posted.stderr).toContain(`Password of the wallet ${lab.address}: `);
    expect(posted.stderr + posted.stdout).not.toContain(LAB_PASSWORD);
    // The proxy answers: no warning about the address.
    expect(posted.stderr).not.toContain('Warning:');
    const result = JSON.parse(posted.stdout) as {
      ok: boolean;
      jobId: string;
      specURI: string;
      leases: { verdict: string; provider: string }[];
    };
    expect(result.ok).toBe(true);
    // Providers were told the proxy's address, not this machine's 127.0.0.1.
    expect(result.specURI.startsWith(`${publicUrl}/files/`)).toBe(true);
    expect(result.leases).toEqual([
      expect.objectContaining({ verdict: 'accepted', provider: provider }),
    ]);
    const job = await market.getJob(BigInt(result.jobId));
    expect(job.requester).toBe(lab.address);
    expect(await token.balanceOf(lab.address)).toBe(labBefore - 3n * USD);
    // The lab's own market takes no fee: the provider is credited all 3.
    expect(await market.withdrawable(provider)).toBe(providerBefore + 3n * USD);

    // The lab's list reads the same chain and market, with no password.
    const listed = await runRoost(['market', 'requests', '--data-dir', labDir]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(
        `^Jobs posted from this data folder on chain ${devnet.chainId} \\(${devnet.rpcUrl.replace(/\./g, '\\.')}\\), market ${marketAddress}:\n`,
      ),
    );
    expect(listed.stdout).toContain(
      `Job ${result.jobId}: 1 lease(s) × 3 rUSD, posted by ${lab.address}, files served at ${publicUrl}`,
    );
    expect(listed.stdout).toContain(`lease 0: accepted`);
  }, 180_000);

  it('killed after posting, roost market await serves the job again behind the same address', async () => {
    const files = await writeJobFiles(join(dir.path, 'files-3'), 'quick');
    const port = await freePort();
    const forwarder = await forward(port);
    const publicUrl = `http://localhost:${(forwarder.address() as AddressInfo).port}`;
    const market = connectJobMarket(marketAddress, rpc);
    try {
      // The provider holds off (work when told), so the job waits for the await below.
      await call('settings.update', { work: { mode: 'manual' } });
      const { jobId } = await postThenKill(files, '2', [
        '--port',
        String(port),
        '--public-url',
        publicUrl,
      ]);

      // Free to work, the provider looks again: the lab's server is down, so it skips the job
      // for now, and takes it once the server answers again.
      await call('settings.update', { work: { mode: 'always' } });
      const deadline = Date.now() + 30_000;
      for (;;) {
        const seen = (await call('market.job', { jobId }).catch(() => null)) as {
          state: string;
          reason: string | null;
        } | null;
        if (seen?.state === 'skipped' && /did not answer/.test(seen.reason ?? '')) break;
        if (Date.now() > deadline)
          throw new Error(`the provider did not find the server down: ${JSON.stringify(seen)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const awaited = await runRoost(
        ['market', 'await', jobId, '--data-dir', labDir, '--json'],
        120_000,
        `${LAB_PASSWORD}\n`,
      );
      expect(awaited.code, `${awaited.stderr}\n${providerMachine.stderr()}`).toBe(0);
      const result = JSON.parse(awaited.stdout) as {
        ok: boolean;
        specURI: string;
        leases: { verdict: string; provider: string }[];
      };
      expect(result.ok).toBe(true);
      // The address on chain is the proxy's, and the provider reached the files through it.
      expect(result.specURI.startsWith(`${publicUrl}/files/`)).toBe(true);
      expect(result.leases).toEqual([
        expect.objectContaining({ verdict: 'accepted', provider: provider }),
      ]);
      expect((await market.getLease(BigInt(jobId), 0)).provider).toBe(provider);
    } finally {
      await call('settings.update', { work: { mode: 'always' } });
      await new Promise<void>((done) => forwarder.close(() => done()));
    }
  }, 180_000);

  it("cancels a job nobody claimed: its reward back in the lab's market balance, and only once", async () => {
    const files = await writeJobFiles(join(dir.path, 'files-4'), 'quick');
    const market = connectJobMarket(marketAddress, rpc);
    await call('settings.update', { work: { mode: 'manual' } });
    try {
      // Posted behind an address nothing answers at: said at once, and posted all the same.
      const dead = await freePort();
      const { jobId, stderr } = await postThenKill(files, '4', [
        '--port',
        String(await freePort()),
        '--public-url',
        `http://localhost:${dead}`,
      ]);
      expect(stderr).toMatch(
        new RegExp(
          `Warning: http://localhost:${dead}/files/job\\.json does not reach this job's files from this machine \\(.+\\)\\. Providers fetch and upload through that address: check the tunnel or proxy to port \\d+ on 127\\.0\\.0\\.1 here`,
        ),
      );
      const before = await market.withdrawable(lab.address);
      // Asked, and answered no: nothing is sent.
      const declined = await runRoost(
        ['market', 'cancel-job', jobId, '--data-dir', labDir],
        60_000,
        'n\n',
      );
      expect(declined.code).toBe(1);
      expect(declined.stderr).toContain(
        `Cancel 1 open lease(s) of job ${jobId} on chain ${devnet.chainId} (${devnet.rpcUrl})? 4 rUSD goes back to ${lab.address}'s balance in the market. [y/N]`,
      );
      expect(declined.stderr).toContain('Nothing was cancelled.');
      expect((await market.getLease(BigInt(jobId), 0)).state).toBe(LeaseState.Open);

      const cancelled = await runRoost(
        ['market', 'cancel-job', jobId, '--yes', '--data-dir', labDir],
        60_000,
        `${LAB_PASSWORD}\n`,
      );
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect(cancelled.stdout).toMatch(
        new RegExp(
          `^Cancelled lease 0 of job ${jobId} \\(transaction 0x[0-9a-f]{64}\\): 4 rUSD is back in ${lab.address}'s balance in the market\\. roost wallet withdraw takes it to the wallet\\.`,
        ),
      );
      expect((await market.getLease(BigInt(jobId), 0)).state).toBe(LeaseState.Cancelled);
      expect(await market.withdrawable(lab.address)).toBe(before + 4n * USD);

      // Again: nothing open is left, said before any password is asked.
      const again = await runRoost(['market', 'cancel-job', jobId, '--yes', '--data-dir', labDir]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`Job ${jobId} has no open lease to cancel`);
      const unknown = await runRoost([
        'market',
        'cancel-job',
        '9999',
        '--yes',
        '--data-dir',
        labDir,
      ]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/There is no job 9999 on chain \d+ .*its jobs are 1 to \d+/);
      const bad = await runRoost(['market', 'cancel-job', 'x1', '--data-dir', labDir]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('"x1" is not a job id');
    } finally {
      await call('settings.update', { work: { mode: 'always' } });
    }
  }, 180_000);

  it('refuses, in words and with nothing posted: a wrong password, a test account, a wallet that also takes jobs', async () => {
    const files = await writeJobFiles(join(dir.path, 'files-2'), 'quick');
    const market = connectJobMarket(marketAddress, rpc);
    const jobsBefore = await market.jobCount();
    const base = [
      'market',
      'post-job',
      '--model',
      files.model,
      ...Object.entries(files.inputs).flatMap(([name, file]) => ['--input', `${name}=${file}`]),
      '--price',
      '1',
    ];

    const wrong = await runRoost([...base, '--data-dir', labDir], 60_000, 'not it\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('That password does not open the wallet');

    const account = await runRoost([...base, '--data-dir', labDir, '--account', '3']);
    expect(account.code).toBe(2);
    expect(account.stderr).toContain(
      `--account picks one of the local devnet's test accounts; on chain ${devnet.chainId}`,
    );

    // A data folder whose own Roost takes market jobs with the wallet that would pay, and is
    // not running: the command must go through it (the next test).
    const both = await labThatProvides('lab-and-provider');
    const shared = await runRoost([...base, '--data-dir', both], 60_000, `${LAB_PASSWORD}\n`);
    expect(shared.code).toBe(1);
    expect(shared.stderr).toContain(
      'This data folder takes market jobs (market.enabled) with the same wallet that would pay here, and no Roost runs on it now.',
    );
    expect(shared.stderr).toContain('start it on this data folder (roost serve');
    expect(shared.stderr).not.toContain('Password of the wallet');

    // A chain whose tokens count as money: the escrow is said and asked for first.
    const real = await startDevnet({ chainId: 4242 });
    try {
      const money = join(dir.path, 'real-money');
      await mkdir(join(money, 'wallet'), { recursive: true, mode: 0o700 });
      await writeFile(
        join(money, 'settings.json'),
        JSON.stringify({
          format: 1,
          settings: {
            network: {
              name: 'custom',
              rpcUrl: real.rpcUrl,
              marketAddress: real.marketAddress,
              tokens: 'real',
            },
          },
        }),
      );
      await writeFile(keystorePath(money), await readFile(keystorePath(labDir)), { mode: 0o600 });
      const declined = await runRoost(
        [...base, '--redundancy', '2', '--data-dir', money],
        60_000,
        'n\n',
      );
      expect(declined.code).toBe(1);
      expect(declined.stderr).toContain(
        `Post this job on chain 4242 (${real.rpcUrl}), escrowing 2 rUSD (1 rUSD per lease × 2) from this data folder's wallet? rUSD counts as money on this chain. [y/N]`,
      );
      expect(declined.stderr).toContain('Nothing was posted.');
      expect(declined.stderr).not.toContain('Password of the wallet');
      const reader = new JsonRpcProvider(real.rpcUrl, 4242, { staticNetwork: true });
      try {
        expect(await connectJobMarket(real.marketAddress, reader).jobCount()).toBe(0n);
      } finally {
        reader.destroy();
      }
    } finally {
      await real.stop();
    }

    // No wallet at all: what to do.
    const bare = join(dir.path, 'no-wallet');
    await customNetworkFolder(bare, labNetwork());
    const none = await runRoost([...base, '--data-dir', bare]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("jobs are paid from this data folder's wallet, and it has none");

    expect(await market.jobCount()).toBe(jobsBefore);
  });
  it('from a folder whose wallet also takes market jobs, posts, follows, awaits and cancels through its running roost serve', async () => {
    const both = await labThatProvides('lab-that-provides');
    const labRoost = await startServeProcess(both, []);
    const market = connectJobMarket(marketAddress, rpc);
    try {
      // Posted by the running Roost (its wallet locked: the password is asked once, for this
      // post), followed here lease by lease, and paid.
      const files = await writeJobFiles(join(dir.path, 'files-through'), 'quick');
      const providerBefore = await market.withdrawable(provider);
      const posted = await runRoost(
        [
          'market',
          'post-job',
          '--data-dir',
          both,
          '--model',
          files.model,
          ...Object.entries(files.inputs).flatMap(([name, file]) => ['--input', `${name}=${file}`]),
          '--price',
          '2',
        ],
        120_000,
        `${LAB_PASSWORD}\n`,
      );
      expect(posted.code, `${posted.stdout}\n${posted.stderr}\n${labRoost.stderr()}`).toBe(0);
      expect(posted.stdout).toContain(
        'Posting through the running roost serve, whose wallet also takes market jobs: 2 rUSD per lease, 1 lease(s)',
      );
      expect(posted.stderr).toContain('Wallet password: ');
      expect(posted.stderr + posted.stdout).not.toContain(LAB_PASSWORD);
      const jobId =
        /^Posted job (\d+) \(transaction 0x[0-9a-f]{64}\) from (0x[0-9a-fA-F]{40}); the running roost serve serves its files at http:\/\/127\.0\.0\.1:\d+ and checks the results, also after this command ends\.$/m.exec(
          posted.stdout,
        );
      expect(jobId, posted.stdout).not.toBeNull();
      expect(jobId?.[2]).toBe(lab.address);
      expect(posted.stdout).toMatch(/^Lease 0: accepted; 0x[0-9a-fA-F]{40} was paid/m);
      expect(posted.stdout).toMatch(/^Results are in .+\n^Every lease was accepted\.$/m);
      const id = BigInt(jobId?.[1] ?? '0');
      expect((await market.getJob(id)).requester).toBe(lab.address);
      expect(await market.withdrawable(provider)).toBe(providerBefore + 2n * USD);
      // Once finished there, await tells it as it stands, with the lease's checked files.
      const told = await runRoost(['market', 'await', String(id), '--data-dir', both, '--json']);
      expect(told.code, told.stderr).toBe(0);
      const outcome = JSON.parse(told.stdout) as {
        ok: boolean;
        leases: { verdict: string; provider: string; outputs: string[] }[];
      };
      expect(outcome.ok).toBe(true);
      expect(outcome.leases).toEqual([
        expect.objectContaining({ verdict: 'accepted', provider: provider }),
      ]);
      const checked = outcome.leases[0]?.outputs ?? [];
      expect(checked[0]).toMatch(/\/result\.json$/);
      expect(checked.some((f) => f.endsWith('.npy'))).toBe(true);
      for (const file of checked) await access(file);

      // A job nobody takes (the provider works only by hand now): posted through the Roost,
      // this command stopped, then followed again with await and cancelled through it.
      await call('settings.update', { work: { mode: 'manual' } });
      try {
        const { jobId: open } = await postThenKill(files, '5', [], both);
        const followed = startRoost(['market', 'await', open, '--data-dir', both]);
        await followed.printed(/^Lease 0: open: waiting for a provider to claim it$/m);
        expect(followed.stdout()).toMatch(
          new RegExp(
            `^The running roost serve is watching job ${open} already .*following it here`,
            'm',
          ),
        );
        // Ctrl+C stops the following, not the job.
        followed.signal('SIGINT');
        expect(await followed.exited).toBe(1);
        expect(followed.stderr()).toContain(
          `Stopped following job ${open}; the running roost serve goes on with it`,
        );

        const before = await market.withdrawable(lab.address);
        const cancelled = await runRoost(
          ['market', 'cancel-job', open, '--yes', '--data-dir', both],
          60_000,
          `${LAB_PASSWORD}\n`,
        );
        expect(cancelled.code, `${cancelled.stderr}\n${labRoost.stderr()}`).toBe(0);
        expect(cancelled.stdout).toMatch(
          new RegExp(`^Cancelled lease 0 of job ${open} \\(transaction 0x[0-9a-f]{64}\\): 5 rUSD`),
        );
        expect((await market.getLease(BigInt(open), 0)).state).toBe(LeaseState.Cancelled);
        expect(await market.withdrawable(lab.address)).toBe(before + 5n * USD);
      } finally {
        await call('settings.update', { work: { mode: 'always' } });
      }
    } finally {
      await labRoost.stop();
    }
  }, 240_000);
});
