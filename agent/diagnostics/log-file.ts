/**
 * Log lines on disk for support staff: a `LogSink` that redacts every line (never a key, a
 * mnemonic, a password or a token) and appends it to `<dir>/roost.log`, rotating by size and
 * keeping a fixed number of files (`roost.log`, `roost.log.1` … newest to oldest), each mode
 * 0600 in a 0700 folder. Writes are synchronous appends: a line is on disk before the call
 * returns (nothing lost in a crash) and the order is kept; at a few lines a second the cost is
 * negligible. A logging failure never throws into the code that logged.
 */
import {
  closeSync,
  existsSync,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { LogEntry, LogLevel, LogSink } from '../log.ts';
import { formatLogLine } from '../log.ts';
import type { Redactor } from './redact.ts';
import { defaultRedactor } from './redact.ts';

export const LOG_DIR = 'logs';
export const LOG_FILE = 'roost.log';

export interface RotatingLogOptions {
  /** The folder, e.g. `<dataDir>/logs`; created 0700 if missing. */
  dir: string;
  /** Default `roost.log`. */
  baseName?: string;
  /** Rotate before a write would take the file past this; default 5 MiB. */
  maxBytes?: number;
  /** Files kept, the current one included; default 5. */
  files?: number;
  /** Lines below this level are not written; default `info`. */
  minLevel?: LogLevel;
  /** Default: the redactor with no literal secrets. Pass one that knows the API token. */
  redactor?: Redactor;
  /** Told once per failure streak when the file can't be written. */
  onError?: (error: Error) => void;
}

export interface RotatingLog {
  /** Plug into `createLogger({ sink })`; combine with `stderrSink` through `teeSinks`. */
  readonly sink: LogSink;
  /** The current file. */
  readonly path: string;
  /** Appends one raw line (redacted, no level filter). */
  writeLine(line: string): void;
  /** Existing log files, oldest first (the current one last). */
  files(): string[];
  close(): void;
}

const levelOrder: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The log files in `dir`, oldest first: `roost.log.4` … `roost.log.1`, `roost.log`. */
export function listLogFiles(dir: string, baseName = LOG_FILE, files = 100): string[] {
  const out: string[] = [];
  for (let i = files - 1; i >= 1; i--) {
    const f = join(dir, `${baseName}.${i}`);
    if (existsSync(f)) out.push(f);
  }
  const current = join(dir, baseName);
  if (existsSync(current)) out.push(current);
  return out;
}

export function createRotatingLog(options: RotatingLogOptions): RotatingLog {
  const baseName = options.baseName ?? LOG_FILE;
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const keep = Math.max(1, options.files ?? 5);
  const minLevel = levelOrder[options.minLevel ?? 'info'];
  const redactor = options.redactor ?? defaultRedactor;
  const path = join(options.dir, baseName);
  let fd: number | undefined;
  let size = 0;
  let failing = false;
  let closed = false;

  const fail = (error: unknown) => {
    if (!failing) options.onError?.(error instanceof Error ? error : new Error(String(error)));
    failing = true;
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already gone
      }
      fd = undefined;
    }
  };

  const open = () => {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    fd = openSync(path, 'a', 0o600);
    fchmodSync(fd, 0o600); // an existing file keeps its mode on open
    size = fstatSync(fd).size;
  };

  const rotate = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    if (keep === 1) {
      rmSync(path, { force: true });
    } else {
      rmSync(`${path}.${keep - 1}`, { force: true });
      for (let i = keep - 2; i >= 1; i--) {
        if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      }
      renameSync(path, `${path}.1`);
    }
    open();
  };

  const writeLine = (line: string) => {
    if (closed) return;
    try {
      let text = redactor.redact(line).replace(/\r?\n/g, '\n    ');
      if (Buffer.byteLength(text) + 1 > maxBytes) {
        text =
          Buffer.from(text)
            .subarray(0, Math.max(0, maxBytes - 64))
            .toString() + ' …[truncated]';
      }
      const bytes = Buffer.from(text + '\n');
      if (fd === undefined) open();
      if (size > 0 && size + bytes.length > maxBytes) rotate();
      size += writeSync(fd as number, bytes);
      failing = false;
    } catch (error) {
      fail(error);
    }
  };

  return {
    path,
    sink: (entry: LogEntry) => {
      if (levelOrder[entry.level] >= minLevel) writeLine(formatLogLine(entry));
    },
    writeLine,
    files: () => listLogFiles(options.dir, baseName, keep),
    close() {
      closed = true;
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          // nothing left to do
        }
      }
      fd = undefined;
    },
  };
}

/** The entry with its message (and subsystem) redacted, for the event stream too. */
export function redactLogEntry(entry: LogEntry, redactor: Redactor = defaultRedactor): LogEntry {
  return {
    ...entry,
    subsystem: redactor.redact(entry.subsystem),
    message: redactor.redact(entry.message),
  };
}

/** A sink that redacts each entry before handing it on (wrap `stderrSink` with it). */
export function redactingSink(inner: LogSink, redactor: Redactor = defaultRedactor): LogSink {
  return (entry) => inner(redactLogEntry(entry, redactor));
}

/** One sink that writes to several; one failing doesn't stop the others. */
export function teeSinks(...sinks: readonly LogSink[]): LogSink {
  return (entry) => {
    for (const sink of sinks) {
      try {
        sink(entry);
      } catch {
        // a broken sink must not stop logging elsewhere
      }
    }
  };
}
