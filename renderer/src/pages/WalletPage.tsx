import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import {
  estimateForPeople,
  forPeople,
  historyWords,
  sentWords,
  type ResultOf,
} from '../../../agent/api/contract.ts';
import { saveBytes } from '../save-file.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { NetworkNamed } from '../components/NetworkTokens.tsx';
import { StakeOnItsWayBack, TakeStakeBack } from '../components/TakeStakeBack.tsx';
import {
  ForgetRememberedPassword,
  Problem,
  UnlockWallet,
  WalletSetup,
} from '../components/WalletSetup.tsx';

type Status = ResultOf<'wallet.status'>;
type Balance = ResultOf<'wallet.balance'>;
type Prepared = ResultOf<'wallet.prepareSend'>;
type History = ResultOf<'wallet.history'>;
type Provider = NonNullable<ResultOf<'market.status'>['provider']>;
type Amount = { amount: string; symbol: string };
/** Exact, for what is about to be sent. */
const show = (a: Amount) => `${a.amount} ${a.symbol}`;

/**
 * Rounded for reading (balances, history; an estimate such as a fee to 3 digits), the exact
 * amount on hover.
 */
function Money({ a, estimate = false }: { a: Amount; estimate?: boolean }) {
  return (
    <span title={show(a)}>
      {estimate ? estimateForPeople(a.amount) : forPeople(a.amount)} {a.symbol}
    </span>
  );
}

type Entry = History['entries'][number];

/** A history entry's sign and words, as the CLI says them (`historyWords`). */
function entryWords(e: Entry): { sign: '+' | '−' | ''; what: string } {
  const { direction, what } = historyWords(e);
  return { sign: direction === 'out' ? '−' : direction === 'none' ? '' : '+', what };
}

/** Prepare → a decoded summary → Confirm: nothing is sent without the user seeing exactly what. */
function Transfer({
  status,
  balance,
  onDone,
}: {
  status: Status;
  /** For the names of what can be sent (the market's token, the chain's coin). */
  balance: Balance | undefined;
  onDone: () => void;
}) {
  const { client } = useAgent();
  const [mode, setMode] = useState<'withdraw' | 'send'>('withdraw');
  const [asset, setAsset] = useState<'token' | 'native'>('token');
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
        : await client.call('wallet.prepareSend', {
            to: to.trim(),
            amount: amount.trim(),
            ...(asset === 'native' ? { asset } : {}),
          });
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
      setDone(sentWords(r.value));
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
              <label htmlFor="send-asset">What to send</label>
              <select
                id="send-asset"
                value={asset}
                onChange={(e) => setAsset(e.target.value === 'native' ? 'native' : 'token')}
              >
                <option value="token">
                  {balance?.token.symbol ?? 'Tokens'} (the market&apos;s token: stake, jobs)
                </option>
                <option value="native">
                  {balance?.native.symbol ?? 'Coin'} (the chain&apos;s coin: fees)
                </option>
              </select>
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
              {/* What the network is, not its setting id ("local"); the chain id stays: it is
                  what a wallet checks. */}
              {prepared.network.name === 'local' ? 'Built-in test network' : 'Custom network'}{' '}
              (chain {prepared.network.chainId})
            </dd>
            <dt>Fee</dt>
            <dd>
              {/* An estimate: three digits say it (0.0000699 ETH), the exact figure on hover. */}
              about <Money a={prepared.fee.estimated} estimate /> (at most{' '}
              <Money a={prepared.fee.max} estimate />)
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
  const { client, subscribe, settings } = useAgent();
  const [status, setStatus] = useState<Status>();
  const [balance, setBalance] = useState<Balance>();
  const [history, setHistory] = useState<History>();
  const [chainProblem, setChainProblem] = useState<string>();
  // This wallet's record on the market: registering took its stake out of the wallet.
  const [provider, setProvider] = useState<Provider | null>();
  // The network settings the balance was read under: another network, or another word on its
  // tokens (network.tokens), changes what the page must say.
  const networkSeen = useRef(JSON.stringify(settings?.network));

  const load = useCallback(async () => {
    const s = await client.call('wallet.status');
    if (!s.ok) return;
    setStatus(s.value);
    if (s.value.state === 'locked' || s.value.state === 'unlocked') {
      const [b, h, m] = await Promise.all([
        client.call('wallet.balance'),
        client.call('wallet.history', { limit: 50 }),
        client.call('market.status'),
      ]);
      if (b.ok) {
        setBalance(b.value);
        setChainProblem(undefined);
      } else setChainProblem(describeError(b.error));
      if (h.ok) setHistory(h.value);
      if (m.ok) setProvider(m.value.provider);
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
      // The status it carries says the stake: a new registration, or collateral taken or freed.
      if (e.event === 'market.changed') setProvider(e.payload.provider);
      if (e.event === 'settings.changed') {
        const network = JSON.stringify(e.payload.network);
        if (networkSeen.current !== network) void load();
        networkSeen.current = network;
      }
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, load, subscribe]);

  const exportCsv = async () => {
    const r = await client.call('yield.payoutsCsv');
    if (!r.ok) return setChainProblem(describeError(r.error));
    saveBytes(
      `roost-earnings-${new Date().toISOString().slice(0, 10)}.csv`,
      r.value.csv,
      'text/csv',
    );
  };

  const exportBackup = async () => {
    const r = await client.call('wallet.exportBackup', {});
    if (!r.ok) return setChainProblem(describeError(r.error));
    saveBytes(r.value.fileName, r.value.keystore, 'application/json');
  };

  // Only this wallet's stake, and only once there is one (or some is on its way back).
  const staked =
    provider &&
    provider.address.toLowerCase() === status?.address?.toLowerCase() &&
    (Number(provider.stake.amount) > 0 || provider.unstaking !== null)
      ? provider
      : undefined;
  const unstaking = staked?.unstaking ? { ...staked, unstaking: staked.unstaking } : undefined;

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Wallet</h1>
      {!status && <p className="muted">Loading…</p>}
      {status && (status.state === 'none' || status.state === 'pending') && (
        <WalletSetup onDone={() => void load()} />
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
                  <dd data-testid="balance-withdrawable">
                    <Money a={balance.withdrawable} />
                  </dd>
                  <dt>In the wallet</dt>
                  <dd data-testid="balance-token">
                    <Money a={balance.token} />
                  </dd>
                </>
              )}
              {staked && (
                <>
                  <dt>Staked in the market</dt>
                  <dd>
                    <span data-testid="balance-staked">
                      <Money a={staked.stake} />
                      {Number(staked.locked.amount) > 0 && (
                        <>
                          {' '}
                          (<Money a={staked.locked} /> of it locked by jobs in progress)
                        </>
                      )}
                    </span>{' '}
                    <TakeStakeBack provider={staked} onChanged={setProvider} />
                    {settings?.market.enabled === false && !unstaking && (
                      // Staked but not earning (after a cancelled take-back, say): one step back.
                      <p className="help" data-testid="market-off-note">
                        Market jobs are off, so this stake earns nothing.{' '}
                        <button
                          type="button"
                          className="link"
                          onClick={() =>
                            void client.call('settings.update', { market: { enabled: true } })
                          }
                        >
                          Take market jobs again
                        </button>
                      </p>
                    )}
                  </dd>
                </>
              )}
              {unstaking && (
                <>
                  <dt>Stake on its way back</dt>
                  <dd>
                    <StakeOnItsWayBack provider={unstaking} onChanged={setProvider} />
                  </dd>
                </>
              )}
              {balance && (
                <>
                  <dt>For fees</dt>
                  <dd>
                    <Money a={balance.native} />
                  </dd>
                  <dt>Network</dt>
                  <dd data-testid="wallet-network">
                    <NetworkNamed network={balance.network} />
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
                <UnlockWallet onDone={() => void load()} />
              )}
              {status.state === 'unlocked' && (
                <button type="button" className="secondary" onClick={() => void exportBackup()}>
                  Download encrypted backup
                </button>
              )}
              <ForgetRememberedPassword />
            </div>
          </article>
          <Transfer status={status} balance={balance} onDone={() => void load()} />
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
                  {history.entries.map((e) => {
                    const { sign, what } = entryWords(e);
                    return (
                      <tr key={`${e.txHash}-${e.logIndex}`}>
                        {/* A block number means nothing to most people: with no time read, say nothing. */}
                        <td>{e.at ? new Date(e.at).toLocaleString() : '—'}</td>
                        <td>{what}</td>
                        <td
                          className={
                            sign === '−' ? 'amount-out' : sign === '+' ? 'amount-in' : undefined
                          }
                        >
                          {sign}
                          <Money a={e.amount} />
                        </td>
                        <td className="path">{e.txHash.slice(0, 18)}…</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </section>
  );
}
