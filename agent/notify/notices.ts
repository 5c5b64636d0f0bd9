/**
 * Notices: the few moments worth interrupting someone for — a private job done or failed, a
 * payment received, a benchmark finished, and a problem only the user can fix (the wallet locked
 * while market jobs wait to be signed, a remembered password that no longer works).
 *
 * One implementation for every way Roost tells the user: the desktop app shows them as system
 * notifications (electron/notifications.ts), and every long-lived host (`roost serve`, the app)
 * sends them to the notification webhook when one is set (./webhook.ts).
 *
 * `noticeFor` turns agent events into notices (pure, so it is tested without Electron or the
 * network); `watchLeases` keeps the count of market jobs that still need the wallet, which the
 * wallet-locked notice needs; `createNotifier` rate-limits them: one notice of a kind per
 * cool-down, the rest folded into one summary when it ends, a cap per hour, and each thing (a job,
 * a payment) announced once.
 */
import type { AgentEvent } from '../api/contract.ts';
import { HELD_LEASE_STATES, timeWords, type LeaseState } from '../market/schema.ts';
import { formatUnitsExact } from '../wallet/amount.ts';
import type { NotifyKind } from './schema.ts';

/** The kinds the owner chooses among (`NOTIFY_KINDS`), and the desktop app's own update. */
export type NoticeKind = NotifyKind | 'update';

/** Whether `notice` is of one of the kinds chosen (`notifications.shown`, or `.kinds`). */
export function ofKinds(kinds: readonly NotifyKind[], notice: Notice): boolean {
  return (kinds as readonly NoticeKind[]).includes(notice.kind);
}

export interface Notice {
  kind: NoticeKind;
  /** What it is about; a key is announced once (`job:<id>:done`, `paid:<job>`). */
  key: string;
  title: string;
  body: string;
}

/**
 * Lease states in which a claimed job still needs the wallet to sign (claim, result, finalize):
 * every held state but a dispute, which the arbiter settles.
 */
export const LEASE_NEEDS_SIGNING: readonly LeaseState[] = HELD_LEASE_STATES.filter(
  (state) => state !== 'disputed',
);

/** The market jobs still in the provider's hands, as `market.lease` events told them. */
export interface LeaseWatch {
  /** Takes in every agent event; only `market.lease` counts. */
  observe(event: AgentEvent): void;
  /** How many leases still need the wallet to sign. */
  waiting(): number;
  /** Each held lease by `<chainKey>:<jobId>`, with its state. */
  states(): ReadonlyMap<string, LeaseState>;
}

/** Follows `market.lease` events: the leases a locked wallet or an update would hurt. */
export function watchLeases(): LeaseWatch {
  const held = new Map<string, LeaseState>();
  return {
    observe(event) {
      if (event.event !== 'market.lease') return;
      const key = `${event.payload.chainKey}:${event.payload.jobId}`;
      if (LEASE_NEEDS_SIGNING.includes(event.payload.state)) held.set(key, event.payload.state);
      else held.delete(key);
    },
    waiting: () => held.size,
    states: () => held,
  };
}

export interface NoticeContext {
  /** The payment token, to show a payout in its units; null when not known. */
  token: { symbol: string; decimals: number } | null;
  /** Market jobs that still need signing, as this shell last saw them. */
  leasesWaiting: number;
  /** Epoch ms: a standing problem is announced again in a later half hour, not on every event. */
  at: number;
  /** A GPU's name for people (`RTX 3070 #2`); without it, a GPU is "a GPU". */
  gpuName?: (gpuId: string) => string;
}

function short(text: string, max = 180): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * One shell's notices (the desktop app, the webhook, the browser dashboard): each agent event
 * `observe`d becomes the notice it deserves, keeping `leases` (the market jobs that still need
 * the wallet) current as it goes; those `accept` takes are shown through the rate limit.
 */
export function createNotices(
  options: NotifierOptions & {
    token: () => NoticeContext['token'];
    gpuName?: (gpuId: string) => string;
    /** Whether this shell shows a notice now (the webhook: one is set, and of a kind it sends). */
    accept?: (notice: Notice) => boolean;
  },
): { observe(event: AgentEvent): void; notifier: Notifier; leases: LeaseWatch } {
  const notifier = createNotifier(options);
  const leases = watchLeases();
  const now = options.now ?? Date.now;
  return {
    notifier,
    leases,
    observe(event) {
      leases.observe(event);
      const notice = noticeFor(event, {
        token: options.token(),
        leasesWaiting: leases.waiting(),
        at: now(),
        ...(options.gpuName ? { gpuName: options.gpuName } : {}),
      });
      if (notice && (options.accept?.(notice) ?? true)) notifier.notify(notice);
    },
  };
}

/** The notice an agent event deserves, or null for the (many) that deserve none. */
export function noticeFor(event: AgentEvent, context: NoticeContext): Notice | null {
  switch (event.event) {
    case 'job.stateChanged': {
      const job = event.payload.job;
      // Market jobs announce themselves when they are paid; a lab's own jobs when they finish.
      if (job.origin !== 'private') return null;
      const name = job.name ?? `Job ${job.id.slice(0, 8)}`;
      if (job.state === 'done')
        return {
          kind: 'job-done',
          key: `job:${job.id}:done`,
          title: 'Job finished',
          body: `${name} is done: its outputs and signed result are ready.`,
        };
      if (job.state === 'failed')
        return {
          kind: 'job-failed',
          key: `job:${job.id}:failed`,
          title: 'A job failed',
          body: short(`${name}: ${job.error?.message ?? 'see the Jobs page for why'}`),
        };
      return null;
    }
    case 'market.lease': {
      const lease = event.payload;
      if (lease.state !== 'paid') return null;
      let amount = 'a payment';
      if (lease.payout !== null && context.token) {
        amount = `${formatUnitsExact(BigInt(lease.payout), context.token.decimals)} ${context.token.symbol}`;
      }
      return {
        kind: 'payment',
        key: `paid:${lease.chainKey}:${lease.jobId}`,
        title: 'Payment received',
        body: `You earned ${amount} for market job #${lease.jobId}.`,
      };
    }
    case 'bench.progress': {
      const progress = event.payload;
      if (progress.phase !== 'done') return null;
      return {
        kind: 'bench-done',
        key: `bench:${progress.runId}`,
        title: 'Benchmark finished',
        body: short(progress.message || 'Your report is saved: open Roost to see the score.'),
      };
    }
    case 'market.changed': {
      const status = event.payload;
      if (status.state !== 'waiting' || !status.problem) return null;
      if (!/wallet is locked/i.test(status.problem) || context.leasesWaiting === 0) return null;
      const jobs =
        context.leasesWaiting === 1
          ? 'A market job waits'
          : `${context.leasesWaiting} market jobs wait`;
      return {
        kind: 'needs-you',
        key: `locked:${Math.floor(context.at / 1_800_000)}`,
        title: 'Unlock your wallet',
        body: `${jobs} for your wallet to sign: unlock it in Roost (Wallet page) to finish and get paid.`,
      };
    }
    case 'market.disputes': {
      // This wallet is the market's arbiter: a dispute nobody rules on ends unruled after the
      // arbiter's time, so each new set of open disputes is announced once.
      const open = event.payload.disputes.filter((d) => d.cannotRule === null);
      if (open.length === 0) return null;
      const first = open.reduce((a, b) => (a.voidableAt <= b.voidableAt ? a : b));
      const which =
        open.length === 1
          ? `Job ${first.jobId}: its requester challenged the provider's result${first.reason ? ` ("${short(first.reason.replace(/\s+/g, ' '), 80)}")` : ''}.`
          : `${open.length} results were challenged by their requesters.`;
      return {
        kind: 'needs-you',
        key: `disputes:${event.payload.network.chainId}:${event.payload.network.marketAddress}:${open.map((d) => `${d.jobId}.${d.slot}`).join(',')}`,
        title:
          open.length === 1
            ? 'A dispute waits for your ruling'
            : `${open.length} disputes wait for your ruling`,
        body: short(
          `${which} As the market's arbiter, rule on the Jobs page (Disputes to rule on) or with roost market resolve before ${timeWords(first.voidableAt)}, or it ends unruled.`,
          300,
        ),
      };
    }
    case 'market.postedJob': {
      // A job posted from here: its end (every lease judged) and a watch that stopped (a
      // transaction failed, the wallet locked after a restart) are worth telling the lab.
      const { jobId, kind, text } = event.payload;
      if (kind === 'finished')
        return {
          kind: event.payload.allAccepted === true ? 'job-done' : 'job-failed',
          key: `posted:${jobId}:finished`,
          title: `Posted job ${jobId} is finished`,
          body: short(text, 300),
        };
      if (kind === 'stopped')
        return {
          kind: 'needs-you',
          key: `posted:${jobId}:stopped:${event.payload.at}`,
          title: `Roost stopped watching posted job ${jobId}`,
          body: short(text, 300),
        };
      return null;
    }
    case 'schedule.changed': {
      // A GPU that reached the temperature ceiling: Roost pauses it by itself, but a rig that
      // keeps reaching it has a cooling problem only its owner can fix. Once per episode: `since`
      // is when the GPU became too hot.
      const hot = event.payload.decisions.find(
        (d) => d.cause === 'too-hot' && d.reason.startsWith('too hot'),
      );
      if (!hot) return null;
      const name = context.gpuName?.(hot.gpuId) ?? 'A GPU';
      return {
        kind: 'needs-you',
        key: `hot:${hot.gpuId}:${hot.since}`,
        title: 'GPU too hot',
        body: short(
          `${name} reached your temperature ceiling, so Roost paused it (${hot.reason}). If this happens often, check its fans and airflow, or lower its power limit.`,
          240,
        ),
      };
    }
    default:
      return null;
  }
}

export interface NotifierOptions {
  /** Shows one notice (Electron: `new Notification({ title, body }).show()`; a webhook: a POST). */
  show: (notice: Notice) => void;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => { unref?: () => void };
  /** Cool-down per kind, ms; the default is a minute, half an hour for `needs-you`. */
  coolDownMs?: Partial<Record<NoticeKind, number>>;
  /** At most this many notices an hour, summaries included; default 20. */
  maxPerHour?: number;
}

const DEFAULT_COOL_DOWN: Record<NoticeKind, number> = {
  'job-done': 60_000,
  'job-failed': 60_000,
  payment: 60_000,
  'bench-done': 60_000,
  'needs-you': 30 * 60_000,
  update: 60_000,
};

const SUMMARY_TITLE: Record<NoticeKind, (n: number) => string> = {
  'job-done': (n) => `${n} more jobs finished`,
  'job-failed': (n) => `${n} more jobs failed`,
  payment: (n) => `${n} more payments received`,
  'bench-done': (n) => `${n} more benchmarks finished`,
  'needs-you': () => 'Roost still needs you',
  update: () => 'An update is ready',
};

export type NotifyOutcome = 'shown' | 'held' | 'duplicate' | 'over-limit';

export interface Notifier {
  notify(notice: Notice): NotifyOutcome;
}

/** Rate-limited notices: see the module comment. */
export function createNotifier(options: NotifierOptions): Notifier {
  const now = options.now ?? (() => Date.now());
  const setTimer =
    options.setTimer ??
    ((fn: () => void, ms: number) => setTimeout(fn, ms) as { unref?: () => void });
  const coolDown = { ...DEFAULT_COOL_DOWN, ...options.coolDownMs };
  const maxPerHour = options.maxPerHour ?? 20;
  const seen = new Set<string>();
  const lastShown = new Map<NoticeKind, number>();
  const held = new Map<NoticeKind, Notice[]>();
  const shownAt: number[] = [];

  const underCap = (): boolean => {
    const hourAgo = now() - 3_600_000;
    while (shownAt.length > 0 && (shownAt[0] ?? 0) <= hourAgo) shownAt.shift();
    return shownAt.length < maxPerHour;
  };
  const display = (notice: Notice): boolean => {
    if (!underCap()) return false;
    shownAt.push(now());
    lastShown.set(notice.kind, now());
    options.show(notice);
    return true;
  };
  const flush = (kind: NoticeKind) => {
    const waiting = held.get(kind) ?? [];
    held.delete(kind);
    if (waiting.length === 0) return;
    const last = waiting[waiting.length - 1] as Notice;
    const summary: Notice =
      waiting.length === 1
        ? last
        : {
            kind,
            key: `summary:${kind}:${now()}`,
            title: SUMMARY_TITLE[kind](waiting.length),
            body: `Latest: ${last.body}`,
          };
    display(summary);
  };

  return {
    notify(notice) {
      if (seen.has(notice.key)) return 'duplicate';
      seen.add(notice.key);
      if (seen.size > 1000) seen.delete(seen.values().next().value as string);
      const last = lastShown.get(notice.kind);
      if (last !== undefined && now() - last < coolDown[notice.kind]) {
        const waiting = held.get(notice.kind);
        if (waiting) waiting.push(notice);
        else {
          held.set(notice.kind, [notice]);
          setTimer(() => flush(notice.kind), last + coolDown[notice.kind] - now()).unref?.();
        }
        return 'held';
      }
      return display(notice) ? 'shown' : 'over-limit';
    },
  };
}
