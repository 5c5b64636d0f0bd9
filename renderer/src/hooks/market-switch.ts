import type { AgentEvent } from '../../../agent/api/contract.ts';

/**
 * For a component that reads something of the current market: tells, event by event, whether a
 * `market.changed` names another market than the one before (the first one seen only sets it).
 * The market's status changes with every block it follows; only a new market is worth a read.
 */
export function marketSwitchWatcher(): (event: AgentEvent) => boolean {
  let market: string | undefined;
  return (event) => {
    if (event.event !== 'market.changed') return false;
    const n = event.payload.network;
    const now = n ? `${n.chainId}:${n.marketAddress}` : '';
    const switched = market !== undefined && now !== market;
    market = now;
    return switched;
  };
}
