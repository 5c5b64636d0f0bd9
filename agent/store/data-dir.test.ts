import { describe, expect, it } from 'vitest';
import { resolveDataDir } from './data-dir.ts';
import { resolve } from 'node:path';

describe('resolveDataDir', () => {
  it('prefers --data-dir, then ROOST_DATA_DIR', () => {
    expect(resolveDataDir({ flag: 'rel/dir', env: { ROOST_DATA_DIR: '/env' } })).toBe(
      resolve('rel/dir'),
    );
    expect(resolveDataDir({ env: { ROOST_DATA_DIR: '/env' } })).toBe(resolve('/env'));
  });

  it("uses the OS's app-data folder otherwise", () => {
    expect(resolveDataDir({ env: {}, platform: 'linux', home: '/home/ann' })).toBe(
      '/home/ann/.config/Roost',
    );
    expect(
      resolveDataDir({ env: { XDG_CONFIG_HOME: '/xdg' }, platform: 'linux', home: '/home/ann' }),
    ).toBe('/xdg/Roost');
    expect(resolveDataDir({ env: {}, platform: 'darwin', home: '/Users/ann' })).toBe(
      '/Users/ann/Library/Application Support/Roost',
    );
    expect(
      resolveDataDir({ env: { APPDATA: '/c/AppData/Roaming' }, platform: 'win32', home: '/c/ann' }),
    ).toMatch(/Roaming[\\/]Roost$/);
  });
});
