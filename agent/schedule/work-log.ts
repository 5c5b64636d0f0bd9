/**
 * When each GPU (or the machine, without a GPU) was working per the work policy, kept in the job
 * journal's SQLite file (table `schedule_work_periods`) so predicted earnings survive restarts:
 * predicted = hours worked × the rate the period carries (price × score, less the market's fee).
 *
 * An open period's end is written as a heartbeat (at most every `flushMs`), so after a crash it
 * ends at the last heartbeat: up to a minute of work is lost, never invented. A new run starts a
 * new period. Old periods are pruned, and periods that touch with the same rate are merged.
 */
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import { inTransaction } from '../market/db.ts';
import { amountSchema, type GpuDecision, type WorkPeriod } from './schema.ts';

/** One thing that works: a GPU by its id, or `machine` on a computer without a GPU. */
export interface WorkUnit {
  id: string;
  working: boolean;
  /** Tokens per hour this unit is predicted to earn while working. */
  grossPerHour: string;
  /** Its draw now in watts; null when not measured. */
  powerW: number | null;
}

export const MACHINE_UNIT = 'machine';

export interface WorkLogOptions {
  db: DatabaseSync;
  /** Epoch ms. */
  now?: () => number;
  /** How often an open period's end is written; default 60 s. */
  flushMs?: number;
  /** Periods that ended longer ago than this are removed; default 90 days. */
  keepDays?: number;
}

export interface WorkLog {
  /** The units now: opens, extends or closes their periods. */
  observe(units: readonly WorkUnit[]): void;
  /** Periods that overlap [sinceMs, untilMs), oldest first; open ones end now. */
  periods(range: { sinceMs: number; untilMs?: number; gpuId?: string | null }): WorkPeriod[];
  /** Ends every open period now (a clean stop). */
  close(): void;
}

const TABLE = `
  CREATE TABLE IF NOT EXISTS schedule_work_periods (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    gpu_id TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    gross_per_hour TEXT NOT NULL,
    power_w REAL,
    power_samples INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX IF NOT EXISTS schedule_work_periods_end ON schedule_work_periods (end_ms);
`;

const rowSchema = z.object({
  id: z.number().int(),
  gpu_id: z.string().min(1),
  start_ms: z.number().int(),
  end_ms: z.number().int(),
  gross_per_hour: amountSchema,
  power_w: z.number().nonnegative().nullable(),
  power_samples: z.number().int().nonnegative(),
});
type Row = z.infer<typeof rowSchema>;

interface Open {
  unit: string;
  rowId: number;
  startMs: number;
  flushedAt: number;
  gross: string;
  powerSum: number;
  powerCount: number;
}

const DAY_MS = 86_400_000;

export function openWorkLog(options: WorkLogOptions): WorkLog {
  const db = options.db;
  const now = options.now ?? Date.now;
  const flushMs = options.flushMs ?? 60_000;
  const keepMs = (options.keepDays ?? 90) * DAY_MS;
  db.exec(TABLE);
  const insert = db.prepare(
    'INSERT INTO schedule_work_periods (gpu_id, start_ms, end_ms, gross_per_hour, power_w, power_samples) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const extend = db.prepare(
    'UPDATE schedule_work_periods SET end_ms = ?, power_w = ?, power_samples = ? WHERE id = ?',
  );
  const select = db.prepare(
    'SELECT * FROM schedule_work_periods WHERE end_ms > ? AND start_ms < ? ORDER BY start_ms, id',
  );
  const open = new Map<string, Open>();
  let compactedAt = -Infinity;

  const avg = (o: Open): number | null => (o.powerCount === 0 ? null : o.powerSum / o.powerCount);

  function write(o: Open, at: number): void {
    extend.run(Math.max(o.startMs, at), avg(o), o.powerCount, o.rowId);
    o.flushedAt = at;
  }

  /** Removes old periods and merges settled ones that touch with the same rate (the same unit). */
  function compact(at: number): void {
    compactedAt = at;
    inTransaction(db, () => {
      db.prepare('DELETE FROM schedule_work_periods WHERE end_ms < ?').run(at - keepMs);
      const openIds = new Set([...open.values()].map((o) => o.rowId));
      const rows = db
        .prepare('SELECT * FROM schedule_work_periods ORDER BY gpu_id, start_ms, id')
        .all()
        .map((r) => rowSchema.safeParse(r))
        .filter((r) => r.success)
        .map((r) => r.data);
      let prev: Row | undefined;
      for (const row of rows) {
        if (
          prev &&
          !openIds.has(prev.id) &&
          !openIds.has(row.id) &&
          prev.gpu_id === row.gpu_id &&
          prev.gross_per_hour === row.gross_per_hour &&
          row.start_ms - prev.end_ms <= 1000 &&
          // Only settled rows: another process (the app and a CLI share the file) may still be
          // extending a recent one by its id.
          row.end_ms < at - DAY_MS &&
          row.start_ms >= prev.start_ms
        ) {
          const samples = prev.power_samples + row.power_samples;
          const power =
            samples === 0
              ? null
              : ((prev.power_w ?? 0) * prev.power_samples +
                  (row.power_w ?? 0) * row.power_samples) /
                samples;
          prev = {
            ...prev,
            end_ms: Math.max(prev.end_ms, row.end_ms),
            power_w: power,
            power_samples: samples,
          };
          extend.run(prev.end_ms, prev.power_w, prev.power_samples, prev.id);
          db.prepare('DELETE FROM schedule_work_periods WHERE id = ?').run(row.id);
          continue;
        }
        prev = row;
      }
    });
  }

  compact(now());

  return {
    observe(units) {
      const at = now();
      const working = new Map(units.filter((u) => u.working).map((u) => [u.id, u]));
      for (const [id, o] of open) {
        const unit = working.get(id);
        if (!unit || unit.grossPerHour !== o.gross) {
          write(o, at);
          open.delete(id);
        }
      }
      for (const unit of working.values()) {
        const o = open.get(unit.id);
        if (o) {
          if (unit.powerW !== null) {
            o.powerSum += unit.powerW;
            o.powerCount += 1;
          }
          if (at - o.flushedAt >= flushMs) write(o, at);
          continue;
        }
        const gross = amountSchema.parse(unit.grossPerHour);
        const result = insert.run(
          unit.id,
          at,
          at,
          gross,
          unit.powerW,
          unit.powerW === null ? 0 : 1,
        );
        open.set(unit.id, {
          unit: unit.id,
          rowId: Number(result.lastInsertRowid),
          startMs: at,
          flushedAt: at,
          gross,
          powerSum: unit.powerW ?? 0,
          powerCount: unit.powerW === null ? 0 : 1,
        });
      }
      if (at - compactedAt >= DAY_MS) compact(at);
    },
    periods({ sinceMs, untilMs, gpuId }) {
      const at = now();
      const until = untilMs ?? Number.MAX_SAFE_INTEGER;
      const openById = new Map([...open.values()].map((o) => [o.rowId, o]));
      const out: WorkPeriod[] = [];
      const fromMemory = (o: Open): WorkPeriod => ({
        gpuId: o.unit,
        start: new Date(o.startMs).toISOString(),
        end: new Date(Math.max(at, o.startMs)).toISOString(),
        grossPerHour: o.gross,
        powerW: avg(o),
      });
      for (const raw of select.all(sinceMs, until)) {
        const parsed = rowSchema.safeParse(raw);
        if (!parsed.success) continue;
        const row = parsed.data;
        if (gpuId && row.gpu_id !== gpuId) continue;
        const o = openById.get(row.id);
        if (o) {
          openById.delete(row.id);
          out.push(fromMemory(o));
          continue;
        }
        out.push({
          gpuId: row.gpu_id,
          start: new Date(row.start_ms).toISOString(),
          end: new Date(row.end_ms).toISOString(),
          grossPerHour: row.gross_per_hour,
          powerW: row.power_w,
        });
      }
      // Open periods whose stored end (the last heartbeat) is still before sinceMs.
      for (const o of openById.values()) {
        if (at <= sinceMs || o.startMs >= until || (gpuId && o.unit !== gpuId)) continue;
        out.push(fromMemory(o));
      }
      return out.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    },
    close() {
      const at = now();
      for (const o of open.values()) write(o, at);
      open.clear();
    },
  };
}

export interface UnitsInput {
  decisions: readonly GpuDecision[];
  /** Without a GPU: whether the machine may work (your holds and the mode). */
  machineWorking: boolean;
  /** The GPU the latest benchmark measured; null or an id not listed: none of these GPUs. */
  benchmarkedGpuId: string | null;
  /** What the market pays this machine per hour while it works (null: no benchmark, nothing). */
  grossPerHour: string | null;
  /**
   * The GPUs market leases run on, one lease each (agent/market/lease-gpus.ts): the benchmarked
   * GPU and every other of its model. Null or absent: one lease at a time.
   */
  marketGpuIds?: ReadonlySet<string> | null;
  powerW: (gpuId: string) => number | null;
}

/**
 * The units to record. The market gives a machine one lease per working GPU of the benchmarked
 * model, at its registered score: each of those earns the predicted rate. With none of them
 * working (or a benchmark on no GPU) it holds one lease, and the rate goes to one working GPU:
 * the benchmarked one when it works, else the first that does. Other GPUs record their hours
 * and draw at a rate of 0.
 */
export function workUnits(input: UnitsInput): WorkUnit[] {
  const gross = input.grossPerHour ?? '0';
  if (input.decisions.length === 0) {
    return [{ id: MACHINE_UNIT, working: input.machineWorking, grossPerHour: gross, powerW: null }];
  }
  const working = input.decisions.filter((d) => d.state === 'working');
  const market = input.marketGpuIds;
  const leased = market ? working.filter((d) => market.has(d.gpuId)).map((d) => d.gpuId) : [];
  const one = working.find((d) => d.gpuId === input.benchmarkedGpuId)?.gpuId ?? working[0]?.gpuId;
  const earners = new Set(leased.length > 0 ? leased : one === undefined ? [] : [one]);
  return input.decisions.map((d) => ({
    id: d.gpuId,
    working: d.state === 'working',
    grossPerHour: earners.has(d.gpuId) ? gross : '0',
    powerW: d.state === 'working' ? input.powerW(d.gpuId) : null,
  }));
}
