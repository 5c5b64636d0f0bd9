import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { leaseStateSchema } from '../agent/market/schema.ts';
import { jobStateSchema } from '../agent/jobs/schema.ts';
import type { Notice } from './notifications.ts';
import {
  configureUpdater,
  createUpdateController,
  whyNotInstallNow,
  type Activity,
  type AutoUpdaterLike,
  type UpdateSettings,
} from './updater.ts';

class FakeUpdater extends EventEmitter implements AutoUpdaterLike {
  channel: string | null = null;
  allowPrerelease = false;
  allowDowngrade = true;
  autoDownload = false;
  autoInstallOnAppQuit = true;
  checks = 0;
  installs: [boolean | undefined, boolean | undefined][] = [];
  checkForUpdates() {
    this.checks += 1;
    return Promise.resolve(null);
  }
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean) {
    this.installs.push([isSilent, isForceRunAfter]);
  }
}

const idle: Activity = { leases: [], jobs: [] };

describe('never during a lease', () => {
  it('waits while a lease is claiming, claimed, running, uploading or submitting', () => {
    const busy = leaseStateSchema.options.filter(
      (state) => whyNotInstallNow({ leases: [{ jobId: '9', state }], jobs: [] }) !== null,
    );
    expect(busy).toEqual(['claiming', 'claimed', 'running', 'uploading', 'submitting']);
    expect(whyNotInstallNow({ leases: [{ jobId: '9', state: 'running' }], jobs: [] })).toBe(
      'market job #9 is in progress (running)',
    );
  });

  it('waits while a local job fetches or runs, not for a queued or finished one', () => {
    const busy = jobStateSchema.options.filter(
      (state) => whyNotInstallNow({ leases: [], jobs: [{ id: 'j1234567890', state }] }) !== null,
    );
    expect(busy).toEqual(['fetching', 'running']);
    expect(
      whyNotInstallNow({ leases: [], jobs: [{ id: 'j1', state: 'running', name: 'resnet' }] }),
    ).toBe('job resnet is running');
  });

  it('installs when nothing runs, whatever state finished leases are in', () => {
    expect(whyNotInstallNow(idle)).toBeNull();
    expect(
      whyNotInstallNow({
        leases: [
          { jobId: '1', state: 'paid' },
          { jobId: '2', state: 'submitted' },
          { jobId: '3', state: 'skipped' },
        ],
        jobs: [{ id: 'a', state: 'queued' }],
      }),
    ).toBeNull();
  });
});

describe('channels', () => {
  it('stable reads latest, beta reads beta with pre-releases; never a downgrade', () => {
    const updater = new FakeUpdater();
    configureUpdater(updater, { channel: 'beta', autoInstall: false });
    expect(updater).toMatchObject({
      channel: 'beta',
      allowPrerelease: true,
      allowDowngrade: false,
      autoDownload: true,
      autoInstallOnAppQuit: false,
    });
    configureUpdater(updater, { channel: 'stable', autoInstall: true });
    expect(updater).toMatchObject({
      channel: 'latest',
      allowPrerelease: false,
      allowDowngrade: false,
    });
  });
});

describe('the update controller', () => {
  function setup(settings: UpdateSettings, activity: () => Promise<Activity>) {
    const updater = new FakeUpdater();
    const notices: Notice[] = [];
    const logs: string[] = [];
    const ticks: (() => void)[] = [];
    let current = settings;
    const controller = createUpdateController({
      updater,
      settings: () => current,
      activity,
      notify: (n) => notices.push(n),
      log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
      timers: {
        setInterval: (fn) => ticks.push(fn),
        clearInterval: () => undefined,
      },
    });
    return {
      updater,
      notices,
      logs,
      controller,
      tick: async () => {
        for (const t of ticks) t();
        await new Promise((r) => setImmediate(r));
      },
      set: (next: UpdateSettings) => (current = next),
      downloaded: async (version: string) => {
        updater.emit('update-downloaded', { version });
        await new Promise((r) => setImmediate(r));
      },
    };
  }

  it('checks at start on the chosen channel, and again on the timer', async () => {
    const t = setup({ channel: 'beta', autoInstall: false }, async () => idle);
    t.controller.start();
    expect(t.updater.checks).toBe(1);
    expect(t.updater.channel).toBe('beta');
    await t.tick();
    expect(t.updater.checks).toBe(2);
    t.set({ channel: 'stable', autoInstall: false });
    t.controller.settingsChanged();
    expect(t.updater.channel).toBe('latest');
  });

  it('install by itself: waits for the lease to end, then restarts into the update', async () => {
    let activity: Activity = { leases: [{ jobId: '4', state: 'uploading' }], jobs: [] };
    const t = setup({ channel: 'stable', autoInstall: true }, async () => activity);
    t.controller.start();
    await t.downloaded('0.2.0');
    expect(t.updater.installs).toEqual([]);
    expect(t.logs.join('\n')).toMatch(/0\.2\.0 waits: market job #4 is in progress \(uploading\)/);
    await t.tick();
    expect(t.updater.installs).toEqual([]);
    activity = idle;
    await t.tick();
    expect(t.updater.installs).toEqual([[true, true]]);
    // Once: a later tick does not install again.
    await t.tick();
    expect(t.updater.installs).toHaveLength(1);
  });

  it('notify: says the update is ready once and installs only at quit, when nothing runs', async () => {
    let activity: Activity = { leases: [], jobs: [{ id: 'j', state: 'running' }] };
    const t = setup({ channel: 'stable', autoInstall: false }, async () => activity);
    t.controller.start();
    expect(await t.controller.mayInstallAtQuit()).toBe(false); // nothing downloaded
    await t.downloaded('0.3.0');
    await t.tick();
    expect(t.notices).toEqual([
      expect.objectContaining({ kind: 'update', title: 'Roost 0.3.0 is ready' }),
    ]);
    expect(t.updater.installs).toEqual([]);
    expect(t.controller.ready()).toBe('0.3.0');
    expect(await t.controller.mayInstallAtQuit()).toBe(false); // a job runs
    activity = idle;
    expect(await t.controller.mayInstallAtQuit()).toBe(true);
    t.controller.install();
    expect(t.updater.installs).toEqual([[true, true]]);
  });

  it('treats not knowing what runs as busy', async () => {
    const t = setup({ channel: 'stable', autoInstall: true }, async () => {
      throw new Error('journal closed');
    });
    t.controller.start();
    await t.downloaded('0.4.0');
    expect(t.updater.installs).toEqual([]);
    expect(await t.controller.mayInstallAtQuit()).toBe(false);
  });

  it('logs a failing feed once, without a notification', async () => {
    const t = setup({ channel: 'stable', autoInstall: true }, async () => idle);
    t.controller.start();
    t.updater.emit('error', new Error('net::ERR_NAME_NOT_RESOLVED\nstack'));
    t.updater.emit('error', new Error('net::ERR_NAME_NOT_RESOLVED\nstack'));
    expect(t.logs.filter((l) => /could not update/.test(l))).toEqual([
      '[updates] could not update: net::ERR_NAME_NOT_RESOLVED',
    ]);
    expect(t.notices).toEqual([]);
  });
});
