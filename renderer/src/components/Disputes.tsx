/**
 * "Disputes to rule on", on the Jobs page, only where this wallet is the market's arbiter (on a
 * lab's own market: the wallet that deployed it). Each open dispute with who posted it, who ran
 * it, what is at stake, the result on chain and the requester's reason; two rulings, each after
 * a confirmation that says who gets what. Other users never see the card: the agent answers
 * `arbiterOnly` without reading the chain's disputes.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Result, ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { marketSwitchWatcher } from '../hooks/market-switch.ts';
import { describeError } from '../api/error-messages.ts';

type Disputes = ResultOf<'market.disputes'>;
type Dispute = Disputes['disputes'][number];
type Winner = 'provider' | 'requester';
type Amount = Dispute['reward'];

const tokens = (a: Amount) => `${a.amount} ${a.symbol}`;
const when = (iso: string) => new Date(iso).toLocaleString();

/** What a ruling does, in the words the confirmation and the command line use. */
export function rulingWords(d: Dispute, winner: Winner): string {
  return winner === 'provider'
    ? `The provider ${d.provider} is paid the ${tokens(d.reward)} reward (less the job's fee, if any) and its collateral is freed.`
    : `The requester ${d.requester} gets the ${tokens(d.reward)} reward back and the provider's ${tokens(d.collateral)} collateral.`;
}

function Ruling({
  dispute,
  winner,
  onRuled,
  onBack,
}: {
  dispute: Dispute;
  winner: Winner;
  onRuled: (result: ResultOf<'market.resolveDispute'>) => void;
  onBack: () => void;
}) {
  const { client } = useAgent();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  const rule = async () => {
    setBusy(true);
    const r = await client.call('market.resolveDispute', {
      jobId: dispute.jobId,
      slot: dispute.slot,
      winner,
    });
    setBusy(false);
    if (r.ok) onRuled(r.value);
    else setProblem(describeError(r.error));
  };
  return (
    <div
      className="review"
      role="group"
      aria-label={`Rule for the ${winner} on job ${dispute.jobId}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !busy) onBack();
      }}
    >
      <p>
        {rulingWords(dispute, winner)} A ruling is final: it is sent to the market from this wallet.
      </p>
      {problem && (
        <div className="banner banner-error" role="alert">
          {problem}
        </div>
      )}
      <div className="actions-inline">
        <button ref={first} type="button" onClick={() => void rule()} disabled={busy}>
          {busy ? 'Sending…' : `Rule for the ${winner}`}
        </button>
        <button type="button" className="secondary" onClick={onBack} disabled={busy}>
          Back
        </button>
      </div>
    </div>
  );
}

function DisputeItem({
  dispute: d,
  onRuled,
}: {
  dispute: Dispute;
  onRuled: (result: ResultOf<'market.resolveDispute'>) => void;
}) {
  const [asking, setAsking] = useState<Winner>();
  return (
    <li className="dispute" data-testid={`dispute-${d.jobId}-${d.slot}`}>
      <h3>
        Job {d.jobId}, lease {d.slot} <span className="muted">· disputed {when(d.disputedAt)}</span>
      </h3>
      <dl className="facts">
        <dt>Requester</dt>
        <dd className="path">{d.requester}</dd>
        <dt>Provider</dt>
        <dd className="path">{d.provider}</dd>
        <dt>At stake</dt>
        <dd>
          {tokens(d.reward)} reward, {tokens(d.collateral)} of the provider&apos;s collateral
        </dd>
        <dt>Result</dt>
        <dd className="path">
          {d.resultHash}
          {d.resultUri && (
            <>
              <br />
              {d.resultUri}
            </>
          )}
        </dd>
        <dt>Reason</dt>
        <dd>
          {d.reason !== null ? (
            <span className="dispute-reason">{d.reason}</span>
          ) : (
            <span className="muted">{d.reasonProblem ?? 'None given.'}</span>
          )}
          <br />
          <span className="path muted">{d.reasonUri}</span>
        </dd>
        <dt>Unruled</dt>
        <dd>
          After {when(d.voidableAt)} anyone may end it: the reward goes back to the requester and
          the provider keeps its collateral.
        </dd>
      </dl>
      {d.cannotRule !== null ? (
        <p className="muted">{d.cannotRule}</p>
      ) : asking ? (
        <Ruling dispute={d} winner={asking} onRuled={onRuled} onBack={() => setAsking(undefined)} />
      ) : (
        <div className="actions-inline">
          <button type="button" onClick={() => setAsking('provider')}>
            Pay the provider…
          </button>
          <button type="button" className="secondary" onClick={() => setAsking('requester')}>
            Refund the requester…
          </button>
        </div>
      )}
    </li>
  );
}

/** The card; renders nothing unless this wallet is the market's arbiter. */
export function DisputesToRule() {
  const { client, subscribe } = useAgent();
  const [disputes, setDisputes] = useState<Disputes>();
  const [problem, setProblem] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [loading, setLoading] = useState(false);

  const apply = useCallback((r: Result<Disputes>) => {
    if (r.ok) {
      setDisputes(r.value);
      setProblem(undefined);
    } else setProblem(describeError(r.error));
  }, []);

  useEffect(() => {
    let live = true;
    const read = () =>
      void client.call('market.disputes', { arbiterOnly: true }).then((r) => {
        if (live) apply(r);
      });
    read();
    // Another wallet, network or market may make this one the arbiter, or not.
    const marketSwitched = marketSwitchWatcher();
    const stop = subscribe((e) => {
      // The agent looks for disputes every minute and says when the open ones changed.
      if (e.event === 'wallet.changed' || e.event === 'market.disputes' || marketSwitched(e))
        read();
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, subscribe, apply]);

  const load = async () => {
    setLoading(true);
    apply(await client.call('market.disputes', { arbiterOnly: true }));
    setLoading(false);
  };

  if (!disputes?.arbiter) return null;
  const ruled = (r: ResultOf<'market.resolveDispute'>) => {
    setNotice(
      r.winner === 'provider'
        ? `Ruled for the provider on job ${r.jobId}: ${r.provider} was credited ${tokens(r.providerPaid)}.`
        : `Ruled for the requester on job ${r.jobId}: ${r.requester} was credited ${tokens(r.requesterCredited)}, the reward and the provider's collateral.`,
    );
    void load();
  };
  return (
    <section className="card" aria-labelledby="disputes-title" data-testid="disputes">
      <h2 id="disputes-title">Disputes to rule on</h2>
      <p className="muted">
        This wallet is the arbiter of this market. When a requester challenges a result, you decide:
        pay the provider, or give the requester the reward back with the provider&apos;s collateral.
      </p>
      {notice && (
        <div className="banner banner-ok" role="status">
          {notice}
        </div>
      )}
      {problem && (
        <div className="banner banner-error" role="alert">
          {problem}
        </div>
      )}
      {disputes.disputes.length === 0 ? (
        <p className="muted">No open disputes.</p>
      ) : (
        <ul className="disputes">
          {disputes.disputes.map((d) => (
            <DisputeItem key={`${d.jobId}:${d.slot}`} dispute={d} onRuled={ruled} />
          ))}
        </ul>
      )}
      <div className="actions-inline">
        <button type="button" className="secondary" onClick={() => void load()} disabled={loading}>
          {loading ? 'Reading the market…' : 'Check again'}
        </button>
      </div>
    </section>
  );
}

/**
 * The Dashboard's line for the market's arbiter: how many disputes wait for its ruling and when
 * the first ends unruled, with the way to the Jobs page. Nothing for anyone else, or for none.
 */
export function DisputesWaiting() {
  const { client, subscribe } = useAgent();
  const [open, setOpen] = useState<Dispute[]>([]);
  useEffect(() => {
    let live = true;
    const take = (r: Disputes) =>
      setOpen(r.arbiter ? r.disputes.filter((d) => d.cannotRule === null) : []);
    void client.call('market.disputes', { arbiterOnly: true }).then((r) => {
      if (live && r.ok) take(r.value);
    });
    // The agent looks every minute and says when they changed.
    const stop = subscribe((e) => {
      if (e.event === 'market.disputes') take(e.payload);
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, subscribe]);
  if (open.length === 0) return null;
  const first = open.reduce((a, b) => (a.voidableAt <= b.voidableAt ? a : b));
  return (
    <div className="banner banner-warn" role="status" data-testid="disputes-waiting">
      {open.length === 1 ? 'A dispute waits' : `${open.length} disputes wait`} for your ruling as
      this market&apos;s arbiter; {open.length === 1 ? 'it ends' : 'the first ends'} unruled at{' '}
      {when(first.voidableAt)}. <a href="#/jobs">Rule on the Jobs page</a>
    </div>
  );
}
