/**
 * One Roost per user: `app.requestSingleInstanceLock()` in main.ts makes a second start quit at
 * once and tell the first (`second-instance`). The first then brings its window forward, or
 * opens one (it may be running in the tray with none) — unless the second start came from the
 * login item (`--hidden`), which must not pop a window up at the user.
 */
import { HIDDEN_FLAG } from './login-item.ts';

/** The part of a BrowserWindow this needs. */
export interface ShowableWindow {
  isMinimized(): boolean;
  restore(): void;
  show(): void;
  focus(): void;
}

export function showRoost(windows: Iterable<ShowableWindow>, openWindow: () => void): void {
  const [first] = windows;
  if (!first) {
    openWindow();
    return;
  }
  if (first.isMinimized()) first.restore();
  first.show();
  first.focus();
}

export function onSecondInstance(
  argv: readonly string[],
  windows: Iterable<ShowableWindow>,
  openWindow: () => void,
): void {
  if (argv.includes(HIDDEN_FLAG)) return;
  showRoost(windows, openWindow);
}
