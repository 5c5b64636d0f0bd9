import { useCallback, useEffect, useState } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';

type Answer = ResultOf<'diagnostics.whyNoJobs'>;
type Diagnostic = Answer['blockers'][number];

function Action({ d }: { d: Diagnostic }) {
  const a = d.action;
  if (!a) return null;
  if (a.kind === 'command')
    return d.fix.includes(a.command) ? null : <code className="fix-command">{a.command}</code>;
  if (a.kind === 'settings') return <a href="#/settings">Open Settings</a>;
  if (a.kind === 'url') return null;
  return null;
}

/** "Why am I getting no work?" answered on the Dashboard: each blocker with its fix. */
export function WhyNoJobs() {
  const { client, subscribe } = useAgent();
  const [answer, setAnswer] = useState<Answer>();
  const [error, setError] = useState<string>();

  const load = useCallback(() => {
    void client.call('diagnostics.whyNoJobs').then((r) => {
      if (r.ok) {
        setAnswer(r.value);
        setError(undefined);
      } else setError(describeError(r.error));
    });
  }, [client]);

  useEffect(() => {
    load();
    // The answer changes with the schedule and the settings; re-ask when they do.
    return subscribe((e) => {
      if (e.event === 'schedule.changed' || e.event === 'settings.changed') load();
    });
  }, [load, subscribe]);

  return (
    <article className="card why" aria-labelledby="why-title" data-testid="why-no-jobs">
      <h2 id="why-title">{answer?.answer === 'working' ? 'Working' : 'Why no jobs?'}</h2>
      {error && <p className="field-error">{error}</p>}
      {!answer && !error && <p className="muted">Checking…</p>}
      {answer && (
        <>
          <p className={`why-headline why-${answer.answer}`}>{answer.headline}</p>
          {[...answer.blockers, ...answer.warnings].length > 0 && (
            <ul className="diagnostics">
              {[...answer.blockers, ...answer.warnings].map((d) => (
                <li key={d.id} className={`diag-${d.severity}`}>
                  <strong>{d.title}</strong>
                  <span>{d.message}</span>
                  <span className="fix">
                    {d.fix} <Action d={d} />
                  </span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </article>
  );
}
