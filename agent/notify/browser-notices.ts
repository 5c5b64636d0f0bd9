/**
 * The notices of `roost serve` for its browser dashboard: the same moments the desktop app shows
 * as system notifications (agent/notify/notices.ts), rate-limited the same way, handed to the
 * page as `agent.notice` events. The page shows them as the browser's notifications where its
 * user allowed them, while its tab is in the background (renderer/src/hooks/useBrowserNotices.ts).
 */
import type { AgentEvent } from '../api/contract.ts';
import { createNotices, ofKinds, type NotifierOptions } from './notices.ts';
import type { NoticeEvent, NotifyKind } from './schema.ts';

export interface BrowserNoticesOptions {
  emit: (notice: NoticeEvent) => void;
  /** The kinds the owner wants shown (`notifications.shown`), read at each notice. */
  shown: () => readonly NotifyKind[];
  token: () => { symbol: string; decimals: number } | null;
  gpuName?: (gpuId: string) => string;
  now?: () => number;
  coolDownMs?: NotifierOptions['coolDownMs'];
  maxPerHour?: number;
}

export function createBrowserNotices(options: BrowserNoticesOptions): {
  observe(event: AgentEvent): void;
} {
  const notices = createNotices({
    show: (notice) => options.emit(notice),
    token: options.token,
    accept: (notice) => ofKinds(options.shown(), notice),
    ...(options.now ? { now: options.now } : {}),
    ...(options.gpuName ? { gpuName: options.gpuName } : {}),
    ...(options.coolDownMs ? { coolDownMs: options.coolDownMs } : {}),
    ...(options.maxPerHour !== undefined ? { maxPerHour: options.maxPerHour } : {}),
  });
  return {
    observe(event) {
      // Its own events make none.
      if (event.event !== 'agent.notice') notices.observe(event);
    },
  };
}
