/**
 * The requester's journal: every job this data folder posts, in the tables `market_requests` and
 * `market_request_verdicts` of the market's SQLite file (agent/market/db.ts), so that a requester
 * killed at any moment (terminal closed, Ctrl+C, crash) loses nothing: `roost market await`
 * serves the job's files again on the same port and finishes judging it.
 *
 *   posting  the intent, written before the approval and the postJob transaction are sent: the
 *            spec hash, the document, the server's port and folder, the options. No job id yet;
 *            the JobPosted event of this requester with this spec hash (from `fromBlock` on)
 *            says whether it reached the chain and under which id.
 *   posted   the job id, the transaction and its block are known.
 *
 * A verdict is written when decided (`final` false: its transaction may not have been sent) and
 * again once the chain has it (`final` true). Rows are zod-checked when read: the file is input
 * like any other.
 */
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import { tensorNameSchema } from '../jobs/schema.ts';
import { marketDbPath, openMarketDb } from './db.ts';
import { addressSchema, bytes32Schema, leaseViewSchema, marketJobSchema } from './schema.ts';
import type { LeaseView } from './schema.ts';

const decimal = z.string().regex(/^\d+$/, 'must be a whole number in decimal');
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

/** What a resumed requester needs beyond the row's columns, stored as one JSON text. */
export const requestRecordSchema = z.strictObject({
  document: marketJobSchema,
  /** sha256 of the spec's canonical JSON: what a receipt's specSha256 must say. */
  specSha256: hex64,
  outputNames: z.array(tensorNameSchema).min(1),
  setCount: z.int().positive(),
  redundancy: z.union([z.literal(1), z.literal(2)]),
  leaseSeconds: z.int().positive(),
  /** Chain time (seconds) after which no lease may run. */
  deadline: decimal,
  minScore: z.int().nonnegative(),
  /** The canary's known answer: one file per output tensor of each input set. */
  known: z
    .array(z.strictObject({ set: z.int().nonnegative(), name: z.string(), path: z.string() }))
    .optional(),
  tolerance: z.strictObject({ rtol: z.number().nonnegative(), atol: z.number().nonnegative() }),
  maxUploadBytes: z.int().positive(),
});
export type RequestRecord = z.infer<typeof requestRecordSchema>;

export const requestStateSchema = z.enum(['posting', 'posted']);
export type RequestState = z.infer<typeof requestStateSchema>;

export interface PostedRequest {
  chainKey: string;
  /** The job's folder name under the requester's work folder; unique per post. */
  key: string;
  state: RequestState;
  /** Lower-case address of the account that posts (or posted) it. */
  requester: string;
  jobId: bigint | null;
  specUri: string;
  /** `0x` + 64 lower-case hex digits. */
  specHash: string;
  txHash: string | null;
  /** The chain's latest block before the post was sent: its JobPosted is at or after it. */
  fromBlock: number;
  postedBlock: number | null;
  /** The artifact server's port on 127.0.0.1 (in the document's URLs). */
  port: number;
  /** The job's folder: results, the canary's known answer. */
  dir: string;
  /** The artifact server's folder: `files/` published, `uploads/` from providers. */
  servedDir: string;
  /** Token base units per lease. */
  reward: bigint;
  record: RequestRecord;
  createdAt: string;
  updatedAt: string;
}

export const verdictSchema = z.enum(['accepted', 'disputed', 'unfinished']);

export interface RecordedVerdict {
  jobId: bigint;
  slot: number;
  provider: string | null;
  verdict: z.infer<typeof verdictSchema>;
  reason: string | null;
  outputs: string[];
  /** False: decided here, its transaction not (yet) confirmed. */
  final: boolean;
  decidedAt: string;
}

export type NewRequest = Omit<
  PostedRequest,
  'state' | 'jobId' | 'txHash' | 'postedBlock' | 'createdAt' | 'updatedAt'
>;

export interface RequestJournal {
  /** Writes the intent to post (state `posting`); call it before any transaction is sent. */
  begin(request: NewRequest): void;
  /** The job is on chain: its id, transaction and block. */
  posted(chainKey: string, key: string, posted: PostedAt): void;
  /** Drops an intent whose postJob transaction was certainly never sent. */
  forget(chainKey: string, key: string): void;
  /** Every job of a deployment, oldest first. */
  list(chainKey: string): PostedRequest[];
  byJob(chainKey: string, jobId: bigint): PostedRequest | undefined;
  /** How many jobs were posted on other deployments (an earlier devnet). */
  countElsewhere(chainKey: string): number;
  recordVerdict(chainKey: string, verdict: Omit<RecordedVerdict, 'decidedAt'>): void;
  verdicts(chainKey: string, jobId: bigint): RecordedVerdict[];
  /**
   * Keeps the leases of a job that is settled on chain (each paid, rejected, voided or
   * cancelled: nothing changes them any more), so a listing needs no chain read for it again.
   */
  recordSettled(chainKey: string, jobId: bigint, leases: readonly SettledLease[]): void;
  /** The settled leases kept for a job; undefined when none (or the row does not read back). */
  settled(chainKey: string, jobId: bigint): SettledLease[] | undefined;
}

/** A lease as the chain left it, without what this requester decided (kept with the verdicts). */
export type SettledLease = Omit<LeaseView, 'verdict' | 'reason' | 'verdictFinal' | 'outputs'>;
const settledLeasesSchema = z.array(
  leaseViewSchema.omit({ verdict: true, reason: true, verdictFinal: true, outputs: true }).strict(),
);

export interface PostedAt {
  jobId: bigint;
  txHash: string | null;
  postedBlock: number | null;
}

/** The journal's rows did not read back as they were written: what to do is in the words. */
export class RequestJournalError extends Error {}

const requestRow = z.object({
  chain_key: z.string().min(1),
  request_key: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/),
  state: requestStateSchema,
  requester: addressSchema,
  job_id: decimal.nullable(),
  spec_uri: z.string().min(1),
  spec_hash: bytes32Schema,
  tx_hash: bytes32Schema.nullable(),
  from_block: z.number().int().nonnegative(),
  posted_block: z.number().int().nonnegative().nullable(),
  port: z.number().int().min(1).max(65535),
  dir: z.string().min(1),
  served_dir: z.string().min(1),
  reward: decimal,
  record: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

const verdictRow = z.object({
  job_id: decimal,
  slot: z.number().int().min(0).max(1),
  provider: addressSchema.nullable(),
  verdict: verdictSchema,
  reason: z.string().nullable(),
  outputs: z.string(),
  final: z.union([z.literal(0), z.literal(1)]),
  decided_at: z.string(),
});

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new RequestJournalError(
      `the journal's ${what} is not valid (${z.prettifyError(result.error)}); ` +
        'the file was changed by something other than Roost. Move jobs/jobs.sqlite aside to start a fresh journal (the jobs stay on chain)',
    );
  return result.data;
}

function jsonOf(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestJournalError(
      `the journal's ${what} is not JSON; the file was changed by something other than Roost`,
    );
  }
}

function toRequest(raw: unknown): PostedRequest {
  const row = parsed(requestRow, raw, 'row of a posted job');
  const what = `record of job ${row.job_id ?? row.request_key}`;
  return {
    chainKey: row.chain_key,
    key: row.request_key,
    state: row.state,
    requester: row.requester,
    jobId: row.job_id === null ? null : BigInt(row.job_id),
    specUri: row.spec_uri,
    specHash: row.spec_hash,
    txHash: row.tx_hash,
    fromBlock: row.from_block,
    postedBlock: row.posted_block,
    port: row.port,
    dir: row.dir,
    servedDir: row.served_dir,
    reward: BigInt(row.reward),
    record: parsed(requestRecordSchema, jsonOf(row.record, what), what),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toVerdict(raw: unknown): RecordedVerdict {
  const row = parsed(verdictRow, raw, 'verdict row');
  return {
    jobId: BigInt(row.job_id),
    slot: row.slot,
    provider: row.provider,
    verdict: row.verdict,
    reason: row.reason,
    outputs: parsed(z.array(z.string()), jsonOf(row.outputs, 'verdict files'), 'verdict files'),
    final: row.final === 1,
    decidedAt: row.decided_at,
  };
}

export function openRequestJournal(db: DatabaseSync): RequestJournal {
  db.exec(`
    CREATE TABLE IF NOT EXISTS market_requests (
      chain_key TEXT NOT NULL,
      request_key TEXT NOT NULL,
      state TEXT NOT NULL,
      requester TEXT NOT NULL,
      job_id TEXT,
      spec_uri TEXT NOT NULL,
      spec_hash TEXT NOT NULL,
      tx_hash TEXT,
      from_block INTEGER NOT NULL,
      posted_block INTEGER,
      port INTEGER NOT NULL,
      dir TEXT NOT NULL,
      served_dir TEXT NOT NULL,
      reward TEXT NOT NULL,
      record TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (chain_key, request_key)
    );
    CREATE UNIQUE INDEX IF NOT EXISTS market_requests_job
      ON market_requests (chain_key, job_id) WHERE job_id IS NOT NULL;
    CREATE TABLE IF NOT EXISTS market_request_settled (
      chain_key TEXT NOT NULL,
      job_id TEXT NOT NULL,
      leases TEXT NOT NULL,
      settled_at TEXT NOT NULL,
      PRIMARY KEY (chain_key, job_id)
    );
    CREATE TABLE IF NOT EXISTS market_request_verdicts (
      chain_key TEXT NOT NULL,
      job_id TEXT NOT NULL,
      slot INTEGER NOT NULL,
      provider TEXT,
      verdict TEXT NOT NULL,
      reason TEXT,
      outputs TEXT NOT NULL,
      final INTEGER NOT NULL,
      decided_at TEXT NOT NULL,
      PRIMARY KEY (chain_key, job_id, slot)
    );
  `);
  const insert = db.prepare(
    `INSERT INTO market_requests (chain_key, request_key, state, requester, job_id, spec_uri,
       spec_hash, tx_hash, from_block, posted_block, port, dir, served_dir, reward, record,
       created_at, updated_at)
     VALUES (?, ?, 'posting', ?, NULL, ?, ?, NULL, ?, NULL, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const markPosted = db.prepare(
    `UPDATE market_requests SET state = 'posted', job_id = ?, tx_hash = ?, posted_block = ?,
       updated_at = ? WHERE chain_key = ? AND request_key = ?`,
  );
  const deletePosting = db.prepare(
    "DELETE FROM market_requests WHERE chain_key = ? AND request_key = ? AND state = 'posting'",
  );
  const selectAll = db.prepare(
    'SELECT * FROM market_requests WHERE chain_key = ? ORDER BY created_at, request_key',
  );
  const selectJob = db.prepare('SELECT * FROM market_requests WHERE chain_key = ? AND job_id = ?');
  const countOthers = db.prepare('SELECT COUNT(*) AS n FROM market_requests WHERE chain_key <> ?');
  const upsertVerdict = db.prepare(
    `INSERT INTO market_request_verdicts (chain_key, job_id, slot, provider, verdict, reason,
       outputs, final, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (chain_key, job_id, slot) DO UPDATE SET provider = excluded.provider,
       verdict = excluded.verdict, reason = excluded.reason, outputs = excluded.outputs,
       final = excluded.final, decided_at = excluded.decided_at`,
  );
  const selectVerdicts = db.prepare(
    'SELECT * FROM market_request_verdicts WHERE chain_key = ? AND job_id = ? ORDER BY slot',
  );
  const upsertSettled = db.prepare(
    `INSERT INTO market_request_settled (chain_key, job_id, leases, settled_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (chain_key, job_id) DO UPDATE SET leases = excluded.leases,
       settled_at = excluded.settled_at`,
  );
  const selectSettled = db.prepare(
    'SELECT leases FROM market_request_settled WHERE chain_key = ? AND job_id = ?',
  );
  const stamp = () => new Date().toISOString();

  return {
    begin(request) {
      const at = stamp();
      // What goes in is checked as strictly as what comes out: a row that can't be read back
      // would lose the job.
      const record = parsed(requestRecordSchema, request.record, 'new record');
      insert.run(
        request.chainKey,
        request.key,
        request.requester.toLowerCase(),
        request.specUri,
        request.specHash.toLowerCase(),
        request.fromBlock,
        request.port,
        request.dir,
        request.servedDir,
        request.reward.toString(),
        JSON.stringify(record),
        at,
        at,
      );
    },
    posted(chainKey, key, at) {
      const changed = markPosted.run(
        at.jobId.toString(),
        at.txHash,
        at.postedBlock,
        stamp(),
        chainKey,
        key,
      );
      if (Number(changed.changes) !== 1)
        throw new RequestJournalError(`the journal has no job being posted as ${key}`);
    },
    forget(chainKey, key) {
      deletePosting.run(chainKey, key);
    },
    list(chainKey) {
      return selectAll.all(chainKey).map(toRequest);
    },
    byJob(chainKey, jobId) {
      const row = selectJob.get(chainKey, jobId.toString());
      return row === undefined ? undefined : toRequest(row);
    },
    countElsewhere(chainKey) {
      return parsed(z.object({ n: z.number().int() }), countOthers.get(chainKey), 'count').n;
    },
    recordVerdict(chainKey, v) {
      upsertVerdict.run(
        chainKey,
        v.jobId.toString(),
        v.slot,
        v.provider,
        v.verdict,
        v.reason,
        JSON.stringify(v.outputs),
        v.final ? 1 : 0,
        stamp(),
      );
    },
    verdicts(chainKey, jobId) {
      return selectVerdicts.all(chainKey, jobId.toString()).map(toVerdict);
    },
    recordSettled(chainKey, jobId, leases) {
      const kept = parsed(settledLeasesSchema, leases, 'settled leases');
      upsertSettled.run(chainKey, jobId.toString(), JSON.stringify(kept), stamp());
    },
    settled(chainKey, jobId) {
      const row = selectSettled.get(chainKey, jobId.toString()) as { leases?: unknown } | undefined;
      if (row === undefined || typeof row.leases !== 'string') return undefined;
      try {
        const leases = settledLeasesSchema.safeParse(JSON.parse(row.leases));
        // A row that does not read back is only a cache: the chain is asked again.
        return leases.success ? leases.data : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** The journal of a data folder, with its database to close when done. */
export function openRequestJournalIn(dataDir: string): {
  db: DatabaseSync;
  journal: RequestJournal;
} {
  const db = openMarketDb(marketDbPath(dataDir));
  try {
    return { db, journal: openRequestJournal(db) };
  } catch (error) {
    db.close();
    throw error;
  }
}
