/**
 * Auto-update with electron-updater, run by the installed app only.
 *
 * - Channel from Settings → Updates: `stable` reads the feed's `latest` files, `beta` its `beta`
 *   files and takes pre-releases (a beta user gets stable releases too). Going back from beta to
 *   stable never downgrades: the data folder may already hold a newer format; the user stays on
 *   the beta build until a stable release passes it.
 * - Updates download in the background. `updates.autoInstall` on: Roost restarts into the new
 *   version by itself; off: it says the update is ready and installs it when the user quits.
 * - Never during a lease: while a market job is being claimed, run, uploaded or submitted, or a
 *   local job is fetching or running, nothing is installed — not by itself and not at quit.
 *   `whyNotInstallNow` is that rule; the controller asks it before every install.
 */
import type { Settings } from '../agent/api/contract.ts';
import type { JobState } from '../agent/jobs/schema.ts';
import type { LeaseState } from '../agent/market/schema.ts';
import type { Notice } from './notifications.ts';

/** The part of electron-updater's `autoUpdater` Roost uses. */
export interface AutoUpdaterLike {
  channel: string | null;
  allowPrerelease: boolean;
  allowDowngrade: boolean;
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  checkForUpdates(): Promise<unknown>;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
  on(event: 'update-available', listener: (info: { version: string }) => void): unknown;
  on(event: 'update-downloaded', listener: (info: { version: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export type UpdateSettings = Settings['updates'];

/** Lease states during which the app must not restart: the lease is in the provider's hands. */
export const LEASE_BUSY_STATES: readonly LeaseState[] = [
  'claiming',
  'claimed',
  'running',
  'uploading',
  'submitting',
];
/** Local job states during which the app must not restart. */
export const JOB_BUSY_STATES: readonly JobState[] = ['fetching', 'running'];

export interface Activity {
  leases: readonly { jobId: string; state: LeaseState }[];
  jobs: readonly { id: string; state: JobState; name?: string | undefined }[];
}

/** Why an update must wait now, in words; null when installing is fine. */
export function whyNotInstallNow(activity: Activity): string | null {
  const lease = activity.leases.find((l) => LEASE_BUSY_STATES.includes(l.state));
  if (lease) return `market job #${lease.jobId} is in progress (${lease.state})`;
  const job = activity.jobs.find((j) => JOB_BUSY_STATES.includes(j.state));
  if (job) return `job ${job.name ?? job.id.slice(0, 8)} is ${job.state}`;
  return null;
}

/** Points the updater at the chosen channel. */
export function configureUpdater(updater: AutoUpdaterLike, settings: UpdateSettings): void {
  updater.channel = settings.channel === 'beta' ? 'beta' : 'latest';
  updater.allowPrerelease = settings.channel === 'beta';
  // Setting `channel` turns downgrades on; Roost never goes back a version.
  updater.allowDowngrade = false;
  updater.autoDownload = true;
  // Installing at quit is decided by Roost (never during a lease), not by the library.
  updater.autoInstallOnAppQuit = false;
}

export interface UpdateControllerOptions {
  updater: AutoUpdaterLike;
  settings: () => UpdateSettings;
  activity: () => Promise<Activity>;
  notify: (notice: Notice) => void;
  log: { info(message: string): void; warn(message: string): void };
  /** Between checks; default 4 h. */
  checkEveryMs?: number;
  /** While an install waits for a lease to end, how often to look again; default 1 min. */
  retryMs?: number;
  timers?: {
    setInterval(fn: () => void, ms: number): unknown;
    clearInterval(handle: unknown): void;
  };
}

export interface UpdateController {
  start(): void;
  /** Settings changed: the channel, or install-by-itself. */
  settingsChanged(): void;
  check(): Promise<void>;
  /**
   * At quit, asked before the agent stops: whether a downloaded update may install now (nothing
   * runs). The caller then stops the agent and calls `install()`.
   */
  mayInstallAtQuit(): Promise<boolean>;
  /** Hands over to the installer; electron-updater then quits the app. */
  install(): void;
  /** The downloaded version waiting to be installed, if any. */
  ready(): string | null;
  stop(): void;
}

export function createUpdateController(options: UpdateControllerOptions): UpdateController {
  const timers = options.timers ?? {
    setInterval: (fn: () => void, ms: number) => setInterval(fn, ms).unref(),
    clearInterval: (h: unknown) => clearInterval(h as NodeJS.Timeout),
  };
  const { updater, log } = options;
  let downloaded: string | null = null;
  let announced: string | null = null;
  let lastError = '';
  let lastWait = '';
  let installing = false;
  const handles: unknown[] = [];

  const busy = async (): Promise<string | null> => {
    try {
      return whyNotInstallNow(await options.activity());
    } catch (error) {
      // Not knowing is not "idle".
      return `Roost could not tell whether a job runs (${String(error)})`;
    }
  };

  const install = () => {
    installing = true;
    log.info(`[updates] installing Roost ${downloaded} and restarting`);
    updater.quitAndInstall(true, true);
  };

  const consider = async (): Promise<void> => {
    if (!downloaded || installing) return;
    if (!options.settings().autoInstall) {
      if (announced !== downloaded) {
        announced = downloaded;
        options.notify({
          kind: 'update',
          key: `update:${downloaded}`,
          title: `Roost ${downloaded} is ready`,
          body: 'It installs when you quit Roost (never while a job runs).',
        });
      }
      return;
    }
    const why = await busy();
    if (why !== null) {
      if (why !== lastWait) log.info(`[updates] Roost ${downloaded} waits: ${why}`);
      lastWait = why;
      return;
    }
    install();
  };

  updater.on('update-available', (info) =>
    log.info(`[updates] Roost ${info.version} is available; downloading`),
  );
  updater.on('update-downloaded', (info) => {
    downloaded = info.version;
    void consider();
  });
  updater.on('error', (error) => {
    // An unreachable feed is not worth a notification; say it once per kind of failure.
    const message = error.message.split('\n')[0] ?? 'unknown error';
    if (message !== lastError) log.warn(`[updates] could not update: ${message}`);
    lastError = message;
  });

  const check = async () => {
    try {
      await updater.checkForUpdates();
    } catch {
      // Reported through the 'error' event.
    }
  };

  return {
    start() {
      configureUpdater(updater, options.settings());
      void check();
      handles.push(timers.setInterval(() => void check(), options.checkEveryMs ?? 4 * 3_600_000));
      handles.push(timers.setInterval(() => void consider(), options.retryMs ?? 60_000));
    },
    settingsChanged() {
      configureUpdater(updater, options.settings());
      void consider();
    },
    check,
    async mayInstallAtQuit() {
      if (!downloaded || installing) return false;
      const why = await busy();
      if (why !== null) {
        log.info(`[updates] not installing Roost ${downloaded} at quit: ${why}`);
        return false;
      }
      return true;
    },
    install() {
      if (downloaded && !installing) install();
    },
    ready: () => downloaded,
    stop() {
      for (const h of handles.splice(0)) timers.clearInterval(h);
    },
  };
}
