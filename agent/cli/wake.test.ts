import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../api/contract.ts';
import { eventWake } from './wake.ts';

const log = (message: string) =>
  ({
    event: 'agent.log',
    payload: { level: 'info', subsystem: 'jobs', message, at: '' },
  }) as AgentEvent;

describe('waking on events', () => {
  it('keeps an event that came between two waits, so no change is missed', async () => {
    let listener: (e: AgentEvent) => void = () => undefined;
    const wake = eventWake(
      { events: { subscribe: (l) => ((listener = l), () => undefined) } },
      (e) => e.event === 'agent.log' && e.payload.message === 'job',
    );
    expect(wake.live).toBe(true);
    listener(log('job'));
    const started = Date.now();
    await wake.wait(60_000);
    // Taken: the next wait waits again, until an event that matters or its time.
    listener(log('other'));
    await wake.wait(30);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('waits only for the time where there are no events, and stops at an abort', async () => {
    const wake = eventWake({}, () => true);
    expect(wake.live).toBe(false);
    const stop = new AbortController();
    const waiting = wake.wait(60_000, stop.signal);
    stop.abort();
    await waiting;
    await wake.wait(60_000, stop.signal);
    wake.close();
  });
});
