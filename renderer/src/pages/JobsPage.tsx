import { useCallback, useEffect, useRef, useState } from 'react';
import {
  diskWords,
  jobWords,
  leftWords,
  queuePlaceWords,
  remainingMs,
  type PaceStart,
  type Result,
  type ResultOf,
} from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { AgentText } from '../components/AgentText.tsx';
import { DisputesToRule } from '../components/Disputes.tsx';
import { MarketLeases } from '../components/MarketLeases.tsx';
import { PostedJobs } from '../components/PostedJobs.tsx';
import { AddJob } from '../components/AddJob.tsx';
import { JobDetailView } from '../components/JobDetail.tsx';
import { finished, stateWords, whereWords } from './job-words.ts';
import {
  filterHelps,
  groupCount,
  groupOf,
  inGroup,
  JOB_GROUPS,
  type JobCounts,
  type JobGroup,
} from './job-filter.ts';

type Summary = ResultOf<'job.list'>['jobs'][number];

/** `job resnet` → `Job resnet`, to start a sentence. */
const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Jobs the page lists at first; Show more adds as many, up to job.list's most. */
const LIST_LIMIT = 200;
const LIST_MOST = 1000;
const DAY_MS = 86_400_000;
/** The ages "Remove finished jobs older than" offers, in days. */
const AGES = [7, 30, 90] as const;

type Removed = ResultOf<'job.remove'>;

/**
 * A job that Remove may take, as the agent says: finished, and private or a market job whose
 * lease is done with it (paid or ended).
 */
const removable = (job: Summary) => job.removable;

/** What a removal leaves of market jobs, said before it. */
const MARKET_STAYS = 'Market jobs stay while their lease runs; what they paid stays.';

/** What the page says a removal did. */
function removedWords(removed: Removed, name?: string): string {
  const n = removed.removed.length;
  if (n === 0) return 'Nothing to remove: those jobs are gone already.';
  const what = n === 1 ? (name ?? '1 finished job') : `${n} finished jobs`;
  return `Removed ${what}, freed ${diskWords(removed.bytesFreed)}.`;
}

/**
 * A question asked in place, before something that cannot be undone: the question, the button
 * that does it and Keep. The first button takes the focus; Escape is Keep.
 */
function ConfirmInPlace<T>({
  label,
  question,
  confirm,
  doing = 'Removing…',
  keep = 'Keep',
  run,
  onDone,
  onKeep,
}: {
  /** The group's name for screen readers, e.g. "Remove job resnet". */
  label: string;
  question: string;
  /** The button's words, e.g. "Remove" or "Remove 12 jobs". */
  confirm: string;
  /** The button's words while it runs. */
  doing?: string;
  /** The other button's words. */
  keep?: string;
  run: () => Promise<Result<T>>;
  onDone: (value: T) => void;
  onKeep: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  const go = async () => {
    setBusy(true);
    const r = await run();
    setBusy(false);
    if (r.ok) onDone(r.value);
    else setProblem(describeError(r.error));
  };
  return (
    <div
      className="review remove-confirm"
      role="group"
      aria-label={label}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !busy) onKeep();
      }}
    >
      <p>{question}</p>
      {problem && (
        <div className="banner banner-error" role="alert">
          {problem}
        </div>
      )}
      <div className="actions-inline">
        <button ref={first} type="button" onClick={() => void go()} disabled={busy}>
          {busy ? doing : confirm}
        </button>
        <button type="button" className="secondary" onClick={onKeep} disabled={busy}>
          {keep}
        </button>
      </div>
    </div>
  );
}

/**
 * "Cancel every queued job…": a batch queued by mistake goes at once, after a question in place.
 * Running jobs and market jobs (a lease each) go on.
 */
function CancelQueued({ onCancelled }: { onCancelled: (ids: string[]) => void }) {
  const { client } = useAgent();
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <div className="actions-inline remove-older">
        <button type="button" className="secondary" onClick={() => setAsking(true)}>
          Cancel every queued job…
        </button>
      </div>
    );
  return (
    <ConfirmInPlace
      label="Cancel every queued job"
      question="Cancel every private job still queued? None of them has started; running jobs and market jobs go on."
      confirm="Cancel them"
      doing="Cancelling…"
      keep="Keep them"
      run={() => client.call('job.cancelQueued', {})}
      onDone={({ cancelled }) => {
        setAsking(false);
        onCancelled(cancelled);
      }}
      onKeep={() => setAsking(false)}
    />
  );
}

/**
 * "Remove finished jobs older than [7|30|90 days]": asks the agent first what that would take
 * (job.remove with dryRun: every job, not only the ones this page lists) and says how many jobs
 * and how much space, then removes by that same time, so what was counted is what goes.
 */
function RemoveOlder({ onRemoved }: { onRemoved: (removed: Removed) => void }) {
  const { client } = useAgent();
  const [days, setDays] = useState<number>(30);
  /** What the agent said the removal would take, while the question is open. */
  const [asked, setAsked] = useState<{ days: number; before: string; taken: Removed }>();
  const [asking, setAsking] = useState(false);
  const [problem, setProblem] = useState<string>();
  const button = useRef<HTMLButtonElement>(null);
  const keep = () => {
    setAsked(undefined);
    button.current?.focus();
  };
  const ask = async () => {
    const before = new Date(Date.now() - days * DAY_MS).toISOString();
    setAsking(true);
    setProblem(undefined);
    const r = await client.call('job.remove', { finishedBefore: before, dryRun: true });
    setAsking(false);
    if (r.ok) setAsked({ days, before, taken: r.value });
    else setProblem(describeError(r.error));
  };
  const n = asked?.taken.removed.length ?? 0;
  return (
    <div className="remove-older">
      <div className="actions-inline">
        <label htmlFor="remove-older-age">Remove finished jobs older than</label>
        <select
          id="remove-older-age"
          value={days}
          onChange={(e) => {
            setDays(Number(e.target.value));
            setAsked(undefined);
          }}
        >
          {AGES.map((d) => (
            <option key={d} value={d}>
              {d} days
            </option>
          ))}
        </select>
        <button
          ref={button}
          type="button"
          className="secondary"
          aria-label={`Remove finished jobs older than ${days} days`}
          aria-expanded={asked !== undefined}
          disabled={asking}
          onClick={() => void ask()}
        >
          {asking ? 'Counting…' : 'Remove…'}
        </button>
      </div>
      {problem && (
        <div className="banner banner-error" role="alert">
          {problem}
        </div>
      )}
      {asked &&
        (n === 0 ? (
          <p className="muted" role="status">
            No finished job is older than {asked.days} days: nothing to remove.
          </p>
        ) : (
          <ConfirmInPlace
            label={`Remove finished jobs older than ${asked.days} days`}
            question={`Remove ${n} finished ${n === 1 ? 'job' : 'jobs'} older than ${asked.days} days, with ${n === 1 ? 'its' : 'their'} outputs (${diskWords(asked.taken.bytesFreed)})? ${MARKET_STAYS}`}
            confirm={`Remove ${n} ${n === 1 ? 'job' : 'jobs'}`}
            run={() => client.call('job.remove', { finishedBefore: asked.before })}
            onDone={(removed) => {
              setAsked(undefined);
              onRemoved(removed);
            }}
            onKeep={keep}
          />
        ))}
    </div>
  );
}

/** `left`: how long the job has left at its pace, in words, once the page has seen enough. */
function Progress({ job, left }: { job: Summary; left?: string | undefined }) {
  const { setsDone, setsTotal, stage, message } = job.progress;
  const pct = setsTotal > 0 ? Math.round((100 * setsDone) / setsTotal) : 0;
  // A job waiting for its GPU says why ("waiting for RTX 3070 #2, busy with another job"):
  // "waiting, 0/1 (0 %)" would read as stuck.
  const waiting = stage === 'waiting' ? (message ?? 'waiting for its GPU to be free') : undefined;
  return (
    <div className="job-progress">
      <progress
        max={Math.max(1, setsTotal)}
        value={setsDone}
        aria-label={`${job.name ?? job.id}: ${setsDone} of ${setsTotal} input sets`}
      />
      <span className="muted">
        {finished.has(job.state)
          ? `${setsDone}/${setsTotal} input sets`
          : waiting !== undefined
            ? waiting.charAt(0).toUpperCase() + waiting.slice(1)
            : `${stage}, ${setsDone}/${setsTotal} (${pct} %)${left ? ` · ${left}` : ''}`}
      </span>
    </div>
  );
}

/**
 * A job.list answer merged into the list the events keep: an answer can be older than a
 * job.stateChanged that came while it was on its way (a job that failed 11 ms after it was added
 * stayed "Fetching" until a reload), so each job keeps its most recent record (updatedAt; a
 * finished one wins a tie), and jobs the answer does not know yet stay.
 */
export function mergeJobs(current: readonly Summary[] | undefined, listed: readonly Summary[]) {
  const byId = new Map(listed.map((j) => [j.id, j]));
  for (const j of current ?? []) {
    const other = byId.get(j.id);
    const later =
      !other ||
      j.updatedAt > other.updatedAt ||
      (j.updatedAt === other.updatedAt && finished.has(j.state) && !finished.has(other.state));
    if (later) byId.set(j.id, j);
  }
  return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export function JobsPage() {
  const { client, subscribe } = useAgent();
  const [jobs, setJobs] = useState<Summary[]>();
  const [open, setOpen] = useState<string>();
  const [problem, setProblem] = useState<string>();
  /** The job whose Remove asks to be confirmed. */
  const [removing, setRemoving] = useState<string>();
  /** What the last removal did. */
  const [notice, setNotice] = useState<string>();

  /** Which jobs the queue and history shows, and how many of them it asks for. */
  const [group, setGroup] = useState<JobGroup['id']>('all');
  const [limit, setLimit] = useState(LIST_LIMIT);
  /** How many jobs there are of each state, from the latest list. */
  const [counts, setCounts] = useState<JobCounts>();
  /** Where each running job's sets stood when the page first saw it run, and its time left. */
  const paces = useRef(new Map<string, PaceStart>());
  const [left, setLeft] = useState<Record<string, string>>({});
  const shownGroup = groupOf(group);

  const list = useCallback(
    () =>
      client.call('job.list', {
        ...(shownGroup.states ? { states: [...shownGroup.states] } : {}),
        limit,
      }),
    [client, shownGroup, limit],
  );
  const take = useCallback((r: Awaited<ReturnType<typeof list>>) => {
    if (r.ok) {
      setJobs((old) => mergeJobs(old, r.value.jobs));
      if (r.value.counts) setCounts(r.value.counts);
      setProblem(undefined);
    } else setProblem(describeError(r.error));
  }, []);
  const load = useCallback(async () => take(await list()), [list, take]);
  /** The latest load, for the events' handler, which outlives a change of filter. */
  const latestLoad = useRef(load);
  useEffect(() => {
    latestLoad.current = load;
  }, [load]);

  useEffect(() => {
    let live = true;
    void list().then((r) => {
      if (live) take(r);
    });
    return () => {
      live = false;
    };
  }, [list, take]);

  useEffect(() => {
    let live = true;
    /** The counts after jobs moved: one list a second at most, however many moved. */
    let recount: ReturnType<typeof setTimeout> | undefined;
    const countAgain = () => {
      recount ??= setTimeout(() => {
        recount = undefined;
        if (live) void latestLoad.current();
      }, 1000);
    };
    const stop = subscribe((e) => {
      if (e.event === 'job.stateChanged') {
        setJobs((list) => {
          const rest = (list ?? []).filter((j) => j.id !== e.payload.job.id);
          return [e.payload.job, ...rest].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        });
        countAgain();
      } else if (e.event === 'job.progress') {
        const { jobId, progress } = e.payload;
        if (progress.stage === 'running') {
          const at = performance.now();
          const start = paces.current.get(jobId);
          if (!start) paces.current.set(jobId, { at, setsDone: progress.setsDone });
          const ms = start ? remainingMs(start, at, progress) : undefined;
          if (ms !== undefined) setLeft((old) => ({ ...old, [jobId]: leftWords(ms) }));
        }
        setJobs((list) =>
          list?.map((j) => (j.id === e.payload.jobId ? { ...j, progress: e.payload.progress } : j)),
        );
      } else if (e.event === 'job.removed') {
        // Removed here or elsewhere (roost job remove, another window): gone from the list.
        const gone = new Set(e.payload.ids);
        setJobs((list) => list?.filter((j) => !gone.has(j.id)));
        countAgain();
      } else if (e.event === 'market.lease' && e.payload.localJobId !== null) {
        // A lease that ran a local job moved (paid, ended): the job may be removable now. Its
        // own record did not change, so no job event says so.
        void latestLoad.current();
      }
    });
    return () => {
      live = false;
      if (recount) clearTimeout(recount);
      stop();
    };
  }, [subscribe]);

  const shown = jobs?.filter((job) => inGroup(job, shownGroup));
  /** Jobs of the group that the list has not reached (older ones). */
  const unlisted = counts && shown ? groupCount(counts, shownGroup) - shown.length : 0;

  /** A row's action answered: its notice and the list again, or why not. */
  const answered = async (call: Promise<Result<unknown>>, notice: string) => {
    const r = await call;
    setNotice(r.ok ? notice : undefined);
    if (r.ok) void load();
    else setProblem(describeError(r.error));
  };

  const removed = (result: Removed, name?: string) => {
    const gone = new Set(result.removed);
    setJobs((list) => list?.filter((j) => !gone.has(j.id)));
    setRemoving(undefined);
    setNotice(removedWords(result, name));
    void load();
  };

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Jobs</h1>
      {problem && (
        <div className="banner banner-error" role="alert">
          {problem}
        </div>
      )}
      <MarketLeases />
      <DisputesToRule />
      <AddJob onAdded={() => void load()} />
      <PostedJobs />
      <section className="card" aria-labelledby="queue-title">
        <h2 id="queue-title">Queue and history</h2>
        {notice && (
          <div className="banner banner-ok" role="status">
            {notice}
          </div>
        )}
        {jobs?.some(removable) && <RemoveOlder onRemoved={(result) => removed(result)} />}
        {(filterHelps(counts) || group !== 'all') && counts && (
          <div className="job-filter" role="group" aria-label="Show jobs">
            {JOB_GROUPS.map((g) => (
              <button
                key={g.id}
                type="button"
                className="secondary"
                aria-pressed={g.id === group}
                onClick={() => {
                  setGroup(g.id);
                  setLimit(LIST_LIMIT);
                }}
              >
                {g.label} <span className="count">{groupCount(counts, g).toLocaleString()}</span>
              </button>
            ))}
          </div>
        )}
        {group === 'active' &&
          shown?.some((j) => j.state === 'queued' && j.origin === 'private') && (
            <CancelQueued
              onCancelled={(ids) => {
                setNotice(
                  ids.length === 0
                    ? 'No private job was still queued: nothing was cancelled.'
                    : `Cancelled ${ids.length === 1 ? 'the queued job' : `${ids.length.toLocaleString()} queued jobs`}.`,
                );
                void load();
              }}
            />
          )}
        {!jobs || !shown ? (
          <p className="muted">Loading…</p>
        ) : jobs.length === 0 ? (
          <p className="muted">
            No jobs yet. Add a private job above; market jobs appear here once Roost takes them.
          </p>
        ) : shown.length === 0 ? (
          <p className="muted">{shownGroup.none}</p>
        ) : (
          <ul className="jobs" data-testid="jobs">
            {shown.map((job) => (
              <li key={job.id} className={`job job-${job.state}`}>
                <div className="job-head">
                  <span className={`state-pill state-job-${job.state}`}>
                    {/* Fetched and checked, it waits for its GPU: no longer fetching anything. */}
                    {job.progress.stage === 'waiting' && !finished.has(job.state)
                      ? 'Waiting'
                      : stateWords[job.state]}
                  </span>
                  <strong>{job.name ?? job.id}</strong>
                  <span className="muted">
                    {job.origin === 'market' ? 'from the market' : 'private'} ·{' '}
                    {new Date(job.createdAt).toLocaleString()}
                    {whereWords(job) ? ` · ${whereWords(job)}` : ''}
                    {job.queuePlace ? ` · ${queuePlaceWords(job.queuePlace)}` : ''}
                  </span>
                  <span className="job-actions">
                    {job.origin === 'private' &&
                      job.queuePlace !== undefined &&
                      job.queuePlace > 1 && (
                        <button
                          type="button"
                          className="secondary"
                          aria-label={`Run next ${job.name ?? job.id}`}
                          onClick={() =>
                            void answered(
                              client.call('job.runNext', { id: job.id }),
                              `${capitalized(jobWords(job))} is next in line: it takes the next free GPU.`,
                            )
                          }
                        >
                          Run next
                        </button>
                      )}
                    {!finished.has(job.state) && (
                      <button
                        type="button"
                        className="secondary"
                        onClick={() =>
                          void client.call('job.cancel', { id: job.id }).then(() => load())
                        }
                      >
                        Cancel
                      </button>
                    )}
                    {job.origin === 'private' && finished.has(job.state) && (
                      <button
                        type="button"
                        className="secondary"
                        aria-label={`Run again ${job.name ?? job.id}`}
                        onClick={() =>
                          void answered(
                            client.call('job.runAgain', { id: job.id }),
                            `Queued ${jobWords(job)} again, as a new job.`,
                          )
                        }
                      >
                        Run again
                      </button>
                    )}
                    {removable(job) && (
                      <button
                        type="button"
                        id={`remove-${job.id}`}
                        className="secondary"
                        aria-label={`Remove ${job.name ?? job.id}`}
                        aria-expanded={removing === job.id}
                        onClick={() => {
                          setNotice(undefined);
                          setRemoving(removing === job.id ? undefined : job.id);
                        }}
                      >
                        Remove
                      </button>
                    )}
                    <button
                      type="button"
                      className="secondary"
                      aria-expanded={open === job.id}
                      onClick={() => setOpen(open === job.id ? undefined : job.id)}
                    >
                      {open === job.id ? 'Hide details' : 'Details'}
                    </button>
                  </span>
                </div>
                {removing === job.id && (
                  <ConfirmInPlace
                    label={`Remove ${job.name ?? job.id}`}
                    question={`Remove ${jobWords(job)} and its outputs${job.outputBytes === undefined ? '' : ` (${diskWords(job.outputBytes)})`}? Its folder goes; ${job.origin === 'market' ? 'its lease and what it paid stay' : 'a copy made with "Copy the outputs to" stays'}.`}
                    confirm="Remove"
                    run={() => client.call('job.remove', { ids: [job.id] })}
                    onDone={(result) => removed(result, jobWords(job))}
                    onKeep={() => {
                      setRemoving(undefined);
                      document.getElementById(`remove-${job.id}`)?.focus();
                    }}
                  />
                )}
                <Progress job={job} left={job.state === 'running' ? left[job.id] : undefined} />
                {job.error && job.state !== 'done' && (
                  <p className="field-error">
                    <AgentText text={job.error.message} />
                  </p>
                )}
                {open === job.id && <JobDetailView id={job.id} />}
              </li>
            ))}
          </ul>
        )}
        {unlisted > 0 && (
          <p className="muted job-more">
            {limit < LIST_MOST ? (
              <>
                {unlisted.toLocaleString()} older {unlisted === 1 ? 'job is' : 'jobs are'} not
                shown.{' '}
                <button
                  type="button"
                  className="secondary"
                  onClick={() => setLimit((n) => Math.min(LIST_MOST, n + LIST_LIMIT))}
                >
                  Show more
                </button>
              </>
            ) : (
              `The newest ${LIST_MOST.toLocaleString()} are shown; ${unlisted.toLocaleString()} older ones are not (roost job list --state and --limit, or remove old jobs above).`
            )}
          </p>
        )}
      </section>
    </section>
  );
}
