/** Small helpers shared by the job modules. */
import { isAbsolute } from 'node:path';
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

/**
 * The agent may run in another folder than the user's shell or app (`roost serve`, the desktop
 * app): a relative path would be resolved against a folder the user never chose.
 */
export function fullPathProblem(path: string): string | undefined {
  return isAbsolute(path)
    ? undefined
    : `Give the full path (e.g. /home/you/model.onnx), not "${path}": the agent does not know which folder you mean`;
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

/**
 * A line for the job's log when its sets spent a noticeable share of the model's run time
 * waiting on their input and output files (set-done `waitMs`): the disk set the pace, not the
 * accelerator. Undefined below 1 s and below a tenth of the run time.
 */
export function slowFilesNote(waitMs: number, runMs: number): string | undefined {
  if (waitMs < 1000 || waitMs < 0.1 * runMs) return undefined;
  return `its sets waited ${(waitMs / 1000).toFixed(1)} s for their input and output files, beside ${(runMs / 1000).toFixed(1)} s running the model: the disk set the pace. Roost's data folder (--data-dir) on a faster disk would finish jobs like this sooner.`;
}
