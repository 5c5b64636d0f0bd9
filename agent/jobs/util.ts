/** Small helpers shared by the job modules. */
import type { JobErrorCode, JobResult } from './schema.ts';

/**
 * Where the job code writes log lines. The agent's `Logger` (agent/log.ts) fits: pass
 * `logger.child('jobs')` so lines carry `[jobs]`. Lines never carry a secret or a URI's query.
 */
export interface JobLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  child?(subsystem: string): JobLog;
}

export const silentJobLog: JobLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function fail<T = never>(code: JobErrorCode, message: string): JobResult<T> {
  return { ok: false, error: { code, message: message.slice(0, 4000) } };
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** JSON with object keys sorted at every level: the bytes that get hashed and signed. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
