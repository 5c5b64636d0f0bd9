import { describe, expect, it } from 'vitest';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadOrCreateLocalSigner, recoverSigner, LOCAL_KEY_FILE } from './signer.ts';
import { tempDir } from '../../test/support/temp-dir.ts';

describe('local signer', () => {
  it('makes a key once (0600), keeps it, and signs verifiably', async () => {
    const dir = await tempDir();
    const a = await loadOrCreateLocalSigner(dir.path);
    const b = await loadOrCreateLocalSigner(dir.path);
    expect(b.address).toBe(a.address);
    if (process.platform !== 'win32')
      expect((await stat(join(dir.path, LOCAL_KEY_FILE))).mode & 0o777).toBe(0o600);
    const sig = await a.signMessage('{"report":1}');
    expect(recoverSigner('{"report":1}', sig)).toBe(a.address);
    expect(recoverSigner('{"report":2}', sig)).not.toBe(a.address);
    expect(recoverSigner('x', '0xnope')).toBeUndefined();
    expect(Object.keys(a)).toEqual(['address', 'signMessage']);
    await dir.remove();
  });

  it('refuses a damaged key file instead of replacing it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir.path, LOCAL_KEY_FILE), '{"format":1}');
    await expect(loadOrCreateLocalSigner(dir.path)).rejects.toThrow(/is damaged/);
    expect(await readFile(join(dir.path, LOCAL_KEY_FILE), 'utf8')).toBe('{"format":1}');
    await dir.remove();
  });
});
