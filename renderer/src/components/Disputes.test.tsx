import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { AgentEvent } from '../../../agent/api/contract.ts';
import {
  DISPUTE_PROVIDER,
  DISPUTE_REQUESTER,
  dispute,
  disputesResult,
} from '../../../agent/market/testing/dispute.ts';
import { marketStatus } from '../../../agent/market/testing/market-status.ts';
import { AgentProvider } from '../AgentContext.tsx';
import { fakeAgentClient, ok, unavailable } from '../testing/fake-client.ts';
import { DisputesToRule, DisputesWaiting } from './Disputes.tsx';

afterEach(cleanup);

const REQUESTER = DISPUTE_REQUESTER;
const PROVIDER = DISPUTE_PROVIDER;
const listed = disputesResult;

function mount(answer: (method: string, params: unknown) => unknown) {
  const calls: [string, unknown][] = [];
  const { client, emit } = fakeAgentClient((method, params) => {
    calls.push([method, params]);
    return answer(method, params);
  });
  render(
    <AgentProvider client={client}>
      <DisputesToRule />
    </AgentProvider>,
  );
  return Object.assign(calls, { emit });
}

describe('DisputesToRule', () => {
  it('shows nothing to a wallet that is not the arbiter, and asks only for the arbiter', async () => {
    const calls = mount((method) =>
      method === 'market.disputes' ? ok(listed([], false)) : unavailable(),
    );
    await waitFor(() => expect(calls.some(([m]) => m === 'market.disputes')).toBe(true));
    expect(calls.find(([m]) => m === 'market.disputes')?.[1]).toEqual({ arbiterOnly: true });
    expect(screen.queryByTestId('disputes')).toBeNull();
  });

  it("lists the arbiter's disputes with the reason as written, and says when there are none", async () => {
    mount((method) => (method === 'market.disputes' ? ok(listed([dispute()])) : unavailable()));
    const item = await screen.findByTestId('dispute-7-0');
    expect(item.textContent).toContain('5 rUSD reward, 2.5 rUSD of the provider');
    expect(item.textContent).toContain(PROVIDER);
    expect(item.querySelector('.dispute-reason')?.textContent).toBe(
      'Disputed: output y differs\nfrom the canary',
    );
    cleanup();
    mount((method) => (method === 'market.disputes' ? ok(listed([])) : unavailable()));
    expect(await screen.findByText('No open disputes.')).toBeTruthy();
  });

  it("says why this wallet can't rule on one, with no buttons", async () => {
    const why = 'This wallet posted job 7, and the market lets no party rule on its own dispute.';
    mount((method) =>
      method === 'market.disputes' ? ok(listed([dispute({ cannotRule: why })])) : unavailable(),
    );
    const item = await screen.findByTestId('dispute-7-0');
    expect(item.textContent).toContain(why);
    expect(item.querySelectorAll('button')).toHaveLength(0);
  });

  it('asks first, says who gets what, rules, and reads the list again', async () => {
    let open = [dispute()];
    const calls = mount((method) => {
      if (method === 'market.disputes') return ok(listed(open));
      if (method === 'market.resolveDispute') {
        open = [];
        return ok({
          jobId: '7',
          slot: 0,
          winner: 'requester',
          provider: PROVIDER,
          requester: REQUESTER,
          providerPaid: { amount: '0', symbol: 'rUSD' },
          requesterCredited: { amount: '7.5', symbol: 'rUSD' },
          transaction: '0x' + 'ef'.repeat(32),
        });
      }
      return unavailable();
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Refund the requester…' }));
    const review = screen.getByRole('group', { name: 'Rule for the requester on job 7' });
    expect(review.textContent).toContain(
      `The requester ${REQUESTER} gets the 5 rUSD reward back and the provider's 2.5 rUSD collateral.`,
    );
    // Back changes nothing.
    fireEvent.click(screen.getByRole('button', { name: 'Back' }));
    expect(calls.some(([m]) => m === 'market.resolveDispute')).toBe(false);

    fireEvent.click(screen.getByRole('button', { name: 'Refund the requester…' }));
    fireEvent.click(screen.getByRole('button', { name: 'Rule for the requester' }));
    expect(await screen.findByRole('status')).toHaveProperty(
      'textContent',
      `Ruled for the requester on job 7: ${REQUESTER} was credited 7.5 rUSD, the reward and the provider's collateral.`,
    );
    expect(calls.find(([m]) => m === 'market.resolveDispute')?.[1]).toEqual({
      jobId: '7',
      slot: 0,
      winner: 'requester',
    });
    expect(await screen.findByText('No open disputes.')).toBeTruthy();
  });

  it("keeps the question open with the agent's refusal, such as a locked wallet", async () => {
    mount((method) => {
      if (method === 'market.disputes') return ok(listed([dispute()]));
      if (method === 'market.resolveDispute')
        return {
          ok: false,
          error: {
            code: 'WALLET_LOCKED',
            message: 'The wallet is locked: unlock it (Wallet page) so Roost can sign the request.',
          },
        };
      return unavailable();
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Pay the provider…' }));
    fireEvent.click(screen.getByRole('button', { name: 'Rule for the provider' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'The wallet is locked. The wallet is locked: unlock it (Wallet page) so Roost can sign the request.',
    );
    expect(screen.getByRole('button', { name: 'Rule for the provider' })).toBeTruthy();
  });

  it('reads again for another wallet or market, or when the disputes changed, not for each block the market status moves on', async () => {
    const calls = mount((method) =>
      method === 'market.disputes' ? ok(listed([dispute()])) : unavailable(),
    );
    await screen.findByTestId('dispute-7-0');
    const reads = () => calls.filter(([m]) => m === 'market.disputes').length;
    const changed = (chainId: number) =>
      ({
        event: 'market.changed',
        payload: marketStatus({}, { name: 'custom', chainId }),
      }) as AgentEvent;
    calls.emit(changed(31337));
    calls.emit(changed(31337));
    calls.emit(changed(31337));
    expect(reads()).toBe(1);
    calls.emit(changed(4242));
    await waitFor(() => expect(reads()).toBe(2));
    calls.emit({ event: 'wallet.changed', payload: {} } as AgentEvent);
    await waitFor(() => expect(reads()).toBe(3));
    // A dispute came or went: the agent says so.
    calls.emit({ event: 'market.disputes', payload: listed([]) } as AgentEvent);
    await waitFor(() => expect(reads()).toBe(4));
  });
});

describe('DisputesWaiting (the Dashboard)', () => {
  function mountLine(answer: () => unknown) {
    const { client, emit } = fakeAgentClient((method) =>
      method === 'market.disputes' ? answer() : unavailable(),
    );
    render(
      <AgentProvider client={client}>
        <DisputesWaiting />
      </AgentProvider>,
    );
    return emit;
  }

  it('says how many wait and when the first ends unruled, with the way to the Jobs page', async () => {
    const soon = dispute({ jobId: '9', voidableAt: '2026-11-28T08:00:00.000Z' });
    mountLine(() => ok(listed([dispute(), soon])));
    const line = await screen.findByTestId('disputes-waiting');
    expect(line.textContent).toBe(
      `2 disputes wait for your ruling as this market's arbiter; the first ends unruled at ${new Date(soon.voidableAt).toLocaleString()}. Rule on the Jobs page`,
    );
    expect(line.querySelector('a')?.getAttribute('href')).toBe('#/jobs');
  });

  it('says nothing to a wallet that is not the arbiter, or of disputes it may not rule on, and follows the agent', async () => {
    const emit = mountLine(() => ok(listed([dispute({ cannotRule: 'a party' })])));
    await waitFor(() => expect(screen.queryByTestId('disputes-waiting')).toBeNull());
    emit({ event: 'market.disputes', payload: listed([dispute()]) } as AgentEvent);
    expect((await screen.findByTestId('disputes-waiting')).textContent).toMatch(
      /^A dispute waits for your ruling/,
    );
    emit({ event: 'market.disputes', payload: listed([dispute()], false) } as AgentEvent);
    await waitFor(() => expect(screen.queryByTestId('disputes-waiting')).toBeNull());
  });
});
