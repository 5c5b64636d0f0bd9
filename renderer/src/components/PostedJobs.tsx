/**
 * The Jobs page's side for labs and anyone buying compute: "Post a job to the market"
 * (market.postJob, after a review that says what is escrowed, from whom and on which network)
 * and "Jobs you posted" (market.postedJobs): each lease in words, where the checked results are,
 * whether Roost watches the job, Watch again and Cancel open leases. A locked wallet (a custom
 * network) is asked for its password for that one action; the page never keeps it.
 */
import { JobFiles } from './JobFiles.tsx';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import {
  DEFAULT_POST_DEADLINE_SECONDS,
  DEFAULT_POST_LEASE_SECONDS,
  executionProviderName,
  type ApiError,
} from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { marketSwitchWatcher } from '../hooks/market-switch.ts';
import { downloadAs, saveDownload } from '../save-file.ts';
import { PreviewText, usePreviews } from './OutputPreview.tsx';
import { listWords } from '../words.ts';
import { AgentText } from './AgentText.tsx';
import { formatAmount } from './MarketLeases.tsx';
import {
  ACCELERATOR_CHOICES,
  EMPTY_POST_FORM,
  MORE_OPTIONS,
  escrowWords,
  leaseWords,
  postFieldOf,
  postJobParams,
  type AcceleratorChoice,
  type PostField,
  type PostForm,
  type PostParams,
  type PostProblem,
  type PostedJob,
  type PostedJobsListing,
} from './post-job.ts';

/** Refusals whose message is the whole story (which file, which field, what to do). */
const SAID_BY_THE_AGENT = new Set<ApiError['code']>(['JOB_REFUSED', 'INVALID_PARAMS', 'FORBIDDEN']);

function problemWords(error: ApiError): string {
  return SAID_BY_THE_AGENT.has(error.code) ? error.message : describeError(error);
}

/** What a locked wallet is asked, for one action. */
const lockedWords = (what: string) =>
  `This computer's wallet is locked: give its password to ${what}. Roost uses it for this only and does not keep it.`;

/**
 * The password of a locked wallet for one action. Not PasswordFields: that one chooses a new
 * password (autocomplete "new-password"); this is the wallet's current one.
 */
function WalletPassword({
  id,
  label,
  value,
  onChange,
  onEnter,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** Enter in the field: the action it is for. */
  onEnter: () => void;
}) {
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.focus(), []);
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        ref={field}
        id={id}
        type="password"
        autoComplete="current-password"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') onEnter();
        }}
      />
    </>
  );
}

function Problem({ text, id }: { text: string; id?: string }) {
  return (
    <div className="banner banner-error" role="alert" {...(id ? { id } : {})}>
      <AgentText text={text} />
    </div>
  );
}

/** The question before a post: what it escrows, from whom, where, and whether that is money. */
function PostReview({
  params,
  listing,
  onPosted,
  onRefused,
  onStale,
  onBack,
}: {
  params: PostParams;
  listing: PostedJobsListing;
  onPosted: (jobId: string, servedAt: string) => void;
  /** The agent refused the job itself (a file, a field): back to the form with its words. */
  onRefused: (problem: PostProblem) => void;
  /** The agent refused to post at all now: the listing says why, once read again. */
  onStale: () => void;
  onBack: () => void;
}) {
  const { client } = useAgent();
  const [askPassword, setAskPassword] = useState(false);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  const { network, payer, postProblem } = listing;
  if (!payer) return null;
  const redundancy = params.redundancy ?? 1;
  const sets = Array.isArray(params.inputs) ? params.inputs.length : 1;
  const post = async () => {
    setBusy(true);
    setProblem(undefined);
    const r = await client.call('market.postJob', {
      ...params,
      ...(askPassword ? { password } : {}),
    });
    setBusy(false);
    setPassword('');
    if (r.ok) return onPosted(r.value.jobId, r.value.servedAt);
    const { code, message } = r.error;
    if (code === 'WALLET_LOCKED') {
      setAskPassword(true);
      setProblem(lockedWords('post this job'));
    } else if (code === 'JOB_REFUSED' || code === 'INVALID_PARAMS') {
      const field = postFieldOf(message);
      onRefused({ text: message, ...(field ? { field } : {}) });
    } else {
      setProblem(problemWords(r.error));
      if (code === 'FORBIDDEN') onStale();
    }
  };
  return (
    <div
      className="review"
      role="group"
      aria-label="Post this job"
      data-testid="post-review"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !busy) onBack();
      }}
    >
      <p>{escrowWords(params.price, redundancy, network, payer)}</p>
      <p>
        {network.testMoney ? (
          `${network.symbol} on ${network.label} is test money: it has no value.`
        ) : (
          <>
            <strong>This is real money:</strong> {network.symbol} on {network.label} has value. It
            is paid to the providers whose results Roost accepts; what is not paid comes back to the
            posting account&apos;s balance in the market.
          </>
        )}
      </p>
      <p className="muted">
        <span className="path">{params.model}</span> with{' '}
        {sets === 1 ? '1 input set' : `${sets} input sets`};{' '}
        {redundancy === 2
          ? 'two providers run it and their results are compared'
          : 'one provider runs it'}
        {params.canary ? ', held to the answer of a run here first' : ''}
        {params.executionProviders
          ? `, on ${listWords(params.executionProviders.map(executionProviderName), 'or')} only`
          : ''}
        . Roost serves its files from this computer while providers work on it.
      </p>
      {askPassword && (
        <WalletPassword
          id="post-password"
          label="Wallet password (for this post only)"
          value={password}
          onChange={setPassword}
          onEnter={() => {
            if (!busy && postProblem === null) void post();
          }}
        />
      )}
      {problem && <Problem text={problem} />}
      <div className="actions-inline">
        <button
          ref={first}
          type="button"
          onClick={() => void post()}
          disabled={busy || postProblem !== null}
        >
          {busy ? (params.canary ? 'Running the canary, then posting…' : 'Posting…') : 'Post'}
        </button>
        <button type="button" className="secondary" onClick={onBack} disabled={busy}>
          Back
        </button>
      </div>
    </div>
  );
}

/** "Post a job to the market": the form, then its review. */
function PostJob({
  listing,
  listProblem,
  onPosted,
}: {
  listing?: PostedJobsListing;
  /** Why the market could not be read (its chain down, no market): nothing can be posted. */
  listProblem?: string;
  onPosted: () => void;
}) {
  const [form, setForm] = useState<PostForm>(EMPTY_POST_FORM);
  /** The form is shown once asked for: most people here take jobs rather than post them. */
  const [opened, setOpened] = useState(false);
  const [more, setMore] = useState(false);
  const [problem, setProblem] = useState<PostProblem>();
  /** The params the review asks about, as checked when it opened. */
  const [review, setReview] = useState<PostParams>();
  const [posted, setPosted] = useState<string>();
  const edit =
    <K extends keyof PostForm>(key: K) =>
    (value: PostForm[K]) =>
      setForm((f) => ({ ...f, [key]: value }));
  const show = (p: PostProblem | undefined) => {
    setProblem(p);
    if (p?.field && MORE_OPTIONS.includes(p.field)) setMore(true);
  };
  const symbol = listing?.network.symbol ?? 'tokens';
  const canPost =
    listProblem === undefined &&
    listing !== undefined &&
    listing.payer !== null &&
    listing.postProblem === null;

  const ask = (e: FormEvent) => {
    e.preventDefault();
    setPosted(undefined);
    if (!listing) return;
    const checked = postJobParams(form, listing.network);
    if (!checked.ok) return show(checked.problem);
    show(undefined);
    setReview(checked.params);
  };
  /** A field's own props: marked invalid and described by the message when it is the one. */
  const marked = (field: PostField) =>
    problem?.field === field
      ? { 'aria-invalid': true as const, 'aria-describedby': 'post-job-problem' }
      : {};

  return (
    <section className="card" aria-labelledby="post-job-title" data-testid="post-job">
      <h2 id="post-job-title">Post a job to the market</h2>
      <p className="muted">
        For labs and anyone buying compute: providers on the market run your ONNX model and are paid
        per lease from what you escrow. Roost serves the files from this computer, checks each
        result and accepts or disputes it. Choose the files, or give their paths on the computer
        Roost runs on.
      </p>
      {posted && (
        <div className="banner banner-ok" role="status">
          {posted}
        </div>
      )}
      {listProblem !== undefined ? (
        <p className="muted" data-testid="post-unavailable">
          <AgentText text={listProblem} />
        </p>
      ) : listing === undefined ? (
        <p className="muted">Reading the market…</p>
      ) : (
        listing.postProblem !== null && (
          <div className="banner banner-warn" data-testid="post-problem">
            <AgentText text={listing.postProblem} />
          </div>
        )
      )}
      {review && listing?.payer ? (
        <PostReview
          params={review}
          listing={listing}
          onPosted={(jobId, servedAt) => {
            setReview(undefined);
            setForm(EMPTY_POST_FORM);
            setMore(false);
            setPosted(
              `Job ${jobId} is posted: providers fetch its files from ${servedAt}, and Roost checks each result as it comes in.`,
            );
            onPosted();
          }}
          onRefused={(p) => {
            setReview(undefined);
            show(p);
          }}
          onStale={onPosted}
          onBack={() => setReview(undefined)}
        />
      ) : !opened ? (
        <button type="button" aria-expanded={false} onClick={() => setOpened(true)}>
          Post a job…
        </button>
      ) : (
        <form className="wallet-form" aria-labelledby="post-job-title" onSubmit={ask} noValidate>
          <JobFiles
            idPrefix="post"
            modelLabel="Model to post (.onnx)"
            model={form.model}
            onModel={edit('model')}
            inputs={form.inputs}
            onInputs={(next) => setForm((f) => ({ ...f, inputs: next(f.inputs) }))}
            marked={marked}
            onProblem={(text, field) =>
              show(text === undefined ? undefined : { text, ...(field ? { field } : {}) })
            }
          />
          <label htmlFor="post-price">Price per lease ({symbol})</label>
          <input
            id="post-price"
            inputMode="decimal"
            value={form.price}
            onChange={(e) => edit('price')(e.target.value)}
            placeholder="5"
            autoComplete="off"
            {...marked('price')}
          />
          <label htmlFor="post-redundancy">Leases</label>
          <select
            id="post-redundancy"
            value={form.redundancy}
            onChange={(e) => edit('redundancy')(e.target.value === '2' ? 2 : 1)}
          >
            <option value={1}>1: one provider runs it</option>
            <option value={2}>2: two providers, their results compared</option>
          </select>
          <label className="check">
            <input
              type="checkbox"
              checked={form.canary}
              onChange={(e) => edit('canary')(e.target.checked)}
            />{' '}
            Canary: run it here first and hold providers&apos; results to that answer
          </label>
          <label htmlFor="post-name">Name (optional)</label>
          <input
            id="post-name"
            value={form.name}
            onChange={(e) => edit('name')(e.target.value)}
            placeholder="resnet batch 3"
            autoComplete="off"
            {...marked('name')}
          />
          <button
            type="button"
            className="link"
            aria-expanded={more}
            onClick={() => setMore(!more)}
          >
            {more ? 'Fewer options' : 'More options'}
          </button>
          {more && (
            <div id="post-more" className="wallet-form post-more">
              {/* The empty fields' defaults are the agent's (agent/market/schema.ts). */}
              <label htmlFor="post-lease">
                Lease length, in minutes (empty: {DEFAULT_POST_LEASE_SECONDS / 60})
              </label>
              <input
                id="post-lease"
                inputMode="numeric"
                value={form.leaseMinutes}
                onChange={(e) => edit('leaseMinutes')(e.target.value)}
                placeholder={String(DEFAULT_POST_LEASE_SECONDS / 60)}
                {...marked('leaseMinutes')}
              />
              <label htmlFor="post-deadline">
                Deadline, in hours from now: no lease starts after it (empty:{' '}
                {DEFAULT_POST_DEADLINE_SECONDS / 3600})
              </label>
              <input
                id="post-deadline"
                inputMode="decimal"
                value={form.deadlineHours}
                onChange={(e) => edit('deadlineHours')(e.target.value)}
                placeholder={String(DEFAULT_POST_DEADLINE_SECONDS / 3600)}
                {...marked('deadlineHours')}
              />
              <label htmlFor="post-min-score">
                Minimum benchmark score of a provider (empty: any)
              </label>
              <input
                id="post-min-score"
                inputMode="numeric"
                value={form.minScore}
                onChange={(e) => edit('minScore')(e.target.value)}
                placeholder="0"
                {...marked('minScore')}
              />
              <label htmlFor="post-accelerators">Accelerators providers may run it on</label>
              <select
                id="post-accelerators"
                value={form.accelerators}
                onChange={(e) => edit('accelerators')(e.target.value as AcceleratorChoice)}
              >
                {Object.entries(ACCELERATOR_CHOICES).map(([key, choice]) => (
                  <option key={key} value={key}>
                    {choice.label}
                  </option>
                ))}
              </select>
              <p className="muted">
                For providers on other machines: Roost serves the files from this computer. Behind a
                tunnel or proxy, give the port it forwards to on 127.0.0.1 here and the public URL
                providers reach it by.
              </p>
              <label htmlFor="post-port">
                Port on this computer (the tunnel or proxy forwards to it)
              </label>
              <input
                id="post-port"
                inputMode="numeric"
                value={form.port}
                onChange={(e) => edit('port')(e.target.value)}
                placeholder="8790"
                {...marked('port')}
              />
              <label htmlFor="post-public-url">
                Public URL providers reach it by (needs the port)
              </label>
              <input
                id="post-public-url"
                type="url"
                value={form.publicUrl}
                onChange={(e) => edit('publicUrl')(e.target.value)}
                placeholder="https://jobs.example.org"
                autoComplete="off"
                {...marked('publicUrl')}
              />
            </div>
          )}
          {problem && <Problem text={problem.text} id="post-job-problem" />}
          <button type="submit" disabled={!canPost}>
            Review…
          </button>
        </form>
      )}
    </section>
  );
}

/** "5 rUSD × 2 leases". */
const priceWords = (job: PostedJob) =>
  `${job.price.amount} ${job.price.symbol} × ${job.redundancy} ${job.redundancy === 1 ? 'lease' : 'leases'}`;

/** One job posted from here, with what can be done about it. */
function PostedJobItem({
  job,
  listing,
  onNotice,
  onChanged,
}: {
  job: PostedJob;
  listing: PostedJobsListing;
  onNotice: (text: string) => void;
  onChanged: () => void;
}) {
  const { client } = useAgent();
  /** The action that asked for the wallet's password, or the open Cancel question. */
  const [asking, setAsking] = useState<'watch' | 'cancel'>();
  const [askPassword, setAskPassword] = useState(false);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const id = job.jobId;
  const open = job.leases.filter((l) => l.state === 'open').map((l) => l.slot);
  const refund = formatAmount(
    (BigInt(job.price.baseUnits) * BigInt(open.length)).toString(),
    listing.network,
  );

  const stopAsking = () => {
    setAsking(undefined);
    setAskPassword(false);
    setPassword('');
    setProblem(undefined);
  };

  const toggleCancel = () => {
    const opening = asking !== 'cancel';
    stopAsking();
    if (opening) setAsking('cancel');
  };

  const act = async (what: 'watch' | 'cancel') => {
    if (id === null) return;
    setBusy(true);
    setProblem(undefined);
    // The password typed for this action only (not one typed for the other).
    const params = { jobId: id, ...(askPassword && asking === what ? { password } : {}) };
    const r =
      what === 'watch'
        ? await client.call('market.watchPostedJob', params)
        : await client.call('market.cancelPostedJob', params);
    setBusy(false);
    setPassword('');
    if (r.ok) {
      stopAsking();
      if ('refund' in r.value)
        onNotice(
          `Cancelled ${r.value.cancelled.length === 1 ? 'lease' : 'leases'} ${listWords(r.value.cancelled.map(String))} of job ${id}: ${r.value.refund.amount} ${r.value.refund.symbol} went back to the posting account's balance in the market.`,
        );
      else
        onNotice(`Roost is watching job ${id} again; its files are served at ${r.value.servedAt}.`);
      onChanged();
      return;
    }
    setAsking(what);
    if (r.error.code === 'WALLET_LOCKED') {
      setAskPassword(true);
      setProblem(
        lockedWords(
          what === 'watch'
            ? `watch job ${id} again, then press Watch again`
            : `cancel job ${id}'s open leases`,
        ),
      );
    } else setProblem(problemWords(r.error));
  };

  const downloadResults = async (jobId: string) => {
    setBusy(true);
    setProblem(undefined);
    const r = await client.call('market.postedJobResults', { jobId, ...downloadAs(client) });
    setBusy(false);
    if (r.ok) saveDownload(client, r.value);
    else setProblem(problemWords(r.error));
  };

  const watchLocked = asking === 'watch' && askPassword;
  return (
    <li className="job posted-job" data-testid={`posted-job-${id ?? 'not-posted'}`}>
      <div className="job-head">
        <strong>{id === null ? 'Not posted' : `Job ${id}`}</strong>
        {job.name && <span>{job.name}</span>}
        <span className="muted">{priceWords(job)}</span>
        <span className="job-actions">
          {job.watch === 'stopped' && id !== null && (
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => void act('watch')}
            >
              Watch again
            </button>
          )}
          {open.length > 0 && (
            <button
              type="button"
              id={`cancel-posted-${id}`}
              className="secondary"
              aria-expanded={asking === 'cancel'}
              disabled={busy}
              onClick={toggleCancel}
            >
              Cancel open leases…
            </button>
          )}
        </span>
      </div>
      {id === null ? (
        <p className="muted">
          Its post never reached the chain: nothing was escrowed. Post it again to run it.
        </p>
      ) : (
        <ul className="posted-leases">
          {job.leases.map((lease) => (
            <li key={lease.slot}>
              Lease {lease.slot}: {leaseWords(lease)}
              {lease.outputs && lease.outputs.length > 0 && (
                <LeaseOutputs jobId={id} slot={lease.slot} files={lease.outputs} />
              )}
            </li>
          ))}
        </ul>
      )}
      {job.resultsDir !== null && id !== null && (
        <p className="posted-fact">
          Checked results: <span className="path">{job.resultsDir}</span>{' '}
          <button
            type="button"
            className="link"
            disabled={busy}
            onClick={() => void downloadResults(id)}
          >
            Download (.zip)
          </button>
        </p>
      )}
      {job.watch === 'watching' && (
        <p className="muted posted-fact">
          Roost is watching it; its files are served at <span className="path">{job.servedAt}</span>
          .
        </p>
      )}
      {job.watch === 'stopped' && (
        <p className="posted-fact">
          Not watched: {job.watchProblem ?? 'Roost is not following it now.'}
        </p>
      )}
      {watchLocked && (
        <div className="review posted-fact">
          <WalletPassword
            id={`watch-password-${id}`}
            label={`Wallet password (to watch job ${id} again)`}
            value={password}
            onChange={setPassword}
            onEnter={() => {
              if (!busy) void act('watch');
            }}
          />
        </div>
      )}
      {asking === 'cancel' ? (
        <CancelQuestion
          jobId={id ?? ''}
          open={open}
          refund={refund}
          requester={job.requester}
          askPassword={askPassword}
          password={password}
          onPassword={setPassword}
          problem={problem}
          busy={busy}
          onCancel={() => void act('cancel')}
          onKeep={() => {
            stopAsking();
            document.getElementById(`cancel-posted-${id}`)?.focus();
          }}
        />
      ) : (
        problem && <Problem text={problem} />
      )}
    </li>
  );
}

/** The outputs Roost checked and keeps for a lease, each with its Preview. */
function LeaseOutputs({ jobId, slot, files }: { jobId: string; slot: number; files: string[] }) {
  const { client } = useAgent();
  const { shown, toggle } = usePreviews(async (file) => {
    const r = await client.call('market.postedJobOutputPreview', { jobId, slot, file });
    return r.ok ? r.value : { problem: describeError(r.error) };
  });
  return (
    <ul className="lease-outputs">
      {files.map((file) => (
        <li key={file}>
          <span className="path">{file}</span>{' '}
          <button
            type="button"
            className="link"
            aria-label={`Preview ${file} of lease ${slot}`}
            aria-expanded={shown[file] !== undefined}
            onClick={() => void toggle(file)}
          >
            Preview
          </button>
          {shown[file] && (
            <div className="output-preview" data-testid={`preview-${slot}-${file}`}>
              <PreviewText preview={shown[file]} />
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

/** Cancel's question: which leases, and where their reward goes. The first button has the focus. */
function CancelQuestion({
  jobId,
  open,
  refund,
  requester,
  askPassword,
  password,
  onPassword,
  problem,
  busy,
  onCancel,
  onKeep,
}: {
  jobId: string;
  open: number[];
  refund: string;
  requester: string;
  askPassword: boolean;
  password: string;
  onPassword: (password: string) => void;
  problem?: string;
  busy: boolean;
  onCancel: () => void;
  onKeep: () => void;
}) {
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  const one = open.length === 1;
  return (
    <div
      className="review remove-confirm"
      role="group"
      aria-label={`Cancel the open leases of job ${jobId}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !busy) onKeep();
      }}
    >
      <p>
        Cancel {one ? 'lease' : 'leases'} {listWords(open.map(String))} of job {jobId}, which nobody
        has claimed? {one ? 'Its' : 'Their'} reward, {refund}, goes back to the posting
        account&apos;s balance in the market (<span className="path">{requester}</span>). A claimed
        lease runs to its end.
      </p>
      {askPassword && (
        <WalletPassword
          id={`cancel-password-${jobId}`}
          label="Wallet password (for this cancellation only)"
          value={password}
          onChange={onPassword}
          onEnter={() => {
            if (!busy) onCancel();
          }}
        />
      )}
      {problem && <Problem text={problem} />}
      <div className="actions-inline">
        <button ref={first} type="button" onClick={onCancel} disabled={busy}>
          {busy ? 'Cancelling…' : 'Cancel open leases'}
        </button>
        <button type="button" className="secondary" onClick={onKeep} disabled={busy}>
          Keep
        </button>
      </div>
    </div>
  );
}

/** What the card says when the listing cannot be read: the agent's reason, quietly. */
function listingProblem(error: ApiError): string {
  return error.code === 'UNAVAILABLE'
    ? `Posting waits for the market: ${error.message}`
    : describeError(error);
}

/** Both cards: the form always, the list once there is something to list. */
export function PostedJobs() {
  const { client, subscribe } = useAgent();
  const [listing, setListing] = useState<PostedJobsListing>();
  const [problem, setProblem] = useState<string>();
  const [notice, setNotice] = useState<string>();
  /** The latest read: an older answer that comes after a newer one is dropped. */
  const reads = useRef(0);

  const read = useCallback(() => {
    const seq = ++reads.current;
    void client.call('market.postedJobs').then((r) => {
      if (seq !== reads.current) return;
      if (r.ok) {
        setListing(r.value);
        setProblem(undefined);
      } else setProblem(listingProblem(r.error));
    });
  }, [client]);

  useEffect(() => {
    read();
    // The market's status changes with every block it follows: only another market is news.
    const marketSwitched = marketSwitchWatcher();
    const stop = subscribe((e) => {
      // A posted job moved on; the payer or whether a post is refused may have changed.
      if (
        e.event === 'market.postedJob' ||
        e.event === 'wallet.changed' ||
        e.event === 'settings.changed' ||
        marketSwitched(e)
      )
        read();
    });
    return () => {
      // Answers still on their way are for a page that is gone.
      reads.current += 1;
      stop();
    };
  }, [read, subscribe]);

  const jobs = listing?.jobs ?? [];
  const elsewhere = listing?.otherChains ?? 0;
  return (
    <>
      <PostJob listing={listing} listProblem={problem} onPosted={read} />
      {listing && (jobs.length > 0 || elsewhere > 0 || listing.older > 0) && (
        <section className="card" aria-labelledby="posted-jobs-title" data-testid="posted-jobs">
          <h2 id="posted-jobs-title">Jobs you posted</h2>
          <p className="muted">On {listing.network.label}, newest first.</p>
          {notice && (
            <div className="banner banner-ok" role="status">
              {notice}
            </div>
          )}
          {jobs.length > 0 && (
            <ul className="jobs">
              {jobs.map((job) => (
                <PostedJobItem
                  key={`${job.jobId ?? 'not-posted'}:${job.specHash}:${job.preparedAt}`}
                  job={job}
                  listing={listing}
                  onNotice={setNotice}
                  onChanged={read}
                />
              ))}
            </ul>
          )}
          {listing.older > 0 && (
            <p className="muted">
              {listing.older === 1 ? '1 older job is' : `${listing.older} older jobs are`} not shown
              here: <code>roost market requests</code> lists every job you posted.
            </p>
          )}
          {elsewhere > 0 && (
            <p className="muted">
              {elsewhere === 1
                ? '1 job you posted on another chain or market (an earlier devnet, say) is not listed.'
                : `${elsewhere} jobs you posted on another chain or market (an earlier devnet, say) are not listed.`}
            </p>
          )}
          <div className="actions-inline">
            <button type="button" className="secondary" onClick={read}>
              Check again
            </button>
          </div>
        </section>
      )}
    </>
  );
}

/**
 * The Dashboard's line for a lab: jobs it posted that Roost is not watching (after a restart
 * with the wallet locked, a failed transaction), so their results wait unchecked. Nothing when
 * every posted job is watched or done, or when the market can't be read.
 */
export function PostedJobsWaiting() {
  const { client, subscribe } = useAgent();
  const [stopped, setStopped] = useState<PostedJob[]>([]);
  useEffect(() => {
    let live = true;
    const read = () =>
      void client.call('market.postedJobs', {}).then((r) => {
        if (live) setStopped(r.ok ? r.value.jobs.filter((j) => j.watch === 'stopped') : []);
      });
    read();
    const stop = subscribe((e) => {
      if (e.event === 'market.postedJob' || e.event === 'wallet.changed') read();
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, subscribe]);
  const first = stopped[0];
  if (!first) return null;
  return (
    <div className="banner banner-warn" role="status" data-testid="posted-jobs-waiting">
      {stopped.length === 1
        ? `Job ${first.jobId ?? ''} you posted is not watched`
        : `${stopped.length} jobs you posted are not watched`}
      : Roost is not checking {stopped.length === 1 ? 'its' : 'their'} results
      {first.watchProblem ? ` (${first.watchProblem.replace(/\.$/, '')})` : ''}.{' '}
      <a href="#/jobs">Watch again on the Jobs page</a>
    </div>
  );
}
