import { useCallback, useEffect, useState } from 'react';
import type { Result, ResultOf, SettingsPatch } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { benchDone, walletMoved } from '../api/agent-events.ts';
import { AgentText } from './AgentText.tsx';
import { InstallCuda } from './InstallCuda.tsx';

type Answer = ResultOf<'diagnostics.whyNoJobs'>;
type Diagnostic = Answer['blockers'][number];

/**
 * Said elsewhere on the Dashboard, with its own action: no GPU is the Hardware section's message,
 * beside its Check again button. It never keeps jobs away (CPU jobs still come), so the headline
 * never rests on it; `roost api diagnostics.whyNoJobs` and the support bundle still carry it.
 */
const SHOWN_ELSEWHERE = new Set<Diagnostic['code']>(['no-gpu']);

/** Where a method's fix is done in the app. */
const pageOf: Record<string, { href: string; label: string }> = {
  'bench.run': { href: '#/benchmark', label: 'Open Benchmark' },
  'wallet.unlock': { href: '#/wallet', label: 'Open Wallet' },
  'wallet.create': { href: '#/wallet', label: 'Open Wallet' },
  'wallet.receive': { href: '#/wallet', label: 'Open Wallet' },
};

/** The one-click fixes that are safe to offer: a suggested setting, registering again. */
function Action({ d, onDone }: { d: Diagnostic; onDone: (error?: string) => void }) {
  const { client } = useAgent();
  const [busy, setBusy] = useState(false);
  const a = d.action;
  if (!a) return null;
  const run = (work: () => Promise<Result<unknown>>) => {
    setBusy(true);
    void work().then((r) => {
      setBusy(false);
      onDone(r.ok ? undefined : describeError(r.error));
    });
  };
  // A command alone after the fix ("… cannot take GPU jobs. roost detect") said neither what
  // it is nor where it goes.
  if (a.kind === 'command')
    return d.fix.includes(a.command) ? null : (
      <span>
        In a terminal: <code className="fix-command">{a.command}</code>
      </span>
    );
  if (a.kind === 'settings') {
    if (a.suggested !== undefined && typeof a.suggested !== 'string') {
      const patch = { [a.section]: { [a.field]: a.suggested } } as SettingsPatch;
      const label = typeof a.suggested === 'boolean' ? 'Turn it on' : `Use ${String(a.suggested)}`;
      return (
        <button
          type="button"
          className="link"
          disabled={busy}
          onClick={() => run(() => client.call('settings.update', patch))}
        >
          {label}
        </button>
      );
    }
    return <a href="#/settings">Open Settings</a>;
  }
  if (a.kind === 'method') {
    if (a.method === 'hardware.installCuda') return <InstallCuda onInstalled={() => onDone()} />;
    if (a.method === 'market.register')
      return (
        <button
          type="button"
          className="link"
          disabled={busy}
          onClick={() => run(() => client.call('market.register'))}
        >
          {busy ? 'Registering…' : 'Register now'}
        </button>
      );
    const page = pageOf[a.method];
    return page ? <a href={page.href}>{page.label}</a> : null;
  }
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
    // The answer changes with the schedule, the settings, the wallet, the market and the score.
    const timer = setInterval(load, 30_000);
    const stop = subscribe((e) => {
      if (
        e.event === 'schedule.changed' ||
        e.event === 'settings.changed' ||
        e.event === 'market.changed' ||
        e.event === 'market.lease' ||
        walletMoved(e) ||
        benchDone(e)
      )
        load();
    });
    return () => {
      clearInterval(timer);
      stop();
    };
  }, [load, subscribe]);

  const shown = (list: readonly Diagnostic[]) => list.filter((d) => !SHOWN_ELSEWHERE.has(d.code));
  const blockers = answer ? shown(answer.blockers) : [];
  // One reason is the agent's headline itself: said once, with why and its fix's action under
  // it, not again as the first item of the list. Several are counted in the headline and listed.
  const alone = answer?.answer === 'blocked' && blockers.length === 1 ? blockers[0] : undefined;
  const listed = answer ? [...(alone ? [] : blockers), ...shown(answer.warnings)] : [];
  const done = (failed?: string) => {
    setError(failed);
    load();
  };
  return (
    <article className="card why" aria-labelledby="why-title" data-testid="why-no-jobs">
      <h2 id="why-title">{answer?.answer === 'working' ? 'Working' : 'Why no jobs?'}</h2>
      {error && <p className="field-error">{error}</p>}
      {!answer && !error && <p className="muted">Checking…</p>}
      {answer && (
        <>
          <p className={`why-headline why-${answer.answer}`}>
            <AgentText text={answer.headline} />
          </p>
          {alone && (
            <div className="why-detail" data-code={alone.code}>
              <AgentText text={alone.message} /> <Action d={alone} onDone={done} />
            </div>
          )}
          {listed.length > 0 && (
            <ul className="diagnostics">
              {listed.map((d) => (
                <li key={d.id} className={`diag-${d.severity}`} data-code={d.code}>
                  <strong>{d.title}</strong>
                  <span>
                    <AgentText text={d.message} />
                  </span>
                  <span className="fix">
                    <AgentText text={d.fix} /> <Action d={d} onDone={done} />
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
