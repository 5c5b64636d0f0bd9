import type { useAgent } from '../AgentContext.tsx';

/** An event the agent pushed (the contract's `events`), as `useAgent().subscribe` hands it on. */
export type AgentEvent = Parameters<Parameters<ReturnType<typeof useAgent>['subscribe']>[0]>[0];

/** A benchmark finished: the score, and so every estimate and diagnosis, may have changed. */
export function benchDone(e: AgentEvent): boolean {
  return e.event === 'bench.progress' && e.payload.phase === 'done';
}

/** The wallet appeared, unlocked or locked: what keeps Roost off the market changed. */
export function walletMoved(e: AgentEvent): boolean {
  return e.event === 'wallet.changed' || e.event === 'wallet.locked';
}
