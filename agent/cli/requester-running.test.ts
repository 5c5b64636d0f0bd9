import { describe, expect, it } from 'vitest';
import type { AgentEvent, Result } from '../api/contract.ts';
import type { ApiClient } from '../api/node-client.ts';
import type { PostedJobsResult, PostedJobView } from '../market/schema.ts';
import type { MarketPostContext } from './market-post.ts';
import { callWithPassword, followInRoost, roostToGoThrough } from './requester-running.ts';

const PROVIDER = '0x1111111111111111111111111111111111111111';

function job(over: Partial<PostedJobView>): PostedJobView {
  return {
    jobId: '7',
    state: 'posted',
    name: null,
    requester: '0x2222222222222222222222222222222222222222',
    specURI: 'http://127.0.0.1:9/files/job.json',
    specHash: `0x${'ab'.repeat(32)}`,
    servedAt: 'http://127.0.0.1:9',
    preparedAt: '2026-11-27T10:00:00.000Z',
    redundancy: 1,
    price: { amount: '2', symbol: 'rUSD', baseUnits: '2000000' },
    txHash: `0x${'cd'.repeat(32)}`,
    leases: [{ slot: 0, state: 'open', provider: null }],
    resultsDir: null,
    watch: 'watching',
    watchProblem: null,
    ...over,
  };
}

function listing(jobs: PostedJobView[]): Result<PostedJobsResult> {
  return {
    ok: true,
    value: {
      network: {
        label: 'chain 31337',
        kind: 'custom',
        marketAddress: '0x3333333333333333333333333333333333333333',
        testMoney: true,
        symbol: 'rUSD',
        decimals: 6,
      },
      payer: null,
      postProblem: null,
      jobs,
      older: 0,
      otherChains: 0,
    },
  };
}

/** A running Roost that answers market.postedJobs from a script, one answer per poll. */
function roostAnswering(answers: (Result<PostedJobsResult> | Error)[]) {
  const calls: { method: string; params: unknown }[] = [];
  const client = {
    via: 'the running roost serve',
    call: async (method: string, params: unknown) => {
      calls.push({ method, params });
      const next = answers.length > 1 ? answers.shift() : answers[0];
      if (next instanceof Error) throw next;
      return next;
    },
    callRaw: async () => ({ ok: false, error: { code: 'UNKNOWN_METHOD', message: 'no' } }),
  } as unknown as ApiClient;
  return { running: { client, who: 'the running roost serve' }, calls };
}

function context(over: Partial<MarketPostContext> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: MarketPostContext = {
    dataDir: '/nowhere',
    positionals: [],
    values: {},
    json: false,
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    pollMs: 1,
    ...over,
  };
  return { ctx, out, err };
}

describe('followInRoost', () => {
  it('prints each lease once as it changes, then the outcome, with the result files', async () => {
    const paid = {
      slot: 0,
      state: 'accepted' as const,
      provider: PROVIDER,
      verdict: 'accepted' as const,
      verdictFinal: true,
      outputs: ['c.npy'],
    };
    const { running, calls } = roostAnswering([
      listing([job({})]),
      listing([job({})]),
      listing([job({ leases: [{ slot: 0, state: 'claimed', provider: PROVIDER }] })]),
      listing([job({ leases: [paid], resultsDir: '/data/market/requester/7', watch: 'done' })]),
    ]);
    const { ctx, out } = context();
    expect(await followInRoost(ctx, running, '7')).toBe(0);
    expect(calls.every((c) => c.method === 'market.postedJobs')).toBe(true);
    expect(calls[0]?.params).toEqual({ jobId: '7' });
    const text = out.join('');
    expect(text.match(/^Lease 0: open/gm)).toHaveLength(1);
    expect(text).toMatch(/^Lease 0: claimed by 0x1{40}/m);
    expect(text).toMatch(/^Lease 0: accepted; 0x1{40} was paid/m);
    expect(text).toContain('Results are in /data/market/requester/7/results\n');
    expect(text).toMatch(/Every lease was accepted\.\n$/);
  });

  it("asks again when the running Roost's events say the job moved on, not only every 5 s", async () => {
    const claimed = { slot: 0, state: 'claimed' as const, provider: PROVIDER };
    const { running, calls } = roostAnswering([
      listing([job({})]),
      listing([job({ leases: [claimed] })]),
      listing([job({ leases: [claimed], watch: 'done' })]),
    ]);
    let listener: ((e: AgentEvent) => void) | undefined;
    const client = {
      ...running.client,
      events: {
        subscribe: (l: (e: AgentEvent) => void) => {
          listener = l;
          return () => undefined;
        },
      },
    } as ApiClient;
    const { ctx, out } = context({ pollMs: undefined });
    const following = followInRoost(ctx, { ...running, client }, '7');
    const moved = (jobId: string) =>
      ({ event: 'market.postedJob', payload: { jobId, kind: 'claimed' } }) as unknown as AgentEvent;
    await new Promise((done) => setTimeout(done, 20));
    expect(calls).toHaveLength(1);
    listener!(moved('8'));
    await new Promise((done) => setTimeout(done, 20));
    expect(calls).toHaveLength(1);
    listener!(moved('7'));
    await new Promise((done) => setTimeout(done, 20));
    expect(calls).toHaveLength(2);
    expect(out.join('')).toMatch(/^Lease 0: claimed by 0x1{40}/m);
    listener!(moved('7'));
    await following;
    expect(calls).toHaveLength(3);
  });

  it('with --json prints only the outcome, its leases with the result files', async () => {
    const { running } = roostAnswering([
      listing([
        job({
          leases: [
            {
              slot: 0,
              state: 'disputed',
              provider: PROVIDER,
              verdict: 'disputed',
              reason: 'its outputs are not the canary',
              verdictFinal: true,
              outputs: ['c.npy'],
            },
          ],
          resultsDir: '/r',
        }),
      ]),
    ]);
    const { ctx, out } = context({ json: true });
    expect(await followInRoost(ctx, running, '7')).toBe(1);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0] as string)).toMatchObject({
      ok: false,
      jobId: '7',
      price: { amount: '2', symbol: 'rUSD', baseUnits: '2000000' },
      leases: [
        {
          slot: 0,
          verdict: 'disputed',
          reason: 'its outputs are not the canary',
          outputs: [`/r/results/0-${PROVIDER}/c.npy`],
        },
      ],
    });
  });

  it('ends with the job as it stands once it is settled with nothing left to watch', async () => {
    const cancelled = {
      slot: 0,
      state: 'cancelled' as const,
      provider: null,
      note: 'its reward was credited back',
    };
    const { running } = roostAnswering([listing([job({ leases: [cancelled], watch: 'done' })])]);
    const { ctx, out } = context();
    expect(await followInRoost(ctx, running, '7')).toBe(1);
    expect(out.join('')).toMatch(/Not every lease was accepted \(see above\)\.\n$/);
  });

  it('says why when the Roost stopped watching the job, or stopped answering', async () => {
    const stopped = roostAnswering([
      listing([job({ watch: 'stopped', watchProblem: 'the wallet was locked.' })]),
    ]);
    await expect(followInRoost(context().ctx, stopped.running, '7')).rejects.toThrow(
      'the running roost serve stopped watching job 7: the wallet was locked. Run this command again',
    );
    const gone = roostAnswering([listing([job({})]), new Error('connect ECONNREFUSED')]);
    await expect(followInRoost(context().ctx, gone.running, '7')).rejects.toThrow(
      'the running roost serve stopped answering while following job 7: connect ECONNREFUSED. The job stays on chain',
    );
    const unknown = roostAnswering([listing([])]);
    await expect(followInRoost(context().ctx, unknown.running, '7')).rejects.toThrow(
      'does not list job 7',
    );
  });

  it('stops following on Ctrl+C, saying the Roost goes on with the job', async () => {
    const stop = new AbortController();
    const { running } = roostAnswering([listing([job({})])]);
    const { ctx, err } = context({ signal: stop.signal, pollMs: 60_000 });
    const following = followInRoost(ctx, running, '7');
    await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    expect(await following).toBe(1);
    expect(err.join('')).toContain(
      'Stopped following job 7; the running roost serve goes on with it',
    );
  });
});

describe('callWithPassword', () => {
  it('asks for the password once when the wallet is locked, and sends it with that call only', async () => {
    const sent: unknown[] = [];
    const client = {
      call: async (_method: string, params: { password?: string }) => {
        sent.push(params);
        return params.password === 'pw'
          ? { ok: true, value: { jobId: '7' } }
          : { ok: false, error: { code: 'WALLET_LOCKED', message: 'The wallet is locked.' } };
      },
    } as unknown as ApiClient;
    const asked: string[] = [];
    const value = await callWithPassword(
      {
        ask: async (q) => {
          asked.push(q);
          return 'pw';
        },
      },
      { client, who: 'x' },
      'market.watchPostedJob',
      { jobId: '7' },
    );
    expect(value).toEqual({ jobId: '7' });
    expect(asked).toEqual(['Wallet password: ']);
    expect(sent).toEqual([{ jobId: '7' }, { jobId: '7', password: 'pw' }]);
    // No terminal to ask on: the refusal's own words.
    await expect(
      callWithPassword({}, { client, who: 'x' }, 'market.watchPostedJob', { jobId: '7' }),
    ).rejects.toThrow('The wallet is locked.');
  });
});

describe('roostToGoThrough', () => {
  it('lets a folder whose wallet takes no market jobs send by itself, and refuses the other with no Roost running', async () => {
    expect(await roostToGoThrough('/nowhere', { walletTakesJobs: false })).toBeNull();
    await expect(roostToGoThrough('/nowhere', { walletTakesJobs: true })).rejects.toThrow(
      'and no Roost runs on it now',
    );
  });
});
