/**
 * One job's details on the Jobs page: where it ran and what was passed over, the sandbox, time
 * and signer, its outputs (preview, download), errors, and its steps as the journal keeps them.
 */
import { Fragment, useEffect, useState } from 'react';
import {
  diskWords,
  executionProviderName,
  jobTimeWords,
  sandboxWords,
  type ResultOf,
} from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { AgentText } from './AgentText.tsx';
import { PreviewText, usePreviews } from './OutputPreview.tsx';
import { downloadAs, saveDownload } from '../save-file.ts';
import { finished, stateWords, whereWords } from '../pages/job-words.ts';

type Detail = ResultOf<'job.show'>;

export function JobDetailView({ id }: { id: string }) {
  const { client, subscribe } = useAgent();
  const [detail, setDetail] = useState<Detail>();
  /** The file being downloaded ('' for all of them), and why the last download failed. */
  const [downloading, setDownloading] = useState<string>();
  const [downloadProblem, setDownloadProblem] = useState<string>();
  /** Output previews by file, shown under their row; a failed one says why there. */
  const { shown: previews, toggle: togglePreview } = usePreviews(async (file) => {
    const r = await client.call('job.outputPreview', { id, file });
    return r.ok ? r.value : { problem: describeError(r.error) };
  });
  const download = async (file?: string) => {
    setDownloading(file ?? '');
    setDownloadProblem(undefined);
    const r = await client.call('job.download', {
      id,
      ...(file !== undefined ? { file } : {}),
      ...downloadAs(client),
    });
    setDownloading(undefined);
    if (r.ok) saveDownload(client, r.value);
    else setDownloadProblem(describeError(r.error));
  };
  useEffect(() => {
    let live = true;
    const load = () =>
      void client.call('job.show', { id }).then((r) => {
        if (live && r.ok) setDetail(r.value);
      });
    load();
    const stop = subscribe((e) => {
      if (e.event === 'job.stateChanged' && e.payload.job.id === id) load();
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, subscribe, id]);
  if (!detail) return <p className="muted">Loading…</p>;
  const receipt = detail.result?.receipt;
  const where = whereWords(detail);
  const namedGpu = detail.device !== undefined && !['cpu', 'gpu'].includes(detail.device.id);
  return (
    <div className="job-detail" data-testid="job-detail">
      {detail.error && (
        <div className="banner banner-error" role="alert">
          <AgentText text={detail.error.message} />
        </div>
      )}
      <dl className="facts">
        <dt>Folder</dt>
        <dd className="path">{detail.exportedTo ?? detail.jobDir}</dd>
        {where && (
          <>
            <dt>{finished.has(detail.state) ? 'Ran on' : 'Runs on'}</dt>
            <dd>
              {where}
              {/* A GPU the device names is the adapter already; the CPU's model is not. */}
              {receipt?.adapter && !namedGpu
                ? ` (${receipt.adapter.name}${receipt.adapter.software ? ', a software adapter' : ''})`
                : ''}
            </dd>
          </>
        )}
        {detail.fallbacks.length > 0 && (
          <>
            <dt>Passed over</dt>
            <dd>
              {detail.fallbacks
                .map((f) => `${executionProviderName(f.ep)}: ${f.reason}`)
                .join('; ')}
            </dd>
          </>
        )}
        {detail.sandbox && (
          <>
            <dt>Sandbox</dt>
            <dd>{sandboxWords(detail.sandbox)}</dd>
          </>
        )}
        {receipt && (
          <>
            <dt>Time</dt>
            <dd>{jobTimeWords(receipt.timings)}</dd>
            <dt>Signed by</dt>
            <dd className="path">{detail.result?.signature.signer}</dd>
          </>
        )}
      </dl>
      {receipt && receipt.outputs.length > 0 && (
        <>
          <table className="history">
            <thead>
              <tr>
                <th scope="col">Output</th>
                <th scope="col">File</th>
                <th scope="col">Type</th>
                <th scope="col">Shape</th>
                <th scope="col">Size</th>
                <th scope="col">
                  <span className="visually-hidden">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {receipt.outputs.map((o) => {
                const preview = previews[o.file];
                return (
                  <Fragment key={`${o.set}-${o.name}`}>
                    <tr>
                      <td>{o.name}</td>
                      <td className="path">{o.file}</td>
                      <td>{o.dtype}</td>
                      <td>[{o.shape.join(', ')}]</td>
                      <td>{diskWords(o.bytes)}</td>
                      <td className="output-actions">
                        <button
                          type="button"
                          className="link"
                          aria-label={`Preview ${o.file}`}
                          aria-expanded={preview !== undefined}
                          onClick={() => void togglePreview(o.file)}
                        >
                          Preview
                        </button>
                        <button
                          type="button"
                          className="link"
                          aria-label={`Download ${o.file}`}
                          disabled={downloading !== undefined}
                          onClick={() => void download(o.file)}
                        >
                          {downloading === o.file ? 'Downloading…' : 'Download'}
                        </button>
                      </td>
                    </tr>
                    {preview && (
                      <tr className="output-preview" data-testid={`preview-${o.file}`}>
                        <td colSpan={6}>
                          <PreviewText preview={preview} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
          <div className="job-downloads">
            <button
              type="button"
              className="secondary"
              disabled={downloading !== undefined}
              onClick={() => void download()}
            >
              {downloading === '' ? 'Downloading…' : 'Download all (.zip)'}
            </button>
            <span className="muted">
              The outputs as .npy, with the signed result.json and the job's spec.json.
            </span>
          </div>
          {downloadProblem && (
            <div className="banner banner-error" role="alert">
              <AgentText text={downloadProblem} />
            </div>
          )}
        </>
      )}
      {detail.history.length > 0 && (
        <details className="job-history">
          <summary>What happened, step by step ({detail.history.length})</summary>
          <ol>
            {detail.history.map((h, k) => (
              <li key={k}>
                <time dateTime={h.at} className="muted">
                  {new Date(h.at).toLocaleString()}
                </time>{' '}
                {stateWords[h.state]}
                {/* "done" beside Done says nothing more. */}
                {h.message.trim().toLowerCase() !== h.state && ` — ${h.message}`}
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}
