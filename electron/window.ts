import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import { lockDownContents, secureWebPreferences, APP_ORIGIN } from './security.ts';

export interface WindowDeps {
  /** Electron's BrowserWindow, injected so tests can check what it is given. */
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  preloadPath: string;
  iconPath?: string;
  log: (message: string) => void;
}

/** The options of the main window: secure webPreferences, usable at 1024×640. */
export function mainWindowOptions(
  deps: Pick<WindowDeps, 'preloadPath' | 'iconPath'>,
): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    minWidth: 1024,
    minHeight: 640,
    show: false,
    title: 'Roost',
    backgroundColor: '#f6f5f1',
    ...(deps.iconPath ? { icon: deps.iconPath } : {}),
    webPreferences: secureWebPreferences(deps.preloadPath),
  };
}

/** THE window factory: nobody else calls `new BrowserWindow`. */
export function createMainWindow(deps: WindowDeps): BrowserWindow {
  const window = new deps.BrowserWindow(mainWindowOptions(deps));
  lockDownContents(window.webContents, deps.log);
  window.once('ready-to-show', () => window.show());
  void window.loadURL(`${APP_ORIGIN}/index.html`);
  return window;
}
