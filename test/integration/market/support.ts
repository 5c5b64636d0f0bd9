/**
 * Shared pieces of the market's integration tests: a provider agent in this process, a signed
 * benchmark report for a `roost serve` child, job files, waiting, and the checks that the
 * provider's own records (lease rows, wallet history) agree with what the chain says.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { JsonRpcProvider } from 'ethers';
import {
  creditNames,
  jobMarketInterface,
  leaseStateNames,
  parseJobMarketLog,
} from '../../../contracts/bindings/job-market.ts';
import { createAgent, type Agent, type AgentOptions } from '../../../agent/agent.ts';
import type { LeaseRecord } from '../../../agent/market/schema.ts';
import type { WalletHistory } from '../../../agent/wallet/schema.ts';
export { writeJobFiles, writeSignedReport, type JobFiles } from '../../support/market-files.ts';

export const LIGHT_SCRYPT = { N: 1024, r: 8, p: 1 };
export const REPORT_HASH = `0x${'ab'.repeat(32)}`;
export const PROVIDER_PASSWORD = 'provider password';

/** Polls `read` until it gives a value; throws with `what` after `ms`. */
export async function until<T>(
  what: string,
  read: () => Promise<T | undefined> | T | undefined,
  ms = 45_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A provider agent in this process on the devnet named in `<dataDir>/networks/local.json`, with
 * fast polling and a fixed benchmark report, priced to take the tests' jobs.
 */
export async function startProviderAgent(
  dataDir: string,
  privateKey: string,
  extra: { market?: AgentOptions['market']; jobs?: AgentOptions['jobs'] } = {},
): Promise<Agent> {
  const agent = await createAgent({
    dataDir,
    host: 'test',
    background: true,
    logSink: (entry) => {
      if (process.env.ROOST_TEST_LOG)
        process.stderr.write(`${entry.subsystem}: ${entry.message}\n`);
    },
    embeddedDevnet: false,
    hardware: { env: { ...process.env, ROOST_NVIDIA_SMI: '/nonexistent/nvidia-smi' } },
    wallet: { scrypt: LIGHT_SCRYPT },
    market: {
      latestReport: () => Promise.resolve({ hash: REPORT_HASH, score: 100 }),
      tickMs: 300,
      pollMs: 100,
      tx: { pollMs: 100 },
      ...extra.market,
    },
    ...(extra.jobs ? { jobs: extra.jobs } : {}),
  });
  await agent.settings.update({
    pricing: { pricePerUnitHour: 0.01 },
    work: { mode: 'always' },
    market: { enabled: true, stake: 50 },
  });
  const imported = await agent.router.call('wallet.import', {
    kind: 'privateKey',
    privateKey,
    password: PROVIDER_PASSWORD,
  });
  if (!imported.ok) throw new Error(imported.error.message);
  return agent;
}

export interface MarketCall {
  name: string;
  /** The job the call names (claimJob, submitResult, finalizeResult, expireLease); else null. */
  jobId: string | null;
}

/** The market functions `from` called, in block order, read from every block's transactions. */
export async function marketCalls(
  rpc: JsonRpcProvider,
  marketAddress: string,
  from: string,
): Promise<MarketCall[]> {
  const head = await rpc.getBlockNumber();
  const calls: MarketCall[] = [];
  for (let n = 0; n <= head; n++) {
    const block = await rpc.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from.toLowerCase() !== from.toLowerCase()) continue;
      if (tx.to?.toLowerCase() !== marketAddress.toLowerCase()) continue;
      const parsed = jobMarketInterface.parseTransaction({ data: tx.data });
      const name = parsed?.name ?? '?';
      const takesJob = ['claimJob', 'submitResult', 'finalizeResult', 'expireLease'];
      calls.push({
        name,
        jobId: parsed && takesJob.includes(name) ? String(parsed.args[0]) : null,
      });
    }
  }
  return calls;
}

/** How many times `from` called `name` for `jobId`. */
export async function callCount(
  rpc: JsonRpcProvider,
  marketAddress: string,
  from: string,
  name: string,
  jobId: bigint,
): Promise<number> {
  const calls = await marketCalls(rpc, marketAddress, from);
  return calls.filter((c) => c.name === name && c.jobId === jobId.toString()).length;
}

export interface ChainEvent {
  name: string;
  args: Record<string, unknown>;
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
}

/** Every JobMarket event on the chain now, in order. */
export async function marketEvents(
  rpc: JsonRpcProvider,
  marketAddress: string,
): Promise<ChainEvent[]> {
  const logs = await rpc.getLogs({ address: marketAddress, fromBlock: 0, toBlock: 'latest' });
  const events: ChainEvent[] = [];
  for (const log of logs) {
    const parsed = parseJobMarketLog(log);
    if (!parsed) continue;
    events.push({
      name: parsed.name,
      args: parsed.args as unknown as Record<string, unknown>,
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
      logIndex: log.index,
    });
  }
  return events;
}

/**
 * The provider's books agree with the chain: every lease the chain settled for it has its row in
 * the same end state with the same payout, and the wallet's history lists exactly the chain's
 * Credited events of the provider, with a ledger that matches the contract's balance.
 */
export async function expectBooksMatchChain(options: {
  rpc: JsonRpcProvider;
  marketAddress: string;
  provider: string;
  leases: LeaseRecord[];
  history: WalletHistory;
}): Promise<void> {
  const { rpc, marketAddress, provider, leases, history } = options;
  const me = provider.toLowerCase();
  const events = await marketEvents(rpc, marketAddress);
  const byJob = new Map(leases.map((l) => [l.jobId, l]));
  for (const e of events) {
    if (e.name !== 'LeaseSettled' || String(e.args.provider).toLowerCase() !== me) continue;
    const jobId = String(e.args.jobId);
    const outcome = leaseStateNames[Number(e.args.outcome)]!.toLowerCase();
    const lease = byJob.get(jobId);
    expect(lease?.state, `the lease row of job ${jobId}`).toBe(outcome);
    expect(lease?.payout, `the payout of job ${jobId}`).toBe(String(e.args.providerPayout));
  }
  const credited = events
    .filter((e) => e.name === 'Credited' && String(e.args.account).toLowerCase() === me)
    .map((e) => ({
      txHash: e.transactionHash,
      logIndex: e.logIndex,
      jobId: String(e.args.jobId),
      reason: creditNames[Number(e.args.reason)],
      baseUnits: String(e.args.amount),
    }));
  const listed = history.entries
    .filter((h) => h.kind === 'credited')
    .map((h) => ({
      txHash: h.txHash,
      logIndex: h.logIndex,
      jobId: h.jobId,
      reason: h.reason,
      baseUnits: h.amount.baseUnits,
    }))
    .reverse();
  expect(listed).toEqual(credited);
  expect(history.ledger.matches).toBe(true);
}

/**
 * A data folder set to a lab's chain and market, as Settings → Network leaves it (its tokens
 * test money); `extra` adds settings sections (`{ market: { enabled: true } }`).
 */
export async function customNetworkFolder(
  path: string,
  network: { rpcUrl: string; marketAddress: string },
  extra: Record<string, unknown> = {},
): Promise<void> {
  // Owner-only, as Roost makes its data folder.
  await mkdir(path, { recursive: true, mode: 0o700 });
  await writeFile(
    join(path, 'settings.json'),
    JSON.stringify({
      format: 1,
      settings: { network: { name: 'custom', ...network, tokens: 'test' }, ...extra },
    }),
  );
}
