import { describe, expect, it } from 'vitest';
import { leaseViewWords } from './schema.ts';

const PROVIDER = '0x' + 'b'.repeat(40);
const ENDS = '2026-11-20T12:00:00.000Z';

describe('leaseViewWords, as roost market requests writes it', () => {
  const cli = (withdraw: boolean) => ({
    time: (iso: string | undefined) => iso ?? '?',
    ...(withdraw ? { withdraw: ' (roost wallet withdraw takes it)' } : {}),
  });

  it('writes chain times as given and says where credited tokens are withdrawn', () => {
    expect(
      leaseViewWords(
        { slot: 0, state: 'claimed', provider: PROVIDER, leaseEndsAt: ENDS },
        cli(false),
      ),
    ).toBe(`claimed by ${PROVIDER}, its lease ends ${ENDS}`);
    expect(leaseViewWords({ slot: 0, state: 'voided', provider: PROVIDER }, cli(true))).toBe(
      `voided (${PROVIDER}'s result): nobody ruled in time; the reward was credited back to the posting account in the market (roost wallet withdraw takes it)`,
    );
    expect(leaseViewWords({ slot: 1, state: 'cancelled', provider: null }, cli(false))).toBe(
      'cancelled; its reward was credited back to the posting account in the market',
    );
    // A dispute with no end time known yet still reads.
    expect(
      leaseViewWords({ slot: 0, state: 'disputed', provider: PROVIDER }, cli(false)),
    ).toContain('if nobody rules by ?,');
  });

  it('adds what Roost decided, and that its transaction is not confirmed yet', () => {
    expect(
      leaseViewWords(
        {
          slot: 0,
          state: 'submitted',
          provider: PROVIDER,
          challengeEndsAt: ENDS,
          verdict: 'disputed',
          reason: 'output y is all zeros',
          verdictFinal: false,
        },
        cli(false),
      ),
    ).toBe(
      `result in from ${PROVIDER}. Roost disputed it (its transaction is not confirmed yet): output y is all zeros`,
    );
    expect(
      leaseViewWords(
        { slot: 0, state: 'submitted', provider: PROVIDER, challengeEndsAt: ENDS },
        cli(false),
      ),
    ).toBe(`result in from ${PROVIDER}; unless it is disputed, it is paid at ${ENDS}`);
  });
});
