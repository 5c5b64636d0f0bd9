/**
 * A command that watches something in a running Roost (`roost job wait`, a posted job followed
 * by `post-job` or `market await`) asks it how things stand, then waits: until one of its events
 * says something changed, or, since a stream may miss what happened while it (re)connected, a
 * while at most.
 */
import type { AgentEvent } from '../api/contract.ts';
import type { ApiClient } from '../api/node-client.ts';

export interface Wake {
  /** Resolves at the next event that matters (or one since the last wait), after `ms`, or on abort. */
  wait(ms: number, signal?: AbortSignal): Promise<void>;
  /** Whether events can wake it (a running Roost's stream); else only the time does. */
  readonly live: boolean;
  close(): void;
}

export function eventWake(
  client: Pick<ApiClient, 'events'>,
  matters: (event: AgentEvent) => boolean,
): Wake {
  let pending = false;
  let wake: (() => void) | undefined;
  const stop = client.events?.subscribe((event) => {
    if (!matters(event)) return;
    pending = true;
    wake?.();
  });
  return {
    live: stop !== undefined,
    wait(ms, signal) {
      if (pending || signal?.aborted) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise((done) => {
        const finish = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', finish);
          wake = undefined;
          pending = false;
          done();
        };
        const timer = setTimeout(finish, ms);
        wake = finish;
        signal?.addEventListener('abort', finish, { once: true });
      });
    },
    close: () => stop?.(),
  };
}
