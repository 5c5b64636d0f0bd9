import { useEffect, useState } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';

type Decision = ResultOf<'schedule.status'>['decisions'][number];

const stateWords = { working: 'Working', idle: 'Idle', paused: 'Paused' } as const;

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
  onChanged,
}: {
  gpuId: string;
  decision: Decision | undefined;
  onChanged: () => void;
}) {
  const { client } = useAgent();
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
  if (!decision) return <p className="muted work-state">Deciding whether this GPU should work…</p>;
  const held = decision.heldBy === 'you';
  return (
    <div className="work-state" data-testid="work-state">
      <p>
        <span className={`state-pill state-${decision.state}`}>{stateWords[decision.state]}</span>{' '}
        <span data-testid="work-reason">
          {decision.reason.replace(/^(working|idle|paused):\s*/i, '')}
        </span>
        {decision.until && (
          <span className="muted"> · until {new Date(decision.until).toLocaleString()}</span>
        )}
      </p>
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
