import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test/support/temp-dir.ts';
import {
  REMEMBERED_UNLOCK_FILE,
  createRememberedUnlock,
  type SafeStorageLike,
} from './remembered-unlock.ts';

/** safeStorage with a key of its own (a byte flip), and switches for what the OS offers. */
class FakeSafeStorage implements SafeStorageLike {
  backend = 'gnome_libsecret';
  available = true;
  reEncrypt = false;
  brokenKey = false;
  encrypted: string[] = [];
  isAsyncEncryptionAvailable() {
    return Promise.resolve(this.available);
  }
  encryptStringAsync(plainText: string) {
    this.encrypted.push(plainText);
    return Promise.resolve(Buffer.from(Buffer.from(plainText, 'utf8').map((b) => b ^ 0x5a)));
  }
  decryptStringAsync(encrypted: Buffer) {
    if (this.brokenKey) return Promise.reject(new Error('Error while decrypting the ciphertext'));
    return Promise.resolve({
      result: Buffer.from(encrypted.map((b) => b ^ 0x5a)).toString('utf8'),
      shouldReEncrypt: this.reEncrypt,
    });
  }
  getSelectedStorageBackend() {
    return this.backend;
  }
}

const PASSWORD = 'correct horse battery staple';
let dir: { path: string; remove: () => Promise<void> };
let file: string;
let logs: string[];
let storage: FakeSafeStorage;
const make = (platform: NodeJS.Platform = 'linux') =>
  createRememberedUnlock({
    safeStorage: storage,
    file,
    platform,
    now: () => new Date('2026-03-01T12:00:00Z'),
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
  });

beforeEach(async () => {
  dir = await tempDir('roost-unlock-');
  file = join(dir.path, REMEMBERED_UNLOCK_FILE);
  logs = [];
  storage = new FakeSafeStorage();
});
afterEach(() => dir.remove());

describe('the remembered wallet password', () => {
  it('is kept encrypted by the keychain, mode 0600, and given back at the next start', async () => {
    const memory = make();
    expect(await memory.status()).toEqual({
      available: true,
      remembered: false,
      why: null,
      backend: 'gnome_libsecret',
    });
    expect(await memory.remember(PASSWORD)).toMatchObject({ available: true, remembered: true });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(PASSWORD);
    expect(JSON.parse(text)).toMatchObject({
      format: 'roost.remembered-unlock/1',
      platform: 'linux',
      backend: 'gnome_libsecret',
    });
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await make().recall()).toBe(PASSWORD);
    // The password never reaches a log line.
    expect(logs.join('\n')).not.toContain(PASSWORD);
  });

  it('is never kept with the basic_text backend, and says why', async () => {
    storage.backend = 'basic_text';
    const memory = make();
    const status = await memory.status();
    expect(status).toMatchObject({ available: false, remembered: false, backend: 'basic_text' });
    expect(status.why).toMatch(/no keyring/);
    await expect(memory.remember(PASSWORD)).rejects.toThrow(/no keyring/);
    expect(existsSync(file)).toBe(false);
    expect(storage.encrypted).toEqual([]);
  });

  it('is dropped, not decrypted, when the backend fell back to basic_text since', async () => {
    await make().remember(PASSWORD);
    storage.backend = 'basic_text';
    expect(await make().recall()).toBeNull();
    expect(existsSync(file)).toBe(false);
    expect(logs.join('\n')).toMatch(/was not used: .*no keyring/);
  });

  it('is not offered when the keychain is unavailable (or not ready)', async () => {
    storage.available = false;
    expect((await make().status()).why).toMatch(/not available/);
    await expect(make().remember(PASSWORD)).rejects.toThrow(/not available/);
    storage.available = true;
    storage.backend = 'unknown';
    expect((await make().status()).why).toMatch(/not ready/);
  });

  it('does not ask Linux for its backend elsewhere', async () => {
    storage.backend = 'basic_text'; // what Electron answers on other systems is not a Linux fact
    expect(await make('darwin').status()).toMatchObject({ available: true, backend: null });
  });

  it('is forgotten when it can no longer be decrypted, or on request', async () => {
    await make().remember(PASSWORD);
    storage.brokenKey = true;
    expect(await make().recall()).toBeNull();
    expect(existsSync(file)).toBe(false);
    storage.brokenKey = false;
    await make().remember(PASSWORD);
    expect(await make().forget()).toMatchObject({ remembered: false });
    expect(existsSync(file)).toBe(false);
  });

  it('is encrypted again when the keychain asks for it', async () => {
    await make().remember(PASSWORD);
    storage.reEncrypt = true;
    storage.encrypted = [];
    expect(await make().recall()).toBe(PASSWORD);
    expect(storage.encrypted).toEqual([PASSWORD]);
  });

  it('a file that is not ours is removed, never trusted', async () => {
    writeFileSync(file, JSON.stringify({ format: 'other', ciphertext: '!!' }));
    expect(await make().recall()).toBeNull();
    expect(existsSync(file)).toBe(false);
    writeFileSync(file, 'not json');
    expect((await make().status()).remembered).toBe(false);
  });
});
