import { describe, expect, it } from 'vitest';
import { SETTING_OPTION_LABELS, type AgentEvent } from '../api/contract.ts';
import { notificationSettingsSchema } from './schema.ts';
import { createNotifier, noticeFor, watchLeases, type Notice } from './notices.ts';

const context = { token: { symbol: 'rUSD', decimals: 6 }, leasesWaiting: 0, at: 0 };

const job = (state: string, extra: Record<string, unknown> = {}) =>
  ({
    event: 'job.stateChanged',
    payload: {
      job: {
        id: 'abcdef123456',
        origin: 'private',
        state,
        progress: { stage: 'done', setsDone: 1, setsTotal: 1 },
        attempts: 1,
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
        ...extra,
      },
    },
  }) as unknown as AgentEvent;

const lease = (state: string, payout: string | null = '12500000') =>
  ({
    event: 'market.lease',
    payload: { chainKey: '31337:0xm:0xb', jobId: '7', state, payout },
  }) as unknown as AgentEvent;

const market = (problem: string | null) =>
  ({
    event: 'market.changed',
    payload: { state: problem ? 'waiting' : 'ready', problem },
  }) as unknown as AgentEvent;

describe('which events deserve a notification', () => {
  it('a private job done or failed, not a market job (its payment is the news)', () => {
    expect(noticeFor(job('done', { name: 'resnet batch' }), context)).toEqual({
      kind: 'job-done',
      key: 'job:abcdef123456:done',
      title: 'Job finished',
      body: 'resnet batch is done: its outputs and signed result are ready.',
    });
    expect(
      noticeFor(job('failed', { error: { code: 'timeout', message: 'ran past 60 s' } }), context),
    ).toMatchObject({ kind: 'job-failed', body: 'Job abcdef12: ran past 60 s' });
    expect(noticeFor(job('running'), context)).toBeNull();
    expect(noticeFor(job('done', { origin: 'market' }), context)).toBeNull();
  });

  it('a payment, in the token’s units', () => {
    expect(noticeFor(lease('paid'), context)).toEqual({
      kind: 'payment',
      key: 'paid:31337:0xm:0xb:7',
      title: 'Payment received',
      body: 'You earned 12.5 rUSD for market job #7.',
    });
    expect(noticeFor(lease('paid', null), { ...context, token: null })?.body).toBe(
      'You earned a payment for market job #7.',
    );
    expect(noticeFor(lease('submitted'), context)).toBeNull();
  });

  it('a finished benchmark', () => {
    const event = {
      event: 'bench.progress',
      payload: { runId: 'r1', phase: 'done', fraction: 1, workloadCount: 4, message: 'Score 412' },
    } as unknown as AgentEvent;
    expect(noticeFor(event, context)).toMatchObject({
      kind: 'bench-done',
      key: 'bench:r1',
      body: 'Score 412',
    });
    const midway = { ...event, payload: { ...event.payload, phase: 'measure' } } as AgentEvent;
    expect(noticeFor(midway, context)).toBeNull();
  });

  it('the wallet locked while market jobs wait to be signed — only then', () => {
    const locked = market('the wallet is locked: unlock it (Wallet page) so Roost can sign');
    expect(noticeFor(locked, context)).toBeNull();
    expect(noticeFor(locked, { ...context, leasesWaiting: 2 })).toMatchObject({
      kind: 'needs-you',
      title: 'Unlock your wallet',
      body: expect.stringMatching(/^2 market jobs wait for your wallet to sign/),
    });
    expect(noticeFor(market('no benchmark yet'), { ...context, leasesWaiting: 2 })).toBeNull();
    expect(noticeFor(market(null), { ...context, leasesWaiting: 2 })).toBeNull();
  });

  it('a GPU that reached the temperature ceiling, once for each time it does', () => {
    const decision = (gpuId: string, cause: string, reason: string, since: string) => ({
      gpuId,
      state: cause === 'too-hot' ? 'paused' : 'working',
      cause,
      reason,
      heldBy: 'policy',
      until: null,
      since,
      alsoApplies: [],
      lease: null,
    });
    const schedule = (...decisions: ReturnType<typeof decision>[]) =>
      ({ event: 'schedule.changed', payload: { decisions } }) as unknown as AgentEvent;
    const names = { ...context, gpuName: (id: string) => (id === 'pci-2' ? 'RTX 3070 #2' : id) };
    const hot = decision(
      'pci-2',
      'too-hot',
      'too hot: 85 °C reached the 83 °C ceiling; resumes at 78 °C or below',
      '2026-01-01T10:00:00.000Z',
    );
    expect(
      noticeFor(schedule(decision('pci-1', 'always', 'set to work always', 'x'), hot), names),
    ).toEqual({
      kind: 'needs-you',
      key: 'hot:pci-2:2026-01-01T10:00:00.000Z',
      title: 'GPU too hot',
      body: 'RTX 3070 #2 reached your temperature ceiling, so Roost paused it (too hot: 85 °C reached the 83 °C ceiling; resumes at 78 °C or below). If this happens often, check its fans and airflow, or lower its power limit.',
    });
    // Cooling down is the same episode, already told; a GPU at work is no news.
    const cooling = {
      ...hot,
      reason:
        'cooling down after reaching the 83 °C ceiling (80 °C now); resumes at 78 °C or below',
    };
    expect(noticeFor(schedule(cooling), names)).toBeNull();
    expect(noticeFor(schedule(decision('pci-1', 'always', 'ok', 'x')), names)).toBeNull();
    // Without names it still says what happened.
    expect(noticeFor(schedule(hot), context)?.body).toMatch(
      /^A GPU reached your temperature ceiling/,
    );
  });

  it("open disputes for this wallet, the market's arbiter, to rule on: once for each set", () => {
    const dispute = (jobId: string, voidableAt: string, cannotRule: string | null = null) => ({
      jobId,
      slot: 0,
      reason: 'Disputed: output y\nis all zeros',
      voidableAt,
      cannotRule,
    });
    const disputes = (...list: ReturnType<typeof dispute>[]) =>
      ({
        event: 'market.disputes',
        payload: { network: { chainId: 4242, marketAddress: '0xm' }, disputes: list },
      }) as unknown as AgentEvent;
    const one = noticeFor(disputes(dispute('7', '2026-11-28T10:10:00.000Z')), context);
    expect(one).toEqual({
      kind: 'needs-you',
      key: 'disputes:4242:0xm:7.0',
      title: 'A dispute waits for your ruling',
      body: 'Job 7: its requester challenged the provider\'s result ("Disputed: output y is all zeros"). As the market\'s arbiter, rule on the Jobs page (Disputes to rule on) or with roost market resolve before 2026-11-28 10:10 UTC, or it ends unruled.',
    });
    const two = noticeFor(
      disputes(dispute('7', '2026-11-28T10:10:00.000Z'), dispute('9', '2026-11-28T08:00:00.000Z')),
      context,
    );
    expect(two).toMatchObject({
      key: 'disputes:4242:0xm:7.0,9.0',
      title: '2 disputes wait for your ruling',
    });
    // The soonest to end unruled is the one named.
    expect(two?.body).toContain('before 2026-11-28 08:00 UTC');
    // None left, or none this wallet may rule on: nothing to say.
    expect(noticeFor(disputes(), context)).toBeNull();
    expect(
      noticeFor(disputes(dispute('7', '2026-11-28T10:10:00.000Z', 'a party')), context),
    ).toBeNull();
  });

  it('a job posted from here: finished (accepted or not) and a watch that stopped', () => {
    const posted = (payload: Record<string, unknown>) =>
      ({
        event: 'market.postedJob',
        payload: { jobId: '12', at: '2026-11-27T06:00:00.000Z', text: 'what happened', ...payload },
      }) as unknown as AgentEvent;
    expect(noticeFor(posted({ kind: 'finished', allAccepted: true }), context)).toEqual({
      kind: 'job-done',
      key: 'posted:12:finished',
      title: 'Posted job 12 is finished',
      body: 'what happened',
    });
    expect(noticeFor(posted({ kind: 'finished', allAccepted: false }), context)).toMatchObject({
      kind: 'job-failed',
    });
    expect(noticeFor(posted({ kind: 'stopped' }), context)).toMatchObject({
      kind: 'needs-you',
      title: 'Roost stopped watching posted job 12',
    });
    // Each step on the way is on the Jobs page, not worth interrupting anyone for.
    for (const kind of ['posted', 'claimed', 'result', 'verdict', 'warning'])
      expect(noticeFor(posted({ kind, slot: 0 }), context)).toBeNull();
  });

  it('needs-you is described, in Settings and roost settings, with every notice it sends', () => {
    // The choice a user ticks (or leaves out) must name each thing that needs the user.
    const label = SETTING_OPTION_LABELS['notifications.kinds.needs-you'];
    const description = notificationSettingsSchema.shape.kinds.description;
    for (const words of [label, description]) {
      expect(words).toMatch(/wallet locked/);
      expect(words).toMatch(/GPU/);
      expect(words).toMatch(/dispute/);
      expect(words).toMatch(/posted/);
    }
  });

  it('ignores everything else (telemetry, logs)', () => {
    const log = { event: 'agent.log', payload: { level: 'error' } } as unknown as AgentEvent;
    expect(noticeFor(log, context)).toBeNull();
  });
});

describe('the rate limit', () => {
  function setup(options: { maxPerHour?: number } = {}) {
    let now = 0;
    const shown: Notice[] = [];
    const timers: { at: number; fn: () => void }[] = [];
    const notifier = createNotifier({
      show: (n) => shown.push(n),
      now: () => now,
      setTimer: (fn, ms) => {
        timers.push({ at: now + ms, fn });
        return {};
      },
      ...options,
    });
    const advance = (ms: number) => {
      now += ms;
      for (const t of timers.splice(0).sort((a, b) => a.at - b.at)) {
        if (t.at <= now) t.fn();
        else timers.push(t);
      }
    };
    return { notifier, shown, advance };
  }
  const done = (id: string): Notice => ({
    kind: 'job-done',
    key: `job:${id}`,
    title: 'Job finished',
    body: `${id} is done`,
  });

  it('shows one of a kind per minute and folds the rest into one summary', () => {
    const { notifier, shown, advance } = setup();
    expect(notifier.notify(done('a'))).toBe('shown');
    expect(notifier.notify(done('b'))).toBe('held');
    expect(notifier.notify(done('c'))).toBe('held');
    // Another kind is not held back by it.
    expect(notifier.notify({ ...done('p'), kind: 'payment', key: 'paid:1' })).toBe('shown');
    expect(shown.map((n) => n.title)).toEqual(['Job finished', 'Job finished']);
    advance(59_999);
    expect(shown).toHaveLength(2);
    advance(1);
    expect(shown[2]).toMatchObject({ title: '2 more jobs finished', body: 'Latest: c is done' });
  });

  it('a single held notice is shown as it was', () => {
    const { notifier, shown, advance } = setup();
    notifier.notify(done('a'));
    notifier.notify(done('b'));
    advance(60_000);
    expect(shown.map((n) => n.body)).toEqual(['a is done', 'b is done']);
  });

  it('announces each thing once', () => {
    const { notifier, shown, advance } = setup();
    expect(notifier.notify(done('a'))).toBe('shown');
    advance(120_000);
    expect(notifier.notify(done('a'))).toBe('duplicate');
    expect(shown).toHaveLength(1);
  });

  it('caps the notices an hour', () => {
    const { notifier, shown, advance } = setup({ maxPerHour: 3 });
    for (let i = 0; i < 5; i++) {
      notifier.notify(done(String(i)));
      advance(61_000);
    }
    expect(shown).toHaveLength(3);
    advance(3_600_000);
    expect(notifier.notify(done('later'))).toBe('shown');
  });

  it('reminds of a problem that needs the user at most every half hour', () => {
    const { notifier, shown, advance } = setup();
    const locked = (n: number): Notice => ({
      kind: 'needs-you',
      key: `locked:${n}`,
      title: 'Unlock your wallet',
      body: 'x',
    });
    notifier.notify(locked(1));
    advance(10 * 60_000);
    expect(notifier.notify(locked(2))).toBe('held');
    advance(20 * 60_000);
    expect(shown).toHaveLength(2);
  });
});

describe('the leases that still need the wallet', () => {
  it('counts a lease while it needs signing, not once it is paid or in dispute', () => {
    const leases = watchLeases();
    leases.observe(lease('claimed'));
    leases.observe({
      ...lease('claimed'),
      payload: { ...lease('claimed').payload, jobId: '8' },
    } as AgentEvent);
    expect(leases.waiting()).toBe(2);
    leases.observe(lease('paid'));
    expect(leases.waiting()).toBe(1);
    expect([...leases.states().keys()]).toEqual(['31337:0xm:0xb:8']);
    leases.observe(market('the wallet is locked'));
    expect(leases.waiting()).toBe(1);
  });
});
