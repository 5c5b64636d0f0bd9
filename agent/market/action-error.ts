import type { ErrorCode } from '../api/contract.ts';

/**
 * Why one of the market's actions (a ruling, taking stake back, a deploy) can't be done, or what
 * went wrong on the way, in words that say what to do. Its code is one of the contract's, from
 * the action's own list (each action subclasses with its union), so the router answers with it
 * as data.
 */
export class MarketActionError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
