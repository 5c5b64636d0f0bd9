/**
 * What the market client is given (types only): the outside world it works with, injected so a
 * unit test passes fakes and the agent passes the real services. `service.ts` re-exports these.
 */
import type { ExecutionProvider } from '../jobs/schema.ts';
import type { JobService } from '../jobs/service.ts';
import type { NetworkSource } from '../wallet/network.ts';
import type { SendLanes } from '../wallet/send-lanes.ts';
import type { WalletService } from '../wallet/service.ts';
import type { DisputesResult, LeaseRecord, MarketSettings, MarketStatus } from './schema.ts';
import type { FetchLike } from './transfer.ts';

export interface MarketLog {
  /** Steps on the way, for the log file only (the Activity list leaves them out). */
  debug?(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LatestReport {
  /** 0x + sha256 of the report's canonical JSON. */
  hash: string;
  /** The composite score, rounded to the market's integer units. */
  score: number;
}

export interface MarketServiceOptions {
  dataDir: string;
  network: NetworkSource;
  wallet: WalletService;
  jobs: () => Promise<JobService>;
  settings: () => { market: MarketSettings; pricePerUnitHour: number; networkName: string };
  /** Null when the work policy lets the machine work now; else why not. */
  policy: () => Promise<string | null>;
  latestReport: () => Promise<LatestReport | null>;
  /** Largest GPU memory in MiB; null without a GPU. */
  maxVramMiB: () => Promise<number | null>;
  log: MarketLog;
  onLease?: (lease: LeaseRecord) => void;
  onStatus?: (status: MarketStatus) => void;
  /**
   * The open disputes this wallet may rule on, as the market's arbiter, whenever they change (a
   * started service looks every `disputesCheckMs`, default a minute).
   */
  onDisputes?: (disputes: DisputesResult) => void;
  disputesCheckMs?: number;
  /** Sample jobs practice mode has posted (shown in the status). */
  practicePosted?: () => number;
  /** Whether this agent started the local devnet itself (shown in the status). */
  embeddedDevnet?: () => boolean;
  fetch?: FetchLike;
  now?: () => Date;
  /** Blocks an event waits under before it counts; default 0 on `local`, 2 elsewhere. */
  confirmations?: number;
  /** How often the follower polls; default 200 ms on loopback, 2 s elsewhere. */
  pollMs?: number;
  /** How often the service re-checks its session and drives waiting leases (default 3 s). */
  tickMs?: number;
  /**
   * With market jobs off and no job in progress, how often the status is read from the chain
   * for the UI anyway (default 60 s; every tick otherwise).
   */
  quietStatusMs?: number;
  tx?: { bumpAfterMs?: number; pollMs?: number };
  /** The agent's send lanes: the wallet's own sends and posted jobs share its address. */
  sendLanes?: SendLanes;
  /**
   * Leases held at once (default 1), read at each decision for the job's providers: the agent's
   * is how many devices could run such a job now (one per working GPU of the benchmarked model
   * for a CUDA job on a rig; one for a CPU job).
   */
  capacity?: number | ((executionProviders: readonly ExecutionProvider[]) => Promise<number>);
  /**
   * Turns market jobs on or off (settings market.enabled), as the user would in Settings; taking
   * the stake back turns them off. Absent: taking the stake back asks the user to turn them off.
   */
  setMarketJobs?: (on: boolean) => Promise<void>;
  /** How often a pending unstake is looked at to finish it once due (default 30 s). */
  unstakeCheckMs?: number;
}
