import { describe, expect, it } from 'vitest';
import { whyCannotRule } from './arbitration.ts';

const MARKET = '0x' + 'a'.repeat(40);
const REQUESTER = '0x' + '1'.repeat(40);
const PROVIDER = '0x' + '2'.repeat(40);
const ARBITER = '0x' + '3'.repeat(40);
const UNTIL = '2026-11-28T09:30:00.000Z';

describe('whyCannotRule', () => {
  const job = { requester: REQUESTER };
  const lease = { provider: PROVIDER };
  const why = (address: string | null, isArbiter: boolean) =>
    whyCannotRule(address, isArbiter, '7', job, lease, MARKET, UNTIL);

  it('lets an arbiter that is no party rule', () => {
    expect(why(ARBITER, true)).toBeNull();
    expect(why(ARBITER.toUpperCase().replace('0X', '0x'), true)).toBeNull();
  });

  it('refuses the requester and the provider, even holding the role, and says what happens instead', () => {
    const asRequester = why(REQUESTER.toUpperCase().replace('0X', '0x'), true);
    expect(asRequester).toContain('posted job 7, and the market lets no party rule');
    expect(asRequester).toContain(
      'after 2026-11-28 09:30 UTC the dispute ends unruled: the reward goes back to the requester and the provider keeps its collateral',
    );
    expect(why(PROVIDER, true)).toContain('holds this lease, and the market lets no party rule');
  });

  it('refuses a wallet without the role, and a data folder without a wallet', () => {
    expect(why(ARBITER, false)).toBe(
      `This wallet (${ARBITER}) is not the arbiter of market ${MARKET}: only a wallet holding its arbiter role may rule (the wallet that deployed it, unless its admin granted the role to another).`,
    );
    expect(why(null, true)).toContain('There is no wallet in this data folder');
  });
});
