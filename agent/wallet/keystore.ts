/**
 * The wallet's key at rest: an ethers JSON keystore v3 (scrypt + AES-128-CTR; ethers adds the
 * recovery phrase, encrypted under the same key, for wallets made from one) in
 * `<data dir>/wallet/keystore.json`, mode 0600, written atomically. The file is also the backup:
 * any ethers or geth tool opens it with the password.
 */
import { copyFile, chmod, constants, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  HDNodeWallet,
  Mnemonic,
  Wallet,
  decryptKeystoreJson,
  encryptKeystoreJson,
  getAddress,
} from 'ethers';
import type { KeystoreAccount } from 'ethers';
import { z } from 'zod';
import { writeFileAtomic } from '../store/atomic-file.ts';
import { WalletError } from './errors.ts';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * The scrypt cost every keystore Roost writes outside tests uses: ethers' and geth's standard
 * (N = 2^17, r = 8, p = 1; about half a second and 128 MiB per unlock).
 */
export const PRODUCTION_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 131_072, r: 8, p: 1 });

/** Whether these scrypt parameters cost less than production's in any dimension. */
export function isWeakerScrypt(params: ScryptParams, than: ScryptParams = PRODUCTION_SCRYPT) {
  return params.N < than.N || params.r < than.r || params.p < than.p;
}

/**
 * The scrypt parameters to write keystores with. Lighter ones make tests fast; they are refused
 * unless the process runs under a test runner (vitest sets VITEST, and NODE_ENV=test), so no
 * setting or caller can weaken a real user's keystore.
 */
export function keystoreScrypt(
  requested?: ScryptParams,
  env: NodeJS.ProcessEnv = process.env,
): ScryptParams {
  if (requested === undefined) return { ...PRODUCTION_SCRYPT };
  if (!Number.isInteger(requested.N) || requested.N < 2 || (requested.N & (requested.N - 1)) !== 0)
    throw new Error('[wallet] scrypt N must be a power of two');
  if (isWeakerScrypt(requested) && env.VITEST !== 'true' && env.NODE_ENV !== 'test') {
    throw new Error(
      '[wallet] scrypt parameters lighter than N=131072, r=8, p=1 are only for tests; a real keystore always uses the full cost',
    );
  }
  return { ...requested };
}

export const WALLET_DIR = 'wallet';
export const KEYSTORE_FILE = 'keystore.json';

export function keystorePath(dataDir: string): string {
  return join(dataDir, WALLET_DIR, KEYSTORE_FILE);
}

const hex = (what: string) => z.string().regex(/^(0x)?[0-9a-fA-F]*$/, `${what} must be hex`);
const cryptoSchema = z.looseObject({
  cipher: z.literal('aes-128-ctr'),
  cipherparams: z.looseObject({ iv: hex('cipherparams.iv') }),
  ciphertext: hex('ciphertext').min(2),
  kdf: z.enum(['scrypt', 'pbkdf2']),
  kdfparams: z.looseObject({
    n: z.number().int().positive().optional(),
    r: z.number().int().positive().optional(),
    p: z.number().int().positive().optional(),
    c: z.number().int().positive().optional(),
  }),
  mac: hex('mac').min(2),
});
const keystoreSchema = z.looseObject({
  version: z.literal(3),
  address: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{40}$/)
    .optional(),
  crypto: cryptoSchema.optional(),
  Crypto: cryptoSchema.optional(),
  'x-ethers': z.looseObject({ path: z.string().optional() }).optional(),
});

export interface KeystoreInfo {
  /** Checksummed; undefined when the keystore does not name it (allowed in v3, rare). */
  address: string | undefined;
  kdf: { name: 'scrypt'; N: number; r: number; p: number } | { name: 'pbkdf2' };
  hasMnemonic: boolean;
  path: string | null;
}

/**
 * What a keystore's outside says (no password needed), or a reason it is not a keystore. Reasons
 * describe the structure only, never the contents.
 */
export function inspectKeystore(text: string): KeystoreInfo | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: 'it is not JSON' };
  }
  const parsed = keystoreSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.map(String).join('.') || 'the file';
    return { problem: `it is not a version 3 JSON keystore (${where} is missing or wrong)` };
  }
  const crypto = parsed.data.crypto ?? parsed.data.Crypto;
  if (crypto === undefined) return { problem: 'it has no "crypto" section' };
  const params = crypto.kdfparams;
  let kdf: KeystoreInfo['kdf'];
  if (crypto.kdf === 'scrypt') {
    if (params.n === undefined || params.r === undefined || params.p === undefined)
      return { problem: 'its scrypt parameters are incomplete' };
    kdf = { name: 'scrypt', N: params.n, r: params.r, p: params.p };
  } else {
    kdf = { name: 'pbkdf2' };
  }
  const raw = parsed.data.address;
  const xEthers = parsed.data['x-ethers'];
  return {
    address: raw === undefined ? undefined : getAddress(raw.startsWith('0x') ? raw : `0x${raw}`),
    kdf,
    hasMnemonic: xEthers !== undefined && 'mnemonicCiphertext' in xEthers,
    path: xEthers?.path ?? null,
  };
}

/** An ethers wallet: from a recovery phrase (HD) or a bare private key. */
export type KeyWallet = Wallet | HDNodeWallet;

export function accountOf(wallet: KeyWallet): KeystoreAccount {
  const account: KeystoreAccount = { address: wallet.address, privateKey: wallet.privateKey };
  if (wallet instanceof HDNodeWallet && wallet.mnemonic !== null && wallet.path !== null) {
    account.mnemonic = { entropy: wallet.mnemonic.entropy, path: wallet.path, locale: 'en' };
  }
  return account;
}

export function walletOfAccount(account: KeystoreAccount): KeyWallet {
  if (account.mnemonic !== undefined) {
    const mnemonic = Mnemonic.fromEntropy(account.mnemonic.entropy);
    const hd = HDNodeWallet.fromMnemonic(mnemonic, account.mnemonic.path);
    // A phrase that derives another address than the key beside it: trust the key, not the path.
    if (hd.address === getAddress(account.address)) return hd;
  }
  return new Wallet(account.privateKey);
}

export async function encryptWallet(
  wallet: KeyWallet,
  password: string,
  scrypt: ScryptParams,
): Promise<string> {
  return encryptKeystoreJson(accountOf(wallet), password, { scrypt });
}

/**
 * Opens a keystore with its password: `WALLET_WRONG_PASSWORD` when the password doesn't open it,
 * or `failure` (damaged file, bad backup) when the keystore itself is broken.
 */
export async function decryptWallet(
  text: string,
  password: string,
  failure: { code: 'WALLET_KEYSTORE_DAMAGED' | 'WALLET_INVALID_BACKUP'; what: string },
): Promise<KeyWallet> {
  let account: KeystoreAccount;
  try {
    account = await decryptKeystoreJson(text, password);
  } catch (error) {
    if (/incorrect password/.test(String((error as Error).message))) {
      throw new WalletError(
        'WALLET_WRONG_PASSWORD',
        `That password does not open ${failure.what}. Check Caps Lock and the keyboard layout, and try again.`,
      );
    }
    throw new WalletError(
      failure.code,
      `${failure.what} can't be opened: ${describeKeystoreError(error)}.`,
      { cause: error },
    );
  }
  try {
    return walletOfAccount(account);
  } catch (error) {
    throw new WalletError(failure.code, `${failure.what} holds no valid key.`, { cause: error });
  }
}

function describeKeystoreError(error: unknown): string {
  const message = String((error as Error).message ?? error);
  if (/mismatch/.test(message)) return 'its address does not match the key inside';
  if (/unsupported/.test(message)) return 'it uses an encryption this wallet does not know';
  return 'its encrypted contents are malformed';
}

export type StoredKeystore =
  | { kind: 'ok'; text: string; info: KeystoreInfo & { address: string } }
  | { kind: 'damaged'; problem: string };

/**
 * The keystore file of the data folder: undefined when there is none, `damaged` (left untouched)
 * when it can't be read as one. A file readable by others is narrowed to 0600.
 */
export async function readKeystoreFile(
  file: string,
  onPermissionsFixed?: () => void,
): Promise<StoredKeystore | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return { kind: 'damaged', problem: `it can't be read (${code ?? String(error)})` };
  }
  const info = inspectKeystore(text);
  if ('problem' in info) return { kind: 'damaged', problem: info.problem };
  if (info.address === undefined)
    return { kind: 'damaged', problem: 'it does not name its address' };
  if (process.platform !== 'win32') {
    try {
      const { mode } = await stat(file);
      if ((mode & 0o077) !== 0) {
        await chmod(file, 0o600);
        onPermissionsFixed?.();
      }
    } catch {
      // Permissions are a hardening step; reading the wallet must not fail on them.
    }
  }
  return { kind: 'ok', text, info: { ...info, address: info.address } };
}

/** Writes the keystore (0600, atomically) and returns the exact text written. */
export async function writeKeystoreFile(file: string, text: string): Promise<string> {
  const contents = text.endsWith('\n') ? text : `${text}\n`;
  try {
    await writeFileAtomic(file, contents, 0o600);
    return contents;
  } catch (error) {
    throw new WalletError(
      'WALLET_UNWRITABLE',
      `The wallet file ${file} could not be written (${(error as NodeJS.ErrnoException).code ?? String(error)}); nothing was changed. Check free disk space and the folder's permissions.`,
      { cause: error },
    );
  }
}

/**
 * Keeps a copy of the current keystore file (even a damaged one) under `wallet/replaced/` before
 * another wallet takes its place: a key is never deleted. Returns the copy's path, or undefined
 * when there was no file.
 */
export async function keepReplacedKeystore(file: string, at: Date): Promise<string | undefined> {
  try {
    await stat(file);
  } catch {
    return undefined;
  }
  const folder = join(dirname(file), 'replaced');
  const copy = join(folder, `keystore-${at.toISOString().replace(/[:.]/g, '-')}.json`);
  try {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await copyFile(file, copy, constants.COPYFILE_EXCL);
    await chmod(copy, 0o600);
  } catch (error) {
    throw new WalletError(
      'WALLET_UNWRITABLE',
      `The current wallet file could not be kept aside in ${folder} (${(error as NodeJS.ErrnoException).code ?? String(error)}), so it was not replaced.`,
      { cause: error },
    );
  }
  return copy;
}
