import { useAgent } from '../AgentContext.tsx';

/** Says when the live connection to the agent drops, and that it is retrying. */
export function ConnectionBanner() {
  const { connection } = useAgent();
  if (connection === 'open') return null;
  return (
    <div className="banner banner-warn" role="status">
      {connection === 'connecting'
        ? 'Connecting to the Roost agent…'
        : 'Lost the connection to the Roost agent. Retrying… (is `roost serve` still running?)'}
    </div>
  );
}
