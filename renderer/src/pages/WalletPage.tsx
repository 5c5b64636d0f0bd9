import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';

type Status = ResultOf<'wallet.status'>;
type Balance = ResultOf<'wallet.balance'>;
type Prepared = ResultOf<'wallet.prepareSend'>;
type History = ResultOf<'wallet.history'>;
type Amount = { amount: string; symbol: string };
const show = (a: Amount) => `${a.amount} ${a.symbol}`;

function Problem({ text }: { text?: string | undefined }) {
  return text ? (
    <div className="banner banner-error" role="alert">
      {text}
    </div>
  ) : null;
}

/** Create: choose a password → the phrase, shown once → give back three words → ready. */
function CreateWallet({ onDone }: { onDone: () => void }) {
  const { client } = useAgent();
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [created, setCreated] = useState<ResultOf<'wallet.create'>>();
  const [words, setWords] = useState<Record<number, string>>({});
  const [wroteDown, setWroteDown] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    if (password !== again) return setProblem('The two passwords differ.');
    setBusy(true);
    const r = await client.call('wallet.create', { password });
    setBusy(false);
    if (r.ok) {
      setCreated(r.value);
      setProblem(undefined);
      setPassword('');
      setAgain('');
    } else setProblem(describeError(r.error));
  };
  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    if (!created) return;
    setBusy(true);
    const r = await client.call('wallet.confirmCreate', {
      creationId: created.creationId,
      words: created.positions.map((position) => ({
        position,
        word: (words[position] ?? '').trim(),
      })),
    });
    setBusy(false);
    if (r.ok) onDone();
    else setProblem(describeError(r.error));
  };

  if (!created) {
    return (
      <form className="card wallet-form" onSubmit={(e) => void start(e)}>
        <h2>Create a wallet</h2>
        <p className="muted">
          Your earnings are paid to this wallet. Its keys stay on this computer, encrypted with your
          password.
        </p>
        <label htmlFor="new-password">Password (8 characters or more)</label>
        <input
          id="new-password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <label htmlFor="new-password-again">Password again</label>
        <input
          id="new-password-again"
          type="password"
          autoComplete="new-password"
          value={again}
          onChange={(e) => setAgain(e.target.value)}
        />
        <Problem text={problem} />
        <button type="submit" disabled={busy || password.length === 0}>
          {busy ? 'Creating…' : 'Create wallet'}
        </button>
      </form>
    );
  }
  return (
    <div className="card wallet-form">
      <h2>Write down your recovery words</h2>
      <p>
        These {created.mnemonic.split(' ').length} words are the only way to get your money back if
        you forget the password or lose this computer. Write them on paper, in order.{' '}
        <strong>They are shown only now.</strong> Anyone who has them can take your money.
      </p>
      <ol className="mnemonic" data-testid="mnemonic">
        {created.mnemonic.split(' ').map((w, i) => (
          <li key={i}>{w}</li>
        ))}
      </ol>
      {!wroteDown ? (
        <button type="button" onClick={() => setWroteDown(true)}>
          I wrote them down
        </button>
      ) : (
        <form onSubmit={(e) => void confirm(e)}>
          <p>To check, type these words from your paper:</p>
          {created.positions.map((position) => (
            <div key={position} className="word-check">
              <label htmlFor={`word-${position}`}>Word {position}</label>
              <input
                id={`word-${position}`}
                autoComplete="off"
                value={words[position] ?? ''}
                onChange={(e) => setWords({ ...words, [position]: e.target.value })}
              />
            </div>
          ))}
          <Problem text={problem} />
          <button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Finish'}
          </button>
        </form>
      )}
    </div>
  );
}

function ImportWallet({ onDone }: { onDone: () => void }) {
  const { client } = useAgent();
  const [secret, setSecret] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const text = secret.trim();
    const params = /^(0x)?[0-9a-fA-F]{64}$/.test(text)
      ? { kind: 'privateKey' as const, privateKey: text, password }
      : { kind: 'mnemonic' as const, mnemonic: text, password };
    setBusy(true);
    const r = await client.call('wallet.import', params);
    setBusy(false);
    if (r.ok) onDone();
    else setProblem(describeError(r.error));
  };
  return (
    <form className="card wallet-form" onSubmit={(e) => void submit(e)}>
      <h2>Import a wallet</h2>
      <label htmlFor="import-secret">Recovery words or private key</label>
      <textarea
        id="import-secret"
        rows={3}
        autoComplete="off"
        spellCheck={false}
        value={secret}
        onChange={(e) => setSecret(e.target.value)}
      />
      <label htmlFor="import-password">New password for this computer</label>
      <input
        id="import-password"
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <Problem text={problem} />
      <button type="submit" disabled={busy || secret.trim() === ''}>
        {busy ? 'Importing…' : 'Import'}
      </button>
    </form>
  );
}

function Unlock({ onDone }: { onDone: () => void }) {
  const { client } = useAgent();
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await client.call('wallet.unlock', { password });
    setPassword('');
    if (r.ok) onDone();
    else setProblem(describeError(r.error));
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)}>
      <label htmlFor="unlock-password">Password</label>
      <input
        id="unlock-password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button type="submit">Unlock</button>
      <Problem text={problem} />
    </form>
  );
}

/** Prepare → a decoded summary → Confirm: nothing is sent without the user seeing exactly what. */
function Transfer({ status, onDone }: { status: Status; onDone: () => void }) {
  const { client } = useAgent();
  const [mode, setMode] = useState<'withdraw' | 'send'>('withdraw');
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [prepared, setPrepared] = useState<Prepared>();
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);

  const prepare = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setDone(undefined);
    const r =
      mode === 'withdraw'
        ? await client.call(
            'wallet.prepareWithdraw',
            amount.trim() ? { amount: amount.trim() } : {},
          )
        : await client.call('wallet.prepareSend', { to: to.trim(), amount: amount.trim() });
    setBusy(false);
    if (r.ok) {
      setPrepared(r.value);
      setProblem(undefined);
    } else setProblem(describeError(r.error));
  };
  const confirm = async () => {
    if (!prepared) return;
    setBusy(true);
    const r = await client.call('wallet.confirm', {
      id: prepared.id,
      wait: true,
      ...(status.state === 'unlocked' ? {} : { password }),
    });
    setBusy(false);
    setPassword('');
    if (r.ok) {
      setPrepared(undefined);
      setDone(
        `Sent: ${r.value.status === 'mined' ? 'confirmed' : r.value.status}, transaction ${r.value.hash}.`,
      );
      onDone();
    } else setProblem(describeError(r.error));
  };

  return (
    <section className="card" aria-labelledby="transfer-title">
      <h2 id="transfer-title">Withdraw or send</h2>
      <div className="tabs" role="radiogroup" aria-label="What to do">
        <label>
          <input
            type="radio"
            name="transfer"
            checked={mode === 'withdraw'}
            onChange={() => setMode('withdraw')}
          />{' '}
          Withdraw earnings to this wallet
        </label>
        <label>
          <input
            type="radio"
            name="transfer"
            checked={mode === 'send'}
            onChange={() => setMode('send')}
          />{' '}
          Send to another address
        </label>
      </div>
      {!prepared ? (
        <form className="wallet-form" onSubmit={(e) => void prepare(e)}>
          {mode === 'send' && (
            <>
              <label htmlFor="send-to">To address</label>
              <input
                id="send-to"
                value={to}
                onChange={(e) => setTo(e.target.value)}
                placeholder="0x…"
                autoComplete="off"
              />
            </>
          )}
          <label htmlFor="send-amount">
            {mode === 'withdraw' ? 'Amount (empty: everything earned)' : 'Amount (or "all")'}
          </label>
          <input
            id="send-amount"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            inputMode="decimal"
          />
          <Problem text={problem} />
          <button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Review'}
          </button>
        </form>
      ) : (
        <div className="review" data-testid="transfer-review">
          <dl className="facts">
            <dt>Amount</dt>
            <dd>{show(prepared.amount)}</dd>
            <dt>To</dt>
            <dd className="path">
              {prepared.to}
              {prepared.kind === 'withdraw' ? ' (this wallet)' : ''}
            </dd>
            <dt>Network</dt>
            <dd>
              {prepared.network.name} (chain {prepared.network.chainId})
            </dd>
            <dt>Fee</dt>
            <dd>
              about {show(prepared.fee.estimated)} (at most {show(prepared.fee.max)})
            </dd>
          </dl>
          {prepared.warnings.map((w) => (
            <div key={w.code} className="banner banner-warn" role="alert">
              {w.message}
            </div>
          ))}
          {status.state !== 'unlocked' && (
            <>
              <label htmlFor="confirm-password">Wallet password</label>
              <input
                id="confirm-password"
                type="password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </>
          )}
          <Problem text={problem} />
          <div className="actions-inline">
            <button type="button" onClick={() => void confirm()} disabled={busy}>
              {busy ? 'Sending…' : 'Confirm and send'}
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => setPrepared(undefined)}
              disabled={busy}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
      {done && (
        <div className="banner banner-ok" role="status">
          {done}
        </div>
      )}
    </section>
  );
}

export function WalletPage() {
  const { client, subscribe } = useAgent();
  const [status, setStatus] = useState<Status>();
  const [balance, setBalance] = useState<Balance>();
  const [history, setHistory] = useState<History>();
  const [chainProblem, setChainProblem] = useState<string>();
  const [setup, setSetup] = useState<'create' | 'import'>('create');

  const load = useCallback(async () => {
    const s = await client.call('wallet.status');
    if (!s.ok) return;
    setStatus(s.value);
    if (s.value.state === 'locked' || s.value.state === 'unlocked') {
      const [b, h] = await Promise.all([
        client.call('wallet.balance'),
        client.call('wallet.history', { limit: 50 }),
      ]);
      if (b.ok) {
        setBalance(b.value);
        setChainProblem(undefined);
      } else setChainProblem(describeError(b.error));
      if (h.ok) setHistory(h.value);
    }
  }, [client]);

  useEffect(() => {
    let live = true;
    void client.call('wallet.status').then(() => {
      if (live) void load();
    });
    const stop = subscribe((e) => {
      if (
        e.event === 'wallet.changed' ||
        e.event === 'wallet.locked' ||
        e.event === 'wallet.transaction'
      )
        void load();
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, load, subscribe]);

  const exportCsv = async () => {
    const r = await client.call('yield.payoutsCsv');
    if (!r.ok) return setChainProblem(describeError(r.error));
    const url = URL.createObjectURL(new Blob([r.value.csv], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `roost-earnings-${new Date().toISOString().slice(0, 10)}.csv`;
    a.click();
    URL.revokeObjectURL(url);
  };

  const exportBackup = async () => {
    const r = await client.call('wallet.exportBackup', {});
    if (!r.ok) return setChainProblem(describeError(r.error));
    const url = URL.createObjectURL(new Blob([r.value.keystore], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = r.value.fileName;
    a.click();
    URL.revokeObjectURL(url);
  };

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Wallet</h1>
      {!status && <p className="muted">Loading…</p>}
      {status && (status.state === 'none' || status.state === 'pending') && (
        <>
          <div className="tabs" role="radiogroup" aria-label="Set up a wallet">
            <label>
              <input
                type="radio"
                name="setup"
                checked={setup === 'create'}
                onChange={() => setSetup('create')}
              />{' '}
              Create a new wallet
            </label>
            <label>
              <input
                type="radio"
                name="setup"
                checked={setup === 'import'}
                onChange={() => setSetup('import')}
              />{' '}
              I have one
            </label>
          </div>
          {setup === 'create' ? (
            <CreateWallet onDone={() => void load()} />
          ) : (
            <ImportWallet onDone={() => void load()} />
          )}
        </>
      )}
      {status?.state === 'damaged' && (
        <div className="banner banner-error" role="alert">
          {status.problem?.message ?? 'The wallet file is damaged.'} Import your wallet again from
          its recovery words or a backup.
        </div>
      )}
      {status && (status.state === 'locked' || status.state === 'unlocked') && (
        <>
          <article className="card" aria-labelledby="wallet-card">
            <h2 id="wallet-card">Your wallet</h2>
            <dl className="facts">
              <dt>Address</dt>
              <dd className="path" data-testid="wallet-address">
                {status.address}
              </dd>
              <dt>State</dt>
              <dd>
                {status.state === 'unlocked' ? 'Unlocked' : 'Locked'}
                {status.workSigning
                  ? ' · signing your work'
                  : ' · not signing work: unlock so Roost can earn'}
              </dd>
              {balance && (
                <>
                  <dt>Earned, in the market</dt>
                  <dd data-testid="balance-withdrawable">{show(balance.withdrawable)}</dd>
                  <dt>In the wallet</dt>
                  <dd data-testid="balance-token">{show(balance.token)}</dd>
                  <dt>For fees</dt>
                  <dd>{show(balance.native)}</dd>
                  <dt>Network</dt>
                  <dd>
                    {balance.network.name} · block {balance.blockNumber}
                  </dd>
                </>
              )}
            </dl>
            <Problem text={chainProblem} />
            <div className="actions-inline">
              {status.state === 'unlocked' ? (
                <button
                  type="button"
                  className="secondary"
                  onClick={() => void client.call('wallet.lock', {}).then(() => load())}
                >
                  Lock
                </button>
              ) : (
                <Unlock onDone={() => void load()} />
              )}
              {status.state === 'unlocked' && (
                <button type="button" className="secondary" onClick={() => void exportBackup()}>
                  Download encrypted backup
                </button>
              )}
            </div>
          </article>
          <Transfer status={status} onDone={() => void load()} />
          <section className="card" aria-labelledby="history-title">
            <div className="section-head">
              <h2 id="history-title">History</h2>
              <button type="button" className="secondary" onClick={() => void exportCsv()}>
                Export earnings as CSV
              </button>
            </div>
            {!history || history.entries.length === 0 ? (
              <p className="muted">No payments yet. Earnings appear here as jobs are paid.</p>
            ) : (
              <table className="history" data-testid="wallet-history">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">What</th>
                    <th scope="col">Amount</th>
                    <th scope="col">Transaction</th>
                  </tr>
                </thead>
                <tbody>
                  {history.entries.map((e) => (
                    <tr key={`${e.txHash}-${e.logIndex}`}>
                      <td>{e.at ? new Date(e.at).toLocaleString() : `block ${e.blockNumber}`}</td>
                      <td>
                        {e.kind}
                        {e.reason ? ` (${e.reason.toLowerCase()})` : ''}
                      </td>
                      <td
                        className={
                          e.kind === 'sent' || e.kind === 'withdrawn' ? 'amount-out' : 'amount-in'
                        }
                      >
                        {e.kind === 'sent' || e.kind === 'withdrawn' ? '−' : '+'}
                        {show(e.amount)}
                      </td>
                      <td className="path">{e.txHash.slice(0, 18)}…</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </section>
  );
}
