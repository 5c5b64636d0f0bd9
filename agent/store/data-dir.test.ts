import { describe, expect, it } from 'vitest';
import { ensureDataDir, openFolderWarning, resolveDataDir } from './data-dir.ts';
import { chmod, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { tempDir } from '../../test/support/temp-dir.ts';

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

describe('a data folder others can open', () => {
  it('is made owner-only when Roost makes it, and then says nothing', async () => {
    const dir = await tempDir();
    try {
      const data = join(dir.path, 'Roost');
      await ensureDataDir(data);
      expect((await stat(data)).mode & 0o777).toBe(0o700);
      expect(await openFolderWarning(data, 'linux')).toBeUndefined();
    } finally {
      await dir.remove();
    }
  });

  it('is left as the user made it, with a warning that says who can open it and how to close it', async () => {
    const dir = await tempDir();
    try {
      await chmod(dir.path, 0o755);
      await ensureDataDir(dir.path);
      expect((await stat(dir.path)).mode & 0o777).toBe(0o755);
      expect(await openFolderWarning(dir.path, 'linux')).toBe(
        `Roost's data folder ${dir.path} can be opened by every user of this computer: your jobs' inputs and outputs, benchmark reports and logs are in it (your keys are not readable by others). To keep it private, run: chmod 700 '${dir.path}'`,
      );
      await chmod(dir.path, 0o750);
      expect(await openFolderWarning(dir.path, 'linux')).toMatch(
        /opened by other users in its group/,
      );
      expect(await openFolderWarning(dir.path, 'win32')).toBeUndefined();
    } finally {
      await chmod(dir.path, 0o700);
      await dir.remove();
    }
  });
});
