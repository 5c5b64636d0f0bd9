/**
 * Settings → "Your own market (labs)": deploys a Roost market on the lab's own chain from this
 * wallet (market.deploy), after a review of what happens, then says what the lab's other
 * machines run. The same as `roost market deploy`; the agent checks everything before it sends
 * anything, and its refusals are shown as it words them.
 */
import { useEffect, useState, type FormEvent } from 'react';
import {
  MAX_MARKET_FEE_BPS,
  deployNextSteps,
  methods,
  type ResultOf,
} from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';
import { formatAmount } from './MarketLeases.tsx';

type Wallet = ResultOf<'wallet.status'>;
type Deployed = ResultOf<'market.deploy'>;

/** The deploy's parameters from the form's text, as the agent takes them (unchecked). */
function formParams(rpcUrl: string, token: string, fee: string) {
  return {
    rpcUrl: rpcUrl.trim(),
    ...(token.trim() === '' ? {} : { token: token.trim() }),
    // Digits only: "1 %" or "1.5" is no fee in basis points, and the schema says so.
    feeBps: /^\d+$/.test(fee.trim()) ? Number(fee.trim()) : Number.NaN,
  };
}

/** What each field must be, in the words of the form. */
const FIELD_WORDS: Record<string, string> = {
  rpcUrl:
    "Give your chain's JSON-RPC URL, as http://10.0.0.5:8545: the node must answer from this computer.",
  token:
    'The token is the address of an ERC-20 on that chain (0x and 40 hex digits), or leave it empty for the Roost test dollar.',
  feeBps: `The market's fee is in basis points, 0 to ${MAX_MARKET_FEE_BPS} (100 is 1 %).`,
};

/**
 * What is wrong with the form, in words; undefined when it can be reviewed. The rules are the
 * agent's own (market.deploy's params), so the form and the agent never disagree.
 */
export function deployFormProblem(rpcUrl: string, token: string, fee: string): string | undefined {
  const checked = methods['market.deploy'].params.safeParse(formParams(rpcUrl, token, fee));
  if (checked.success) return undefined;
  const issue = checked.error.issues[0];
  return FIELD_WORDS[String(issue?.path[0])] ?? issue?.message;
}

function DeployedView({ r }: { r: Deployed }) {
  const next = deployNextSteps(r);
  const held = formatAmount(r.tokenBalance, { symbol: r.tokenSymbol, decimals: r.tokenDecimals });
  return (
    <div className="banner banner-ok" role="status" data-testid="deployed">
      <p>Deployed a Roost market on chain {r.chainId}; this Roost works on it now.</p>
      <dl className="facts">
        <dt>Market</dt>
        <dd className="path">{r.marketAddress}</dd>
        <dt>Token</dt>
        <dd>
          {r.tokenSymbol} <span className="path">{r.tokenAddress}</span>
          {r.testToken ? ' (the Roost test dollar: test money, with a faucet)' : ''}
        </dd>
        <dt>Admin</dt>
        <dd>
          <span className="path">{r.deployer}</span> (this wallet: the market&apos;s admin, arbiter
          and treasury)
        </dd>
      </dl>
      <p>On each provider machine:</p>
      <pre className="command-lines">{next.providerLines.join('\n')}</pre>
      {next.clockNote && <p>{next.clockNote}</p>}
      <p>
        Each provider needs {r.tokenSymbol} to stake and the chain&apos;s coin for its fees; this
        wallet holds {held}. Send both from the Wallet page (Send to another address, then what to
        send), or with <code>roost wallet send &lt;address&gt; &lt;amount&gt;</code> (add{' '}
        <code>--native</code> for the coin).
      </p>
    </div>
  );
}

export function DeployMarket() {
  const { client, subscribe } = useAgent();
  const [wallet, setWallet] = useState<Wallet>();
  const [rpcUrl, setRpcUrl] = useState('');
  const [token, setToken] = useState('');
  const [fee, setFee] = useState('0');
  const [replace, setReplace] = useState(false);
  const [password, setPassword] = useState('');
  const [reviewing, setReviewing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [deployed, setDeployed] = useState<Deployed>();

  useEffect(() => {
    let live = true;
    const read = () =>
      void client.call('wallet.status').then((r) => {
        if (live && r.ok) setWallet(r.value);
      });
    read();
    const stop = subscribe((e) => {
      if (e.event === 'wallet.changed') read();
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, subscribe]);

  const usable =
    wallet !== undefined &&
    (wallet.state === 'unlocked' || wallet.state === 'locked') &&
    wallet.address !== null;
  const locked = wallet?.state === 'locked';

  const review = (e: FormEvent) => {
    e.preventDefault();
    const wrong = deployFormProblem(rpcUrl, token, fee);
    setProblem(wrong);
    setDeployed(undefined);
    if (!wrong) setReviewing(true);
  };

  const deploy = async () => {
    setBusy(true);
    setProblem(undefined);
    const r = await client.call('market.deploy', {
      ...formParams(rpcUrl, token, fee),
      ...(replace ? { replace: true } : {}),
      ...(locked ? { password } : {}),
    });
    setBusy(false);
    setPassword('');
    if (r.ok) {
      setDeployed(r.value);
      setReviewing(false);
    } else setProblem(describeError(r.error));
  };

  const paidIn =
    token.trim() === '' ? 'with the Roost test dollar' : `paid in the token at ${token.trim()}`;
  return (
    <section className="card" aria-labelledby="deploy-title">
      <h2 id="deploy-title">Your own market (labs)</h2>
      <p className="muted">
        Run the market on your lab&apos;s own chain, so your machines take your jobs with nobody
        else involved. This wallet deploys it, pays the fees and becomes its admin, arbiter and
        treasury; this Roost then works on it. Without a token it also deploys the Roost test dollar
        and takes 100,000 of it for your providers.
      </p>
      {!usable ? (
        <p className="muted" data-testid="deploy-needs-wallet">
          {wallet === undefined
            ? 'Reading the wallet…'
            : 'The market is deployed from your wallet: create or import one on the Wallet page first.'}
        </p>
      ) : reviewing ? (
        <div
          className="review"
          role="group"
          aria-label="Deploy a market"
          onKeyDown={(e) => {
            if (e.key === 'Escape' && !busy) setReviewing(false);
          }}
        >
          <p>
            Deploy a Roost market on the chain at <code>{rpcUrl.trim()}</code> {paidIn}, from{' '}
            <span className="path">{wallet.address}</span>, with a fee of {Number(fee) / 100} %?
            This spends that chain&apos;s coin for fees, and this Roost moves to the new market.
          </p>
          {locked && (
            <>
              <label htmlFor="deploy-password">Wallet password (for this deploy only)</label>
              <input
                id="deploy-password"
                type="password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </>
          )}
          {problem && (
            <div className="banner banner-error" role="alert">
              {problem}
            </div>
          )}
          <div className="actions-inline">
            <button type="button" onClick={() => void deploy()} disabled={busy}>
              {busy ? 'Deploying… (three transactions)' : 'Deploy'}
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => setReviewing(false)}
              disabled={busy}
            >
              Back
            </button>
          </div>
        </div>
      ) : (
        <form className="wallet-form" onSubmit={review} noValidate>
          <label htmlFor="deploy-rpc">Your chain&apos;s JSON-RPC URL</label>
          <input
            id="deploy-rpc"
            type="url"
            value={rpcUrl}
            placeholder="http://10.0.0.5:8545"
            onChange={(e) => setRpcUrl(e.target.value)}
          />
          <label htmlFor="deploy-token">Token (optional: an ERC-20 already on that chain)</label>
          <input
            id="deploy-token"
            type="text"
            value={token}
            placeholder="empty: the Roost test dollar"
            onChange={(e) => setToken(e.target.value)}
          />
          <label htmlFor="deploy-fee">Market fee, in basis points (100 is 1 %)</label>
          <input
            id="deploy-fee"
            type="text"
            inputMode="numeric"
            value={fee}
            onChange={(e) => setFee(e.target.value)}
          />
          <label className="check">
            <input
              type="checkbox"
              checked={replace}
              onChange={(e) => setReplace(e.target.checked)}
            />{' '}
            Deploy even if this Roost already works on a market of that chain (a second market
            there)
          </label>
          {problem && (
            <div className="banner banner-error" role="alert">
              {problem}
            </div>
          )}
          <button type="submit">Deploy…</button>
        </form>
      )}
      {deployed && <DeployedView r={deployed} />}
    </section>
  );
}
