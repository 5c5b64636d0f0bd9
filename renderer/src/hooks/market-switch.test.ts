import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../../agent/api/contract.ts';
import { marketSwitchWatcher } from './market-switch.ts';

const changed = (network: { chainId: number; marketAddress: string } | null) =>
  ({ event: 'market.changed', payload: { network } }) as unknown as AgentEvent;

describe('marketSwitchWatcher', () => {
  it('says only when another market is named than the one before', () => {
    const switched = marketSwitchWatcher();
    expect(switched(changed({ chainId: 1, marketAddress: '0xa' }))).toBe(false);
    expect(switched(changed({ chainId: 1, marketAddress: '0xa' }))).toBe(false);
    expect(switched(changed({ chainId: 1, marketAddress: '0xb' }))).toBe(true);
    expect(switched(changed(null))).toBe(true);
    expect(switched({ event: 'wallet.changed', payload: {} } as unknown as AgentEvent)).toBe(false);
  });
});
