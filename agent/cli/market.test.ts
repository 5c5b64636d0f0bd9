import { describe, expect, it } from 'vitest';
import { defaultSettings, type ResultOf } from '../api/contract.ts';
import type { ApiClient } from '../api/node-client.ts';
import { leaseRecord } from '../market/testing/lease-record.ts';
import { dispute, disputesResult } from '../market/testing/dispute.ts';
import { marketStatus } from '../market/testing/market-status.ts';
import { runMarketCommand } from './market.ts';

async function statusText(
  network: Pick<NonNullable<ResultOf<'market.status'>['network']>, 'test' | 'tokensDecidedBy'>,
  settingsAnswer: boolean,
): Promise<string> {
  const status = marketStatus(
    { state: 'waiting', problem: 'no wallet yet: create or import one (roost wallet create)' },
    { name: 'custom', chainId: 424242, ...network },
  );
  const client = {
    call: async (method: string) =>
      method === 'market.status'
        ? { ok: true, value: status }
        : method === 'settings.get' && settingsAnswer
          ? {
              ok: true,
              value: {
                ...defaultSettings,
                pricing: { ...defaultSettings.pricing, tokenValueInCurrency: 2, currency: 'USD' },
              },
            }
          : { ok: false, error: { code: 'UNAVAILABLE', message: 'no' } },
  } as unknown as ApiClient;
  let out = '';
  const code = await runMarketCommand({
    client,
    positionals: ['status'],
    values: {},
    json: false,
    out: (t) => (out += t),
    err: (t) => (out += t),
  });
  expect(code).toBe(0);
  return out;
}

describe('roost market status', () => {
  it("says what the network's tokens are worth, as roost wallet balance does", async () => {
    expect(await statusText({ test: false, tokensDecidedBy: 'default' }, true)).toContain(
      '  network:     custom, chain 424242 — not a known network; tokens counted as money at your token value (2 USD each); if they have no value, roost settings set network.tokens test\n',
    );
    expect(await statusText({ test: true, tokensDecidedBy: 'setting' }, true)).toContain(
      '  network:     custom, chain 424242; its tokens are test money with no value (your choice: network.tokens)\n',
    );
  });

  it('still names the chain when the settings cannot be read', async () => {
    expect(await statusText({ test: false, tokensDecidedBy: 'default' }, false)).toContain(
      '  network:     custom, chain 424242\n',
    );
  });
});

/** Runs `roost market …` against a client that answers `answers[method]` in turn. */
async function run(
  positionals: string[],
  answers: Record<string, unknown[]>,
  options: {
    json?: boolean;
    values?: Record<string, string | boolean>;
    password?: string;
    /** What the user types at each question in turn (then the password). */
    replies?: string[];
    /** The chain id deploy's question names (no node is asked). */
    chainId?: number;
  } = {},
): Promise<{
  code: number;
  out: string;
  err: string;
  calls: [string, unknown][];
  questions: string[];
}> {
  const calls: [string, unknown][] = [];
  const client = {
    call: async (method: string, params?: unknown) => {
      calls.push([method, params]);
      const next = answers[method]?.shift();
      return next ?? { ok: false, error: { code: 'UNAVAILABLE', message: 'no' } };
    },
  } as unknown as ApiClient;
  let out = '';
  let err = '';
  const questions: string[] = [];
  const replies = [...(options.replies ?? [])];
  const code = await runMarketCommand({
    client,
    positionals,
    values: options.values ?? {},
    json: options.json ?? false,
    out: (t) => (out += t),
    err: (t) => (err += t),
    ...(options.password !== undefined || replies.length > 0
      ? {
          ask: async (question: string) => {
            questions.push(question);
            return Promise.resolve(replies.shift() ?? options.password ?? '');
          },
        }
      : {}),
    chainIdAt: () =>
      options.chainId === undefined
        ? Promise.reject(new Error('no node in these tests'))
        : Promise.resolve(options.chainId),
  });
  return { code, out, err, calls, questions };
}

const pending = marketStatus({
  state: 'off',
  provider: {
    ...marketStatus().provider!,
    stake: { amount: '30', symbol: 'rUSD' },
    unstaking: { amount: '20', symbol: 'rUSD', availableAt: '2025-03-01T14:05:00.000Z' },
  },
});

describe('roost market job', () => {
  const paid = (localJobRemoved: boolean) => ({
    ok: true,
    value: {
      ...leaseRecord(Date.UTC(2026, 0, 1), {
        jobId: '7',
        slot: 0,
        state: 'paid',
        payout: '2970000',
        localJobId: 'job-m5k2x9ab-1f2e3d4c',
      }),
      history: [{ at: '2026-01-01T00:00:00.000Z', state: 'paid', message: 'paid 2.97 rUSD' }],
      localJobRemoved,
      token: { symbol: 'rUSD', decimals: 6 },
    },
  });

  it('names the local job that ran it, and says when its files were removed', async () => {
    const kept = await run(['job', '7'], { 'market.job': [paid(false)] });
    expect(kept.code).toBe(0);
    expect(kept.out).toContain('  local job:  job-m5k2x9ab-1f2e3d4c (roost job show)\n');
    const removed = await run(['job', '7'], { 'market.job': [paid(true)] });
    expect(removed.code).toBe(0);
    expect(removed.out).toContain(
      '  local job:  job-m5k2x9ab-1f2e3d4c (removed: its files are gone; the lease and what it paid stay)\n',
    );
    expect(removed.out).toContain('paid 2.97 rUSD');
    expect(removed.out).not.toContain('roost job show');
  });
});

describe('roost market unstake', () => {
  it('status lines up in one column and says how far the chain is read in words', async () => {
    const { out } = await run(['status'], {
      'market.status': [{ ok: true, value: marketStatus() }],
    });
    const rows = out.trimEnd().split('\n').slice(1);
    expect(new Set(rows.map((r) => r.search(/(?<=: +)\S/)))).toEqual(new Set([15]));
    expect(out).toContain('  to withdraw: 0 rUSD\n');
    expect(out).toContain('  chain:       up to date (block 1)\n');
    const behind = marketStatus({
      follower: { checkpoint: 40, head: 49, lagBlocks: 9, lastError: null },
    });
    const late = await run(['status'], { 'market.status': [{ ok: true, value: behind }] });
    expect(late.out).toContain('  chain:       catching up: 9 blocks behind (block 49)\n');
  });

  it('status shows stake on its way back and when it is released', async () => {
    const { out } = await run(['status'], { 'market.status': [{ ok: true, value: pending }] });
    expect(out).toContain(
      '  unstaking:   20 rUSD, released 2025-03-01 14:05 UTC; Roost then makes it withdrawable by itself (roost market unstake --cancel puts it back)\n',
    );
    const none = await run(['status'], { 'market.status': [{ ok: true, value: marketStatus() }] });
    expect(none.out).not.toContain('unstaking');
  });

  const asked = {
    requested: { amount: '20', symbol: 'rUSD' },
    unstaking: { amount: '20', symbol: 'rUSD', availableAt: '2025-03-01T14:05:00.000Z' },
    locked: { amount: '5', symbol: 'rUSD' },
    marketJobsTurnedOff: true,
    status: pending,
  };

  it('asks for the amount back and says what happens next', async () => {
    const r = await run(
      ['unstake'],
      { 'market.unstake': [{ ok: true, value: asked }] },
      {
        values: { amount: '20', yes: true },
      },
    );
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([['market.unstake', { amount: '20' }]]);
    expect(r.out).toBe(
      [
        'Asked for 20 rUSD of stake back.',
        'Market jobs are off now: while they are on, Roost would stake again. Turn them on in Settings → Market (or roost settings set market.enabled true); that puts stake still on its way back into the stake.',
        'The market releases 20 rUSD at 2025-03-01 14:05 UTC (its wait: 1 h); Roost finishes it by itself then, and it is withdrawable: roost wallet withdraw, or the Wallet page.',
        '5 rUSD stays locked by jobs in progress: take it back once those jobs finish.',
        'Changed your mind? roost market unstake --cancel',
        '',
      ].join('\n'),
    );
  });

  it('--json prints the answer', async () => {
    const r = await run(
      ['unstake'],
      { 'market.unstake': [{ ok: true, value: asked }] },
      {
        json: true,
        values: { yes: true },
      },
    );
    expect(r.calls).toEqual([['market.unstake', {}]]);
    expect(JSON.parse(r.out)).toEqual(asked);
  });

  it("passes the agent's refusal on and exits 1", async () => {
    const message = 'You asked to take back 80 rUSD, but 50 rUSD is staked. Nothing was changed.';
    const r = await run(
      ['unstake'],
      { 'market.unstake': [{ ok: false, error: { code: 'INVALID_PARAMS', message } }] },
      { values: { amount: '80', yes: true } },
    );
    expect(r).toMatchObject({ code: 1, out: '', err: `Error: ${message}\n` });
  });

  it('with --json, writes the refusal as JSON on stdout too', async () => {
    const refusal = { ok: false, error: { code: 'NOT_FOUND', message: 'Not seen.' } };
    const r = await run(['job', '7'], { 'market.job': [refusal] }, { json: true });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual(refusal);
    expect(r.err).toBe('Error: Not seen.\n');
  });

  it('asks for the password of a locked wallet once, then asks again', async () => {
    const locked = { ok: false, error: { code: 'WALLET_LOCKED', message: 'The wallet is locked' } };
    const r = await run(
      ['unstake'],
      {
        'market.unstake': [locked, { ok: true, value: asked }],
        'wallet.unlock': [{ ok: true, value: {} }],
      },
      { password: 'secret password', values: { yes: true } },
    );
    expect(r.code).toBe(0);
    expect(r.calls.map(([m]) => m)).toEqual(['market.unstake', 'wallet.unlock', 'market.unstake']);
    expect(r.calls[1]![1]).toEqual({ password: 'secret password' });
  });

  it('with a locked wallet and nothing staked, says so without asking for the password', async () => {
    // The agent reads the stake with no key: the status shows it, and its refusal says why.
    const none = marketStatus({
      state: 'off',
      provider: { ...marketStatus().provider!, stake: { amount: '0', symbol: 'rUSD' } },
    });
    const message = 'Nothing is staked in the market for 0xabc, so there is nothing to take back.';
    const withAndWithoutYes: Record<string, boolean>[] = [{}, { yes: true }];
    for (const values of withAndWithoutYes) {
      const r = await run(
        ['unstake'],
        {
          'market.status': [{ ok: true, value: none }],
          'market.unstake': [{ ok: false, error: { code: 'NOT_FOUND', message } }],
        },
        { password: 'secret password', values },
      );
      expect(r).toMatchObject({ code: 1, err: `Error: ${message}\n`, questions: [] });
      expect(r.calls.map(([m]) => m)).not.toContain('wallet.unlock');
    }
  });

  it('with a locked wallet, unlocks first so that it can still ask before taking anything back', async () => {
    const hidden = marketStatus({ provider: null });
    const shown = marketStatus();
    const r = await run(
      ['unstake'],
      {
        'market.status': [
          { ok: true, value: hidden },
          { ok: true, value: shown },
        ],
        'wallet.status': [{ ok: true, value: { state: 'locked' } }],
        'wallet.unlock': [{ ok: true, value: {} }],
      },
      { replies: ['secret password', 'n'] },
    );
    // Before: no question could be formed, and the stake went back unasked after the password.
    expect(r.questions).toEqual([
      'Wallet password: ',
      'Take back your stake of 100 rUSD? Market jobs turn off, and the market releases it after 1 h. [y/N] ',
    ]);
    expect(r).toMatchObject({ code: 1, err: 'Nothing was changed.\n' });
    expect(r.calls.map(([m]) => m)).toEqual([
      'market.status',
      'wallet.status',
      'wallet.unlock',
      'market.status',
    ]);
  });

  it('asks first, saying how much, that market jobs turn off and the wait; no changes nothing', async () => {
    const status = marketStatus({
      provider: { ...marketStatus().provider!, locked: { amount: '5', symbol: 'rUSD' } },
    });
    const question =
      'Take back your stake of 100 rUSD (5 of it stays locked by jobs in progress)? Market jobs turn off, and the market releases it after 1 h. [y/N] ';
    const no = await run(
      ['unstake'],
      { 'market.status': [{ ok: true, value: status }] },
      {
        replies: ['n'],
      },
    );
    expect(no).toMatchObject({ code: 1, err: 'Nothing was changed.\n', questions: [question] });
    expect(no.calls.map(([m]) => m)).toEqual(['market.status']);
    const yes = await run(
      ['unstake'],
      {
        'market.status': [{ ok: true, value: status }],
        'market.unstake': [{ ok: true, value: asked }],
      },
      { replies: ['y'] },
    );
    expect(yes.code).toBe(0);
    expect(yes.calls.map(([m]) => m)).toEqual(['market.status', 'market.unstake']);
    // Where nothing can be asked, it says to add --yes, and changes nothing.
    const unasked = await run(
      ['unstake'],
      { 'market.status': [{ ok: true, value: status }] },
      {
        values: { amount: '20' },
      },
    );
    expect(unasked).toMatchObject({
      code: 1,
      err: 'Error: Take back 20 rUSD of your stake? Market jobs turn off, and the market releases it after 1 h. Add --yes to take it back without being asked.\n',
    });
    expect(unasked.calls.map(([m]) => m)).toEqual(['market.status']);
  });

  it('--cancel puts it back and --complete finishes it', async () => {
    const back = marketStatus({ state: 'off' });
    const cancelled = await run(
      ['unstake'],
      { 'market.cancelUnstake': [{ ok: true, value: back }] },
      {
        values: { cancel: true },
      },
    );
    expect(cancelled.out).toBe(
      'Put back into the stake: it is 100 rUSD now. Market jobs are still off: turn them on in Settings → Market (or roost settings set market.enabled true).\n',
    );
    const done = marketStatus({
      state: 'off',
      provider: { ...marketStatus().provider!, withdrawable: { amount: '20', symbol: 'rUSD' } },
    });
    const completed = await run(
      ['unstake'],
      { 'market.completeUnstake': [{ ok: true, value: done }] },
      {
        values: { complete: true },
      },
    );
    expect(completed.out).toBe(
      'Done: 20 rUSD is withdrawable now (roost wallet withdraw, or the Wallet page).\n',
    );
  });

  it('refuses --cancel with --amount', async () => {
    await expect(run(['unstake'], {}, { values: { cancel: true, amount: '5' } })).rejects.toThrow(
      '--amount, --cancel and --complete go one at a time.',
    );
  });
});

describe('roost market deploy', () => {
  const LAB = '0x' + '3'.repeat(40);
  const RPC = 'http://10.0.0.5:8545';
  const wallet = (state: 'unlocked' | 'locked' | 'none') => ({
    ok: true,
    value: { state, address: state === 'none' ? null : LAB },
  });
  const deployed: ResultOf<'market.deploy'> = {
    chainId: 4242,
    rpcUrl: RPC,
    marketAddress: '0x' + '1'.repeat(40),
    tokenAddress: '0x' + '2'.repeat(40),
    tokenSymbol: 'rUSD',
    tokenDecimals: 6,
    testToken: true,
    deployer: LAB,
    blockNumber: 3,
    transactions: ['0x' + 'a'.repeat(64), '0x' + 'b'.repeat(64), '0x' + 'c'.repeat(64)],
    tokenBalance: '100000000000',
  };

  it('with --yes deploys at once and prints what it did and the lines for the other machines', async () => {
    const r = await run(
      ['deploy'],
      { 'wallet.status': [wallet('unlocked')], 'market.deploy': [{ ok: true, value: deployed }] },
      { values: { rpc: RPC, yes: true } },
    );
    expect(r.code).toBe(0);
    expect(r.questions).toEqual([]);
    expect(r.calls).toEqual([
      ['wallet.status', undefined],
      ['market.deploy', { rpcUrl: RPC }],
    ]);
    expect(r.out).toBe(
      [
        `Deployed a Roost market on chain 4242 at ${RPC}:`,
        `  market:   0x${'1'.repeat(40)} (block 3)`,
        `  token:    rUSD at 0x${'2'.repeat(40)} (the Roost test dollar: test money, with a faucet)`,
        `  admin:    ${LAB} (this wallet: the market's admin, arbiter and treasury)`,
        'This Roost works on it now (settings network.name custom).',
        '',
        'On each provider machine:',
        '  roost settings set network.tokens test',
        `  roost serve --rpc ${RPC} --market 0x${'1'.repeat(40)}`,
        "Providers take a job once 2 blocks stand on it: the chain's node must make blocks on a clock (geth --dev.period, anvil --block-time), not only when a transaction comes.",
        '',
        "Each provider needs rUSD to stake and the chain's coin for its fees; this wallet holds 100000 rUSD. Send them from here:",
        '  roost wallet send <provider address> <amount>            (rUSD)',
        "  roost wallet send <provider address> <amount> --native   (the chain's coin)",
        '',
      ].join('\n'),
    );
  });

  it('asks first, naming the chain, the URL and the wallet; then the password of a locked wallet', async () => {
    const question = `Deploy a Roost market on chain 4242 at ${RPC} with the Roost test dollar, from ${LAB}? This spends that chain's coin for fees. [y/N] `;
    const no = await run(
      ['deploy'],
      { 'wallet.status': [wallet('locked')] },
      { values: { rpc: RPC }, replies: ['n'], chainId: 4242 },
    );
    expect(no).toMatchObject({ code: 1, err: 'Nothing was deployed.\n' });
    expect(no.questions).toEqual([question]);
    expect(no.calls.map(([m]) => m)).toEqual(['wallet.status']);

    const yes = await run(
      ['deploy'],
      { 'wallet.status': [wallet('locked')], 'market.deploy': [{ ok: true, value: deployed }] },
      {
        values: { rpc: RPC, token: '0x' + '2'.repeat(40), 'fee-bps': '25', replace: true },
        replies: ['y', 'the lab password'],
        chainId: 4242,
        json: true,
      },
    );
    expect(yes.code).toBe(0);
    expect(yes.questions).toEqual([
      `Deploy a Roost market on chain 4242 at ${RPC}, paid in the token at 0x${'2'.repeat(40)}, from ${LAB}? This spends that chain's coin for fees. [y/N] `,
      'Wallet password: ',
    ]);
    expect(yes.calls[1]).toEqual([
      'market.deploy',
      {
        rpcUrl: RPC,
        token: '0x' + '2'.repeat(40),
        feeBps: 25,
        replace: true,
        password: 'the lab password',
      },
    ]);
    expect(JSON.parse(yes.out)).toEqual(deployed);
  });

  it('with no terminal to ask on, says what it would ask and to add --yes', async () => {
    const r = await run(
      ['deploy'],
      { 'wallet.status': [wallet('unlocked')] },
      { values: { rpc: RPC }, chainId: 4242 },
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('Add --yes to deploy without being asked.');
    expect(r.calls.map(([m]) => m)).toEqual(['wallet.status']);
  });

  it("passes the agent's refusal on; with no wallet it asks nothing", async () => {
    const message =
      'No wallet yet: create or import one (roost wallet create). Nothing was deployed.';
    const r = await run(
      ['deploy'],
      {
        'wallet.status': [wallet('none')],
        'market.deploy': [{ ok: false, error: { code: 'WALLET_NONE', message } }],
      },
      { values: { rpc: RPC }, replies: ['y'] },
    );
    expect(r).toMatchObject({ code: 1, err: `Error: ${message}\n` });
    expect(r.questions).toEqual([]);
  });

  it('refuses a command line without --rpc, a wrong --fee-bps or extra words', async () => {
    await expect(run(['deploy'], {})).rejects.toThrow('Say which chain: --rpc <url>');
    await expect(run(['deploy'], {}, { values: { rpc: RPC, 'fee-bps': '1%' } })).rejects.toThrow(
      "--fee-bps takes the market's fee in basis points, 0 to 1000",
    );
    await expect(run(['deploy'], {}, { values: { rpc: RPC, 'fee-bps': '1001' } })).rejects.toThrow(
      'got "1001"',
    );
    await expect(run(['deploy', RPC], {})).rejects.toThrow(
      `Unexpected "${RPC}": the node's URL goes in --rpc <url>.`,
    );
    await expect(run(['deploi'], {})).rejects.toThrow(
      'use status, jobs, job, register, unstake, deploy, post-job, requests, await, cancel-job, disputes or resolve.',
    );
  });
});

describe('roost market disputes / resolve', () => {
  const d = dispute();
  const listed = (over: Parameters<typeof dispute>[0] = {}, arbiter = true) => ({
    ok: true,
    value: disputesResult([dispute(over)], arbiter),
  });
  const ruled = {
    ok: true,
    value: {
      jobId: '7',
      slot: 0,
      winner: 'provider',
      provider: d.provider,
      requester: d.requester,
      providerPaid: { amount: '5', symbol: 'rUSD' },
      requesterCredited: { amount: '0', symbol: 'rUSD' },
      transaction: '0x' + 'ef'.repeat(32),
    },
  };

  it('lists each dispute with the line that rules on it, the reason indented', async () => {
    const r = await run(['disputes'], { 'market.disputes': [listed()] });
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `One open dispute on market 0x${'a'.repeat(40)} (custom, chain 31337).`,
    );
    expect(r.out).toContain('Job 7, lease 0: disputed 2026-11-27 10:00 UTC');
    expect(r.out).toContain(
      '  reason      Disputed: output y differs\n              from the canary\n',
    );
    expect(r.out).toContain('  rule        roost market resolve 7 0 --for provider');
    const none = await run(['disputes'], {
      'market.disputes': [{ ok: true, value: { ...listed().value, disputes: [] } }],
    });
    expect(none.out).toMatch(/^No open disputes on market .*is its arbiter\.\n$/);
  });

  it('refuses a wrong command line before asking the agent anything', async () => {
    await expect(run(['resolve'], {})).rejects.toThrow(
      'Give the job and the lease to rule on, as `roost market disputes` lists them.',
    );
    await expect(run(['resolve', '7', '2'], {}, { values: { for: 'provider' } })).rejects.toThrow(
      'The lease is 0 or 1 (got "2").',
    );
    await expect(
      run(['resolve', 'seven', '0'], {}, { values: { for: 'provider' } }),
    ).rejects.toThrow('The job is a number');
    await expect(run(['resolve', '7', '0'], {})).rejects.toThrow('Say who wins: --for provider');
    await expect(run(['resolve', '7', '0'], {}, { values: { for: 'me' } })).rejects.toThrow(
      '--for takes provider or requester (got "me").',
    );
    await expect(run(['disputes', 'all'], {})).rejects.toThrow('Usage: roost market disputes');
  });

  it('asks who gets what, sends nothing on no, and unlocks once on yes', async () => {
    const question =
      "Rule on lease 0 of job 7 for the provider? the provider 0x2222222222222222222222222222222222222222 is paid the 5 rUSD reward (less the job's fee, if any) and its collateral is freed. A ruling is final. [y/N] ";
    const no = await run(
      ['resolve', '7', '0'],
      { 'market.disputes': [listed()] },
      { values: { for: 'provider' }, replies: ['n'] },
    );
    expect(no).toMatchObject({ code: 1, err: 'Nothing was sent.\n' });
    expect(no.questions).toEqual([question]);
    expect(no.calls.map(([m]) => m)).toEqual(['market.disputes']);

    const locked = { ok: false, error: { code: 'WALLET_LOCKED', message: 'The wallet is locked' } };
    const yes = await run(
      ['resolve', '7', '0'],
      {
        'market.disputes': [listed()],
        'market.resolveDispute': [locked, ruled],
        'wallet.unlock': [{ ok: true, value: {} }],
      },
      { values: { for: 'provider' }, replies: ['y', 'pw'] },
    );
    expect(yes.code).toBe(0);
    expect(yes.questions).toEqual([question, 'Wallet password: ']);
    expect(yes.calls.map(([m]) => m)).toEqual([
      'market.disputes',
      'market.resolveDispute',
      'wallet.unlock',
      'market.resolveDispute',
    ]);
    expect(yes.calls[1]![1]).toEqual({ jobId: '7', slot: 0, winner: 'provider' });
    expect(yes.out).toContain(`Ruled for the provider: ${d.provider} was credited 5 rUSD`);
  });

  it("says why this wallet can't rule before asking anything", async () => {
    const cannot =
      'This wallet (0x…) posted job 7, and the market lets no party rule on its own dispute.';
    const r = await run(
      ['resolve', '7', '0'],
      { 'market.disputes': [listed({ cannotRule: cannot })] },
      { values: { for: 'requester' }, replies: ['y'] },
    );
    expect(r).toMatchObject({ code: 1, err: `Error: ${cannot} Nothing was sent.\n` });
    expect(r.questions).toEqual([]);
  });

  it('with no terminal to ask on, says what it would ask and to add --yes', async () => {
    const r = await run(
      ['resolve', '7', '0'],
      { 'market.disputes': [listed()] },
      { values: { for: 'requester' } },
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      "the requester 0x1111111111111111111111111111111111111111 gets the 5 rUSD reward back and the provider's 2.5 rUSD collateral. A ruling is final. Add --yes to rule without being asked.",
    );
  });
});
