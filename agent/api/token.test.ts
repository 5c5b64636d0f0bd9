import { describe, expect, it } from 'vitest';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadOrCreateToken, tokenMatches, TOKEN_FILE } from './token.ts';
import { tempDir } from '../../test/support/temp-dir.ts';

describe('API token', () => {
  it('is made once, kept with mode 0600, and reused', async () => {
    const dir = await tempDir();
    const first = await loadOrCreateToken(dir.path);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await loadOrCreateToken(dir.path)).toBe(first);
    if (process.platform !== 'win32')
      expect((await stat(join(dir.path, TOKEN_FILE))).mode & 0o777).toBe(0o600);
    await writeFile(join(dir.path, TOKEN_FILE), 'short');
    const replaced = await loadOrCreateToken(dir.path);
    expect(replaced).not.toBe(first);
    expect((await readFile(join(dir.path, TOKEN_FILE), 'utf8')).trim()).toBe(replaced);
    await dir.remove();
  });

  it('matches only the exact token', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('ab', 'abc')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
  });
});
