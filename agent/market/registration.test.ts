import { describe, expect, it } from 'vitest';
import { createRegistration } from './registration.ts';
import type { Session } from './session.ts';

describe('registration', () => {
  it('joins a run under way instead of starting a second (funding and registering twice)', async () => {
    let reads = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const registration = createRegistration({
      options: {
        settings: () => {
          throw new Error('not reached');
        },
        // Each run starts by reading the latest report: count the runs there, then stop them.
        latestReport: async () => {
          reads += 1;
          await gate;
          throw new Error('stop here');
        },
      },
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      now: () => new Date(0),
      setProblem: () => undefined,
      schedule: () => undefined,
    });
    const s = {} as Session;
    // The session's start and the chain answering again ask at the same moment.
    const first = registration.ensure(s);
    const second = registration.ensure(s);
    release();
    await expect(first).rejects.toThrow('stop here');
    await expect(second).rejects.toThrow('stop here');
    expect(reads).toBe(1);
    // Once it is over, a later call runs again.
    await expect(registration.ensure(s)).rejects.toThrow('stop here');
    expect(reads).toBe(2);
  });
});
