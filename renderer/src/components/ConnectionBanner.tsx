import { useAgent } from '../AgentContext.tsx';

/** Says when the live connection to the agent drops, and that it is retrying. */
export function ConnectionBanner() {
  const { connection } = useAgent();
  if (connection === 'open') return null;
  return (
    <div className="banner banner-warn" role="status">
      {connection === 'connecting' ? (
        'Connecting to the Roost agent…'
      ) : (
        // The command as code, not with the backticks of the agent's own phrases around it.
        <>
          Lost the connection to the Roost agent. Retrying… (is <code>roost serve</code> still
          running?)
        </>
      )}
    </div>
  );
}
