import { describe, expect, it } from 'vitest';
import { progressKey } from './job.ts';

describe('roost job run progress', () => {
  it('gives a line for each stage and each tenth of the input sets, not each set', () => {
    const keys = new Set<string>();
    keys.add(progressKey({ stage: 'fetching', setsDone: 0, setsTotal: 1000 }));
    for (let done = 0; done <= 1000; done++)
      keys.add(progressKey({ stage: 'running', setsDone: done, setsTotal: 1000 }));
    // fetching, then running at 0 %, 10 % … 100 %.
    expect(keys.size).toBe(1 + 11);
    // A small job still shows each set.
    expect(progressKey({ stage: 'running', setsDone: 1, setsTotal: 2 })).not.toBe(
      progressKey({ stage: 'running', setsDone: 2, setsTotal: 2 }),
    );
  });
});
