/**
 * Desktop notifications: the agent's notices (agent/notify/notices.ts: which events deserve one,
 * and the rate limit) shown through Electron's `Notification`. Only the wiring lives here; the
 * webhook of a rig or lab server uses the same notices from the agent itself.
 */
import type { Agent } from '../agent/agent.ts';
import {
  createNotices,
  ofKinds,
  type LeaseWatch,
  type Notice,
  type Notifier,
} from '../agent/notify/notices.ts';

export type { Notice, NoticeKind } from '../agent/notify/notices.ts';

/** The part of Electron's `Notification` used (a fake in tests). */
export interface DesktopNotification {
  on(event: 'click' | 'close', listener: () => void): unknown;
  show(): void;
}
export interface DesktopNotificationClass {
  new (options: { title: string; body: string }): DesktopNotification;
  isSupported(): boolean;
}

export interface DesktopNotices {
  notifier: Notifier;
  /** The market jobs still in the provider's hands (the updater never installs under one). */
  leases: LeaseWatch;
  /** A notice of the app's own, shown when its kind is one the owner chose. */
  tell(notice: Notice): void;
}

/**
 * Shows the agent's notices as system notifications: a click brings Roost's window up. Each
 * notification is held until closed: a collected one loses its click.
 */
export function showDesktopNotices(deps: {
  agent: Pick<Agent, 'events' | 'market'> & {
    policy: Pick<Agent['policy'], 'gpuName'>;
    settings: Pick<Agent['settings'], 'get'>;
  };
  Notification: DesktopNotificationClass;
  onClick: () => void;
  now?: () => number;
}): DesktopNotices {
  const shown = new Set<DesktopNotification>();
  const chosen = (notice: Notice) => ofKinds(deps.agent.settings.get().notifications.shown, notice);
  const notices = createNotices({
    token: () => deps.agent.market.token(),
    gpuName: (gpuId) => deps.agent.policy.gpuName(gpuId),
    // As the owner chose; an update ready to install (the updater's own, told to the notifier
    // directly) is always said.
    accept: chosen,
    show: (notice: Notice) => {
      if (!deps.Notification.isSupported()) return;
      const notification = new deps.Notification({ title: notice.title, body: notice.body });
      shown.add(notification);
      notification.on('click', deps.onClick);
      notification.on('close', () => shown.delete(notification));
      notification.show();
    },
    ...(deps.now ? { now: deps.now } : {}),
  });
  deps.agent.events.subscribe(notices.observe);
  return {
    notifier: notices.notifier,
    leases: notices.leases,
    tell: (notice) => {
      if (chosen(notice)) notices.notifier.notify(notice);
    },
  };
}
