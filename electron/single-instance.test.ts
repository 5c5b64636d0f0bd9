import { describe, expect, it } from 'vitest';
import { onSecondInstance, showRoost, type ShowableWindow } from './single-instance.ts';

function fakeWindow(minimized = false) {
  const calls: string[] = [];
  const window: ShowableWindow = {
    isMinimized: () => minimized,
    restore: () => calls.push('restore'),
    show: () => calls.push('show'),
    focus: () => calls.push('focus'),
  };
  return { window, calls };
}

describe('a second start of Roost', () => {
  it('brings the window forward, restoring it when minimized', () => {
    const { window, calls } = fakeWindow(true);
    let opened = 0;
    onSecondInstance(['/opt/Roost/roost'], [window], () => (opened += 1));
    expect(calls).toEqual(['restore', 'show', 'focus']);
    expect(opened).toBe(0);
  });

  it('opens a window when Roost runs in the tray with none', () => {
    let opened = 0;
    onSecondInstance(['/opt/Roost/roost'], [], () => (opened += 1));
    expect(opened).toBe(1);
  });

  it('from the login item, shows nothing', () => {
    const { window, calls } = fakeWindow();
    let opened = 0;
    onSecondInstance(['/opt/Roost/roost', '--hidden'], [window], () => (opened += 1));
    onSecondInstance(['/opt/Roost/roost', '--hidden'], [], () => (opened += 1));
    expect(calls).toEqual([]);
    expect(opened).toBe(0);
  });

  it('the tray and notifications show a hidden window the same way', () => {
    const { window, calls } = fakeWindow();
    showRoost([window], () => undefined);
    expect(calls).toEqual(['show', 'focus']);
  });
});
