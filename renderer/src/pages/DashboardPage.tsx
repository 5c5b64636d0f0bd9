import { useState } from 'react';
import { useAgent } from '../AgentContext.tsx';
import { GpuCards } from '../components/GpuCards.tsx';
import { WhyNoJobs } from '../components/WhyNoJobs.tsx';
import { Earnings } from '../components/Earnings.tsx';
import { SetupEntry } from '../components/SetupEntry.tsx';
import { AgentText } from '../components/AgentText.tsx';
import { DisputesWaiting } from '../components/Disputes.tsx';
import { PostedJobsWaiting } from '../components/PostedJobs.tsx';

function formatUptime(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

const hostNames = {
  electron: 'desktop app',
  serve: 'headless (roost serve)',
  cli: 'command line',
  test: 'test',
} as const;

/** Activity lines shown before "Show all" (the agent keeps 200). */
const ACTIVITY_LINES = 12;

export function DashboardPage() {
  const { status, version, log, client, refresh } = useAgent();
  const [showAll, setShowAll] = useState(false);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Dashboard</h1>
      {status?.warnings.map((w) => (
        <div key={w.id} className="banner banner-warn banner-dismissable" role="alert">
          <span>
            <AgentText text={w.message} />
          </span>
          <button
            type="button"
            className="secondary"
            onClick={() => void client.call('agent.dismissWarning', { id: w.id }).then(refresh)}
          >
            Dismiss
          </button>
        </div>
      ))}
      <DisputesWaiting />
      <PostedJobsWaiting />
      <SetupEntry />
      <div className="cards">
        <article className="card" aria-labelledby="agent-card">
          <h2 id="agent-card">Agent</h2>
          {status ? (
            <dl className="facts">
              <dt>State</dt>
              <dd data-testid="agent-state">
                <span className={`dot dot-${status.state}`} aria-hidden="true" />
                {status.state === 'running'
                  ? 'Running'
                  : status.state === 'starting'
                    ? 'Starting'
                    : 'Stopping'}
              </dd>
              <dt>Mode</dt>
              <dd>{hostNames[status.host]}</dd>
              <dt>Up for</dt>
              <dd>{formatUptime(status.uptimeSeconds)}</dd>
              <dt>Data folder</dt>
              <dd className="path">{status.dataDir}</dd>
              {version && (
                <>
                  <dt>Version</dt>
                  <dd>
                    Roost {version.roost} · Node {version.node}
                    {version.electron ? ` · Electron ${version.electron}` : ''} · {version.platform}{' '}
                    {version.arch}
                  </dd>
                </>
              )}
            </dl>
          ) : (
            <p className="muted">Waiting for the agent…</p>
          )}
        </article>
      </div>
      <div className="cards">
        <WhyNoJobs />
        <Earnings />
      </div>
      <GpuCards />
      <article className="card" aria-labelledby="activity-card">
        <h2 id="activity-card">Activity</h2>
        {log.length === 0 ? (
          <p className="muted">Nothing has happened yet.</p>
        ) : (
          <ol className="log" aria-live="polite" data-testid="activity">
            {log
              .slice(showAll ? 0 : -ACTIVITY_LINES)
              .reverse()
              .map((entry, i) => (
                <li key={`${entry.at}-${i}`} className={`log-${entry.level}`}>
                  <time dateTime={entry.at}>{new Date(entry.at).toLocaleTimeString()}</time>
                  <span className="log-subsystem">{entry.subsystem}</span>
                  <span>
                    <AgentText text={entry.message} asSentence={false} />
                  </span>
                </li>
              ))}
          </ol>
        )}
        {log.length > ACTIVITY_LINES && (
          <button type="button" className="link" onClick={() => setShowAll(!showAll)}>
            {showAll ? `Show the latest ${ACTIVITY_LINES}` : `Show all ${log.length}`}
          </button>
        )}
      </article>
    </section>
  );
}
