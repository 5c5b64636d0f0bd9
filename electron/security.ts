import type { Session, WebContents, WebPreferences } from 'electron';

/** The renderer is served from this privileged custom scheme, never from file:// (checklist 18). */
export const APP_SCHEME = 'roost';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The same policy `roost serve` sends: our own scripts and styles only, no remote anything. */
export const RENDERER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The only webPreferences any Roost window gets. Every item is a line of Electron's security
 * checklist; docs/electron-security.md maps them.
 */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    enableBlinkFeatures: undefined,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools: true,
  };
}

/** True for a URL of the app itself. */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Denies every navigation away from the app, every new window and every <webview>. */
export function lockDownContents(contents: WebContents, log: (message: string) => void): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) {
      event.preventDefault();
      log(`[window] blocked navigation to ${url}`);
    }
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) {
      event.preventDefault();
      log(`[window] blocked redirect to ${url}`);
    }
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('[window] blocked a <webview>');
  });
  contents.setWindowOpenHandler(({ url }) => {
    log(`[window] blocked a new window for ${url}`);
    return { action: 'deny' };
  });
}

/** Denies every permission (camera, notifications from the page, geolocation, ...) and sets the CSP. */
export function lockDownSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [RENDERER_CSP],
      },
    });
  });
}
