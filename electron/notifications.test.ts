import { describe, expect, it } from 'vitest';
import { EventBus } from '../agent/events.ts';
import type { EventPayload } from '../agent/api/contract.ts';
import { defaultSettings } from '../agent/api/contract.ts';
import { NOTIFY_KINDS, type NotifyKind } from '../agent/notify/schema.ts';
import { showDesktopNotices } from './notifications.ts';

/** Electron's Notification, recorded: what was shown, and its click to press. */
function fakeNotifications(supported = true) {
  const shown: { title: string; body: string; click?: () => void }[] = [];
  class FakeNotification {
    readonly entry: { title: string; body: string; click?: () => void };
    constructor(options: { title: string; body: string }) {
      this.entry = { ...options };
    }
    static isSupported() {
      return supported;
    }
    on(event: 'click' | 'close', listener: () => void) {
      if (event === 'click') this.entry.click = listener;
      return this;
    }
    show() {
      shown.push(this.entry);
    }
  }
  return { FakeNotification, shown };
}

const doneJob = (id: string) =>
  ({
    job: {
      id,
      origin: 'private',
      name: 'resnet batch',
      state: 'done',
      progress: { stage: 'done', setsDone: 1, setsTotal: 1 },
      attempts: 1,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    },
  }) as unknown as EventPayload<'job.stateChanged'>;

/** The parts of the agent the notices read, with `notifications.shown` as given. */
function agentWith(events: EventBus, shown: NotifyKind[] = [...NOTIFY_KINDS]) {
  const settings = {
    ...defaultSettings,
    notifications: { ...defaultSettings.notifications, shown },
  };
  return {
    events,
    market: { token: () => null } as never,
    policy: { gpuName: (id: string) => id },
    settings: { get: () => settings },
  };
}

describe('desktop notifications', () => {
  it("shows the agent's notices as system notifications; a click opens Roost", () => {
    const events = new EventBus();
    const { FakeNotification, shown } = fakeNotifications();
    let opened = 0;
    showDesktopNotices({
      agent: agentWith(events),
      Notification: FakeNotification,
      onClick: () => opened++,
    });
    events.emit('job.stateChanged', doneJob('abcdef123456'));
    events.emit('job.stateChanged', doneJob('abcdef123456'));
    expect(shown.map((n) => [n.title, n.body])).toEqual([
      ['Job finished', 'resnet batch is done: its outputs and signed result are ready.'],
    ]);
    shown[0]?.click?.();
    expect(opened).toBe(1);
  });

  it('counts the market jobs waiting for a locked wallet from lease events', () => {
    const events = new EventBus();
    const { FakeNotification, shown } = fakeNotifications();
    const { leases } = showDesktopNotices({
      agent: agentWith(events),
      Notification: FakeNotification,
      onClick: () => undefined,
    });
    const lease = { chainKey: '31337:0xm:0xb', jobId: '7', state: 'claimed', payout: null };
    events.emit('market.lease', lease as unknown as EventPayload<'market.lease'>);
    expect(leases.waiting()).toBe(1);
    events.emit('market.changed', {
      state: 'waiting',
      problem: 'the wallet is locked: unlock it',
    } as unknown as EventPayload<'market.changed'>);
    expect(shown[0]?.body).toMatch(/^A market job waits for your wallet to sign/);
  });

  it('shows only the kinds the owner chose, and an update ready to install always', () => {
    const events = new EventBus();
    const { FakeNotification, shown } = fakeNotifications();
    const { notifier, tell } = showDesktopNotices({
      agent: agentWith(events, ['job-failed']),
      Notification: FakeNotification,
      onClick: () => undefined,
    });
    events.emit('job.stateChanged', doneJob('abcdef123456'));
    expect(shown).toEqual([]);
    const failed = doneJob('fedcba654321');
    events.emit('job.stateChanged', {
      job: { ...failed.job, state: 'failed', error: { code: 'WORKER_CRASHED', message: 'boom' } },
    } as unknown as EventPayload<'job.stateChanged'>);
    expect(shown.map((n) => n.title)).toEqual(['A job failed']);
    // The app's own notices follow the choice too; the updater's, told directly, are always said.
    tell({ kind: 'needs-you', key: 'stale', title: 'Unlock your wallet', body: 'It is locked.' });
    notifier.notify({ kind: 'update', key: 'update:2.0.0', title: 'Update ready', body: '2.0.0' });
    expect(shown.map((n) => n.title)).toEqual(['A job failed', 'Update ready']);
  });

  it('shows nothing where the system has no notifications', () => {
    const events = new EventBus();
    const { FakeNotification, shown } = fakeNotifications(false);
    showDesktopNotices({
      agent: agentWith(events),
      Notification: FakeNotification,
      onClick: () => undefined,
    });
    events.emit('job.stateChanged', doneJob('abcdef123456'));
    expect(shown).toEqual([]);
  });
});
