import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import type { ResultOf } from '../agent/api/contract.ts';

type Decision = ResultOf<'schedule.status'>['decisions'][number];

/** What the tray shows: one line a user reads at a glance. */
export interface TrayState {
  /** `working` while a job runs, `idle` while waiting for work, `paused` when held. */
  activity: 'working' | 'idle' | 'paused' | 'starting';
  /** Why, in a few words: "waiting for the PC to be idle", "paused by you", "running a job". */
  reason: string;
}

export interface TrayDeps {
  createTray: (icon: NativeImage) => Tray;
  buildMenu: (template: MenuItemConstructorOptions[]) => Menu;
  icon: NativeImage;
  onOpen: () => void;
  onPauseToggle: (pause: boolean) => void;
  onQuit: () => void;
}

const activityWords: Record<TrayState['activity'], string> = {
  working: 'Working',
  idle: 'Idle',
  paused: 'Paused',
  starting: 'Starting',
};

/** The tray menu for a state: status line, pause/resume, open, quit. */
export function trayMenuTemplate(
  state: TrayState,
  deps: Pick<TrayDeps, 'onOpen' | 'onPauseToggle' | 'onQuit'>,
): MenuItemConstructorOptions[] {
  const paused = state.activity === 'paused';
  return [
    { label: `${activityWords[state.activity]}: ${state.reason}`, enabled: false },
    { type: 'separator' },
    { label: paused ? 'Resume work' : 'Pause work', click: () => deps.onPauseToggle(!paused) },
    { label: 'Open Roost', click: deps.onOpen },
    { type: 'separator' },
    { label: 'Quit Roost', click: deps.onQuit },
  ];
}

export function trayTooltip(state: TrayState): string {
  return `Roost — ${activityWords[state.activity].toLowerCase()}: ${state.reason}`;
}

/** The tray icon; `update` redraws it for a new state. */
export function createRoostTray(
  deps: TrayDeps,
  initial: TrayState,
): { update: (state: TrayState) => void; destroy: () => void } {
  const tray = deps.createTray(deps.icon);
  const update = (state: TrayState) => {
    tray.setToolTip(trayTooltip(state));
    tray.setContextMenu(deps.buildMenu(trayMenuTemplate(state, deps)));
  };
  tray.on('click', deps.onOpen);
  update(initial);
  return { update, destroy: () => tray.destroy() };
}

/** One line for the whole machine from the work policy's per-GPU decisions. */
export function trayStateFrom(decisions: readonly Decision[], held: boolean): TrayState {
  if (decisions.length === 0)
    return { activity: 'idle', reason: 'no GPU to work with (open Roost to see why)' };
  const working = decisions.filter((d) => d.state === 'working');
  const paused = decisions.filter((d) => d.state === 'paused');
  const strip = (reason: string) => reason.replace(/^(working|idle|paused):\s*/i, '');
  if (held && paused.length === decisions.length)
    return { activity: 'paused', reason: 'paused by you' };
  if (working.length > 0) {
    return {
      activity: 'working',
      reason:
        decisions.length === 1
          ? strip(working[0]!.reason)
          : `${working.length === decisions.length ? 'all' : working.length} of ${decisions.length} GPUs may take jobs`,
    };
  }
  if (paused.length > 0) return { activity: 'paused', reason: strip(paused[0]!.reason) };
  return { activity: 'idle', reason: strip(decisions[0]!.reason) };
}
