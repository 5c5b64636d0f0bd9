import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test/support/temp-dir.ts';
import {
  AUTOSTART_FILE,
  applyStartAtLogin,
  autostartEntry,
  quoteExecArg,
  startedHidden,
  type LoginItemDeps,
} from './login-item.ts';

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir('roost-autostart-');
});
afterEach(() => dir.remove());

function deps(platform: NodeJS.Platform, isPackaged = true) {
  const calls: unknown[] = [];
  const d: LoginItemDeps = {
    platform,
    isPackaged,
    setLoginItemSettings: (s) => calls.push(s),
    executable: '/home/me/Apps/Roost 0.1.0.AppImage',
    autostartDir: join(dir.path, 'autostart'),
  };
  return { d, calls };
}

describe('start at login', () => {
  it('Windows: a Run entry that starts Roost hidden, removed with the same args', async () => {
    const { d, calls } = deps('win32');
    expect(await applyStartAtLogin(true, d)).toBe('Roost starts at login');
    expect(await applyStartAtLogin(false, d)).toBe('Roost no longer starts at login');
    expect(calls).toEqual([
      { openAtLogin: true, args: ['--hidden'] },
      { openAtLogin: false, args: ['--hidden'] },
    ]);
  });

  it('macOS: a login item', async () => {
    const { d, calls } = deps('darwin');
    await applyStartAtLogin(true, d);
    expect(calls).toEqual([{ openAtLogin: true }]);
  });

  it('Linux: an XDG autostart entry for the AppImage, written and removed', async () => {
    const { d, calls } = deps('linux');
    const file = join(d.autostartDir, AUTOSTART_FILE);
    expect(await applyStartAtLogin(true, d)).toBe(`Roost starts at login (${file})`);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('[Desktop Entry]');
    expect(text).toContain('Exec="/home/me/Apps/Roost 0.1.0.AppImage" --hidden');
    expect(text).toContain('Type=Application');
    await applyStartAtLogin(false, d);
    expect(existsSync(file)).toBe(false);
    // Off twice is fine.
    await applyStartAtLogin(false, d);
    expect(calls).toEqual([]);
  });

  it('registers nothing from a checkout (it would start a bare Electron)', async () => {
    const { d, calls } = deps('linux', false);
    expect(await applyStartAtLogin(true, d)).toMatch(/installed app only/);
    expect(calls).toEqual([]);
    expect(existsSync(join(d.autostartDir, AUTOSTART_FILE))).toBe(false);
  });

  it('quotes Exec arguments as the desktop entry spec says', () => {
    expect(quoteExecArg('/opt/Roost/roost')).toBe('/opt/Roost/roost');
    expect(quoteExecArg('/a b/$x"y`z\\')).toBe('"/a b/\\$x\\"y\\`z\\\\"');
    expect(autostartEntry('/opt/Roost/roost')).toContain('Exec=/opt/Roost/roost --hidden\n');
  });

  it('a start from the login item opens no window', () => {
    expect(startedHidden(['/opt/Roost/roost', '--hidden'], false)).toBe(true);
    expect(startedHidden(['/Applications/Roost.app/Contents/MacOS/Roost'], true)).toBe(true);
    expect(startedHidden(['/opt/Roost/roost'], false)).toBe(false);
  });
});
