import { useEffect, useState } from 'react';
import { jobWords, type ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { sentence } from '../words.ts';

type Decision = ResultOf<'schedule.status'>['decisions'][number];
type Job = ResultOf<'job.list'>['jobs'][number];

/** A job in these states has this machine at work: its files coming in, or its model running. */
const ACTIVE: readonly Job['state'][] = ['fetching', 'running'];

/**
 * The pill's words. The policy's `working` means the device may work; it is Working only while a
 * job runs on it, and Ready for jobs before one comes.
 */
const stateWords = {
  working: 'Working',
  ready: 'Ready for jobs',
  // Market jobs off: only the owner's private jobs can come.
  'ready-private': 'Ready for private jobs',
  idle: 'Idle',
  paused: 'Paused',
} as const;

/** The jobs fetching or running now, kept current by `job.stateChanged`. */
export function useActiveJobs(): Job[] {
  const { client, subscribe } = useAgent();
  const [jobs, setJobs] = useState(() => new Map<string, Job>());
  useEffect(() => {
    let live = true;
    // An event is newer than the list: a job it moved is not put back by a late answer.
    const moved = new Set<string>();
    const stop = subscribe((e) => {
      if (e.event !== 'job.stateChanged') return;
      const { job } = e.payload;
      moved.add(job.id);
      setJobs((old) => {
        const next = new Map(old);
        if (ACTIVE.includes(job.state)) next.set(job.id, job);
        else next.delete(job.id);
        return next;
      });
    });
    void client.call('job.list', { states: [...ACTIVE] }).then((r) => {
      if (!live || !r.ok) return;
      setJobs((old) => {
        const next = new Map(old);
        for (const job of r.value.jobs) if (!moved.has(job.id)) next.set(job.id, job);
        return next;
      });
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, subscribe]);
  return [...jobs.values()];
}

/**
 * Whether a job runs on this device. The CPU has a decision only where there is no GPU, so every
 * job runs on it (WebGPU on a software renderer too). A job placed on a GPU (one job per GPU)
 * runs on that one; a job not placed yet (its files coming in) counts for a GPU unless it is
 * set for the CPU.
 */
export function runsOn(job: Job, gpuId: string): boolean {
  if (gpuId === 'cpu') return true;
  if (job.device && job.device.id !== 'gpu') return job.device.id === gpuId;
  return job.executionProvider !== 'cpu';
}

/** Every GPU's work decision, kept current by `schedule.changed`. */
export function useDecisions(): { decisions: Map<string, Decision>; reload: () => void } {
  const { client, subscribe } = useAgent();
  const [decisions, setDecisions] = useState(() => new Map<string, Decision>());
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    const put = (list: Decision[]) => setDecisions(new Map(list.map((d) => [d.gpuId, d])));
    void client.call('schedule.status').then((r) => {
      if (live && r.ok) put(r.value.decisions);
    });
    const stop = subscribe((e) => {
      if (e.event === 'schedule.changed') put(e.payload.decisions);
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, subscribe, tick]);
  return { decisions, reload: () => setTick((t) => t + 1) };
}

/** What holds a GPU and until when, with the manual controls; a manual choice is never overridden silently. */
export function WorkState({
  gpuId,
  decision,
  jobs,
  onChanged,
}: {
  gpuId: string;
  decision: Decision | undefined;
  /** The jobs fetching or running now (`useActiveJobs`). */
  jobs: readonly Job[];
  onChanged: () => void;
}) {
  const { client, settings } = useAgent();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const act = async (call: () => ReturnType<typeof client.call<'schedule.hold'>>) => {
    setBusy(true);
    const r = await call();
    setBusy(false);
    if (r.ok) {
      setProblem(undefined);
      onChanged();
    } else setProblem(describeError(r.error));
  };
  if (!decision)
    return (
      <p className="muted work-state">
        Deciding whether {gpuId === 'cpu' ? 'the CPU' : 'this GPU'} should work…
      </p>
    );
  const held = decision.heldBy === 'you';
  const mine = jobs.filter((j) => runsOn(j, gpuId));
  // Named only where the job is placed on this device: a job still fetching has no GPU yet.
  const placed = mine.filter((j) => j.device !== undefined && j.state === 'running');
  const pill =
    decision.state === 'working' && mine.length === 0
      ? settings?.market.enabled === false
        ? 'ready-private'
        : 'ready'
      : decision.state;
  return (
    <div className="work-state" data-testid="work-state">
      <p>
        <span className={`state-pill state-${pill}`}>{stateWords[pill]}</span>{' '}
        {/* A sentence after the pill ("Ready for jobs  Set to work always."), not the agent's
            lower-case phrase run on from it. */}
        <span data-testid="work-reason">
          {sentence(decision.reason.replace(/^(working|idle|paused):\s*/i, ''))}
        </span>
        {decision.until && (
          <span className="muted"> · until {new Date(decision.until).toLocaleString()}</span>
        )}
      </p>
      {placed.length > 0 && (
        <p className="muted" data-testid="work-jobs">
          Running {placed.map(jobWords).join(', ')}
        </p>
      )}
      <div className="actions-inline">
        {decision.state !== 'paused' && (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() => void act(() => client.call('schedule.hold', { gpuId, action: 'pause' }))}
          >
            Pause
          </button>
        )}
        {decision.state !== 'working' && (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() => void act(() => client.call('schedule.hold', { gpuId, action: 'start' }))}
          >
            Start now
          </button>
        )}
        {held && (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={() => void act(() => client.call('schedule.clearHold', { gpuId }))}
          >
            Back to automatic
          </button>
        )}
      </div>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
