/**
 * Settings → "Your own market (labs)": deploys a Roost market on the lab's own chain from this
 * wallet (market.deploy), after a review of what happens, then says what the lab's other
 * machines run. The same as `roost market deploy`; the agent checks everything before it sends
 * anything, and its refusals are shown as it words them.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { deployNextSteps, type ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { describeError } from '../api/error-messages.ts';

type Wallet = ResultOf<'wallet.status'>;
type Deployed = ResultOf<'market.deploy'>;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** What is wrong with the form, in words; undefined when it can be reviewed. */
export function deployFormProblem(rpcUrl: string, token: string, fee: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(rpcUrl.trim());
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    return "Give your chain's JSON-RPC URL, as http://10.0.0.5:8545: the node must answer from this computer.";
  if (token.trim() !== '' && !ADDRESS.test(token.trim()))
    return 'The token is the address of an ERC-20 on that chain (0x and 40 hex digits), or leave it empty for the Roost test dollar.';
  if (!/^\d{1,4}$/.test(fee.trim()) || Number(fee) > 1000)
    return "The market's fee is in basis points, 0 to 1000 (100 is 1 %).";
  return undefined;
}

function DeployedView({ r }: { r: Deployed }) {
  const next = deployNextSteps(r);
  const held = `${r.tokenBalance === '0' ? '0' : formatBase(r.tokenBalance, r.tokenDecimals)} ${r.tokenSymbol}`;
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

/** Base units as a decimal amount, without floating point. */
function formatBase(base: string, decimals: number): string {
  const digits = base.padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
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
      rpcUrl: rpcUrl.trim(),
      ...(token.trim() === '' ? {} : { token: token.trim() }),
      feeBps: Number(fee),
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
