import { useCallback, useEffect, useState } from 'react';
import type { ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { AgentText } from './AgentText.tsx';

type Suggestion = ResultOf<'yield.suggestPrice'>;

/**
 * The price recent market jobs paid at this machine's score (their median), and how many jobs it
 * rests on; "not enough jobs seen yet" when too few. `onUse` offers a button that takes it.
 */
export function PriceSuggestion({ onUse }: { onUse?: (price: string) => void }) {
  const { client, subscribe, settings } = useAgent();
  const [value, setValue] = useState<Suggestion>();
  /** Practice jobs come and go on the Jobs page, but say nothing about what the market pays. */
  const practice = settings?.market.enabled === true && settings.market.practice;

  const load = useCallback(() => {
    void client.call('yield.suggestPrice').then((r) => {
      if (r.ok) setValue(r.value);
    });
  }, [client]);

  useEffect(() => {
    load();
    // Jobs are seen only once the market is ready, so its state moving is news here; market.changed
    // also comes as the follower moves on (its checkpoint is in the status), and that is not.
    let marketState: string | undefined;
    return subscribe((e) => {
      if (e.event === 'market.changed') {
        if (e.payload.state !== marketState) load();
        marketState = e.payload.state;
      } else if (e.event === 'settings.changed' || e.event === 'market.lease') load();
    });
  }, [load, subscribe]);

  if (!value) return null;
  const jobs = `${value.count} job${value.count === 1 ? '' : 's'}`;
  return (
    <p className="help price-suggestion" data-testid="price-suggestion" title={value.reason}>
      {value.price === null ? (
        value.score === null ? (
          'No suggested price yet: what jobs pay per unit-hour depends on your benchmark score, so it needs a benchmark first.'
        ) : /^Not enough jobs/.test(value.reason) ? (
          `No suggested price yet: not enough jobs seen yet (${jobs} in the last 7 days).${practice ? " Practice jobs don't count: their pay is Roost's own." : ''}`
        ) : (
          // The agent's reason is a sentence of its own (no wallet, locked, not connected).
          <>
            No suggested price yet. <AgentText text={value.reason} />
          </>
        )
      ) : (
        <>
          Suggested: <strong>{value.price}</strong> {value.token} per unit-hour, the median of{' '}
          {jobs} seen in the last 7 days at your score of {value.score}
          {value.price === value.currentPrice ? ' (your price).' : '.'}{' '}
          {onUse && value.price !== value.currentPrice && (
            <button type="button" className="link" onClick={() => onUse(value.price as string)}>
              Use {value.price}
            </button>
          )}
        </>
      )}
    </p>
  );
}
