/** `roost job run|add|submit|list|show|inspect|cancel|rerun|remove`: private ONNX jobs on this machine's own GPUs. */
import { readFile } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import {
  EXIT_FAILURE,
  EXIT_OK,
  UsageError,
  withClient,
  print,
  type Command,
  type Context,
} from './common.ts';
import { enumFlagProblem, flagRefusal } from './flags.ts';
import {
  diskWords,
  executionProviderSchema,
  JOB_SPEC_FORMAT,
  jobSpecJsonSchema,
  jobStateSchema,
  jobTimeWords,
  leftWords,
  previewWords,
  queuePlaceWords,
  remainingMs,
  sandboxWords,
  type JobState,
  type OutputPreview,
  type PaceStart,
} from '../jobs/schema.ts';
import { executionProviderName } from '../hardware/schema.ts';
import type { Result, ResultOf } from '../api/contract.ts';
import type { LogEntry } from '../log.ts';
import type { ApiClient } from '../api/node-client.ts';
import { jobReason, parseTimeout, waitForJobs, waitIds } from './job-wait.ts';

/** ` on RTX 3070 #2` where the job ran on a GPU ("on the CPU" says nothing new after CPU). */
function deviceWords(device: { id: string; name: string } | undefined): string {
  return device && device.id !== 'cpu' ? ` on ${device.name}` : '';
}

type JobDetail = ResultOf<'job.show'>;
type ModelInspection = ResultOf<'job.inspectModel'>;

/**
 * What `roost job inspect` says of a model: a line of facts, its external data, then its inputs
 * and outputs with names aligned (`x  float32 [1, 3, 224, 224]`; a named dimension as its name).
 */
export function modelWords(m: ModelInspection): string {
  const opsets = m.opsets.map((o) =>
    o.domain === '' || o.domain === 'ai.onnx'
      ? `opset ${o.version}`
      : `${o.domain} opset ${o.version}`,
  );
  const nodes = `${m.nodeCount.toLocaleString('en-US')} ${m.nodeCount === 1 ? 'node' : 'nodes'}`;
  const width = Math.max(0, ...[...m.inputs, ...m.outputs].map((t) => t.name.length));
  const line = (t: ModelInspection['inputs'][number]) =>
    `  ${t.name.padEnd(width)}  ${t.dtype}${t.isTensor ? ` [${t.shape.join(', ')}]` : ' (not a tensor: no .npy file carries it)'}`;
  return [
    `${m.model} (${[diskWords(m.bytes), ...opsets, nodes].join(', ')})`,
    ...(m.externalFiles.length > 0 ? [`External data: ${m.externalFiles.join(', ')}`] : []),
    'Inputs:',
    ...(m.inputs.length > 0 ? m.inputs.map(line) : ['  none']),
    'Outputs:',
    ...m.outputs.map(line),
  ].join('\n');
}

/** What `roost job run` says when every job it ran is done: one job, or each part of a split. */
export function doneWords(details: readonly JobDetail[]): string {
  const on = (job: JobDetail) =>
    `${job.executionProvider ? executionProviderName(job.executionProvider) : 'an unknown accelerator'}${deviceWords(job.device)}`;
  const [job] = details as [JobDetail];
  const folder = job.exportedTo ?? join(job.jobDir, 'out');
  if (details.length > 1)
    return [
      `${details.length} jobs done:`,
      ...details.map(
        (j) =>
          `  ${j.id} (${j.name ?? 'part'}): ${j.progress.setsTotal} input set${j.progress.setsTotal === 1 ? '' : 's'} on ${on(j)}`,
      ),
      job.exportedTo !== undefined
        ? `Outputs: ${job.exportedTo} (a folder per input set; sets.csv says which inputs each had)`
        : `Outputs: in each job's folder (roost job show <id>)`,
    ].join('\n');
  return [
    `Job ${job.id} done on ${on(job)}.`,
    `Outputs: ${folder}`,
    ...(job.result?.receipt.outputs ?? []).map(
      (o) => `  ${o.name}: ${o.file} (${o.dtype} ${JSON.stringify(o.shape)})`,
    ),
    `Signed result: ${join(folder, 'result.json')}`,
  ].join('\n');
}

export const jobCommand: Command = {
  usage:
    'roost job run|add --model <m.onnx> --input <name>=<x.npy> ... [--out <dir>] [--ep webgpu,cpu] [--gpu <id>] [--split <n>] [--max-seconds <n>] [--name <text>] [--json]\n       roost job submit <spec.json> | show <id> [--history] [--preview] | next <id>... | cancel <id>... | cancel --queued | rerun <id>... | schema\n       roost job list [--state <states>] [--limit <n>]\n       roost job wait <id>... [--timeout <30m|2h|90s>] [--json]\n       roost job inspect <model.onnx> [--json]\n       roost job remove <id>... | remove --finished-before <30d|12h|date> [--dry-run]',
  summary: 'Run ONNX models on your own GPUs: private jobs with .npy inputs and outputs',
  help: [
    `A spec for roost job submit is JSON in the ${JOB_SPEC_FORMAT} format, for example:`,
    `  {"format": "${JOB_SPEC_FORMAT}",`,
    '   "model": {"uri": "file:///data/m.onnx", "sha256": "<64 hex digits>", "bytes": 123456},',
    '   "inputs": {"x": {"uri": "https://example.com/x.npy", "sha256": "…", "bytes": 4096}},',
    '   "executionProviders": ["webgpu", "cpu"], "limits": {"maxSeconds": 600}}',
    'roost job schema prints its JSON Schema (every field, with what it means); the README section',
    '"Jobs and the sandbox" describes jobs. roost job run makes the spec from local files for you,',
    'and without --ep runs it on the GPU paths found working here (cuda, dml, coreml, webgpu on a',
    'real GPU), then the CPU; a spec without executionProviders runs on the CPU.',
    '',
    'roost job add queues the job as roost job run makes it and returns at once (for scripts',
    'that queue many): the running Roost works through the queue; roost job list follows it.',
    'roost job wait <id>... then waits until those jobs are finished, saying each as it ends',
    '(done, with where its outputs are, or why not). Exit code 0: every one is done; 1: one',
    'failed or was cancelled, or the wait ended first (--timeout, Ctrl+C). Waiting stops no job.',
    '',
    'roost job run (and add) options:',
    '--model <m.onnx>        the ONNX model to run (a file on this computer)',
    '--input <name>=<x.npy>  an input of the model; give a name again for a batch, or a',
    '                        folder: each .npy file in it is one input set (folders given',
    '                        together are paired by file name; --out then gets sets.csv)',
    '--out <dir>             also copy the outputs and result.json there when it is done',
    '--ep <list>             accelerators to try in order, e.g. cuda,cpu (cpu, webgpu, cuda,',
    '                        tensorrt, dml, coreml)',
    '--gpu <id>              run it on that GPU only (ids as roost work status shows them,',
    '                        or the bus address roost detect shows; cpu for the CPU). Without',
    '                        it, each job takes the next free GPU: one job per GPU at a time',
    '--split <n>             make n jobs of the batch, which run at once, one per free GPU',
    '                        (--out gets all their outputs, numbered as one batch)',
    '--max-seconds <n>       stop the job after this long',
    '--name <text>           a name to know the job by in roost job list',
    '',
    "roost job remove deletes finished jobs: each one's folder (inputs, outputs, result.json)",
    'and its line in roost job list. Copies made with --out stay. A market job goes once its',
    'lease is paid or has ended; the lease and what it paid stay (roost market job <id>). A job',
    'still queued or running is refused: cancel it first.',
    '--finished-before <when>  every finished job that finished before 30d or 12h ago,',
    '                          or before a date: 2026-01-31 or 2026-01-31T18:00',
    '--dry-run                 say which jobs would go and the space freed; remove nothing',
    '',
    'roost job cancel --queued cancels every private job still queued (running jobs and market',
    'jobs go on): a batch of jobs queued by mistake, say.',
    '',
    'roost job next <id>... puts queued jobs at the front of the queue, in the order given:',
    'the next to take a free GPU. Claimed market jobs (a lease has a deadline) and a job whose',
    'files are fetched already still go first.',
    '',
    'roost job list shows the newest 200 jobs; --state failed (or a list: queued,running) only',
    'those in a state, --limit <n> up to 1000.',
    '',
    'roost job show <id> --history lists every step the job took, with its time (queued, its',
    'files fetched, a worker restarted, moved to the front), as the journal keeps them.',
    '',
    'roost job show <id> --preview also reads each output: how many values, min, max and mean,',
    'how many are NaN or infinite, and the first few.',
    '',
    'roost job rerun <id> queues a finished private job again as a new job: the same model and',
    'inputs (checked by their sha256), GPU and output folder; the old job stays as it was.',
    '',
    'roost job inspect <model.onnx> says what a model takes and gives: each input and output with',
    'its .npy dtype and shape (a named dimension, such as batch, takes any size), its opset, size',
    'and external data files; or why Roost would refuse it. The --input names of roost job run',
    'are its input names.',
  ].join('\n'),
  options: {
    model: { type: 'string' },
    input: { type: 'string', multiple: true },
    out: { type: 'string' },
    ep: { type: 'string' },
    gpu: { type: 'string' },
    split: { type: 'string' },
    'max-seconds': { type: 'string' },
    name: { type: 'string' },
    'finished-before': { type: 'string' },
    'dry-run': { type: 'boolean' },
    preview: { type: 'boolean' },
    history: { type: 'boolean' },
    timeout: { type: 'string' },
    queued: { type: 'boolean' },
    state: { type: 'string' },
    limit: { type: 'string' },
  },
  async run(ctx) {
    return runJobCommand(ctx);
  },
};

/** The most jobs one look at the list reads (job.list's limit). */
const JOB_LIST_MAX = 1000;
const LIST_USAGE = 'Usage: roost job list [--state queued,running,done,failed,...] [--limit <n>]';

/** `roost job list`'s filter: `--state` (a list of states) and `--limit` (200 unless given). */
function listFilterOf(
  rest: readonly string[],
  v: Record<string, string | boolean | string[] | undefined>,
): { states?: JobState[]; limit: number } {
  if (rest.length > 0)
    throw new UsageError(
      `Unexpected "${rest.join(' ')}".${jobStateSchema.options.includes(rest[0] as JobState) ? ` For the ${rest[0]} jobs: roost job list --state ${rest[0]}` : ''}\n${LIST_USAGE}`,
    );
  const problem = enumFlagProblem('--state', v.state, jobStateSchema.options, 'job state', {
    list: true,
  });
  if (problem) throw new UsageError(`${problem}\n${LIST_USAGE}`);
  let limit = 200;
  if (v.limit !== undefined) {
    limit = Number(v.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > JOB_LIST_MAX)
      throw new UsageError(
        `--limit takes how many jobs to list, 1 to ${JOB_LIST_MAX} (got "${String(v.limit)}").\n${LIST_USAGE}`,
      );
  }
  const states =
    typeof v.state === 'string'
      ? [...new Set(v.state.split(',').map((s) => s.trim() as JobState))]
      : undefined;
  return { ...(states ? { states } : {}), limit };
}

/** An unknown job id: the agent's refusal, and where to find the ids. */
export function withListHint<T>(result: Result<T>): Result<T> {
  if (result.ok || result.error.code !== 'NOT_FOUND') return result;
  return {
    ok: false,
    error: {
      ...result.error,
      message: `${capitalised(result.error.message).replace(/\.?$/, '.')} roost job list shows your jobs.`,
    },
  };
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * When a job's progress is worth a line: a new stage, or another tenth of its input sets done
 * (a batch of 1,000 sets gives ten lines, not a thousand).
 */
export function progressKey(p: { stage: string; setsDone: number; setsTotal: number }): string {
  return `${p.stage}:${p.setsTotal > 0 ? Math.floor((p.setsDone * 10) / p.setsTotal) : 0}`;
}

/** The job service's line for a job that failed (`job … (job-…): failed: …`). */
export function isJobFailureLine(entry: LogEntry): boolean {
  return entry.subsystem === 'jobs' && entry.level === 'warn' && /: failed: /.test(entry.message);
}

/** Where a spec author finds the format, added to a refused or unreadable spec. */

const SPEC_HINT = `The ${JOB_SPEC_FORMAT} format: roost job --help, and its JSON Schema: roost job schema.`;

const FINISHED_BEFORE_FORMS =
  'a number of days or hours ago (30d, 12h) or a date (2026-01-31, or 2026-01-31T18:00)';

/**
 * `--finished-before`: `30d` and `12h` back from now, or a date (`2026-01-31`, local midnight)
 * or date-time (`2026-01-31T18:00`, local time unless it names an offset). The time and how to
 * say it (`more than 30 days ago`, `before 2026-01-31`); undefined when it is neither.
 */
export function parseFinishedBefore(
  text: string,
  now = new Date(),
): { at: Date; words: string } | undefined {
  const trimmed = text.trim();
  const ago = /^(\d{1,5})\s*(d|h)$/i.exec(trimmed);
  if (ago) {
    const n = Number(ago[1]);
    const days = /^d$/i.test(ago[2]!);
    return {
      at: new Date(now.getTime() - n * (days ? 86_400_000 : 3_600_000)),
      words: `more than ${n} ${days ? 'day' : 'hour'}${n === 1 ? '' : 's'} ago`,
    };
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(trimmed);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const at = new Date(y, m - 1, d);
    // new Date(2026, 1, 31) is 3 March: a day that does not exist is refused, not moved.
    if (at.getFullYear() !== y || at.getMonth() !== m - 1 || at.getDate() !== d) return undefined;
    return { at, words: `before ${trimmed}` };
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(trimmed)) {
    const at = new Date(trimmed);
    if (!Number.isNaN(at.getTime())) return { at, words: `before ${trimmed}` };
  }
  return undefined;
}

/** What `roost job remove` says it did. */
export function removedWords(
  result: { removed: readonly string[]; bytesFreed: number; dryRun?: boolean | undefined },
  when?: string,
): string {
  const n = result.removed.length;
  if (n === 0)
    return `Nothing to remove: no job finished ${when ?? 'then'} (a market job stays while its lease may need it). roost job list shows your jobs.`;
  if (result.dryRun)
    return [
      `Would remove ${n} finished ${n === 1 ? 'job' : 'jobs'}, freeing ${diskWords(result.bytesFreed)}:`,
      ...result.removed.map((id) => `  ${id}`),
      'Nothing was removed (--dry-run).',
    ].join('\n');
  if (n === 1) return `Removed job ${result.removed[0]}, freed ${diskWords(result.bytesFreed)}.`;
  return [
    `Removed ${n} finished jobs, freed ${diskWords(result.bytesFreed)}:`,
    ...result.removed.map((id) => `  ${id}`),
  ].join('\n');
}

const terminal = new Set(['done', 'failed', 'cancelled']);

/**
 * One call per id (each once, in order): one that fails is said and the others still go; the
 * exit code is the last failure's, or 0.
 */
function eachId<T>(
  ctx: Context,
  ids: readonly string[],
  call: (client: ApiClient, id: string) => Promise<Result<T>>,
  words: (value: T, id: string) => string,
): Promise<number> {
  return withClient(ctx, async (client) => {
    let code = EXIT_OK;
    for (const id of new Set(ids)) {
      const r = print(ctx, withListHint(await call(client, id)), (value) => words(value, id));
      if (r !== EXIT_OK) code = r;
    }
    return code;
  });
}

/**
 * The private job `roost job run` and `roost job add` make from their flags: the model, the
 * input sets (a name given again starts the next set), and the options, checked as flags.
 */
function runRequestOf(
  action: 'run' | 'add',
  rest: readonly string[],
  v: Record<string, string | boolean | string[] | undefined>,
) {
  if (
    rest.length > 0 ||
    typeof v.model !== 'string' ||
    !Array.isArray(v.input) ||
    v.input.length === 0
  ) {
    throw new UsageError(
      `roost job ${action} needs --model and at least one --input <name>=<file.npy>.\nUsage: ${jobCommand.usage}`,
    );
  }
  // A name given twice makes a batch: the n-th file of each name forms input set n.
  const sets: Record<string, string>[] = [];
  for (const pair of v.input) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1)
      throw new UsageError(`--input takes <name>=<file.npy> (got "${pair}").`);
    const name = pair.slice(0, eq);
    const file = resolvePath(pair.slice(eq + 1));
    const set = sets.find((s) => !(name in s)) ?? (sets.push({}), sets[sets.length - 1]!);
    set[name] = file;
  }
  // Before the agent starts and before any progress line, in the flag's words.
  const problem = enumFlagProblem(
    '--ep',
    v.ep,
    executionProviderSchema.options,
    'execution provider',
    { list: true },
  );
  if (problem) throw new UsageError(problem);
  let maxSeconds: number | undefined;
  if (typeof v['max-seconds'] === 'string') {
    maxSeconds = Number(v['max-seconds']);
    if (!Number.isInteger(maxSeconds) || maxSeconds < 1)
      throw new UsageError('--max-seconds takes a whole number of seconds.');
  }
  let split: number | undefined;
  if (typeof v.split === 'string') {
    split = Number(v.split);
    if (!Number.isInteger(split) || split < 2 || split > 64)
      throw new UsageError(
        `--split takes how many jobs to make of the batch, 2 to 64 (e.g. the number of GPUs); got "${v.split}".`,
      );
  }
  return {
    model: resolvePath(v.model),
    inputs: sets.length === 1 ? sets[0]! : sets,
    ...(typeof v.out === 'string' ? { outDir: resolvePath(v.out) } : {}),
    ...(typeof v.ep === 'string'
      ? { executionProviders: v.ep.split(',').map((e) => e.trim()) }
      : {}),
    ...(maxSeconds ? { limits: { maxSeconds } } : {}),
    ...(typeof v.name === 'string' ? { name: v.name } : {}),
    ...(typeof v.gpu === 'string' ? { device: v.gpu.trim() } : {}),
    ...(split !== undefined ? { split } : {}),
  };
}

async function runJobCommand(ctx: Context): Promise<number> {
  const [action, ...rest] = ctx.positionals;
  const v = ctx.values as Record<string, string | boolean | string[] | undefined>;
  if (v['finished-before'] !== undefined && action !== 'remove')
    throw new UsageError(
      `--finished-before belongs to roost job remove.\nUsage: roost job remove --finished-before <30d|12h|date>`,
    );
  if (v['dry-run'] !== undefined && action !== 'remove')
    throw new UsageError('--dry-run belongs to roost job remove.');
  if (v.history !== undefined && action !== 'show')
    throw new UsageError('--history belongs to roost job show: roost job show <id> --history');
  if (v.preview !== undefined && action !== 'show')
    throw new UsageError('--preview belongs to roost job show: roost job show <id> --preview');
  for (const flag of ['state', 'limit'])
    if (v[flag] !== undefined && action !== 'list' && action !== undefined)
      throw new UsageError(`--${flag} belongs to roost job list.\n${LIST_USAGE}`);
  if (v.queued !== undefined && action !== 'cancel')
    throw new UsageError('--queued belongs to roost job cancel: roost job cancel --queued');
  if (v.timeout !== undefined && action !== 'wait')
    throw new UsageError(
      '--timeout belongs to roost job wait: roost job wait <id>... --timeout 30m',
    );
  if (action === 'remove')
    return removeJobs(ctx, rest, v['finished-before'], v['dry-run'] === true);
  if (action === 'wait') {
    const ids = waitIds(rest);
    let timeoutMs: number | undefined;
    if (v.timeout !== undefined) {
      timeoutMs = typeof v.timeout === 'string' ? parseTimeout(v.timeout) : undefined;
      if (timeoutMs === undefined)
        throw new UsageError(
          `--timeout takes how long to wait: 90s, 30m, 2h, or a number of seconds (got "${String(v.timeout)}").`,
        );
    }
    const stop = new AbortController();
    void ctx.io.untilStopped?.().then(() => stop.abort());
    return withClient(ctx, (client) =>
      waitForJobs(ctx, client, ids, {
        signal: stop.signal,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      }),
    );
  }
  if (action === 'schema') {
    if (rest.length > 0) throw new UsageError('Usage: roost job schema');
    ctx.io.stdout(JSON.stringify(jobSpecJsonSchema(), null, 2) + '\n');
    return EXIT_OK;
  }
  if (action === 'add') {
    const request = runRequestOf('add', rest, v);
    return withClient(ctx, async (client) => {
      const r = await client.call('job.add', request as never);
      return print(ctx, r, (job) => {
        const parts = job.parts ?? [job];
        // As roost job submit says it: one job, or each part of a split batch.
        const what =
          parts.length === 1
            ? `Job ${job.id} queued`
            : [
                `${parts.length} jobs queued, one per GPU at a time:`,
                ...parts.map((p) => `  ${p.id}: ${p.name ?? 'a part'}`),
              ].join('\n');
        if (client.inProcess)
          return `${what}${parts.length === 1 ? '. It runs' : '\nThey run'} while Roost runs (roost serve, or the desktop app).`;
        return parts.length === 1
          ? `${what}; wait for it with: roost job wait ${job.id}`
          : `${what}\nWait for them with: roost job wait ${parts.map((p) => p.id).join(' ')}`;
      });
    });
  }
  if (action === 'run') {
    const request = runRequestOf('run', rest, v);
    const split = request.split !== undefined;
    return withClient(
      ctx,
      async (client) => {
        /** Names the part on each line when a batch was split. */
        let names = new Map<string, string>();
        /** Where each job's sets stood when first seen running: its pace, for the time left. */
        const paces = new Map<string, PaceStart>();
        const progress = (
          id: string,
          p: { stage: string; setsDone: number; setsTotal: number; message?: string | undefined },
        ) => {
          const at = performance.now();
          const start = paces.get(id);
          if (p.stage === 'running' && !start) paces.set(id, { at, setsDone: p.setsDone });
          const ms = p.stage === 'running' && start ? remainingMs(start, at, p) : undefined;
          // The end is said once, below, as done or failed: no "[done]" line before "failed".
          if (!ctx.json && p.stage !== 'done')
            ctx.io.stderr(
              `${names.has(id) ? `${names.get(id)}: ` : ''}[${p.stage}] ${p.setsDone}/${p.setsTotal} input sets${p.message ? `: ${p.message}` : ''}${ms !== undefined ? `, ${leftWords(ms)}` : ''}\n`,
            );
        };
        const last = new Map<string, string>();
        const follow = (id: string, p: Parameters<typeof progressKey>[0]) => {
          const key = progressKey(p);
          if (key !== last.get(id)) progress(id, p as never);
          last.set(id, key);
        };
        let details: JobDetail[];
        if (client.inProcess && client.events) {
          // Here: run it now, following its progress events.
          // This job's progress only: the agent may run others meanwhile (market jobs). Ours are
          // the private jobs queued during the call (a split batch queues its parts at once).
          const ours = new Set<string>();
          const stop = client.events.subscribe((e) => {
            if (e.event === 'job.stateChanged') {
              const { job } = e.payload;
              if (
                job.origin === 'private' &&
                job.state === 'queued' &&
                (split || ours.size === 0)
              ) {
                ours.add(job.id);
                if (split && job.name) names.set(job.id, job.name);
              }
              return;
            }
            if (e.event !== 'job.progress' || !ours.has(e.payload.jobId)) return;
            follow(e.payload.jobId, e.payload.progress);
          });
          let ran;
          try {
            ran = await client.call('job.run', request as never);
          } finally {
            stop();
          }
          if (!ran.ok) return print(ctx, ran, () => '');
          details = ran.value.parts ?? [ran.value];
        } else {
          // Through the running Roost (roost serve, or the desktop app): queue it there and follow it.
          const queued = await client.call('job.add', request as never);
          if (!queued.ok) return print(ctx, queued, () => '');
          const parts = queued.value.parts ?? [queued.value];
          if (parts.length > 1) names = new Map(parts.map((j) => [j.id, j.name ?? j.id]));
          const latest = new Map<string, JobDetail>();
          for (;;) {
            for (const part of parts) {
              if (latest.has(part.id) && terminal.has(latest.get(part.id)!.state)) continue;
              const shown = await client.call('job.show', { id: part.id });
              if (!shown.ok) return print(ctx, shown, () => '');
              latest.set(part.id, shown.value);
              follow(part.id, shown.value.progress);
            }
            if ([...latest.values()].every((j) => terminal.has(j.state))) break;
            await new Promise((r) => setTimeout(r, 300));
          }
          details = parts.map((p) => latest.get(p.id) as JobDetail);
        }
        if (ctx.json)
          ctx.io.stdout(
            JSON.stringify(details.length > 1 ? { ...details[0], parts: details } : details[0]) +
              '\n',
          );
        const failed = details.filter((j) => j.state !== 'done');
        if (failed.length === 0) {
          if (!ctx.json) ctx.io.stdout(doneWords(details) + '\n');
          return EXIT_OK;
        }
        for (const job of failed)
          ctx.io.stderr(
            // A cancelled job's reason is often just "cancelled": not said twice.
            `Error: Job ${job.id}${details.length > 1 && job.name ? ` (${job.name})` : ''} ${job.state}${jobReason(job.state, job.error?.message)}\n`,
          );
        return EXIT_FAILURE;
        // The job's own "failed" line is the Error line above: not said twice.
      },
      isJobFailureLine,
    );
  }
  if (action === 'submit') {
    const [file, ...extra] = rest;
    if (!file || extra.length > 0)
      throw new UsageError(
        `${file ? `Unexpected "${extra.join(' ')}".` : 'Say which spec: roost job submit <spec.json>.'}\nUsage: roost job submit <spec.json>`,
      );
    let text: string;
    try {
      text = await readFile(resolvePath(file), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return print(
        ctx,
        flagRefusal(
          code === 'ENOENT'
            ? `No file at ${resolvePath(file)}.`
            : `The job spec ${file} cannot be read: ${(error as Error).message}`,
        ),
        () => '',
      );
    }
    let spec: unknown;
    try {
      spec = JSON.parse(text);
    } catch (error) {
      return print(
        ctx,
        flagRefusal(
          // JSON.parse quotes the start of the file, line breaks and all: one line here.
          `The job spec ${file} is not JSON (${(error as Error).message.replace(/\s+/g, ' ')}). ${SPEC_HINT}`,
        ),
        () => '',
      );
    }
    return withClient(ctx, async (client) => {
      const r = await client.call('job.submit', spec as never);
      // The refusal names the fields; where the format is written down is the next question.
      if (!r.ok && r.error.code === 'INVALID_PARAMS')
        return print(
          ctx,
          { ok: false, error: { ...r.error, message: `${r.error.message} ${SPEC_HINT}` } },
          () => '',
        );
      return print(ctx, r, (j) =>
        client.inProcess
          ? `Job ${j.id} queued. It runs while Roost runs (roost serve, or the desktop app).`
          : `Job ${j.id} queued; wait for it with: roost job wait ${j.id}`,
      );
    });
  }
  if (action === 'list' || action === undefined) {
    const { states, limit } = listFilterOf(rest, v);
    return withClient(ctx, async (client) => {
      // One more than shown, to know whether there are more.
      const r = await client.call('job.list', {
        ...(states ? { states } : {}),
        limit: Math.min(limit + 1, JOB_LIST_MAX),
      });
      if (!r.ok) return print(ctx, r, () => '');
      const jobs = r.value.jobs.slice(0, limit);
      const more = r.value.jobs.length > limit || jobs.length === JOB_LIST_MAX;
      const value = { jobs, ...(r.value.counts ? { counts: r.value.counts } : {}) };
      return print(ctx, { ok: true, value }, () => {
        if (jobs.length === 0)
          return states
            ? `No ${states.join(' or ')} jobs. roost job list shows them all.`
            : 'No jobs yet. Run one with: roost job run --model <m.onnx> --input <name>=<x.npy>';
        return [
          ...jobs.map(
            (j) =>
              `${j.id}  ${j.state.padEnd(9)} ${j.origin.padEnd(8)} ${j.progress.setsDone}/${j.progress.setsTotal}${j.queuePlace ? `  ${queuePlaceWords(j.queuePlace)}` : ''}${j.device ? `  ${j.device.name}` : ''}  ${j.name ?? ''}${j.error ? `  ${j.error.message}` : j.progress.stage === 'waiting' && j.progress.message ? `  ${j.progress.message}` : ''}`,
          ),
          ...(more
            ? [
                `(the newest ${jobs.length} shown${limit < JOB_LIST_MAX ? `; --limit ${JOB_LIST_MAX} shows more` : ''}${states ? '' : ', --state failed only those that failed'})`,
              ]
            : []),
        ].join('\n');
      });
    });
  }
  if (action === 'inspect') {
    const [file, ...extra] = rest;
    if (!file || extra.length > 0)
      throw new UsageError(
        `${file ? `Unexpected "${extra.join(' ')}".` : 'Say which model: roost job inspect <model.onnx>.'}\nUsage: roost job inspect <model.onnx> [--json]`,
      );
    return withClient(ctx, async (client) =>
      print(ctx, await client.call('job.inspectModel', { model: resolvePath(file) }), modelWords),
    );
  }
  if (action === 'cancel' && v.queued === true) {
    if (rest.length > 0)
      throw new UsageError(
        'roost job cancel --queued cancels every queued private job; give no ids with it.\nUsage: roost job cancel <id>... | cancel --queued',
      );
    return withClient(ctx, async (client) =>
      print(ctx, await client.call('job.cancelQueued', {}), ({ cancelled }) =>
        cancelled.length === 0
          ? 'No private job is queued: nothing to cancel.'
          : [
              `Cancelled ${cancelled.length === 1 ? 'the queued job' : `${cancelled.length} queued jobs`} (running jobs and market jobs go on):`,
              ...cancelled.map((id) => `  ${id}`),
            ].join('\n'),
      ),
    );
  }
  if (action === 'cancel') {
    if (rest.length === 0)
      throw new UsageError(
        'Say which jobs: roost job cancel <id>... (roost job list shows them; a split batch is one job per part).\nUsage: roost job cancel <id>...',
      );
    return eachId(
      ctx,
      rest,
      (client, id) => client.call('job.cancel', { id }),
      (j) => `Job ${j.id}: ${j.state}.`,
    );
  }
  if (action === 'next') {
    if (rest.length === 0)
      throw new UsageError(
        'Say which queued jobs: roost job next <id>... (roost job list --state queued shows them).\nUsage: roost job next <id>...',
      );
    return withClient(ctx, async (client) => {
      // The last moved goes first: moved from the last to the first, they run in the order given.
      const ids = [...new Set(rest)];
      const answers = new Map<string, Result<ResultOf<'job.runNext'>>>();
      for (const id of [...ids].reverse())
        answers.set(id, withListHint(await client.call('job.runNext', { id })));
      let code = EXIT_OK;
      let place = 0;
      for (const id of ids) {
        const r = print(ctx, answers.get(id)!, () => `Job ${id} is ${queuePlaceWords(++place)}.`);
        if (r !== EXIT_OK) code = r;
      }
      return code;
    });
  }
  if (action === 'rerun') {
    if (rest.length === 0)
      throw new UsageError(
        'Say which jobs: roost job rerun <id>... (roost job list shows them).\nUsage: roost job rerun <id>...',
      );
    return eachId(
      ctx,
      rest,
      (client, id) => client.call('job.runAgain', { id }),
      (j, id) => `Job ${id} queued again as job ${j.id}.`,
    );
  }
  if (action === 'show') {
    const [id, ...extra] = rest;
    if (!id || extra.length > 0)
      throw new UsageError(
        `${id ? `Unexpected "${extra.join(' ')}".` : `Say which job: roost job ${action} <id> (roost job list shows them).`}\nUsage: roost job ${action} <id>`,
      );
    return withClient(ctx, async (client) => {
      const shown = withListHint(await client.call('job.show', { id }));
      // Each output at a glance, read by the agent: said under the output, or why it could not.
      const previews = new Map<string, string[]>();
      const read: { file: string; preview?: OutputPreview; error?: string }[] = [];
      if (v.preview === true && shown.ok)
        for (const o of shown.value.result?.receipt.outputs ?? []) {
          const r = await client.call('job.outputPreview', { id, file: o.file });
          if (r.ok) {
            const { problem, summary } = previewWords(r.value);
            previews.set(o.file, [...(problem ? [`    ${problem}`] : []), `    ${summary}`]);
            read.push({ file: o.file, preview: r.value });
          } else {
            previews.set(o.file, [`    no preview: ${r.error.message}`]);
            read.push({ file: o.file, error: r.error.message });
          }
        }
      const result =
        v.preview === true && shown.ok
          ? { ok: true as const, value: { ...shown.value, previews: read } }
          : shown;
      return print(ctx, result, (j) =>
        [
          `Job ${j.id} (${j.origin}${j.name ? `, ${j.name}` : ''}): ${j.state}`,
          `Progress: ${j.progress.stage}, ${j.progress.setsDone}/${j.progress.setsTotal} input sets${j.progress.message ? ` (${j.progress.message})` : ''}${j.queuePlace ? `; ${queuePlaceWords(j.queuePlace)}${j.origin === 'private' && j.queuePlace > 1 ? ` (roost job next ${j.id} puts it first)` : ''}` : ''}`,
          ...(j.executionProvider
            ? [`Ran on: ${executionProviderName(j.executionProvider)}${deviceWords(j.device)}`]
            : j.device
              ? [`Runs on: ${j.device.name}`]
              : []),
          ...(j.deviceWanted !== undefined ? [`Asked for: ${j.deviceWanted.name} only`] : []),
          ...(j.fallbacks.length > 0
            ? [
                `Passed over: ${j.fallbacks.map((f) => `${executionProviderName(f.ep)}: ${f.reason}`).join('; ')}`,
              ]
            : []),
          ...(j.error ? [`Error: ${j.error.message}`] : []),
          // What the Jobs page shows beside it: the layers that held, the time, who signed.
          ...(j.sandbox ? [`Sandbox: ${sandboxWords(j.sandbox)}`] : []),
          ...(j.result
            ? [
                `Time: ${jobTimeWords(j.result.receipt.timings)}`,
                `Signed by: ${j.result.signature.signer}`,
              ]
            : []),
          `Folder: ${j.jobDir}`,
          // Where the outputs are, as the Jobs page says it: the copy asked for, if any.
          ...(j.result
            ? [
                `Outputs: ${j.exportedTo ?? join(j.jobDir, 'out')}`,
                ...j.result.receipt.outputs.flatMap((o) => [
                  `  ${o.name}: ${o.file} (${o.dtype} ${JSON.stringify(o.shape)})`,
                  ...(previews.get(o.file) ?? []),
                ]),
                `Signed result: ${join(j.exportedTo ?? join(j.jobDir, 'out'), 'result.json')}`,
              ]
            : []),
          // What happened, step by step, with --history (the journal keeps every step).
          ...(v.history === true
            ? ['History:', ...j.history.map((h) => `  ${h.at}  ${h.state.padEnd(9)} ${h.message}`)]
            : []),
        ].join('\n'),
      );
    });
  }
  throw new UsageError(`Unknown job action "${action}". Usage: ${jobCommand.usage}`);
}

async function removeJobs(
  ctx: Context,
  ids: string[],
  finishedBefore: string | boolean | string[] | undefined,
  dryRun: boolean,
): Promise<number> {
  const usage =
    'Usage: roost job remove <id>... | roost job remove --finished-before <30d|12h|date> [--dry-run]';
  let params: ({ ids: string[] } | { finishedBefore: string }) & { dryRun?: boolean };
  let when: string | undefined;
  if (typeof finishedBefore === 'string') {
    if (ids.length > 0)
      throw new UsageError(
        `Give job ids or --finished-before, not both (got "${ids.join(' ')}").\n${usage}`,
      );
    const parsed = parseFinishedBefore(finishedBefore);
    if (!parsed)
      throw new UsageError(
        `--finished-before takes ${FINISHED_BEFORE_FORMS} (got "${finishedBefore}").`,
      );
    params = { finishedBefore: parsed.at.toISOString() };
    when = parsed.words;
  } else {
    if (ids.length === 0)
      throw new UsageError(
        `Say which jobs: roost job remove <id>... (roost job list shows them), or every one finished before a time: --finished-before 30d.\n${usage}`,
      );
    if (ids.length > 1000)
      throw new UsageError(
        `At most 1000 job ids at a time (got ${ids.length}); --finished-before takes them by age.`,
      );
    params = { ids };
  }
  if (dryRun) params.dryRun = true;
  return withClient(ctx, async (client) =>
    print(ctx, withListHint(await client.call('job.remove', params)), (r) => removedWords(r, when)),
  );
}
