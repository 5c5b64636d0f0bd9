/**
 * Remembering the wallet password with Electron's safeStorage, as an optional convenience: the
 * user opts in (Wallet page), the password is encrypted by the OS keychain (Keychain on macOS,
 * DPAPI on Windows, the Secret Service or KWallet on Linux) and written to
 * `<data dir>/remembered-unlock.json` (mode 0600); at the next start the desktop app unlocks
 * the wallet with it.
 *
 * Never where that protection is not real: on Linux without a keyring safeStorage falls back to
 * `basic_text`, a key hard-coded in Chromium, so the file would be as good as plain text. Then,
 * or when encryption is not available at all, Roost says why and remembers nothing; a file
 * written under a better backend is deleted if the backend later turns out to be `basic_text`.
 * The password is never logged; only the fact that it is remembered is.
 */
import { readFile, rm } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../agent/store/atomic-file.ts';
import type { UnlockMemoryStatus } from '../agent/api/contract.ts';
import type { UnlockMemory } from '../agent/api/handlers/unlock.ts';

/** The part of Electron's safeStorage Roost uses. */
export interface SafeStorageLike {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plainText: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
  /** Linux only. */
  getSelectedStorageBackend(): string;
}

export const REMEMBERED_UNLOCK_FILE = 'remembered-unlock.json';

const fileSchema = z
  .object({
    format: z.literal('roost.remembered-unlock/1'),
    platform: z.string().max(20),
    backend: z.string().max(40),
    savedAt: z.string().max(40),
    ciphertext: z.base64().max(64 * 1024),
  })
  .strict();

export interface RememberedUnlockOptions {
  safeStorage: SafeStorageLike;
  /** `<data dir>/remembered-unlock.json` */
  file: string;
  platform?: NodeJS.Platform;
  now?: () => Date;
  log: { info(message: string): void; warn(message: string): void };
}

export interface RememberedUnlock extends UnlockMemory {
  /** The remembered password, or null (none, unavailable, or it could not be decrypted). */
  recall(): Promise<string | null>;
}

/** Why safeStorage can't keep the password here, in words for the Wallet page; null when it can. */
export async function whyNotAvailable(
  safeStorage: SafeStorageLike,
  platform: NodeJS.Platform,
): Promise<{ why: string | null; backend: string | null }> {
  const backend = platform === 'linux' ? safeStorage.getSelectedStorageBackend() : null;
  if (backend === 'basic_text')
    return {
      backend,
      why: 'This desktop has no keyring (GNOME Keyring, KWallet) that Roost can use, so your password would be stored with a fixed key anyone could undo. Roost does not remember it: unlock the wallet by hand after each start.',
    };
  if (backend === 'unknown')
    return { backend, why: 'The system keychain is not ready yet: try again in a moment.' };
  const available = await safeStorage.isAsyncEncryptionAvailable().catch(() => false);
  if (!available)
    return {
      backend,
      why: 'The system keychain is not available to Roost, so it cannot keep your password safely: unlock the wallet by hand after each start.',
    };
  return { backend, why: null };
}

export function createRememberedUnlock(options: RememberedUnlockOptions): RememberedUnlock {
  const platform = options.platform ?? process.platform;
  const now = options.now ?? (() => new Date());

  const read = async (): Promise<z.infer<typeof fileSchema> | null> => {
    let text: string;
    try {
      text = await readFile(options.file, 'utf8');
    } catch {
      return null;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = undefined;
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      options.log.warn(`${REMEMBERED_UNLOCK_FILE} is not valid; it was removed`);
      await rm(options.file, { force: true });
      return null;
    }
    return parsed.data;
  };

  const status = async (): Promise<UnlockMemoryStatus> => {
    const { why, backend } = await whyNotAvailable(options.safeStorage, platform);
    const remembered = (await read()) !== null;
    return { available: why === null, remembered: why === null && remembered, why, backend };
  };

  const forget = async (): Promise<UnlockMemoryStatus> => {
    await rm(options.file, { force: true });
    return status();
  };

  const save = async (password: string, backend: string | null): Promise<void> => {
    const encrypted = await options.safeStorage.encryptStringAsync(password);
    await writeFileAtomic(
      options.file,
      `${JSON.stringify({
        format: 'roost.remembered-unlock/1',
        platform,
        backend: backend ?? platform,
        savedAt: now().toISOString(),
        ciphertext: encrypted.toString('base64'),
      })}\n`,
    );
  };

  return {
    status,
    forget,
    async remember(password) {
      const { why, backend } = await whyNotAvailable(options.safeStorage, platform);
      if (why !== null) throw new Error(why);
      await save(password, backend);
      options.log.info('the wallet password is remembered with the system keychain');
      return status();
    },
    async recall() {
      const stored = await read();
      if (!stored) return null;
      const { why, backend } = await whyNotAvailable(options.safeStorage, platform);
      if (why !== null) {
        // Never decrypt under a weaker backend than it was saved with; don't keep it either.
        if (backend === 'basic_text') await rm(options.file, { force: true });
        options.log.warn(`the remembered wallet password was not used: ${why}`);
        return null;
      }
      try {
        const { result, shouldReEncrypt } = await options.safeStorage.decryptStringAsync(
          Buffer.from(stored.ciphertext, 'base64'),
        );
        if (shouldReEncrypt) await save(result, backend);
        return result;
      } catch {
        options.log.warn(
          'the remembered wallet password could not be decrypted (the keychain changed?); it was forgotten',
        );
        await rm(options.file, { force: true });
        return null;
      }
    },
  };
}
