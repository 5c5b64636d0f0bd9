import { useState, type FormEvent } from 'react';

/** Shown in a browser that opened the dashboard without its token (or with a stale one). */
export function TokenPrompt({
  onToken,
  onReset,
  rejected = false,
}: {
  onToken: (token: string) => void;
  onReset?: () => void;
  rejected?: boolean;
}) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const token = value.trim();
    if (!/^[A-Za-z0-9_-]{32,128}$/.test(token)) {
      setProblem(
        'That does not look like a Roost token: it is a long string of letters, digits, - and _.',
      );
      return;
    }
    onToken(token);
  };
  if (rejected) {
    return (
      <main className="centered">
        <h1>Roost did not accept this browser's token</h1>
        <p>
          The agent was restarted with another data folder, or its token changed. Open the link that{' '}
          <code>roost serve</code> printed when it started.
        </p>
        <button type="button" onClick={onReset}>
          Enter a token
        </button>
      </main>
    );
  }
  return (
    <main className="centered">
      <h1>Connect to Roost</h1>
      <p>
        This dashboard needs the access token of your Roost agent. Open the link that{' '}
        <code>roost serve</code> printed (it carries the token), or paste the token from the{' '}
        <code>api-token</code> file in Roost's data folder.
      </p>
      <form onSubmit={submit} className="token-form">
        <label htmlFor="token">Access token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
            setProblem(undefined);
          }}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'token-problem' : undefined}
        />
        {problem && (
          <p id="token-problem" className="field-error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit">Connect</button>
      </form>
    </main>
  );
}
