import type { EventBus } from './events.ts';
import type { EventPayload } from './api/contract.ts';

export type LogLevel = EventPayload<'agent.log'>['level'];
export type LogEntry = EventPayload<'agent.log'>;

/** Where log lines go besides the event stream: stderr for `roost serve`, nothing in tests. */
export type LogSink = (entry: LogEntry) => void;

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A logger for one part of the agent; its lines carry `[subsystem]`. */
  child(subsystem: string): Logger;
}

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function formatLogLine(entry: LogEntry): string {
  return `${entry.at} ${entry.level.padEnd(5)} [${entry.subsystem}] ${entry.message}`;
}

export const stderrSink =
  (minLevel: LogLevel = 'info'): LogSink =>
  (entry) => {
    if (order[entry.level] >= order[minLevel]) process.stderr.write(formatLogLine(entry) + '\n');
  };

/**
 * The latest log lines of info and up, kept in memory (at most `size`), so a page opened (or
 * reloaded) later shows what happened before it (`agent.activity`).
 */
export class RecentLog {
  readonly #lines: LogEntry[] = [];
  readonly #size: number;
  constructor(size = 200) {
    this.#size = size;
  }
  readonly sink: LogSink = (entry) => {
    if (entry.level === 'debug') return;
    this.#lines.push(entry);
    if (this.#lines.length > this.#size) this.#lines.splice(0, this.#lines.length - this.#size);
  };
  /** The last `limit` lines, oldest first. */
  latest(limit: number): LogEntry[] {
    return limit > 0 ? this.#lines.slice(-limit) : [];
  }
}

export function createLogger(options: {
  events?: EventBus;
  sink?: LogSink;
  now?: () => Date;
  subsystem?: string;
  /** Scrubs secrets from every entry before it reaches the sink or the event stream. */
  redact?: (entry: LogEntry) => LogEntry;
}): Logger {
  const now = options.now ?? (() => new Date());
  const make = (subsystem: string): Logger => {
    const write = (level: LogLevel, message: string) => {
      const raw: LogEntry = { level, subsystem, message, at: now().toISOString() };
      const entry = options.redact ? options.redact(raw) : raw;
      options.sink?.(entry);
      options.events?.emit('agent.log', entry);
    };
    return {
      debug: (m) => write('debug', m),
      info: (m) => write('info', m),
      warn: (m) => write('warn', m),
      error: (m) => write('error', m),
      child: (sub) => make(sub),
    };
  };
  return make(options.subsystem ?? 'agent');
}
