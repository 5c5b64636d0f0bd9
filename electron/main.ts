// Electron main: a thin shell around the agent. Windows, the app protocol and the IPC bridge
// live here; everything else is the same agent `roost serve` hosts.
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  nativeImage,
  net,
  powerMonitor,
  protocol,
  session,
  Tray,
} from 'electron';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createAgent, type Agent } from '../agent/agent.ts';
import { resolveDataDir } from '../agent/store/data-dir.ts';
import { stderrSink } from '../agent/log.ts';
import { resolveAppFile } from './app-protocol.ts';
import { registerIpc } from './ipc.ts';
import { APP_SCHEME, RENDERER_CSP, lockDownSession } from './security.ts';
import { createMainWindow } from './window.ts';
import { createRoostTray, trayStateFrom } from './tray.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const RENDERER_DIR = here('../renderer');
const PROJECT_ROOT = here('../../');
const PRELOAD = here('./preload.cjs');

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

function dataDirFromArgs(): string {
  const { values } = parseArgs({
    args: process.argv.slice(1),
    options: { 'data-dir': { type: 'string' } },
    strict: false,
  });
  const flag = typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined;
  return resolveDataDir({ flag });
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const dataDir = dataDirFromArgs();
  app.setPath('userData', dataDir);
  await app.whenReady();

  const agent: Agent = await createAgent({
    dataDir,
    host: 'electron',
    background: true,
    // Idle time and battery come from the OS through Electron; the work policy decides with them.
    desktop: {
      idleSeconds: () => powerMonitor.getSystemIdleTime(),
      onBattery: () => powerMonitor.isOnBatteryPower(),
    },
    // Helper children (the accelerator probe) are TypeScript run by the project's Node 24 in
    // development; the packaged app ships them built (electron-builder, with the fuses).
    ...(app.isPackaged
      ? {}
      : {
          hardware: {
            nodePath: join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node'),
            probeEntry: join(PROJECT_ROOT, 'worker', 'probe-entry.ts'),
          },
        }),
    electronVersion: process.versions.electron,
    logSink: stderrSink(),
  });
  const log = (message: string) => agent.log.child('electron').info(message);

  lockDownSession(session.defaultSession);
  protocol.handle(APP_SCHEME, async (request) => {
    const target = resolveAppFile(RENDERER_DIR, request.url);
    if (!target) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(target.file);
      return new Response(body, {
        headers: {
          'Content-Type': target.type,
          'Content-Security-Policy': RENDERER_CSP,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch {
      return net
        .fetch(pathToFileURL(target.file).toString())
        .catch(() => new Response('Not found', { status: 404 }));
    }
  });

  const windows = new Set<BrowserWindow>();
  const openWindow = () => {
    const window = createMainWindow({ BrowserWindow, preloadPath: PRELOAD, log });
    windows.add(window);
    window.on('closed', () => windows.delete(window));
    return window;
  };
  const unregister = registerIpc({
    ipcMain,
    router: agent.router,
    events: agent.events,
    trustedContents: () => [...windows].filter((w) => !w.isDestroyed()).map((w) => w.webContents),
    log,
  });

  app.on('second-instance', () => {
    const [first] = windows;
    if (first) {
      if (first.isMinimized()) first.restore();
      first.focus();
    } else openWindow();
  });
  app.on('activate', () => {
    if (windows.size === 0) openWindow();
  });
  // The tray says what the GPUs are doing; closing the window keeps Roost working in it.
  const allPaused = () =>
    agent.policy.holds().some((h) => h.gpuId === null && h.action === 'pause');
  const tray = createRoostTray(
    {
      createTray: (icon) => new Tray(icon),
      buildMenu: (template) => Menu.buildFromTemplate(template),
      // Electron's nativeImage reads PNG, not SVG; the tray icon ships with the renderer build.
      icon: nativeImage.createFromPath(here('../renderer/tray.png')),
      onOpen: () => {
        const [first] = windows;
        if (first) first.show();
        else openWindow();
      },
      onPauseToggle: (pause) => {
        void (pause
          ? agent.router.call('schedule.hold', { gpuId: null, action: 'pause' })
          : agent.router.call('schedule.clearHold', { gpuId: null }));
      },
      onQuit: () => app.quit(),
    },
    { activity: 'starting', reason: 'looking for your GPUs' },
  );
  agent.events.subscribe((event) => {
    if (event.event === 'schedule.changed')
      tray.update(trayStateFrom(event.payload.decisions, allPaused()));
  });
  app.on('window-all-closed', () => {
    // Keep running in the tray; Quit in the tray menu ends Roost.
  });
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    unregister();
    tray.destroy();
    void agent.close().finally(() => app.exit(0));
  });
  openWindow();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[electron] Roost could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  app.exit(1);
});
