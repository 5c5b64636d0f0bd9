import { useEffect, useState } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';

type Yield = ResultOf<'yield.estimate'>;

/** Dashboard: what the GPU earns at the user's price, net of electricity. */
export function Earnings() {
  const { client, subscribe } = useAgent();
  const [value, setValue] = useState<Yield>();
  useEffect(() => {
    let live = true;
    const load = () =>
      void client.call('yield.estimate').then((r) => {
        if (live && r.ok) setValue(r.value);
      });
    load();
    const stop = subscribe((e) => {
      if (e.event === 'settings.changed') load();
    });
    return () => {
      live = false;
      stop();
    };
  }, [client, subscribe]);
  return (
    <article className="card" aria-labelledby="earnings-title" data-testid="earnings">
      <h2 id="earnings-title">Earnings</h2>
      {!value && <p className="muted">Working it out…</p>}
      {value?.missing && <p className="muted">{value.missing}</p>}
      {value?.estimates.map((e) => (
        <dl key={e.gpuId} className="facts" title={e.explanation}>
          <dt>At your price</dt>
          <dd>
            {e.earnedPerHour} {e.token} per hour ({e.earnedPerHourInCurrency} {e.currency})
          </dd>
          <dt>Electricity</dt>
          <dd>
            {e.chargedPowerW === null
              ? 'not measured yet'
              : `${e.electricityPerHour} ${e.currency} per hour (${e.chargedPowerW.toFixed(0)} W)`}
          </dd>
          <dt>Net</dt>
          <dd className={e.profitable ? 'amount-in' : 'field-error'}>
            {e.netPerHour} {e.currency}/h · {e.netPerDay} {e.currency}/day
            {e.profitable ? '' : ' — not profitable at this price'}
          </dd>
        </dl>
      ))}
      <p className="muted">
        Predicted from your benchmark and your price in Settings; paid earnings are in the Wallet.
      </p>
    </article>
  );
}
