import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import type { WebContents } from 'electron';
import {
  isAppUrl,
  lockDownContents,
  secureWebPreferences,
  lockDownSession,
  RENDERER_CSP,
} from './security.ts';
import { mainWindowOptions, createMainWindow } from './window.ts';

describe('the window factory', () => {
  it('gives every window the checklist webPreferences', () => {
    const prefs = mainWindowOptions({ preloadPath: '/app/preload.cjs' }).webPreferences!;
    expect(prefs).toMatchObject({
      preload: '/app/preload.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
    });
    expect(prefs.enableBlinkFeatures).toBeUndefined();
    expect(secureWebPreferences('/x')).toEqual(
      prefs.preload === '/x' ? prefs : { ...prefs, preload: '/x' },
    );
  });

  it('is usable at 1024×640', () => {
    const options = mainWindowOptions({ preloadPath: '/p' });
    expect(options.minWidth).toBe(1024);
    expect(options.minHeight).toBe(640);
  });

  it('creates the window through the injected BrowserWindow, locked down, loading the app scheme', () => {
    const made: { options: unknown; url?: string; contents: FakeContents }[] = [];
    class FakeWindow extends EventEmitter {
      webContents = new FakeContents();
      constructor(options: unknown) {
        super();
        made.push({ options, contents: this.webContents });
      }
      loadURL(url: string) {
        made[made.length - 1]!.url = url;
        return Promise.resolve();
      }
      show() {}
    }
    createMainWindow({
      BrowserWindow: FakeWindow as never,
      preloadPath: '/p.cjs',
      log: () => undefined,
    });
    expect(made).toHaveLength(1);
    expect(made[0]!.url).toBe('roost://app/index.html');
    expect(made[0]!.contents.windowOpenHandler).toBeDefined();
    expect(made[0]!.contents.listenerCount('will-navigate')).toBe(1);
  });
});

class FakeContents extends EventEmitter {
  windowOpenHandler?: (details: { url: string }) => { action: string };
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
}

function fire(contents: FakeContents, name: string, url?: string): boolean {
  let prevented = false;
  contents.emit(name, { preventDefault: () => (prevented = true) }, url);
  return prevented;
}

describe('lockDownContents', () => {
  const contents = new FakeContents();
  const logged: string[] = [];
  lockDownContents(contents as unknown as WebContents, (m) => logged.push(m));

  it('denies navigation away from the app', () => {
    expect(fire(contents, 'will-navigate', 'https://evil.example/')).toBe(true);
    expect(fire(contents, 'will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(fire(contents, 'will-navigate', 'roost://app/index.html#/settings')).toBe(false);
    expect(fire(contents, 'will-redirect', 'http://127.0.0.1:1/')).toBe(true);
  });

  it('denies new windows and webviews', () => {
    expect(contents.windowOpenHandler!({ url: 'https://example.org' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'roost://app/index.html' })).toEqual({
      action: 'deny',
    });
    expect(fire(contents, 'will-attach-webview')).toBe(true);
    expect(logged.some((l) => l.includes('evil.example'))).toBe(true);
  });
});

describe('lockDownSession', () => {
  it('denies every permission and sets the CSP on every response', () => {
    let request: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
    let check: (() => boolean) | undefined;
    let headers:
      | ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: unknown) => void) => void)
      | undefined;
    lockDownSession({
      setPermissionRequestHandler: (h: typeof request) => (request = h),
      setPermissionCheckHandler: (h: typeof check) => (check = h),
      webRequest: { onHeadersReceived: (h: typeof headers) => (headers = h) },
    } as never);
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal']) {
      let granted: boolean | undefined;
      request!({}, permission, (ok) => (granted = ok));
      expect(granted, permission).toBe(false);
    }
    expect(check!()).toBe(false);
    let response: { responseHeaders: Record<string, string[]> } | undefined;
    headers!({ responseHeaders: { 'X-Other': ['1'] } }, (r) => (response = r as typeof response));
    expect(response!.responseHeaders['Content-Security-Policy']).toEqual([RENDERER_CSP]);
    expect(response!.responseHeaders['X-Other']).toEqual(['1']);
    expect(RENDERER_CSP).toContain("script-src 'self'");
    expect(RENDERER_CSP).not.toContain('unsafe');
  });
});

describe('isAppUrl', () => {
  it('accepts only roost://app', () => {
    expect(isAppUrl('roost://app/index.html')).toBe(true);
    expect(isAppUrl('roost://other/index.html')).toBe(false);
    expect(isAppUrl('https://app/')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
});
