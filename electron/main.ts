// Electron main: a thin shell around the agent. Windows, the app protocol and the IPC bridge
// live here; everything else is the same agent `roost serve` hosts.
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  net,
  Notification,
  powerMonitor,
  protocol,
  safeStorage,
  session,
  Tray,
  utilityProcess,
} from 'electron';
import electronUpdater from 'electron-updater';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createAgent, type Agent, type AgentOptions } from '../agent/agent.ts';
import { startCommandChannel } from '../agent/api/command-channel.ts';
import { createNodeWorkerSpawner, type SpawnWorker } from '../agent/jobs/spawner.ts';
import { defaultSpawner } from '../agent/hardware/run-tool.ts';
import { spawnNodeModule } from '../contracts/devnet-process.ts';
import { resolveDataDir } from '../agent/store/data-dir.ts';
import { InstanceLockError } from '../agent/store/instance-lock.ts';
import { stderrSink } from '../agent/log.ts';
import { downloadTicketOf, resolveAppFile } from './app-protocol.ts';
import { DOWNLOAD_LINK_SECONDS, createDownloadLinks } from '../agent/api/download-links.ts';
import { linkedDownloadResponse } from '../agent/api/download-stream.ts';
import { planHelpers, sourceHelperSpawner, type HelperPlan } from './helpers.ts';
import { registerIpc } from './ipc.ts';
import { applyStartAtLogin, startedHidden } from './login-item.ts';
import { showDesktopNotices, type Notice } from './notifications.ts';
import { REMEMBERED_UNLOCK_FILE, createRememberedUnlock } from './remembered-unlock.ts';
import { APP_SCHEME, RENDERER_CSP, lockDownSession } from './security.ts';
import { onSecondInstance, showRoost } from './single-instance.ts';
import { createMainWindow } from './window.ts';
import { createRoostTray, trayStateFrom } from './tray.ts';
import { createUpdateController, type AutoUpdaterLike } from './updater.ts';
import {
  createUtilityBenchSpawner,
  createUtilityModuleStarter,
  createUtilityToolSpawner,
} from './utility-helpers.ts';
import type { ForkUtility } from './utility-process.ts';
import { createUtilityWorkerSpawner } from './utility-worker.ts';

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

const withEntry =
  (spawn: SpawnWorker, plan: { workerEntry: string }): SpawnWorker =>
  (launch) =>
    spawn({ ...launch, entry: launch.entry ?? plan.workerEntry });

const forkUtility: ForkUtility = (modulePath, args, options) =>
  utilityProcess.fork(modulePath, args, options);

/**
 * How the agent's children start (electron/helpers.ts): the project's Node 24 from a checkout,
 * Electron utility processes running dist/worker/*.js when installed (RunAsNode fuse off).
 */
function helperOptions(
  plan: HelperPlan,
): Pick<AgentOptions, 'hardware' | 'bench' | 'jobs' | 'devnetNode'> {
  if (plan.kind === 'node') {
    return {
      hardware: {
        nodePath: plan.nodePath,
        probeEntry: plan.probeEntry,
        spawner: sourceHelperSpawner(defaultSpawner, plan.nodePath, plan.entries),
      },
      bench: { nodePath: plan.nodePath, benchEntry: plan.benchEntry },
      jobs: { spawnWorker: withEntry(createNodeWorkerSpawner({ nodePath: plan.nodePath }), plan) },
      devnetNode: { start: spawnNodeModule(plan.nodePath), entry: plan.devnetEntry },
    };
  }
  const nodeCommand = process.execPath;
  return {
    hardware: {
      nodePath: nodeCommand,
      probeEntry: plan.entries['probe-entry'] as string,
      spawner: createUtilityToolSpawner({
        fork: forkUtility,
        nodeCommand,
        entries: plan.entries,
        fallback: defaultSpawner,
      }),
    },
    bench: {
      benchEntry: plan.entries['bench-entry'] as string,
      spawn: createUtilityBenchSpawner({ fork: forkUtility, entries: plan.entries }),
    },
    jobs: {
      spawnWorker: createUtilityWorkerSpawner({
        fork: forkUtility,
        entry: plan.entries.entry as string,
        why: plan.why,
      }),
    },
    // The built-in test market's Hardhat node, from the unpacked entry the app ships.
    devnetNode: {
      start: createUtilityModuleStarter({
        fork: forkUtility,
        modules: [plan.devnetEntry],
        serviceName: 'Roost test market (Hardhat node)',
      }),
      entry: plan.devnetEntry,
    },
  };
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const dataDir = dataDirFromArgs();
  app.setPath('userData', dataDir);
  await app.whenReady();

  const projectNode = join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node');
  const helpers = planHelpers({
    isPackaged: app.isPackaged,
    appRoot: app.isPackaged ? app.getAppPath() : PROJECT_ROOT,
    nodeBinary: !app.isPackaged && existsSync(projectNode) ? projectNode : null,
  });
  const unlockMemory = createRememberedUnlock({
    safeStorage,
    file: join(dataDir, REMEMBERED_UNLOCK_FILE),
    log: {
      info: (m) => process.stderr.write(`[electron] ${m}\n`),
      warn: (m) => process.stderr.write(`[electron] ${m}\n`),
    },
  });

  // Downloads of any size: the page follows a one-use link on the app's own origin, streamed below.
  const downloads = createDownloadLinks();
  let agent: Agent;
  try {
    agent = await createAgent({
      dataDir,
      host: 'electron',
      downloadLinks: downloads,
      background: true,
      // Idle time and battery come from the OS through Electron; the work policy decides with them.
      desktop: {
        idleSeconds: () => powerMonitor.getSystemIdleTime(),
        onBattery: () => powerMonitor.isOnBatteryPower(),
      },
      ...helperOptions(helpers),
      unlockMemory,
      electronVersion: process.versions.electron,
      logSink: stderrSink(),
    });
  } catch (error) {
    // roost serve holds this data folder: two Roosts would claim the same jobs twice.
    if (!(error instanceof InstanceLockError)) throw error;
    dialog.showErrorBox('Roost is already running', error.message);
    app.exit(1);
    return;
  }
  const electronLog = agent.log.child('electron');
  const log = (message: string) => electronLog.info(message);
  log(helpers.summary);

  lockDownSession(session.defaultSession);
  protocol.handle(APP_SCHEME, async (request) => {
    const ticket = downloadTicketOf(request.url);
    if (ticket !== undefined) {
      const download = downloads.take(ticket);
      return download
        ? linkedDownloadResponse(download)
        : new Response(
            `This download link was used already or has expired (a link works once, for ${DOWNLOAD_LINK_SECONDS} seconds). Download it again from the page.`,
            { status: 404 },
          );
    }
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

  app.on('second-instance', (_event, argv) => onSecondInstance(argv, windows, openWindow));
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
      onOpen: () => showRoost(windows, openWindow),
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

  // Notifications: the few moments worth an interruption, rate-limited (agent/notify/notices.ts).
  const { notifier, leases, tell } = showDesktopNotices({
    agent,
    Notification,
    onClick: () => showRoost(windows, openWindow),
  });

  // Start at login, now and whenever the setting changes.
  const loginItem = (enabled: boolean) =>
    applyStartAtLogin(enabled, {
      platform: process.platform,
      isPackaged: app.isPackaged,
      setLoginItemSettings: (settings) => app.setLoginItemSettings(settings),
      executable: process.env.APPIMAGE ?? process.execPath,
      autostartDir: join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'autostart'),
    })
      .then(log)
      .catch((error: unknown) =>
        electronLog.warn(`start at login could not be changed: ${String(error)}`),
      );
  let startAtLogin = agent.settings.get().general.startAtLogin;
  void loginItem(startAtLogin);

  // Auto-update, installed app only: never while a lease or a job runs (electron/updater.ts).
  const updates = app.isPackaged
    ? createUpdateController({
        updater: electronUpdater.autoUpdater as unknown as AutoUpdaterLike,
        settings: () => agent.settings.get().updates,
        activity: async () => ({
          leases: [
            ...agent.market.leases(),
            ...[...leases.states()].map(([key, state]) => ({
              jobId: key.split(':').pop() ?? key,
              state,
            })),
          ],
          jobs: (await agent.jobs()).list({ states: ['fetching', 'running'] }),
        }),
        notify: (notice) => notifier.notify(notice),
        log: { info: log, warn: (m) => electronLog.warn(m) },
      })
    : undefined;
  updates?.start();
  let updateSettings = JSON.stringify(agent.settings.get().updates);
  agent.events.subscribe((event) => {
    if (event.event !== 'settings.changed') return;
    if (event.payload.general.startAtLogin !== startAtLogin) {
      startAtLogin = event.payload.general.startAtLogin;
      void loginItem(startAtLogin);
    }
    const next = JSON.stringify(event.payload.updates);
    if (next !== updateSettings) {
      updateSettings = next;
      updates?.settingsChanged();
    }
  });

  // `roost` commands typed while the app runs go through it (agent/api/command-channel.ts).
  const commands = await startCommandChannel({ dataDir, agent }).catch((error: unknown) => {
    electronLog.warn(
      `roost commands cannot reach the app while it runs (${(error as Error).message}); they say so and ask to quit it`,
    );
    return undefined;
  });

  // The remembered password (opt-in, safeStorage) unlocks the wallet at start.
  void unlockAtStart(agent, unlockMemory, tell, electronLog);

  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    void (async () => {
      // Decided before the agent stops: an update installs at quit only when nothing runs.
      const install = (await updates?.mayInstallAtQuit().catch(() => false)) ?? false;
      updates?.stop();
      unregister();
      tray.destroy();
      await commands?.close().catch(() => undefined);
      await agent.close().catch(() => undefined);
      if (install) {
        // quitAndInstall sets up the installer and quits the app itself; if it can't, leave anyway.
        updates?.install();
        setTimeout(() => app.exit(0), 10_000);
      } else app.exit(0);
    })();
  });
  if (!startedHidden(process.argv, app.getLoginItemSettings().wasOpenedAtLogin)) openWindow();
}

/** Unlocks the wallet with the remembered password; a stale one is forgotten and the user told. */
async function unlockAtStart(
  agent: Agent,
  memory: ReturnType<typeof createRememberedUnlock>,
  notify: (notice: Notice) => void,
  log: Agent['log'],
): Promise<void> {
  const password = await memory.recall().catch(() => null);
  if (password === null) return;
  const result = await agent.router.call('wallet.unlock', { password });
  if (result.ok) {
    log.info('the wallet was unlocked with the remembered password');
    return;
  }
  if (result.error.code === 'WALLET_WRONG_PASSWORD') {
    await memory.forget().catch(() => undefined);
    notify({
      kind: 'needs-you',
      key: 'remembered-password-stale',
      title: 'Unlock your wallet',
      body: 'The remembered password no longer opens your wallet (was it changed?). Roost forgot it: unlock the wallet by hand.',
    });
  }
  log.warn(`the remembered password did not unlock the wallet: ${result.error.message}`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[electron] Roost could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  app.exit(1);
});
