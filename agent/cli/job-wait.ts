/**
 * `roost job wait <id>...`: waits until the jobs are finished, for scripts that queue jobs with
 * `roost job add` and go on once they are done. Each job is said as it finishes (done with its
 * outputs, or why not); the exit code is 0 when every one is done, 1 when one failed or was
 * cancelled, or the wait ended first (--timeout, Ctrl+C, Roost stopped). The jobs run in the
 * running Roost (roost serve, the desktop app): a wait stops nothing.
 */
import { join } from 'node:path';
import type { ApiClient } from '../api/node-client.ts';
import type { Result, ResultOf } from '../api/contract.ts';
import { executionProviderName } from '../hardware/schema.ts';
import { TERMINAL_STATES, type JobState } from '../jobs/schema.ts';
import { EXIT_FAILURE, EXIT_OK, UsageError, writeRefusal, type Context } from './common.ts';
import { eventWake } from './wake.ts';

type JobDetail = ResultOf<'job.show'>;

/** The states a job is still on its way in. */
const UNFINISHED: JobState[] = ['queued', 'fetching', 'running'];
const finished = (state: JobState) => TERMINAL_STATES.includes(state);

/** At most this many jobs in one wait (as job.list reads at most 1000 unfinished at a time). */
export const MAX_WAIT_IDS = 1000;

/**
 * `--timeout`: `90s`, `30m`, `2h`, or a number of seconds. Milliseconds, or undefined when it is
 * none of these.
 */
export function parseTimeout(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const ms = n * (unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : 1000);
  return ms > 0 && Number.isFinite(ms) ? ms : undefined;
}

/** `running (4/10 input sets)`, `queued`. */
function whereWords(job: Pick<JobDetail, 'state' | 'progress'>): string {
  return job.state === 'running' || job.state === 'fetching'
    ? `${job.state} (${job.progress.setsDone}/${job.progress.setsTotal} input sets)`
    : job.state;
}

/** The line a finished job gets: done with where its outputs are, or why not. */
export function finishedWords(job: JobDetail): { line: string; ok: boolean } {
  const name = job.name ? ` (${job.name})` : '';
  if (job.state === 'done') {
    const on = job.executionProvider ? ` on ${executionProviderName(job.executionProvider)}` : '';
    const gpu = job.device && job.device.id !== 'cpu' ? ` (${job.device.name})` : '';
    const sets = `${job.progress.setsTotal} input set${job.progress.setsTotal === 1 ? '' : 's'}`;
    return {
      ok: true,
      line: `Job ${job.id}${name} done${on}${gpu}, ${sets}: outputs in ${job.exportedTo ?? join(job.jobDir, 'out')}`,
    };
  }
  return {
    ok: false,
    line: `Error: Job ${job.id}${name} ${job.state}${jobReason(job.state, job.error?.message)}`,
  };
}

/** What follows "Job <id> <state>" in the line a job that did not finish ends with. */
export function jobReason(state: string, message: string | undefined): string {
  if (message === undefined) return ': no reason given';
  return message.trim().toLowerCase() === state ? '' : `: ${message}`;
}

export interface WaitOptions {
  timeoutMs?: number;
  /**
   * How often to ask Roost: default every half second, or every 5 s where its events say when a
   * job changes (each such event asks at once).
   */
  pollMs?: number;
  /** Ctrl+C: stop waiting (the jobs go on). */
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * Waits for `ids` through `client`: the running Roost, or this process's own agent when none
 * runs (which runs no queued job: those are refused, saying how to start Roost).
 */
export async function waitForJobs(
  ctx: Pick<Context, 'io' | 'json'>,
  client: Pick<ApiClient, 'call' | 'events' | 'inProcess'>,
  ids: readonly string[],
  options: WaitOptions = {},
): Promise<number> {
  const now = options.now ?? Date.now;
  const started = now();
  const jobs = new Map<string, JobDetail>();
  let code = EXIT_OK;
  /** Says a job that has just finished, once. */
  const say = (job: JobDetail) => {
    const { line, ok } = finishedWords(job);
    if (!ok) code = EXIT_FAILURE;
    if (ctx.json) return;
    if (ok) ctx.io.stdout(`${line}\n`);
    else ctx.io.stderr(`${line}\n`);
  };
  const show = async (id: string): Promise<Result<JobDetail>> => {
    const shown = await client.call('job.show', { id }).catch(unanswered);
    if (shown.ok) jobs.set(id, shown.value);
    return shown;
  };
  const end = (problem?: string) => {
    if (ctx.json) ctx.io.stdout(`${JSON.stringify({ jobs: ids.map((id) => jobs.get(id)) })}\n`);
    if (problem) ctx.io.stderr(`Error: ${problem}\n`);
    return problem ? EXIT_FAILURE : code;
  };

  // Every id first: an unknown one is said before any waiting.
  for (const id of ids) {
    const shown = await show(id);
    if (!shown.ok) {
      const error =
        shown.error.code === 'NOT_FOUND'
          ? { ...shown.error, message: `No job ${id}. roost job list shows your jobs.` }
          : shown.error;
      return writeRefusal(ctx.io.stdout, ctx.io.stderr, ctx.json, error);
    }
  }
  const open = () => ids.filter((id) => !finished(jobs.get(id)!.state));
  for (const id of ids) if (finished(jobs.get(id)!.state)) say(jobs.get(id)!);
  if (open().length === 0) return end();

  if (client.inProcess) {
    // This process's own agent: nothing runs a queued job here.
    const waiting = open().map((id) => `${id} is ${whereWords(jobs.get(id)!)}`);
    return end(
      `${waiting.join(', ')}, and no Roost runs on this data folder to run ${waiting.length === 1 ? 'it' : 'them'}. Start Roost on it (roost serve, or the desktop app), then run roost job wait again.`,
    );
  }
  if (!ctx.json) {
    const left = open();
    const counts = new Map<string, number>();
    for (const id of left) {
      const state = jobs.get(id)!.state;
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    const states = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
    ctx.io.stderr(
      `Waiting for ${left.length === 1 ? `job ${left[0]}` : `${left.length} jobs`} (${states}); Ctrl+C stops waiting, not the jobs.\n`,
    );
  }

  const wake = eventWake(
    client,
    (e) => e.event === 'job.stateChanged' && ids.includes(e.payload.job.id),
  );
  const pollMs = options.pollMs ?? (wake.live ? 5000 : 500);
  try {
    for (;;) {
      const left = open();
      if (left.length === 0) return end();
      if (options.signal?.aborted)
        return end(
          `Stopped waiting; the jobs go on in Roost: ${left.map((id) => `${id} is ${whereWords(jobs.get(id)!)}`).join(', ')}.`,
        );
      if (options.timeoutMs !== undefined && now() - started >= options.timeoutMs)
        return end(
          `Gave up waiting after ${durationWords(options.timeoutMs)}: ${left.map((id) => `${id} is ${whereWords(jobs.get(id)!)}`).join(', ')}. ${left.length === 1 ? 'It goes' : 'They go'} on in Roost: run roost job wait again, or roost job cancel <id>.`,
        );
      const untilTimeout =
        options.timeoutMs === undefined ? pollMs : options.timeoutMs - (now() - started);
      await wake.wait(Math.max(0, Math.min(pollMs, untilTimeout)), options.signal);
      // One look at every unfinished job, then each that left that list, once.
      const listed = await client
        .call('job.list', { states: UNFINISHED, limit: MAX_WAIT_IDS })
        .catch(unanswered);
      if (!listed.ok) return end(stoppedAnswering(listed.error.message));
      const stillOpen = new Map(listed.value.jobs.map((j) => [j.id, j]));
      for (const id of left) {
        const summary = stillOpen.get(id);
        if (summary) {
          jobs.set(id, { ...jobs.get(id)!, state: summary.state, progress: summary.progress });
          continue;
        }
        const shown = await show(id);
        if (!shown.ok) return end(stoppedAnswering(shown.error.message));
        if (finished(shown.value.state)) say(shown.value);
      }
    }
  } finally {
    wake.close();
  }
}

function stoppedAnswering(message: string): string {
  return `Roost stopped answering while waiting (${message.replace(/\.$/, '')}). The jobs are kept in its journal; once Roost runs again it goes on with them: run roost job wait again then.`;
}

/** A call that threw (the connection went): as a refusal, so the wait says it in words. */
function unanswered(error: unknown): {
  ok: false;
  error: { code: 'UNAVAILABLE'; message: string };
} {
  return {
    ok: false,
    error: { code: 'UNAVAILABLE', message: error instanceof Error ? error.message : String(error) },
  };
}

/** `90 s`, `30 min`, `2 h`, as a person reads it back. */
function durationWords(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 100) / 10} s`;
}

/** The ids of `roost job wait`, checked as the command line gives them. */
export function waitIds(rest: readonly string[]): string[] {
  if (rest.length === 0)
    throw new UsageError(
      'Say which jobs: roost job wait <id>... (roost job add prints their ids; roost job list shows them).\nUsage: roost job wait <id>... [--timeout <30m|2h|90s>]',
    );
  const ids = [...new Set(rest)];
  if (ids.length > MAX_WAIT_IDS)
    throw new UsageError(`At most ${MAX_WAIT_IDS} job ids at a time (got ${ids.length}).`);
  return ids;
}
