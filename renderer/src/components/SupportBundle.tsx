import { useState } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { downloadAs, saveDownload } from '../save-file.ts';

/** Settings → Help: writes the support bundle and says where it is. */
export function SupportBundle() {
  const { client } = useAgent();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ResultOf<'diagnostics.supportBundle'>>();
  const [error, setError] = useState<string>();
  const make = async () => {
    setBusy(true);
    setError(undefined);
    const r = await client.call('diagnostics.supportBundle', {});
    setBusy(false);
    if (r.ok) setResult(r.value);
    else setError(describeError(r.error));
  };
  // To this computer: the dashboard may be open on another machine than Roost.
  const save = async () => {
    if (!result) return;
    setBusy(true);
    setError(undefined);
    const fileName = result.path.split(/[\\/]/).pop() ?? '';
    const r = await client.call('diagnostics.supportBundleFile', {
      fileName,
      ...downloadAs(client),
    });
    setBusy(false);
    if (r.ok) saveDownload(client, r.value);
    else setError(describeError(r.error));
  };
  return (
    <section className="card" aria-labelledby="support-title">
      <h2 id="support-title">Help and support</h2>
      <p className="muted">
        A support bundle is a zip of Roost's logs, your settings, the latest benchmark reports and
        accelerator tests, for whoever helps you. Keys, recovery words, passwords and tokens are
        scrubbed; your wallet and signing key are never included.
      </p>
      <button type="button" onClick={() => void make()} disabled={busy}>
        {busy ? 'Writing…' : 'Create a support bundle'}
      </button>
      {result && (
        <div className="banner banner-ok" role="status" data-testid="bundle-result">
          Written to <code>{result.path}</code> ({Math.ceil(result.bytes / 1024)} KiB,{' '}
          {result.entries.length} files) on the computer Roost runs on.{' '}
          <button type="button" className="link" disabled={busy} onClick={() => void save()}>
            Download it
          </button>
        </div>
      )}
      {error && (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      )}
    </section>
  );
}
