/**
 * The job journal: one SQLite file (`node:sqlite`) in the data folder that says, after any crash
 * or kill -9, what each job was doing. WAL mode; every state change is one transaction that
 * checks the state it leaves (compare-and-set), so two paths can never both move a job. Each
 * finished input set is recorded as it lands, so a resumed job skips the sets it has. Rows are
 * zod-checked when read: the file is input like any other.
 *
 * States: queued → fetching → running → done | failed | cancelled (the market adds lease states
 * later, in its own table).
 */
import { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import {
  epFallbackSchema,
  executionProviderSchema,
  jobDeviceSchema,
  jobErrorCodeSchema,
  jobOriginSchema,
  jobSpecSchema,
  jobStageSchema,
  jobStateSchema,
  npyDtypeSchema,
  sandboxLayersSchema,
  signedReceiptSchema,
} from './schema.ts';
import type {
  EpFallback,
  JobDevice,
  JobError,
  JobHistoryEntry,
  JobOrigin,
  JobSpec,
  JobStage,
  JobState,
  SandboxLayers,
  SignedReceipt,
} from './schema.ts';

export const JOURNAL_FILE = 'jobs.sqlite';
const SCHEMA_VERSION = 3;

/**
 * The order queued jobs are taken in: market jobs first (a claimed lease has a deadline, and
 * Roost claims no more than it has places for), then jobs moved to the front (Run next), the
 * latest moved first, then oldest first.
 */
const QUEUE_ORDER = "(origin = 'market') DESC, priority DESC, seq ASC";

/** Which state may follow which. */
const NEXT: Record<JobState, readonly JobState[]> = {
  queued: ['fetching', 'cancelled', 'failed'],
  fetching: ['running', 'queued', 'failed', 'cancelled'],
  running: ['done', 'failed', 'cancelled', 'queued'],
  done: [],
  failed: [],
  cancelled: [],
};

export interface JobTimings {
  fetchMs: number;
  sessionMs: number;
  runMs: number;
}

export interface JobRecord {
  id: string;
  origin: JobOrigin;
  name?: string;
  spec: JobSpec;
  specSha256: string;
  state: JobState;
  stage: JobStage;
  attempts: number;
  setsTotal: number;
  setsDone: number;
  outputBytes: number;
  executionProvider?: z.infer<typeof executionProviderSchema>;
  fallbacks: EpFallback[];
  sandbox?: SandboxLayers;
  error?: JobError;
  result?: SignedReceipt;
  timings: JobTimings;
  /** Where `run` wants the outputs copied, and where they went. */
  exportTo?: string;
  exportedTo?: string;
  /** The device the job must run on (`--gpu`), by id, as it was asked. */
  deviceWanted?: string;
  /**
   * A part of a split batch: its first set's number in the whole batch. Its copied outputs are
   * numbered from there, beside the other parts' in the same folder.
   */
  exportFirstSet?: number;
  /** Above 0 once moved to the front of the queue (Run next); the latest moved is highest. */
  priority: number;
  /** Where it runs or ran: the device the placement gave it (agent/jobs/placement.ts). */
  device?: JobDevice;
  cancelRequested: boolean;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface SetOutput {
  set: number;
  name: string;
  file: string;
  dtype: z.infer<typeof npyDtypeSchema>;
  shape: number[];
  bytes: number;
}

export type JobPatch = Partial<
  Pick<
    JobRecord,
    | 'stage'
    | 'attempts'
    | 'setsDone'
    | 'outputBytes'
    | 'executionProvider'
    | 'fallbacks'
    | 'sandbox'
    | 'error'
    | 'result'
    | 'timings'
    | 'exportedTo'
    | 'device'
    | 'cancelRequested'
    | 'startedAt'
    | 'finishedAt'
  >
>;

const nullable = <T extends z.ZodType>(s: T) => s.nullable();

const rowSchema = z.object({
  id: z.string(),
  origin: jobOriginSchema,
  name: nullable(z.string()),
  spec: z.string(),
  spec_sha256: z.string(),
  state: jobStateSchema,
  stage: jobStageSchema,
  attempts: z.number().int().nonnegative(),
  sets_total: z.number().int().nonnegative(),
  sets_done: z.number().int().nonnegative(),
  output_bytes: z.number().int().nonnegative(),
  ep: nullable(executionProviderSchema),
  fallbacks: z.string(),
  sandbox: nullable(z.string()),
  error_code: nullable(jobErrorCodeSchema),
  error_message: nullable(z.string()),
  result: nullable(z.string()),
  timings: z.string(),
  export_to: nullable(z.string()),
  exported_to: nullable(z.string()),
  device: nullable(z.string()).optional(),
  device_wanted: nullable(z.string()).optional(),
  export_first_set: nullable(z.number().int().nonnegative()).optional(),
  priority: z.number().int().nonnegative().optional(),
  cancel_requested: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  started_at: nullable(z.string()),
  finished_at: nullable(z.string()),
});

const timingsSchema = z.object({
  fetchMs: z.number().nonnegative(),
  sessionMs: z.number().nonnegative(),
  runMs: z.number().nonnegative(),
});

function toRecord(raw: unknown): JobRecord {
  const row = rowSchema.parse(raw);
  const record: JobRecord = {
    id: row.id,
    origin: row.origin,
    spec: jobSpecSchema.parse(JSON.parse(row.spec)),
    specSha256: row.spec_sha256,
    state: row.state,
    stage: row.stage,
    attempts: row.attempts,
    setsTotal: row.sets_total,
    setsDone: row.sets_done,
    outputBytes: row.output_bytes,
    fallbacks: z.array(epFallbackSchema).parse(JSON.parse(row.fallbacks)),
    timings: timingsSchema.parse(JSON.parse(row.timings)),
    cancelRequested: row.cancel_requested !== 0,
    priority: row.priority ?? 0,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.name !== null) record.name = row.name;
  if (row.ep !== null) record.executionProvider = row.ep;
  if (row.sandbox !== null) record.sandbox = sandboxLayersSchema.parse(JSON.parse(row.sandbox));
  if (row.error_code !== null) {
    record.error = { code: row.error_code, message: row.error_message ?? '' };
  }
  if (row.result !== null) record.result = signedReceiptSchema.parse(JSON.parse(row.result));
  if (row.export_to !== null) record.exportTo = row.export_to;
  if (row.exported_to !== null) record.exportedTo = row.exported_to;
  if (row.device !== null && row.device !== undefined)
    record.device = jobDeviceSchema.parse(JSON.parse(row.device));
  if (row.device_wanted !== null && row.device_wanted !== undefined)
    record.deviceWanted = row.device_wanted;
  if (row.export_first_set !== null && row.export_first_set !== undefined)
    record.exportFirstSet = row.export_first_set;
  if (row.started_at !== null) record.startedAt = row.started_at;
  if (row.finished_at !== null) record.finishedAt = row.finished_at;
  return record;
}

const peekSchema = z.object({
  id: z.string(),
  origin: jobOriginSchema,
  state: jobStateSchema,
  name: nullable(z.string()),
});

function toPeek(raw: unknown): Pick<JobRecord, 'id' | 'origin' | 'state' | 'name'> {
  const row = peekSchema.parse(raw);
  return {
    id: row.id,
    origin: row.origin,
    state: row.state,
    ...(row.name !== null ? { name: row.name } : {}),
  };
}

const briefSchema = z.object({
  state: jobStateSchema,
  stage: jobStageSchema,
  sets_done: z.number().int().nonnegative(),
  sets_total: z.number().int().nonnegative(),
});

const setOutputRowSchema = z.object({
  set_index: z.number().int().nonnegative(),
  name: z.string(),
  file: z.string(),
  dtype: npyDtypeSchema,
  shape: z.string(),
  bytes: z.number().int().nonnegative(),
});

export interface NewJob {
  id: string;
  origin: JobOrigin;
  spec: JobSpec;
  specSha256: string;
  setsTotal: number;
  exportTo?: string;
  /** The job's label when its spec names none (SubmitOptions.name); not part of the spec. */
  name?: string;
  /** The device it must run on, by id. */
  deviceWanted?: string;
  /** A part of a split batch: its first set's number in the whole batch. */
  exportFirstSet?: number;
}

export interface Journal {
  readonly path: string;
  insert(job: NewJob, message: string): JobRecord;
  get(id: string): JobRecord | undefined;
  /** Newest first. Rows that fail to parse are skipped and reported through `onBadRow`. */
  list(options?: { states?: JobState[]; limit?: number; oldestFirst?: boolean }): JobRecord[];
  /**
   * The queued jobs in the order they are taken (QUEUE_ORDER): market jobs, then those moved to
   * the front (the latest moved first), then oldest first.
   */
  queue(limit?: number): JobRecord[];
  /** The queued jobs' ids in that order (for their places in line). */
  queueOrder(): string[];
  /** A queued job's place in that order, 1 for the next; undefined when it is not queued. */
  placeInQueue(id: string): number | undefined;
  /**
   * Puts a queued job at the front of the queue, with a line in its history. Undefined when it
   * is not queued (taken meanwhile, or finished).
   */
  moveToFront(id: string, message: string): JobRecord | undefined;
  /** How many jobs are in each state (a state with none is missing). */
  countByState(): Partial<Record<JobState, number>>;
  /**
   * Moves a job from one of `from` to `to` (which must be allowed), with the patch, in one
   * transaction. Undefined when the job was not in `from` (someone else moved it first).
   */
  transition(
    id: string,
    from: readonly JobState[],
    to: JobState,
    patch: JobPatch,
    message: string,
  ): JobRecord | undefined;
  /** Fields that do not change the state (progress, the provider, attempts). */
  update(id: string, patch: JobPatch): void;
  /** Records a finished input set and its outputs (one transaction). */
  recordSet(id: string, set: number, outputs: Omit<SetOutput, 'set'>[], patch: JobPatch): void;
  /** Records several finished sets and their outputs in one transaction (a batch's stream). */
  recordSets(
    id: string,
    sets: { set: number; outputs: Omit<SetOutput, 'set'>[] }[],
    patch: JobPatch,
  ): void;
  /** Forgets the sets at and after `fromSet` (a resume that must redo them). */
  resetSets(id: string, fromSet: number): void;
  setOutputs(id: string): SetOutput[];
  /** State and progress only, without parsing the spec (the per-set path). */
  brief(id: string): Pick<JobRecord, 'state' | 'stage' | 'setsDone' | 'setsTotal'> | undefined;
  history(id: string): JobHistoryEntry[];
  /** Who asked for a job and its state, without parsing the spec (removal's checks). */
  peek(id: string): Pick<JobRecord, 'id' | 'origin' | 'state' | 'name'> | undefined;
  /**
   * Finished jobs (done, failed, cancelled) that finished before `at` (ISO 8601, UTC), oldest
   * first; a job without a finish time counts from its last change.
   */
  finishedBefore(at: string): Pick<JobRecord, 'id' | 'origin' | 'state' | 'name'>[];
  /**
   * Deletes a job's row, its history and its recorded outputs in one transaction. True when
   * there was a row. The job's folder is the caller's to remove, before this (see service.ts).
   */
  remove(id: string): boolean;
  close(): void;
}

export function openJournal(
  path: string,
  options: { now?: () => Date; onBadRow?: (id: string, error: unknown) => void } = {},
): Journal {
  const now = options.now ?? (() => new Date());
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL in WAL: a transaction survives a process crash or kill -9; a power cut may lose the
  // last few, which only means a job redoes a set or a step.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA foreign_keys = ON');
  const version = Number(
    (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version,
  );
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `the job journal ${path} was written by a newer Roost (schema ${version}); update Roost to read it`,
    );
  }
  if (version < 1) {
    db.exec(`
      BEGIN;
      CREATE TABLE IF NOT EXISTS jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        origin TEXT NOT NULL,
        name TEXT,
        spec TEXT NOT NULL,
        spec_sha256 TEXT NOT NULL,
        state TEXT NOT NULL,
        stage TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        sets_total INTEGER NOT NULL,
        sets_done INTEGER NOT NULL DEFAULT 0,
        output_bytes INTEGER NOT NULL DEFAULT 0,
        ep TEXT,
        fallbacks TEXT NOT NULL DEFAULT '[]',
        sandbox TEXT,
        error_code TEXT,
        error_message TEXT,
        result TEXT,
        timings TEXT NOT NULL DEFAULT '{"fetchMs":0,"sessionMs":0,"runMs":0}',
        export_to TEXT,
        exported_to TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
      );
      CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
      CREATE TABLE IF NOT EXISTS job_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        state TEXT NOT NULL,
        message TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS job_history_job ON job_history(job_id);
      CREATE TABLE IF NOT EXISTS job_outputs (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        set_index INTEGER NOT NULL,
        name TEXT NOT NULL,
        file TEXT NOT NULL,
        dtype TEXT NOT NULL,
        shape TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        PRIMARY KEY (job_id, set_index, name)
      );
      PRAGMA user_version = 1;
      COMMIT;
    `);
  }
  if (version < 2) {
    // Where each job runs (one job per GPU at a time), the device a job asked for, and where a
    // part of a split batch numbers its sets among the whole batch's when its outputs are copied.
    db.exec(`
      BEGIN;
      ALTER TABLE jobs ADD COLUMN device TEXT;
      ALTER TABLE jobs ADD COLUMN device_wanted TEXT;
      ALTER TABLE jobs ADD COLUMN export_first_set INTEGER;
      PRAGMA user_version = 2;
      COMMIT;
    `);
  }
  if (version < 3) {
    // Queued jobs moved to the front (Run next): a higher priority is taken first.
    db.exec(`
      BEGIN;
      ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
      PRAGMA user_version = ${SCHEMA_VERSION};
      COMMIT;
    `);
  }

  const columns: Record<keyof JobPatch, (p: JobPatch) => [string, string | number | null]> = {
    stage: (p) => ['stage', p.stage ?? null],
    attempts: (p) => ['attempts', p.attempts ?? 0],
    setsDone: (p) => ['sets_done', p.setsDone ?? 0],
    outputBytes: (p) => ['output_bytes', p.outputBytes ?? 0],
    executionProvider: (p) => ['ep', p.executionProvider ?? null],
    fallbacks: (p) => ['fallbacks', JSON.stringify(p.fallbacks ?? [])],
    sandbox: (p) => ['sandbox', p.sandbox ? JSON.stringify(p.sandbox) : null],
    error: (p) => ['error_code', p.error?.code ?? null],
    result: (p) => ['result', p.result ? JSON.stringify(p.result) : null],
    timings: (p) => [
      'timings',
      JSON.stringify(p.timings ?? { fetchMs: 0, sessionMs: 0, runMs: 0 }),
    ],
    exportedTo: (p) => ['exported_to', p.exportedTo ?? null],
    device: (p) => ['device', p.device ? JSON.stringify(p.device) : null],
    cancelRequested: (p) => ['cancel_requested', p.cancelRequested ? 1 : 0],
    startedAt: (p) => ['started_at', p.startedAt ?? null],
    finishedAt: (p) => ['finished_at', p.finishedAt ?? null],
  };

  function assignments(patch: JobPatch): {
    sql: string[];
    values: Record<string, string | number | null>;
  } {
    const sql: string[] = [];
    const values: Record<string, string | number | null> = {};
    for (const key of Object.keys(patch) as (keyof JobPatch)[]) {
      if (!(key in columns) || !(key in patch)) continue;
      const [column, value] = columns[key](patch);
      sql.push(`${column} = $${column}`);
      values[column] = value;
      if (key === 'error') {
        sql.push('error_message = $error_message');
        values.error_message = patch.error?.message ?? null;
      }
    }
    return { sql, values };
  }

  /** Prepared statements by SQL text: the per-set path prepares nothing. */
  const statements = new Map<string, ReturnType<DatabaseSync['prepare']>>();
  const statement = (sql: string) => {
    let prepared = statements.get(sql);
    if (!prepared) {
      prepared = db.prepare(sql);
      statements.set(sql, prepared);
    }
    return prepared;
  };

  const insertHistory = db.prepare(
    'INSERT INTO job_history (job_id, at, state, message) VALUES ($job_id, $at, $state, $message)',
  );

  function transaction<T>(fn: () => T): T {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Rows as records; one that fails to parse is skipped and reported through `onBadRow`. */
  const readRows = (rows: readonly unknown[]): JobRecord[] =>
    rows.flatMap((raw) => {
      try {
        return [toRecord(raw)];
      } catch (error) {
        options.onBadRow?.(String((raw as { id?: unknown }).id), error);
        return [];
      }
    });

  const journal: Journal = {
    path,
    insert(job, message) {
      const at = now().toISOString();
      transaction(() => {
        db.prepare(
          `INSERT INTO jobs (id, origin, name, spec, spec_sha256, state, stage, sets_total, export_to, device_wanted, export_first_set, created_at, updated_at)
           VALUES ($id, $origin, $name, $spec, $spec_sha256, 'queued', 'queued', $sets_total, $export_to, $device_wanted, $export_first_set, $at, $at)`,
        ).run({
          id: job.id,
          origin: job.origin,
          name: job.spec.name ?? job.name ?? null,
          spec: JSON.stringify(job.spec),
          spec_sha256: job.specSha256,
          sets_total: job.setsTotal,
          export_to: job.exportTo ?? null,
          device_wanted: job.deviceWanted ?? null,
          export_first_set: job.exportFirstSet ?? null,
          at,
        });
        insertHistory.run({ job_id: job.id, at, state: 'queued', message });
      });
      return journal.get(job.id) as JobRecord;
    },
    get(id) {
      const raw = statement('SELECT * FROM jobs WHERE id = $id').get({ id });
      return raw === undefined ? undefined : toRecord(raw);
    },
    queue(limit) {
      return readRows(
        db
          .prepare(`SELECT * FROM jobs WHERE state = 'queued' ORDER BY ${QUEUE_ORDER} LIMIT $limit`)
          .all({ limit: limit ?? -1 }),
      );
    },
    queueOrder() {
      return db
        .prepare(`SELECT id FROM jobs WHERE state = 'queued' ORDER BY ${QUEUE_ORDER}`)
        .all()
        .map((row) => String(row.id));
    },
    placeInQueue(id) {
      const row = statement(
        `SELECT place FROM (
           SELECT id, ROW_NUMBER() OVER (ORDER BY ${QUEUE_ORDER}) AS place
           FROM jobs WHERE state = 'queued'
         ) WHERE id = $id`,
      ).get({ id });
      return row === undefined ? undefined : Number(row.place);
    },
    moveToFront(id, message) {
      const at = now().toISOString();
      const moved = transaction(() => {
        const result = db
          .prepare(
            `UPDATE jobs SET priority = (SELECT COALESCE(MAX(priority), 0) + 1 FROM jobs WHERE state = 'queued'),
               updated_at = $at
             WHERE id = $id AND state = 'queued'`,
          )
          .run({ id, at });
        if (result.changes === 0) return false;
        insertHistory.run({ job_id: id, at, state: 'queued', message });
        return true;
      });
      return moved ? journal.get(id) : undefined;
    },
    countByState() {
      const counts: Partial<Record<JobState, number>> = {};
      for (const row of db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all()) {
        const state = jobStateSchema.safeParse(row.state);
        if (state.success) counts[state.data] = Number(row.n);
      }
      return counts;
    },
    list(opts = {}) {
      const states = opts.states ?? [];
      const where =
        states.length > 0 ? `WHERE state IN (${states.map((_, i) => `$s${i}`).join(', ')})` : '';
      const params: Record<string, string | number> = {};
      states.forEach((s, i) => (params[`s${i}`] = s));
      params.limit = opts.limit ?? -1;
      return readRows(
        db
          .prepare(
            `SELECT * FROM jobs ${where} ORDER BY seq ${opts.oldestFirst ? 'ASC' : 'DESC'} LIMIT $limit`,
          )
          .all(params),
      );
    },
    transition(id, from, to, patch, message) {
      for (const f of from) {
        if (!NEXT[f].includes(to)) throw new Error(`a job cannot go from ${f} to ${to}`);
      }
      const at = now().toISOString();
      const changed = transaction(() => {
        const { sql, values } = assignments(patch);
        const fromParams: Record<string, string> = {};
        from.forEach((s, i) => (fromParams[`f${i}`] = s));
        const result = db
          .prepare(
            `UPDATE jobs SET state = $to, updated_at = $at${sql.map((s) => `, ${s}`).join('')}
             WHERE id = $id AND state IN (${from.map((_, i) => `$f${i}`).join(', ')})`,
          )
          .run({ ...values, ...fromParams, to, at, id });
        if (result.changes === 0) return false;
        insertHistory.run({ job_id: id, at, state: to, message: message.slice(0, 2000) });
        return true;
      });
      return changed ? journal.get(id) : undefined;
    },
    update(id, patch) {
      const { sql, values } = assignments(patch);
      if (sql.length === 0) return;
      statement(`UPDATE jobs SET updated_at = $at, ${sql.join(', ')} WHERE id = $id`).run({
        ...values,
        at: now().toISOString(),
        id,
      });
    },
    recordSet(id, set, outputs, patch) {
      journal.recordSets(id, [{ set, outputs }], patch);
    },
    recordSets(id, sets, patch) {
      transaction(() => {
        const insert = statement(
          `INSERT OR REPLACE INTO job_outputs (job_id, set_index, name, file, dtype, shape, bytes)
           VALUES ($job_id, $set_index, $name, $file, $dtype, $shape, $bytes)`,
        );
        for (const { set, outputs } of sets) {
          for (const o of outputs) {
            insert.run({
              job_id: id,
              set_index: set,
              name: o.name,
              file: o.file,
              dtype: o.dtype,
              shape: JSON.stringify(o.shape),
              bytes: o.bytes,
            });
          }
        }
        journal.update(id, patch);
      });
    },
    resetSets(id, fromSet) {
      db.prepare('DELETE FROM job_outputs WHERE job_id = $id AND set_index >= $from').run({
        id,
        from: fromSet,
      });
    },
    setOutputs(id) {
      return db
        .prepare(
          'SELECT set_index, name, file, dtype, shape, bytes FROM job_outputs WHERE job_id = $id ORDER BY set_index, rowid',
        )
        .all({ id })
        .map((raw) => {
          const row = setOutputRowSchema.parse(raw);
          return {
            set: row.set_index,
            name: row.name,
            file: row.file,
            dtype: row.dtype,
            shape: z.array(z.number().int().nonnegative()).parse(JSON.parse(row.shape)),
            bytes: row.bytes,
          };
        });
    },
    brief(id) {
      const raw = statement(
        'SELECT state, stage, sets_done, sets_total FROM jobs WHERE id = $id',
      ).get({ id });
      if (raw === undefined) return undefined;
      const row = briefSchema.parse(raw);
      return {
        state: row.state,
        stage: row.stage,
        setsDone: row.sets_done,
        setsTotal: row.sets_total,
      };
    },
    history(id) {
      return db
        .prepare('SELECT at, state, message FROM job_history WHERE job_id = $id ORDER BY seq')
        .all({ id })
        .map((raw) =>
          z.object({ at: z.string(), state: jobStateSchema, message: z.string() }).parse(raw),
        );
    },
    peek(id) {
      const raw = statement('SELECT id, origin, state, name FROM jobs WHERE id = $id').get({ id });
      return raw === undefined ? undefined : toPeek(raw);
    },
    finishedBefore(at) {
      const rows = db
        .prepare(
          `SELECT id, origin, state, name FROM jobs
           WHERE state IN ('done', 'failed', 'cancelled') AND COALESCE(finished_at, updated_at) < $at
           ORDER BY seq`,
        )
        .all({ at });
      const out: Pick<JobRecord, 'id' | 'origin' | 'state' | 'name'>[] = [];
      for (const raw of rows) {
        try {
          out.push(toPeek(raw));
        } catch (error) {
          options.onBadRow?.(String((raw as { id?: unknown }).id), error);
        }
      }
      return out;
    },
    remove(id) {
      // Children first and by name: the foreign keys cascade too, but only on a connection that
      // turned them on, and a row must never outlive its job.
      return transaction(() => {
        statement('DELETE FROM job_outputs WHERE job_id = $id').run({ id });
        statement('DELETE FROM job_history WHERE job_id = $id').run({ id });
        return statement('DELETE FROM jobs WHERE id = $id').run({ id }).changes > 0;
      });
    },
    close() {
      if (db.isOpen) db.close();
    },
  };
  return journal;
}
