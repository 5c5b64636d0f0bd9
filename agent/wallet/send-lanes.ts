/**
 * One lane per sending address: every part of the agent that signs a transaction with a nonce it
 * picked itself (the Wallet page's sends, the market's transaction manager, a posted job's
 * requester, a deployment) takes the nonce and hands the signed transaction to the node inside
 * its address's lane, one sender at a time. Outside a lane two senders read the same pending count
 * and one of the two transactions is refused ("nonce too low") or replaces the other.
 *
 * A lane holds only from reading the nonce to the node taking the transaction (after that the
 * node's pending count includes it); waiting for the receipt happens outside it, so a send never
 * waits for another's block.
 *
 * Lanes are per chain as the agent reaches it (chain id and node URL) and per address: the same
 * address on two chains has two independent nonces.
 */
import { getAddress } from 'ethers';

export interface LaneOf {
  chainId: number;
  /** The node's URL; null for the built-in devnet or an injected provider. */
  rpcUrl: string | null;
  address: string;
}

/** Runs `work` alone in the lane of `who`, after the work queued there before it. */
export type SendLanes = <T>(who: LaneOf, work: () => Promise<T>) => Promise<T>;

export function createSendLanes(): SendLanes {
  /** The last work queued per lane; deleted once it is done and nothing queued after it. */
  const tails = new Map<string, Promise<unknown>>();
  return <T>(who: LaneOf, work: () => Promise<T>): Promise<T> => {
    const key = `${who.chainId}|${who.rpcUrl ?? ''}|${getAddress(who.address)}`;
    const before = tails.get(key) ?? Promise.resolve();
    // A failed send does not block the next: it runs after the one before it either way.
    const mine = before.then(work, work);
    const tail = mine.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return mine;
  };
}

/** One address's lane on one chain, as a part that sends from that address alone takes it. */
export type Lane = <T>(work: () => Promise<T>) => Promise<T>;

export function laneOf(lanes: SendLanes, who: LaneOf): Lane {
  return (work) => lanes(who, work);
}

/** For a part used without an agent around it (a CLI command, a test): no lane, the work runs now. */
export const noLanes: SendLanes = (_who, work) => work();
export const noLane: Lane = (work) => work();
