import { describe, expect, it } from 'vitest';
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HDNodeWallet, Wallet } from 'ethers';
import { tempDir } from '../../test/support/temp-dir.ts';
import { isWalletError } from './errors.ts';
import {
  PRODUCTION_SCRYPT,
  decryptWallet,
  encryptWallet,
  inspectKeystore,
  keepReplacedKeystore,
  keystorePath,
  keystoreScrypt,
  readKeystoreFile,
  writeKeystoreFile,
} from './keystore.ts';

const LIGHT = { N: 1024, r: 8, p: 1 };
const VECTOR =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const failure = { code: 'WALLET_KEYSTORE_DAMAGED' as const, what: 'the wallet file' };

describe('keystore scrypt cost', () => {
  it('is ethers/geth standard by default', () => {
    expect(PRODUCTION_SCRYPT).toEqual({ N: 131_072, r: 8, p: 1 });
    expect(keystoreScrypt()).toEqual({ N: 131_072, r: 8, p: 1 });
    expect(keystoreScrypt(undefined, {})).toEqual(PRODUCTION_SCRYPT);
  });

  it('allows lighter parameters only under a test runner', () => {
    expect(keystoreScrypt(LIGHT, { VITEST: 'true' })).toEqual(LIGHT);
    expect(keystoreScrypt(LIGHT, { NODE_ENV: 'test' })).toEqual(LIGHT);
    expect(() => keystoreScrypt(LIGHT, {})).toThrow(/only for tests/);
    expect(() => keystoreScrypt({ N: 131_072, r: 4, p: 1 }, { NODE_ENV: 'production' })).toThrow(
      /only for tests/,
    );
    // Heavier is always fine.
    expect(keystoreScrypt({ N: 262_144, r: 8, p: 1 }, {})).toEqual({ N: 262_144, r: 8, p: 1 });
    expect(() => keystoreScrypt({ N: 1000, r: 8, p: 1 }, { VITEST: 'true' })).toThrow(
      /power of two/,
    );
  });

  it('writes production keystores with N=131072, r=8, p=1', async () => {
    const wallet = Wallet.createRandom();
    const text = await encryptWallet(wallet, 'correct horse', keystoreScrypt());
    const info = inspectKeystore(text);
    expect(info).toMatchObject({ kdf: { name: 'scrypt', N: 131_072, r: 8, p: 1 } });
  });
});

describe('keystores', () => {
  it('round-trips a phrase wallet with its phrase and path, and a bare key without', async () => {
    const hd = HDNodeWallet.fromPhrase(VECTOR, undefined, "m/44'/60'/0'/0/3");
    const text = await encryptWallet(hd, 'pw-12345678', LIGHT);
    expect(text).not.toContain(hd.privateKey.slice(2));
    const info = inspectKeystore(text);
    expect(info).toEqual({
      address: hd.address,
      kdf: { name: 'scrypt', ...LIGHT },
      hasMnemonic: true,
      path: "m/44'/60'/0'/0/3",
    });
    const back = await decryptWallet(text, 'pw-12345678', failure);
    expect(back.address).toBe(hd.address);
    expect(back instanceof HDNodeWallet && back.mnemonic?.phrase).toBe(VECTOR);

    const bare = new Wallet(Wallet.createRandom().privateKey);
    const bareText = await encryptWallet(bare, 'pw-12345678', LIGHT);
    expect(inspectKeystore(bareText)).toMatchObject({ hasMnemonic: false, path: null });
    expect((await decryptWallet(bareText, 'pw-12345678', failure)).privateKey).toBe(
      bare.privateKey,
    );
  });

  it('says a wrong password in words that do not repeat it', async () => {
    const text = await encryptWallet(Wallet.createRandom(), 'right password', LIGHT);
    const error = await decryptWallet(text, 'wrong password', failure).catch((e: unknown) => e);
    expect(isWalletError(error, 'WALLET_WRONG_PASSWORD')).toBe(true);
    expect(String((error as Error).message)).not.toContain('wrong password');
  });

  it('calls a tampered keystore damaged, not a wrong password', async () => {
    const wallet = Wallet.createRandom();
    const json = JSON.parse(await encryptWallet(wallet, 'pw-12345678', LIGHT)) as {
      address: string;
    };
    json.address = '1111111111111111111111111111111111111111';
    const error = await decryptWallet(JSON.stringify(json), 'pw-12345678', failure).catch(
      (e: unknown) => e,
    );
    expect(isWalletError(error, 'WALLET_KEYSTORE_DAMAGED')).toBe(true);
    expect((error as Error).message).toMatch(/address does not match/);
  });

  it('describes what is wrong with a file that is not a keystore', () => {
    expect(inspectKeystore('{"version":3')).toEqual({ problem: 'it is not JSON' });
    expect(inspectKeystore('{"version":2}')).toMatchObject({
      problem: expect.stringMatching(/not a version 3 JSON keystore \(version/),
    });
    expect(inspectKeystore('{"version":3}')).toEqual({ problem: 'it has no "crypto" section' });
    expect(
      inspectKeystore(
        JSON.stringify({
          version: 3,
          crypto: {
            cipher: 'aes-128-ctr',
            cipherparams: { iv: '00' },
            ciphertext: 'ab',
            kdf: 'scrypt',
            kdfparams: {},
            mac: 'cd',
          },
        }),
      ),
    ).toEqual({ problem: 'its scrypt parameters are incomplete' });
  });
});

describe('the keystore file', () => {
  it('is written atomically with mode 0600 in a 0700 folder', async () => {
    const dir = await tempDir();
    const file = keystorePath(dir.path);
    const text = await encryptWallet(Wallet.createRandom(), 'pw-12345678', LIGHT);
    await writeKeystoreFile(file, text);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir.path, 'wallet'))).mode & 0o777).toBe(0o700);
    expect((await readdir(join(dir.path, 'wallet'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const read = await readKeystoreFile(file);
    expect(read?.kind).toBe('ok');
    await dir.remove();
  });

  it('reads as missing, damaged (untouched) or ok; narrows loose permissions', async () => {
    const dir = await tempDir();
    const file = keystorePath(dir.path);
    expect(await readKeystoreFile(file)).toBeUndefined();
    await mkdir(join(dir.path, 'wallet'), { recursive: true });
    await writeFile(file, 'garbage{', { mode: 0o600 });
    expect(await readKeystoreFile(file)).toEqual({ kind: 'damaged', problem: 'it is not JSON' });
    expect(await readFile(file, 'utf8')).toBe('garbage{');

    const text = await encryptWallet(Wallet.createRandom(), 'pw-12345678', LIGHT);
    await writeFile(file, text);
    await chmod(file, 0o644);
    let fixed = false;
    expect((await readKeystoreFile(file, () => (fixed = true)))?.kind).toBe('ok');
    expect(fixed).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await dir.remove();
  });

  it('keeps a copy of the file it is about to replace', async () => {
    const dir = await tempDir();
    const file = keystorePath(dir.path);
    expect(await keepReplacedKeystore(file, new Date())).toBeUndefined();
    await mkdir(join(dir.path, 'wallet'), { recursive: true });
    await writeFile(file, 'old contents');
    const copy = await keepReplacedKeystore(file, new Date('2026-01-02T03:04:05.678Z'));
    expect(copy).toBe(
      join(dir.path, 'wallet', 'replaced', 'keystore-2026-01-02T03-04-05-678Z.json'),
    );
    expect(await readFile(copy ?? '', 'utf8')).toBe('old contents');
    expect((await stat(copy ?? '')).mode & 0o777).toBe(0o600);
    await dir.remove();
  });
});
