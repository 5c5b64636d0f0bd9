import { useEffect, useState } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { AgentText } from './AgentText.tsx';
import { NetworkNamed } from './NetworkTokens.tsx';

type Status = ResultOf<'market.status'>;
type Lease = ResultOf<'market.jobs'>['leases'][number];
type Token = ResultOf<'market.jobs'>['token'];

const stateWords: Record<Lease['state'], string> = {
  seen: 'Seen',
  skipped: 'Skipped',
  claiming: 'Claiming',
  claimed: 'Claimed',
  running: 'Running',
  uploading: 'Uploading',
  submitting: 'Submitting',
  submitted: 'Submitted',
  disputed: 'Disputed',
  paid: 'Paid',
  rejected: 'Rejected',
  voided: 'Voided',
  failed: 'Failed',
  expired: 'Expired',
  lost: 'Taken by another',
};

/** Base units as a decimal amount, without floating point. */
export function formatAmount(base: string, token: Token): string {
  if (!token) return `${base} base units`;
  const digits = base.padStart(token.decimals + 1, '0');
  const whole = digits.slice(0, digits.length - token.decimals);
  const fraction = digits.slice(digits.length - token.decimals).replace(/0+$/, '');
  return `${whole}${fraction ? `.${fraction}` : ''} ${token.symbol}`;
}

function StatusLine({
  status,
  onRegister,
  onTurnOn,
}: {
  status: Status;
  onRegister: () => void;
  onTurnOn: () => void;
}) {
  const p = status.provider;
  return (
    <div className="market-status" data-testid="market-status">
      <p>
        <span className={`state-pill state-market-${status.state}`}>
          {status.state === 'ready'
            ? 'Taking jobs'
            : status.state === 'off'
              ? 'Market off'
              : 'Not taking jobs'}
        </span>{' '}
        {status.network && (
          // Which chain, and what its tokens (the Pays and Earned columns) are worth.
          <span className="muted" data-testid="market-network">
            <NetworkNamed network={status.network} />
          </span>
        )}
      </p>
      {status.state === 'off' && !status.problem && (
        // Off is the owner's choice: say where it is turned on, one click away.
        <p className="muted" data-testid="market-off">
          Roost takes no market jobs while &quot;Take market jobs&quot; is off (Settings → Market).{' '}
          <button type="button" className="link" onClick={onTurnOn}>
            Turn it on
          </button>
        </p>
      )}
      {status.problem && (
        // Waiting for the owner (no wallet, locked, not registered) is a step to take, not an error.
        <p className={`banner ${status.state === 'waiting' ? 'banner-warn' : 'banner-error'}`}>
          <AgentText text={status.problem} />
        </p>
      )}
      {p && (
        <dl className="facts">
          {/* This machine's address on the market, as the Wallet page names it. */}
          <dt>Address</dt>
          <dd className="path">{p.address}</dd>
          {p.registered ? (
            <>
              <dt>Score</dt>
              <dd>{p.score}</dd>
              <dt>Price</dt>
              <dd>
                {p.pricePerUnitHour.amount} {p.pricePerUnitHour.symbol} per unit-hour
              </dd>
              <dt>Stake</dt>
              <dd>
                {p.stake.amount} {p.stake.symbol}
                {/* Only when jobs hold some, as the Wallet page says it: "(0 rUSD locked …)" is
                    noise. */}
                {Number(p.locked.amount) > 0 &&
                  ` (${p.locked.amount} ${p.locked.symbol} locked by jobs in progress)`}
              </dd>
            </>
          ) : (
            <>
              <dt>Registered</dt>
              <dd>
                No{' '}
                <button type="button" className="secondary" onClick={onRegister}>
                  Register now
                </button>
              </dd>
            </>
          )}
          <dt>To withdraw</dt>
          <dd>
            {p.withdrawable.amount} {p.withdrawable.symbol}
          </dd>
        </dl>
      )}
    </div>
  );
}

/** The market card of the Jobs page: this provider's status and every job it saw, with why. */
export function MarketLeases() {
  const { client, subscribe } = useAgent();
  const [status, setStatus] = useState<Status>();
  const [leases, setLeases] = useState<Lease[]>();
  const [token, setToken] = useState<Token>(null);
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    let live = true;
    const refresh = () =>
      void Promise.all([
        client.call('market.status'),
        client.call('market.jobs', { limit: 100 }),
      ]).then(([s, l]) => {
        if (!live) return;
        if (s.ok) setStatus(s.value);
        if (l.ok) {
          setLeases(l.value.leases);
          setToken(l.value.token);
        }
        const failed = !s.ok ? s.error : !l.ok ? l.error : undefined;
        setProblem(failed ? describeError(failed) : undefined);
      });
    refresh();
    const stop = subscribe((e) => {
      // A new status may mean a new network or token: read the list again with it. A settings
      // change may say what the tokens are worth.
      if (e.event === 'market.changed' || e.event === 'settings.changed') refresh();
      else if (e.event === 'market.lease') {
        const lease = e.payload;
        setLeases((list) =>
          [lease, ...(list ?? []).filter((l) => l.jobId !== lease.jobId)].sort(
            (a, b) => Number(b.jobId) - Number(a.jobId),
          ),
        );
      }
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, subscribe]);

  const register = async () => {
    const r = await client.call('market.register');
    if (r.ok) setStatus(r.value);
    else setProblem(describeError(r.error));
  };

  const turnOn = async () => {
    const r = await client.call('settings.update', { market: { enabled: true } });
    if (!r.ok) setProblem(describeError(r.error));
  };

  return (
    <section className="card" aria-labelledby="market-title">
      <h2 id="market-title">Market jobs</h2>
      {problem && (
        <div className="banner banner-error" role="alert">
          {problem}
        </div>
      )}
      {status && (
        <StatusLine
          status={status}
          onRegister={() => void register()}
          onTurnOn={() => void turnOn()}
        />
      )}
      {!leases ? (
        <p className="muted">Loading…</p>
      ) : leases.length === 0 ? (
        <p className="muted">
          No market jobs seen yet. Jobs posted on the market appear here with what Roost did with
          each, and why.
        </p>
      ) : (
        <table className="leases" data-testid="market-leases">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">State</th>
              <th scope="col">Pays</th>
              <th scope="col">Earned</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {leases.map((l) => (
              <tr key={l.jobId} className={`lease lease-${l.state}`}>
                <td>#{l.jobId}</td>
                <td>
                  <span className={`state-pill state-lease-${l.state}`}>{stateWords[l.state]}</span>
                </td>
                <td>{formatAmount(l.reward, token)}</td>
                <td>{l.payout && l.payout !== '0' ? formatAmount(l.payout, token) : '—'}</td>
                <td className="muted">{l.reason ? <AgentText text={l.reason} /> : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
