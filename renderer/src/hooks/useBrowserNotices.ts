/**
 * The browser dashboard of roost serve shows Roost's notices (a job done, a payment, a wallet
 * that needs you) as the browser's notifications, where the user turned them on here (Settings →
 * Notifications) and the browser allows them, while the dashboard's tab is in the background or
 * its window is not the one in use: in front, the page says it already. The desktop app shows its own as system notifications.
 */
import { useEffect, useState } from 'react';
import { useAgent } from '../AgentContext.tsx';

/** This browser's choice, kept with the page's origin (each roost serve its own). */
export const BROWSER_NOTICES_KEY = 'roost.browserNotices';

export type BrowserNoticesState =
  /** No Notification API (an old browser, an insecure origin), or the desktop app. */
  | 'unavailable'
  | 'off'
  | 'on'
  /** Turned on here, and the browser refuses them (its site settings). */
  | 'blocked';

function stateNow(desktop: boolean): BrowserNoticesState {
  if (desktop || typeof Notification === 'undefined') return 'unavailable';
  const wanted = window.localStorage.getItem(BROWSER_NOTICES_KEY) === 'on';
  if (Notification.permission === 'denied') return wanted ? 'blocked' : 'off';
  return wanted && Notification.permission === 'granted' ? 'on' : 'off';
}

/** Shows the agent's notices while they are on; call once, in the app's shell. */
export function useBrowserNotices(): void {
  const { client, subscribe } = useAgent();
  const desktop = Boolean(client.pathOf);
  useEffect(() => {
    if (desktop) return undefined;
    return subscribe((e) => {
      if (e.event !== 'agent.notice') return;
      // In front, with the person at it, the page says it already.
      const watched = document.visibilityState === 'visible' && document.hasFocus();
      if (stateNow(false) !== 'on' || watched) return;
      const shown = new Notification(e.payload.title, { body: e.payload.body, tag: e.payload.key });
      shown.onclick = () => {
        window.focus();
        shown.close();
      };
    });
  }, [desktop, subscribe]);
}

/** Settings' switch for this browser: its state, and turning it on (asking the browser) or off. */
export function useBrowserNoticesSwitch(): {
  state: BrowserNoticesState;
  turnOn: () => Promise<void>;
  turnOff: () => void;
} {
  const { client } = useAgent();
  const desktop = Boolean(client.pathOf);
  const [state, setState] = useState<BrowserNoticesState>(() => stateNow(desktop));
  return {
    state,
    async turnOn() {
      window.localStorage.setItem(BROWSER_NOTICES_KEY, 'on');
      if (Notification.permission === 'default') await Notification.requestPermission();
      setState(stateNow(desktop));
    },
    turnOff() {
      window.localStorage.removeItem(BROWSER_NOTICES_KEY);
      setState(stateNow(desktop));
    },
  };
}
