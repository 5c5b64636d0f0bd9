/**
 * Whether to claim a posted job, and if not, why, in words a provider understands. Pure: the
 * service gathers the facts; tests feed them directly.
 *
 * Price rule: a job pays `reward` for a lease of `leaseSeconds`; this provider asks
 * `pricePerUnitHour × score × leaseSeconds / 3600` for holding its machine that long, and takes
 * the job when the reward is at least that.
 */
import { formatUnits } from 'ethers';
import { estimateForPeople } from '../schedule/schema.ts';

export interface DecisionFacts {
  enabled: boolean;
  /** The job was posted by this provider's own wallet (from the Jobs page, or the CLI). */
  ownJob: boolean;
  /** Null when the wallet may sign work; else why not. */
  signing: string | null;
  registered: boolean;
  /** On-chain composite score of this provider. */
  score: bigint;
  /** Base units per composite-unit-hour. */
  pricePerUnitHour: bigint;
  /** Stake not locked by other leases. */
  freeStake: bigint;
  /** Null when the work policy lets the machine work now; else its reason. */
  policy: string | null;
  /** Leases held now and how many may run at once. */
  active: number;
  capacity: number;
  /** Largest GPU memory on this machine (MiB); null when there is no GPU. */
  maxVramMiB: number | null;
  /** Unix seconds, chain time. */
  now: number;
  token: { symbol: string; decimals: number };
  job: {
    reward: bigint;
    collateral: bigint;
    minScore: bigint;
    leaseSeconds: number;
    deadline: number;
    minVramMiB?: number | undefined;
  };
}

export type Decision =
  | { take: true; reason: string }
  | {
      take: false;
      reason: string;
      /** The reason can go away (a lock, a pause, a busy GPU): decide again later. */
      transient: boolean;
      /**
       * Nothing the provider knows would tell it the reason went away (the requester's server did
       * not answer): decide again after a wait, though no fact here changed.
       */
      retryLater?: boolean;
    };

export function askFor(pricePerUnitHour: bigint, score: bigint, leaseSeconds: number): bigint {
  return (pricePerUnitHour * score * BigInt(leaseSeconds)) / 3600n;
}

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export function decide(f: DecisionFacts): Decision {
  const money = (v: bigint): string =>
    `${formatUnits(v, f.token.decimals).replace(/\.0$/, '')} ${f.token.symbol}`;
  // What this machine's price asks is computed (price × score × hours): three digits are enough.
  const estimate = (v: bigint): string =>
    `${estimateForPeople(formatUnits(v, f.token.decimals))} ${f.token.symbol}`;
  const wait = (reason: string): Decision => ({ take: false, reason, transient: true });
  const never = (reason: string): Decision => ({ take: false, reason, transient: false });
  const { job } = f;

  if (!f.enabled) return wait('market jobs are turned off in Settings → Market');
  if (f.ownJob)
    return never(
      'posted by this wallet: taking it would pay the reward back to you and lock your stake for nothing (run your own work as a private job on the Jobs page)',
    );
  if (f.signing !== null) return wait(f.signing);
  if (!f.registered) return wait('this machine is not registered as a provider yet');
  if (f.now + job.leaseSeconds > job.deadline)
    return never(
      `too late: the job's deadline leaves less than its ${duration(job.leaseSeconds)} lease`,
    );
  if (f.score < job.minScore)
    return never(
      `needs a benchmark score of ${job.minScore}; this machine scored ${f.score} (run a benchmark on a faster accelerator to qualify)`,
    );
  if (job.minVramMiB !== undefined && job.minVramMiB > 0) {
    if (f.maxVramMiB === null)
      return never(`needs a GPU with ${job.minVramMiB} MiB of memory; this machine has no GPU`);
    if (f.maxVramMiB < job.minVramMiB)
      return never(
        `needs ${job.minVramMiB} MiB of GPU memory; the largest GPU here has ${f.maxVramMiB} MiB`,
      );
  }
  const ask = askFor(f.pricePerUnitHour, f.score, job.leaseSeconds);
  if (job.reward < ask)
    return never(
      `pays ${money(job.reward)} for a ${duration(job.leaseSeconds)} lease; your price asks ${estimate(ask)} (${money(f.pricePerUnitHour)} per unit-hour × score ${f.score}). Lower your price in Settings → Pricing to take such jobs`,
    );
  if (f.freeStake < job.collateral)
    return wait(
      `needs ${money(job.collateral)} of collateral; your free stake is ${money(f.freeStake)}. Raise the stake in Settings → Market`,
    );
  if (f.policy !== null) return wait(f.policy);
  if (f.active >= f.capacity)
    return wait(`busy: ${f.active} lease${f.active === 1 ? '' : 's'} running already`);
  return {
    take: true,
    reason: `pays ${money(job.reward)} for a ${duration(job.leaseSeconds)} lease (your ask: ${estimate(ask)})`,
  };
}
