import { describe, expect, it } from 'vitest';
import { askFor, decide, type DecisionFacts } from './decide.ts';

const USD = 1_000_000n;

function facts(
  over: Partial<DecisionFacts> = {},
  job: Partial<DecisionFacts['job']> = {},
): DecisionFacts {
  return {
    enabled: true,
    ownJob: false,
    signing: null,
    registered: true,
    score: 100n,
    pricePerUnitHour: USD / 100n, // 0.01 per unit-hour: 1 rUSD/h at score 100
    freeStake: 100n * USD,
    policy: null,
    active: 0,
    capacity: 1,
    maxVramMiB: null,
    now: 1_000,
    token: { symbol: 'rUSD', decimals: 6 },
    ...over,
    job: {
      reward: USD, // 1 rUSD for 10 min: well above the 0.1666 ask
      collateral: USD / 2n,
      minScore: 0n,
      leaseSeconds: 600,
      deadline: 10_000,
      ...job,
    },
  };
}

describe('decide', () => {
  it('never takes a job its own wallet posted, and says what to do instead', () => {
    const d = decide(facts({ ownJob: true }));
    expect(d).toMatchObject({ take: false, transient: false });
    expect(d.reason).toContain('posted by this wallet');
    expect(d.reason).toContain('private job');
  });

  it('takes a job that pays at least the ask, and says so', () => {
    const d = decide(facts());
    expect(d.take).toBe(true);
    expect(d.reason).toContain('1 rUSD');
    expect(d.reason).toContain('(your ask: 0.167 rUSD)');
  });

  it('computes the ask as price × score × lease hours, rounded down', () => {
    expect(askFor(USD / 100n, 100n, 600)).toBe(166_666n);
    expect(askFor(3n, 7n, 3600)).toBe(21n);
  });

  it('skips a job that pays less than the ask, for good, saying what to change', () => {
    const d = decide(facts({}, { reward: 100_000n }));
    expect(d).toMatchObject({ take: false, transient: false });
    expect(d.reason).toMatch(/pays 0\.1 rUSD for a 10 min lease; your price asks 0\.167 rUSD/);
    expect(d.reason).toContain('Settings → Pricing');
  });

  it('skips a job needing a higher score than this machine has', () => {
    const d = decide(facts({ score: 50n }, { minScore: 80n, reward: 10n * USD }));
    expect(d).toMatchObject({ take: false, transient: false });
    expect(d.reason).toContain('score of 80; this machine scored 50');
  });

  it('checks GPU memory only when the job asks for it', () => {
    expect(decide(facts({}, { minVramMiB: 8192 })).reason).toContain('has no GPU');
    expect(decide(facts({ maxVramMiB: 4096 }, { minVramMiB: 8192 })).reason).toContain(
      'largest GPU here has 4096 MiB',
    );
    expect(decide(facts({ maxVramMiB: 24576 }, { minVramMiB: 8192 })).take).toBe(true);
  });

  it('waits (transient) while disabled, locked, unregistered, paused, busy or short of stake', () => {
    const cases: [Partial<DecisionFacts>, RegExp][] = [
      [{ enabled: false }, /turned off/],
      [{ signing: 'the wallet is locked' }, /locked/],
      [{ registered: false }, /not registered/],
      [{ policy: 'paused: a game is running' }, /game/],
      [{ active: 1 }, /busy: 1 lease running/],
      [{ freeStake: 1n }, /collateral/],
    ];
    for (const [over, reason] of cases) {
      const d = decide(facts(over));
      expect(d).toMatchObject({ take: false, transient: true });
      expect(d.reason).toMatch(reason);
    }
  });

  it('never claims a lease that cannot end before the deadline', () => {
    const d = decide(facts({ now: 9_500 }));
    expect(d).toMatchObject({ take: false, transient: false });
    expect(d.reason).toContain('too late');
  });
});
