/**
 * Lease states in the journal: one row per market job this provider has seen on one deployment
 * (`chainKey`), with every change kept in a history table, so after kill -9 the agent knows
 * which jobs it skipped and why, which lease it holds, what it ran locally, what it submitted and
 * what it was paid. Every change is one compare-and-set transaction; rows are zod-checked when
 * read (the file is input like any other).
 *
 *   seen → skipped | claiming
 *   claiming → claimed | lost | skipped
 *   claimed → running → uploading → submitting → submitted → paid | rejected | voided | disputed
 *   claimed | running | uploading | submitting → failed | expired
 *   disputed → paid | rejected | voided
 *   skipped → claiming (the reason went away) | lost
 */
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import { inTransaction } from './db.ts';
import { leaseStateSchema, type LeaseRecord, type LeaseState } from './schema.ts';

const NEXT: Record<LeaseState, readonly LeaseState[]> = {
  seen: ['skipped', 'claiming', 'lost'],
  skipped: ['claiming', 'lost', 'skipped'],
  claiming: ['claimed', 'lost', 'skipped'],
  claimed: ['running', 'failed', 'expired', 'submitted'],
  running: ['uploading', 'failed', 'expired', 'running'],
  uploading: ['submitting', 'failed', 'expired'],
  submitting: ['submitted', 'failed', 'expired'],
  submitted: ['paid', 'rejected', 'voided', 'disputed'],
  disputed: ['paid', 'rejected', 'voided'],
  paid: [],
  rejected: [],
  voided: [],
  failed: ['expired'],
  expired: [],
  lost: [],
};

/** States after which this provider has nothing left to do for the lease. */
export const FINISHED_LEASE_STATES: readonly LeaseState[] = [
  'paid',
  'rejected',
  'voided',
  'expired',
  'lost',
];

/**
 * States after which no step of this provider reads the lease's local job again, so its folder
 * and rows may go (`job.remove`): the finished ones, and `failed`, where the provider gave up on
 * the lease and it only waits to expire (nothing is uploaded or submitted for it again). Not
 * `submitted` or `disputed`: a result mined in blocks a reorganisation replaced is sent again
 * while the lease is held, and the lease is not settled. The lease rows stay either way: what
 * was earned is read from them.
 */
export const LOCAL_JOB_FREE_STATES: readonly LeaseState[] = [...FINISHED_LEASE_STATES, 'failed'];

/** Whether a market job's local job may be removed, and if not, why, in words. */
export type LocalJobRemoval = { ok: true } | { ok: false; reason: string };

const STILL_NEEDED = 'it can be removed once it is paid or has ended';

/** Why a lease in `state` still needs its local job, in words. */
function stillNeeded(state: LeaseState): string {
  switch (state) {
    case 'submitted':
      return `its lease waits for the requester to accept its result: ${STILL_NEEDED}`;
    case 'disputed':
      return `its lease's result is disputed: it can be removed once the dispute is settled`;
    default:
      return `its lease is still running: ${STILL_NEEDED}`;
  }
}

/**
 * Whether the local job `localJobId` may be removed: every lease that names it, on any
 * deployment (the rows of a network used before stay), is in LOCAL_JOB_FREE_STATES. A job no
 * lease names may go: the market's tables are not there, or the agent stopped between queueing
 * the job and recording it (the lease then queues it again). Reads only: the market's tables are
 * made by openLeaseStore.
 */
export function localJobRemoval(db: DatabaseSync, localJobId: string): LocalJobRemoval {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'market_leases'")
    .get();
  if (table === undefined) return { ok: true };
  const rows = db
    .prepare(
      'SELECT job_id, state FROM market_leases WHERE local_job_id = ? ORDER BY CAST(job_id AS INTEGER)',
    )
    .all(localJobId);
  for (const row of rows) {
    const state = leaseStateSchema.safeParse((row as { state?: unknown }).state);
    if (!state.success)
      return {
        ok: false,
        reason: `its lease (market job ${String((row as { job_id?: unknown }).job_id)}) could not be read from the journal`,
      };
    if (!LOCAL_JOB_FREE_STATES.includes(state.data))
      return { ok: false, reason: stillNeeded(state.data) };
  }
  return { ok: true };
}

export function canMove(from: LeaseState, to: LeaseState): boolean {
  return NEXT[from].includes(to);
}

const rowSchema = z.object({
  chain_key: z.string(),
  job_id: z.string().regex(/^\d+$/),
  slot: z.number().int().nullable(),
  state: leaseStateSchema,
  reason: z.string().nullable(),
  requester: z.string(),
  spec_uri: z.string(),
  spec_hash: z.string(),
  reward: z.string().regex(/^\d+$/),
  collateral: z.string().regex(/^\d+$/),
  min_score: z.string().regex(/^\d+$/),
  lease_seconds: z.number().int(),
  deadline: z.number().int(),
  posted_block: z.number().int(),
  local_job_id: z.string().nullable(),
  lease_ends_at: z.number().int().nullable(),
  challenge_ends_at: z.number().int().nullable(),
  result_hash: z.string().nullable(),
  result_uri: z.string().nullable(),
  payout: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
type Row = z.infer<typeof rowSchema>;

function toRecord(row: Row): LeaseRecord {
  return {
    chainKey: row.chain_key,
    jobId: row.job_id,
    slot: row.slot,
    state: row.state,
    reason: row.reason,
    requester: row.requester,
    specUri: row.spec_uri,
    specHash: row.spec_hash,
    reward: row.reward,
    collateral: row.collateral,
    minScore: row.min_score,
    leaseSeconds: row.lease_seconds,
    deadline: row.deadline,
    postedBlock: row.posted_block,
    localJobId: row.local_job_id,
    leaseEndsAt: row.lease_ends_at,
    challengeEndsAt: row.challenge_ends_at,
    resultHash: row.result_hash,
    resultUri: row.result_uri,
    payout: row.payout,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NewLease {
  jobId: bigint;
  requester: string;
  specUri: string;
  specHash: string;
  reward: bigint;
  collateral: bigint;
  minScore: bigint;
  leaseSeconds: number;
  deadline: number;
  postedBlock: number;
}

export type LeasePatch = Partial<
  Pick<
    LeaseRecord,
    | 'slot'
    | 'reason'
    | 'localJobId'
    | 'leaseEndsAt'
    | 'challengeEndsAt'
    | 'resultHash'
    | 'resultUri'
    | 'payout'
  >
>;

const COLUMNS: Record<keyof LeasePatch, string> = {
  slot: 'slot',
  reason: 'reason',
  localJobId: 'local_job_id',
  leaseEndsAt: 'lease_ends_at',
  challengeEndsAt: 'challenge_ends_at',
  resultHash: 'result_hash',
  resultUri: 'result_uri',
  payout: 'payout',
};

export interface LeaseHistoryEntry {
  at: string;
  state: LeaseState;
  message: string;
}

export interface LeaseStore {
  /** Records a posted job once; a second call for the same job returns the row it has. */
  seen(job: NewLease, message: string): { record: LeaseRecord; created: boolean };
  get(jobId: string): LeaseRecord | undefined;
  /** Newest job first. */
  list(options?: { states?: readonly LeaseState[]; limit?: number }): LeaseRecord[];
  /**
   * Moves a lease from one of `from` to `to` (which must be allowed) with the patch, in one
   * transaction. Undefined when the lease was not in `from` (another path moved it first).
   */
  move(
    jobId: string,
    from: readonly LeaseState[],
    to: LeaseState,
    patch: LeasePatch,
    message: string,
  ): LeaseRecord | undefined;
  /** Fields that do not change the state. */
  update(jobId: string, patch: LeasePatch): void;
  /** A line in the lease's history without a change of state (a reorganisation, a retry). */
  note(jobId: string, message: string): LeaseRecord | undefined;
  history(jobId: string): LeaseHistoryEntry[];
  /** Forgets leases of jobs posted at or after `block` that never got past `skipped` (a reorg). */
  forgetFrom(block: number): number;
}

export function openLeaseStore(
  db: DatabaseSync,
  chainKey: string,
  options: { now?: () => Date; onBadRow?: (jobId: string, error: unknown) => void } = {},
): LeaseStore {
  const now = options.now ?? (() => new Date());
  db.exec(`
    CREATE TABLE IF NOT EXISTS market_leases (
      chain_key TEXT NOT NULL,
      job_id TEXT NOT NULL,
      slot INTEGER,
      state TEXT NOT NULL,
      reason TEXT,
      requester TEXT NOT NULL,
      spec_uri TEXT NOT NULL,
      spec_hash TEXT NOT NULL,
      reward TEXT NOT NULL,
      collateral TEXT NOT NULL,
      min_score TEXT NOT NULL,
      lease_seconds INTEGER NOT NULL,
      deadline INTEGER NOT NULL,
      posted_block INTEGER NOT NULL,
      local_job_id TEXT,
      lease_ends_at INTEGER,
      challenge_ends_at INTEGER,
      result_hash TEXT,
      result_uri TEXT,
      payout TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (chain_key, job_id)
    );
    CREATE TABLE IF NOT EXISTS market_lease_history (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      chain_key TEXT NOT NULL,
      job_id TEXT NOT NULL,
      at TEXT NOT NULL,
      state TEXT NOT NULL,
      message TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS market_lease_history_job ON market_lease_history(chain_key, job_id);
    CREATE INDEX IF NOT EXISTS market_leases_local_job ON market_leases(local_job_id);
  `);

  const parse = (raw: unknown): LeaseRecord | undefined => {
    const parsed = rowSchema.safeParse(raw);
    if (parsed.success) return toRecord(parsed.data);
    options.onBadRow?.(String((raw as { job_id?: unknown }).job_id), parsed.error);
    return undefined;
  };
  const getRow = (jobId: string): LeaseRecord | undefined => {
    const raw = db
      .prepare('SELECT * FROM market_leases WHERE chain_key = ? AND job_id = ?')
      .get(chainKey, jobId);
    return raw === undefined ? undefined : parse(raw);
  };
  const addHistory = (jobId: string, at: string, state: LeaseState, message: string): void => {
    db.prepare(
      'INSERT INTO market_lease_history (chain_key, job_id, at, state, message) VALUES (?, ?, ?, ?, ?)',
    ).run(chainKey, jobId, at, state, message);
  };
  const applyPatch = (jobId: string, patch: LeasePatch, extra: Record<string, string>): void => {
    const sets: string[] = [];
    const values: (string | number | null)[] = [];
    for (const [key, column] of Object.entries(COLUMNS) as [keyof LeasePatch, string][]) {
      if (!(key in patch)) continue;
      sets.push(`${column} = ?`);
      values.push((patch[key] ?? null) as string | number | null);
    }
    for (const [column, value] of Object.entries(extra)) {
      sets.push(`${column} = ?`);
      values.push(value);
    }
    if (sets.length === 0) return;
    db.prepare(
      `UPDATE market_leases SET ${sets.join(', ')} WHERE chain_key = ? AND job_id = ?`,
    ).run(...values, chainKey, jobId);
  };

  return {
    seen(job, message) {
      return inTransaction(db, () => {
        const id = job.jobId.toString();
        const known = getRow(id);
        if (known) return { record: known, created: false };
        const at = now().toISOString();
        db.prepare(
          `INSERT INTO market_leases (chain_key, job_id, state, requester, spec_uri, spec_hash, reward,
             collateral, min_score, lease_seconds, deadline, posted_block, created_at, updated_at)
           VALUES (?, ?, 'seen', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          chainKey,
          id,
          job.requester,
          job.specUri,
          job.specHash,
          job.reward.toString(),
          job.collateral.toString(),
          job.minScore.toString(),
          job.leaseSeconds,
          job.deadline,
          job.postedBlock,
          at,
          at,
        );
        addHistory(id, at, 'seen', message);
        return { record: getRow(id) as LeaseRecord, created: true };
      });
    },
    get: getRow,
    list({ states, limit } = {}) {
      const where =
        states && states.length > 0 ? ` AND state IN (${states.map(() => '?').join(', ')})` : '';
      const rows = db
        .prepare(
          `SELECT * FROM market_leases WHERE chain_key = ?${where}
           ORDER BY CAST(job_id AS INTEGER) DESC LIMIT ?`,
        )
        .all(chainKey, ...(states ?? []), limit ?? 1000);
      return rows.map(parse).filter((r): r is LeaseRecord => r !== undefined);
    },
    move(jobId, from, to, patch, message) {
      return inTransaction(db, () => {
        const current = getRow(jobId);
        if (!current || !from.includes(current.state)) return undefined;
        if (!canMove(current.state, to))
          throw new Error(`a lease cannot go from ${current.state} to ${to}`);
        const at = now().toISOString();
        applyPatch(jobId, patch, { state: to, updated_at: at });
        addHistory(jobId, at, to, message);
        return getRow(jobId);
      });
    },
    update(jobId, patch) {
      applyPatch(jobId, patch, { updated_at: now().toISOString() });
    },
    note(jobId, message) {
      return inTransaction(db, () => {
        const current = getRow(jobId);
        if (!current) return undefined;
        const at = now().toISOString();
        applyPatch(jobId, {}, { updated_at: at });
        addHistory(jobId, at, current.state, message);
        return getRow(jobId);
      });
    },
    history(jobId) {
      return z
        .array(z.object({ at: z.string(), state: leaseStateSchema, message: z.string() }))
        .parse(
          db
            .prepare(
              'SELECT at, state, message FROM market_lease_history WHERE chain_key = ? AND job_id = ? ORDER BY seq',
            )
            .all(chainKey, jobId),
        );
    },
    forgetFrom(block) {
      return inTransaction(db, () => {
        const ids = db
          .prepare(
            `SELECT job_id FROM market_leases WHERE chain_key = ? AND posted_block >= ?
               AND state IN ('seen', 'skipped', 'lost')`,
          )
          .all(chainKey, block)
          .map((r) => String((r as { job_id: unknown }).job_id));
        for (const id of ids) {
          db.prepare('DELETE FROM market_leases WHERE chain_key = ? AND job_id = ?').run(
            chainKey,
            id,
          );
          db.prepare('DELETE FROM market_lease_history WHERE chain_key = ? AND job_id = ?').run(
            chainKey,
            id,
          );
        }
        return ids.length;
      });
    },
  };
}
