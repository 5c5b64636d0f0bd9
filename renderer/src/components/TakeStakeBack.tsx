/**
 * Taking the stake back, beside the Wallet page's "Staked in the market" row: a button, a
 * confirmation that says what happens (market jobs turn off, the market's wait read from the
 * chain, Roost finishing by itself, then withdrawable on this page), and a pending unstake with
 * the time it is released and a way to cancel it.
 */
import { useState } from 'react';
import { forPeople, type ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';

type Provider = NonNullable<ResultOf<'market.status'>['provider']>;
type Amount = { amount: string; symbol: string };

const money = (a: Amount) => `${forPeople(a.amount)} ${a.symbol}`;

/** The market's wait in words: 45 s, 1 h, 1 h 30 min, 7 days. */
export function waitWords(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return [
    days > 0 ? `${days} ${days === 1 ? 'day' : 'days'}` : '',
    hours > 0 ? `${hours} h` : '',
    minutes > 0 && days === 0 ? `${minutes} min` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** Stake not locked by jobs in progress, as the market counts it (decimal text, exact). */
function freeStake(p: Provider): Amount {
  const decimals = Math.max(
    p.stake.amount.split('.')[1]?.length ?? 0,
    p.locked.amount.split('.')[1]?.length ?? 0,
  );
  const base = (text: string) => {
    const [whole = '0', frac = ''] = text.split('.');
    return BigInt(whole + frac.padEnd(decimals, '0'));
  };
  const free = base(p.stake.amount) - base(p.locked.amount);
  const digits = (free < 0n ? 0n : free).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const frac = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return { amount: frac ? `${whole}.${frac}` : whole, symbol: p.stake.symbol };
}

/** The button and its confirmation: goes inside the "Staked in the market" row. */
export function TakeStakeBack({
  provider,
  onChanged,
}: {
  provider: Provider;
  /** The market status after the request or the cancel. */
  onChanged: (provider: Provider | null) => void;
}) {
  const { client } = useAgent();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const free = freeStake(provider);
  const locked = Number(provider.locked.amount) > 0;

  const takeBack = async () => {
    setBusy(true);
    const r = await client.call('market.unstake', {});
    setBusy(false);
    if (!r.ok) return setProblem(r.error.message);
    setAsking(false);
    setProblem(undefined);
    onChanged(r.value.status.provider);
  };

  if (Number(free.amount) <= 0)
    return locked ? (
      <p className="muted">
        All of it is locked by jobs in progress: you can take it back once they finish.
      </p>
    ) : null;
  if (!asking)
    return (
      <button type="button" className="secondary" onClick={() => setAsking(true)}>
        Take it back
      </button>
    );
  return (
    <div
      className="review"
      role="group"
      aria-label="Take the stake back"
      data-testid="unstake-confirm"
    >
      <p>
        Take back {money(free)} of stake? Market jobs turn off, since while they are on Roost stakes
        again. The market releases it after its wait of {waitWords(provider.unstakeDelaySeconds)};
        Roost finishes it by itself then, and it is withdrawable on this page.
        {locked &&
          ` ${money(provider.locked)} stays locked by jobs in progress: you can take it back once they finish.`}
      </p>
      {problem && (
        <div className="banner banner-error" role="alert">
          {problem}
        </div>
      )}
      <div className="actions-inline">
        <button type="button" onClick={() => void takeBack()} disabled={busy}>
          {busy ? 'Asking the market…' : `Take back ${money(free)}`}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setAsking(false);
            setProblem(undefined);
          }}
          disabled={busy}
        >
          Keep it staked
        </button>
      </div>
    </div>
  );
}

/** Stake on its way back: how much, when the market releases it, and Cancel. */
export function StakeOnItsWayBack({
  provider,
  onChanged,
}: {
  provider: Provider & { unstaking: NonNullable<Provider['unstaking']> };
  onChanged: (provider: Provider | null) => void;
}) {
  const { client } = useAgent();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const cancel = async () => {
    setBusy(true);
    const r = await client.call('market.cancelUnstake', {});
    setBusy(false);
    if (!r.ok) return setProblem(r.error.message);
    setProblem(undefined);
    onChanged(r.value.provider);
  };
  const at = new Date(provider.unstaking.availableAt);
  return (
    <>
      <span data-testid="balance-unstaking">
        {money(provider.unstaking)}, released {at.toLocaleString()}; Roost then makes it
        withdrawable on this page by itself
      </span>{' '}
      <button
        type="button"
        className="secondary"
        aria-label="Cancel taking the stake back"
        onClick={() => void cancel()}
        disabled={busy}
      >
        {busy ? 'Cancelling…' : 'Cancel'}
      </button>
      {problem && (
        <div className="banner banner-error" role="alert">
          {problem}
        </div>
      )}
    </>
  );
}
