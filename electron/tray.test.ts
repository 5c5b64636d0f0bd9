import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { createRoostTray, trayMenuTemplate, trayStateFrom, trayTooltip } from './tray.ts';

describe('tray', () => {
  it('says what the GPU is doing and offers pause or resume', () => {
    const calls: string[] = [];
    const deps = {
      onOpen: () => calls.push('open'),
      onPauseToggle: (p: boolean) => calls.push(`pause:${p}`),
      onQuit: () => calls.push('quit'),
    };
    const working = trayMenuTemplate({ activity: 'working', reason: 'running a job' }, deps);
    expect(working[0]).toMatchObject({ label: 'Working: running a job', enabled: false });
    const pause = working.find((i) => i.label === 'Pause work')!;
    pause.click!({} as never, undefined, {} as never);
    const paused = trayMenuTemplate({ activity: 'paused', reason: 'paused by you' }, deps);
    paused.find((i) => i.label === 'Resume work')!.click!({} as never, undefined, {} as never);
    paused.find((i) => i.label === 'Quit Roost')!.click!({} as never, undefined, {} as never);
    expect(calls).toEqual(['pause:true', 'pause:false', 'quit']);
    expect(trayTooltip({ activity: 'idle', reason: 'waiting for the PC to be idle' })).toBe(
      'Roost — idle: waiting for the PC to be idle',
    );
  });

  it('builds the tray through the injected Electron APIs and redraws on update', () => {
    const menus: unknown[] = [];
    const tips: string[] = [];
    class FakeTray extends EventEmitter {
      setToolTip(t: string) {
        tips.push(t);
      }
      setContextMenu(m: unknown) {
        menus.push(m);
      }
      destroy() {}
    }
    let opened = 0;
    const tray = createRoostTray(
      {
        createTray: () => new FakeTray() as never,
        buildMenu: (template) => template as never,
        icon: {} as never,
        onOpen: () => (opened += 1),
        onPauseToggle: () => undefined,
        onQuit: () => undefined,
      },
      { activity: 'starting', reason: 'checking your GPUs' },
    );
    tray.update({ activity: 'idle', reason: 'waiting' });
    expect(tips).toEqual(['Roost — starting: checking your GPUs', 'Roost — idle: waiting']);
    expect(menus).toHaveLength(2);
  });
});

describe('trayStateFrom', () => {
  const d = (state: 'working' | 'idle' | 'paused', reason: string) =>
    ({
      gpuId: 'g',
      state,
      reason,
      cause: 'user-away',
      heldBy: 'policy',
      until: null,
      since: '2026-01-01T00:00:00Z',
      alsoApplies: [],
      lease: null,
    }) as never;
  it('summarizes the GPUs in one line', () => {
    expect(trayStateFrom([], false)).toMatchObject({ activity: 'idle' });
    expect(trayStateFrom([d('working', 'Working: you are away')], false)).toEqual({
      activity: 'working',
      reason: 'you are away',
    });
    expect(trayStateFrom([d('working', 'a'), d('paused', 'b')], false)).toEqual({
      activity: 'working',
      reason: '1 of 2 GPUs may take jobs',
    });
    expect(trayStateFrom([d('paused', 'Paused: too hot (85 °C)')], false)).toEqual({
      activity: 'paused',
      reason: 'too hot (85 °C)',
    });
    expect(trayStateFrom([d('paused', 'Paused by you')], true)).toEqual({
      activity: 'paused',
      reason: 'paused by you',
    });
    expect(trayStateFrom([d('idle', 'Idle: waiting for 10 idle minutes')], false)).toEqual({
      activity: 'idle',
      reason: 'waiting for 10 idle minutes',
    });
  });
});
