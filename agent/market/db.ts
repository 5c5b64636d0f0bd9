/**
 * The market's part of the journal: tables `market_*` in the job journal's SQLite file
 * (`<dataDir>/jobs/jobs.sqlite`), through a connection of its own. Each market module creates its
 * tables with CREATE TABLE IF NOT EXISTS when it opens; every change is one transaction.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export function marketDbPath(dataDir: string): string {
  return join(dataDir, 'jobs', 'jobs.sqlite');
}

export function openMarketDb(path: string): DatabaseSync {
  mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA busy_timeout = 5000');
  return db;
}

/** Runs `work` in one transaction (BEGIN IMMEDIATE: the write lock is taken up front). */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
