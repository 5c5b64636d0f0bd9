import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HDNodeWallet, Wallet, verifyMessage } from 'ethers';
import { tempDir } from '../../test/support/temp-dir.ts';
import { isWalletError } from './errors.ts';
import { encryptWallet, inspectKeystore, keystorePath } from './keystore.ts';
import type { WalletLog } from './log.ts';
import { walletEvents, walletMethods } from './schema.ts';
import type { WalletEvent, WalletErrorCode } from './schema.ts';
import { createWalletService } from './service.ts';
import type { WalletService, WalletServiceOptions } from './service.ts';
import { fakeClock } from './testing/fake-clock.ts';
import type { FakeClock } from './testing/fake-clock.ts';

const LIGHT = { N: 1024, r: 8, p: 1 };
const VECTOR =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const VECTOR_ADDRESS = '0x9858EfFD232B4033E47d90003D41EC34EcaEda94';
const PASSWORD = 'tr0ub4dor&3-long';
const MINUTE = 60_000;

interface Harness {
  dir: string;
  wallet: WalletService;
  clock: FakeClock;
  events: WalletEvent[];
  lines: string[];
  remove: () => Promise<void>;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.wallet.close();
    await h.remove();
  }
});

async function harness(
  overrides: Partial<WalletServiceOptions> = {},
  dirPath?: string,
): Promise<Harness> {
  const dir = dirPath === undefined ? await tempDir() : { path: dirPath, remove: async () => {} };
  const clock = fakeClock();
  const events: WalletEvent[] = [];
  const lines: string[] = [];
  const log: WalletLog = {
    debug: (m) => lines.push(m),
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
  };
  const wallet = createWalletService({
    dataDir: dir.path,
    scrypt: LIGHT,
    now: clock.now,
    timers: clock.timers,
    autoLockMs: 10 * MINUTE,
    log,
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  const h = { dir: dir.path, wallet, clock, events, lines, remove: dir.remove };
  open.push(h);
  return h;
}

async function failure(run: Promise<unknown>): Promise<{ code: WalletErrorCode; message: string }> {
  try {
    await run;
  } catch (error) {
    if (isWalletError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a WalletError');
}

async function createConfirmed(h: Harness) {
  const made = await h.wallet.create({ password: PASSWORD });
  const words = made.mnemonic.split(' ');
  const status = await h.wallet.confirmCreate({
    creationId: made.creationId,
    words: made.positions.map((position) => ({ position, word: words[position - 1] ?? '' })),
  });
  return { made, status };
}

describe('creating a wallet', () => {
  it('shows the phrase once and activates the wallet only after three words come back', async () => {
    const h = await harness();
    expect((await h.wallet.status()).state).toBe('none');
    const made = await h.wallet.create({ password: PASSWORD });
    expect(walletMethods['wallet.create'].result.parse(made)).toEqual(made);
    expect(made.mnemonic.split(' ')).toHaveLength(12);
    expect(made.positions).toHaveLength(3);
    expect(Wallet.fromPhrase(made.mnemonic).address).toBe(made.address);

    // Pending: nothing on disk, nothing usable, the phrase not in the status.
    const pending = await h.wallet.status();
    expect(pending).toMatchObject({
      state: 'pending',
      address: made.address,
      pendingCreation: { creationId: made.creationId, positions: made.positions },
    });
    expect(JSON.stringify(pending)).not.toContain(made.mnemonic.split(' ')[0] + ' ');
    await expect(readdir(h.dir)).resolves.not.toContain('wallet');
    expect((await failure(h.wallet.balance())).code).toBe('WALLET_NONE');
    expect((await failure(h.wallet.workSigner())).code).toBe('WALLET_NONE');

    // Wrong words: refused by position, nothing changes.
    const words = made.mnemonic.split(' ');
    const [p1, p2, p3] = made.positions as [number, number, number];
    const wrong = await failure(
      h.wallet.confirmCreate({
        creationId: made.creationId,
        words: [
          { position: p1, word: words[p1 - 1] ?? '' },
          { position: p2, word: words[p2 - 1] === 'zoo' ? 'zebra' : 'zoo' },
          { position: p3, word: words[p3 - 1] ?? '' },
        ],
      }),
    );
    expect(wrong.code).toBe('WALLET_CONFIRMATION_MISMATCH');
    expect(wrong.message).toContain(`Word ${p2} does not match`);
    expect((await h.wallet.status()).state).toBe('pending');
    await expect(readdir(h.dir)).resolves.not.toContain('wallet');

    const status = await h.wallet.confirmCreate({
      creationId: made.creationId,
      words: made.positions.map((position) => ({
        position,
        word: ` ${(words[position - 1] ?? '').toUpperCase()} `,
      })),
    });
    expect(status).toMatchObject({
      state: 'unlocked',
      address: made.address,
      workSigning: true,
      origin: { hasMnemonic: true, path: "m/44'/60'/0'/0/0" },
      pendingCreation: null,
    });
    const file = keystorePath(h.dir);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(inspectKeystore(text)).toMatchObject({ address: made.address, hasMnemonic: true });
    // No word of the phrase in any value of the file (its keys, like "client" or "path", are
    // ethers' own names and may happen to be words of a phrase).
    const values: string[] = [];
    const collect = (v: unknown): void => {
      if (typeof v === 'string') values.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(collect);
    };
    collect(JSON.parse(text));
    for (const word of new Set(words))
      for (const value of values) expect(value).not.toMatch(new RegExp(`\\b${word}\\b`));
    expect(text).not.toContain(made.mnemonic);

    // The id is spent.
    expect(
      (await failure(h.wallet.confirmCreate({ creationId: made.creationId, words: [] }))).code,
    ).toBe('WALLET_CREATION_NOT_FOUND');
  });

  it('makes 24-word phrases on request, and refuses weak passwords', async () => {
    const h = await harness();
    expect((await failure(h.wallet.create({ password: 'short' }))).code).toBe(
      'WALLET_WEAK_PASSWORD',
    );
    const made = await h.wallet.create({ password: PASSWORD, wordCount: 24 });
    expect(made.mnemonic.split(' ')).toHaveLength(24);
    for (const p of made.positions) expect(p >= 1 && p <= 24).toBe(true);
  });

  it('forgets an unconfirmed wallet after its time', async () => {
    const h = await harness({ creationTtlMs: 30 * MINUTE });
    const made = await h.wallet.create({ password: PASSWORD });
    h.clock.advance(30 * MINUTE);
    expect((await h.wallet.status()).state).toBe('none');
    expect(
      (await failure(h.wallet.confirmCreate({ creationId: made.creationId, words: [] }))).code,
    ).toBe('WALLET_CREATION_NOT_FOUND');
  });

  it('refuses to create over an existing wallet unless told to replace it, and keeps the old file', async () => {
    const h = await harness();
    const first = await createConfirmed(h);
    const again = await failure(h.wallet.create({ password: PASSWORD }));
    expect(again.code).toBe('WALLET_EXISTS');
    expect(again.message).toContain(first.made.address);
    const before = await readFile(keystorePath(h.dir), 'utf8');

    const made = await h.wallet.create({ password: PASSWORD, replace: true });
    // Still the old wallet until the new one is confirmed.
    expect(await h.wallet.status()).toMatchObject({
      state: 'unlocked',
      address: first.made.address,
      pendingCreation: { address: made.address },
    });
    const words = made.mnemonic.split(' ');
    await h.wallet.confirmCreate({
      creationId: made.creationId,
      words: made.positions.map((position) => ({ position, word: words[position - 1] ?? '' })),
    });
    expect((await h.wallet.status()).address).toBe(made.address);
    const kept = await readdir(join(h.dir, 'wallet', 'replaced'));
    expect(kept).toHaveLength(1);
    expect(await readFile(join(h.dir, 'wallet', 'replaced', kept[0] ?? ''), 'utf8')).toBe(before);
    expect(
      h.events.some((e) => e.event === 'wallet.locked' && e.payload.reason === 'replaced'),
    ).toBe(true);
  });
});

describe('importing a wallet', () => {
  it('imports a recovery phrase, at account 0 or another', async () => {
    const h = await harness();
    const status = await h.wallet.importWallet({
      kind: 'mnemonic',
      mnemonic: `  ${VECTOR.toUpperCase()} `,
      password: PASSWORD,
    });
    expect(status).toMatchObject({ state: 'unlocked', address: VECTOR_ADDRESS });
    const other = await harness();
    const s2 = await other.wallet.importWallet({
      kind: 'mnemonic',
      mnemonic: VECTOR,
      password: PASSWORD,
      accountIndex: 1,
    });
    expect(s2.address).toBe(HDNodeWallet.fromPhrase(VECTOR, undefined, "m/44'/60'/0'/0/1").address);
    expect(s2.origin).toEqual({ hasMnemonic: true, path: "m/44'/60'/0'/0/1" });
  });

  it('imports a private key, with or without 0x', async () => {
    const key = Wallet.createRandom().privateKey;
    const h = await harness();
    const status = await h.wallet.importWallet({
      kind: 'privateKey',
      privateKey: key.slice(2).toUpperCase(),
      password: PASSWORD,
    });
    expect(status).toMatchObject({
      address: new Wallet(key).address,
      origin: { hasMnemonic: false, path: null },
    });
  });

  it('refuses bad phrases, keys and backups in plain words, and changes nothing', async () => {
    const h = await harness();
    const cases: [Promise<unknown>, WalletErrorCode, RegExp][] = [
      [
        h.wallet.importWallet({
          kind: 'mnemonic',
          mnemonic: VECTOR.replace('about', 'abuot'),
          password: PASSWORD,
        }),
        'WALLET_INVALID_MNEMONIC',
        /Word 12 is not in the BIP-39 English word list/,
      ],
      [
        h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: 'short' }),
        'WALLET_WEAK_PASSWORD',
        /at least 8 characters/,
      ],
      [
        h.wallet.importWallet({ kind: 'privateKey', privateKey: '0x1234', password: PASSWORD }),
        'WALLET_INVALID_PRIVATE_KEY',
        /64 hexadecimal characters .* this one has 4/,
      ],
      [
        h.wallet.importWallet({ kind: 'privateKey', privateKey: VECTOR, password: PASSWORD }),
        'WALLET_INVALID_PRIVATE_KEY',
        /recovery phrase goes in the phrase field/,
      ],
      [
        h.wallet.importWallet({
          kind: 'privateKey',
          privateKey: '0x' + '0'.repeat(64),
          password: PASSWORD,
        }),
        'WALLET_INVALID_PRIVATE_KEY',
        /not a usable private key/,
      ],
      [
        h.wallet.importWallet({ kind: 'keystore', keystore: '{"hello":1}', password: PASSWORD }),
        'WALLET_INVALID_BACKUP',
        /not a wallet backup/,
      ],
    ];
    for (const [run, code, message] of cases) {
      const e = await failure(run);
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
      expect(e.message).not.toContain('abuot');
    }
    expect((await h.wallet.status()).state).toBe('none');
    await expect(readdir(h.dir)).resolves.not.toContain('wallet');
  });

  it('restores an exported backup, and a foreign keystore, re-encrypting at its own cost', async () => {
    const h = await harness();
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    const backup = await h.wallet.exportBackup();
    expect(backup).toMatchObject({
      address: VECTOR_ADDRESS,
      fileName: `roost-wallet-${VECTOR_ADDRESS}.json`,
    });
    expect(backup.keystore).toBe(await readFile(keystorePath(h.dir), 'utf8'));

    const other = await harness();
    const wrong = await failure(
      other.wallet.importWallet({
        kind: 'keystore',
        keystore: backup.keystore,
        password: 'nope-nope',
      }),
    );
    expect(wrong.code).toBe('WALLET_WRONG_PASSWORD');
    const status = await other.wallet.importWallet({
      kind: 'keystore',
      keystore: backup.keystore,
      password: PASSWORD,
    });
    expect(status).toMatchObject({ address: VECTOR_ADDRESS, origin: { hasMnemonic: true } });

    // A geth-style keystore with other scrypt parameters (and no phrase).
    const foreign = Wallet.createRandom();
    const gethStyle = await encryptWallet(new Wallet(foreign.privateKey), 'geth-pass', {
      N: 2048,
      r: 8,
      p: 1,
    });
    const third = await harness();
    await third.wallet.importWallet({
      kind: 'keystore',
      keystore: gethStyle,
      password: 'geth-pass',
    });
    const saved = inspectKeystore(await readFile(keystorePath(third.dir), 'utf8'));
    expect(saved).toMatchObject({ address: foreign.address, kdf: { N: 1024 } });
  });

  it('imports the same wallet again without replace (a password reset by phrase), not another', async () => {
    const h = await harness();
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: 'a new password' });
    await h.wallet.lock();
    await h.wallet.unlock({ password: 'a new password' });
    const other = await failure(
      h.wallet.importWallet({
        kind: 'privateKey',
        privateKey: Wallet.createRandom().privateKey,
        password: PASSWORD,
      }),
    );
    expect(other.code).toBe('WALLET_EXISTS');
    expect((await h.wallet.status()).address).toBe(VECTOR_ADDRESS);
  });
});

describe('locking', () => {
  it('unlocks with the password only; a wrong one changes nothing', async () => {
    const h = await harness();
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    await h.wallet.lock();
    expect((await h.wallet.status()).state).toBe('locked');
    const wrong = await failure(h.wallet.unlock({ password: 'not it at all' }));
    expect(wrong.code).toBe('WALLET_WRONG_PASSWORD');
    expect(wrong.message).not.toContain('not it at all');
    expect((await h.wallet.status()).state).toBe('locked');
    expect((await failure(h.wallet.unlock({ password: '' }))).message).toMatch(
      /Enter the wallet password/,
    );
    expect((await h.wallet.unlock({ password: PASSWORD })).state).toBe('unlocked');
  });

  it('locks itself after the idle time; user actions move the deadline', async () => {
    const h = await harness({ autoLockMs: 10 * MINUTE });
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    const status = await h.wallet.status();
    expect(status.autoLock).toEqual({
      afterMs: 10 * MINUTE,
      at: new Date(h.clock.now() + 10 * MINUTE).toISOString(),
    });
    h.clock.advance(9 * MINUTE);
    await h.wallet.exportBackup(); // a user action: the deadline moves
    h.clock.advance(9 * MINUTE);
    expect((await h.wallet.status()).state).toBe('unlocked');
    h.events.length = 0;
    h.clock.advance(1 * MINUTE);
    // The timer fired on its own, without a call.
    expect(h.events.map((e) => e.event)).toEqual(['wallet.locked', 'wallet.changed']);
    expect(h.events[0]?.payload).toMatchObject({
      reason: 'idle',
      address: VECTOR_ADDRESS,
      workSigning: true,
    });
    for (const e of h.events) expect(walletEvents[e.event].safeParse(e.payload).success).toBe(true);
    const after = await h.wallet.status();
    expect(after).toMatchObject({ state: 'locked', workSigning: true, autoLock: { at: null } });
    expect((await failure(h.wallet.exportBackup())).code).toBe('WALLET_LOCKED');
    // Status and balance reads don't keep it open: only the timer runs.
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('locks on the next call even when the timer came late (a sleeping laptop)', async () => {
    const h = await harness({
      autoLockMs: 10 * MINUTE,
      timers: { setTimeout: () => 0, clearTimeout: () => undefined },
    });
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    h.clock.advance(11 * MINUTE);
    expect((await h.wallet.status()).state).toBe('locked');
  });

  it('keeps signing work after an automatic lock, unless unlock said not to; an explicit lock ends it', async () => {
    const h = await harness({ autoLockMs: 5 * MINUTE });
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    const signer = await h.wallet.workSigner();
    expect(signer.address).toBe(VECTOR_ADDRESS);
    expect(JSON.stringify(signer)).toBe(JSON.stringify({ address: VECTOR_ADDRESS }));
    h.clock.advance(5 * MINUTE);
    expect((await h.wallet.status()).state).toBe('locked');
    const sig = await signer.signMessage('receipt 1');
    expect(verifyMessage('receipt 1', sig)).toBe(VECTOR_ADDRESS);

    await h.wallet.lock();
    expect((await h.wallet.status()).workSigning).toBe(false);
    expect((await failure(signer.signMessage('receipt 2'))).code).toBe('WALLET_LOCKED');

    await h.wallet.unlock({ password: PASSWORD, workSigning: false });
    expect(verifyMessage('r3', await signer.signMessage('r3'))).toBe(VECTOR_ADDRESS);
    h.clock.advance(5 * MINUTE);
    expect(await h.wallet.status()).toMatchObject({ state: 'locked', workSigning: false });
    expect((await failure(signer.signMessage('r4'))).code).toBe('WALLET_LOCKED');

    await h.wallet.unlock({ password: PASSWORD });
    await h.wallet.lock({ keepWorkSigning: true });
    expect(await h.wallet.status()).toMatchObject({ state: 'locked', workSigning: true });
    expect(verifyMessage('r5', await signer.signMessage('r5'))).toBe(VECTOR_ADDRESS);
  });

  it('never locks with auto-lock off, and applies a new delay at once', async () => {
    const h = await harness({ autoLockMs: null });
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    h.clock.advance(24 * 60 * MINUTE);
    expect((await h.wallet.status()).state).toBe('unlocked');
    h.wallet.setAutoLock(MINUTE);
    expect((await h.wallet.status()).state).toBe('locked');
  });

  it('lets a signer made for one wallet refuse after another replaces it', async () => {
    const h = await harness();
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    const signer = await h.wallet.workSigner();
    await h.wallet.importWallet({
      kind: 'privateKey',
      privateKey: Wallet.createRandom().privateKey,
      password: PASSWORD,
      replace: true,
    });
    expect((await failure(signer.signMessage('x'))).code).toBe('WALLET_NONE');
  });

  it('forgets the key on close', async () => {
    const h = await harness();
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    const signer = await h.wallet.workSigner();
    await h.wallet.close();
    expect((await failure(signer.signMessage('x'))).code).toBe('WALLET_LOCKED');
    expect(h.events.at(-1)).toMatchObject({
      event: 'wallet.locked',
      payload: { reason: 'closed' },
    });
  });
});

describe('passwords and backups', () => {
  it('changes the password with the old one; a wrong old one leaves the file as it was', async () => {
    const h = await harness();
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    await h.wallet.lock();
    const before = await readFile(keystorePath(h.dir), 'utf8');
    expect(
      (
        await failure(
          h.wallet.changePassword({ oldPassword: 'wrong-wrong', newPassword: 'new password 1' }),
        )
      ).code,
    ).toBe('WALLET_WRONG_PASSWORD');
    expect(
      (await failure(h.wallet.changePassword({ oldPassword: PASSWORD, newPassword: 'short' })))
        .code,
    ).toBe('WALLET_WEAK_PASSWORD');
    expect(await readFile(keystorePath(h.dir), 'utf8')).toBe(before);

    await h.wallet.changePassword({ oldPassword: PASSWORD, newPassword: 'new password 1' });
    expect((await stat(keystorePath(h.dir))).mode & 0o777).toBe(0o600);
    expect((await failure(h.wallet.unlock({ password: PASSWORD }))).code).toBe(
      'WALLET_WRONG_PASSWORD',
    );
    expect((await h.wallet.unlock({ password: 'new password 1' })).state).toBe('unlocked');
    // The phrase survives the change.
    expect((await h.wallet.status()).origin).toEqual({
      hasMnemonic: true,
      path: "m/44'/60'/0'/0/0",
    });
  });

  it('exports only the encrypted keystore, needing the password when locked', async () => {
    const h = await harness();
    const key = Wallet.createRandom().privateKey;
    await h.wallet.importWallet({ kind: 'privateKey', privateKey: key, password: PASSWORD });
    await h.wallet.lock();
    expect((await failure(h.wallet.exportBackup())).code).toBe('WALLET_LOCKED');
    expect((await failure(h.wallet.exportBackup({ password: 'wrong-wrong' }))).code).toBe(
      'WALLET_WRONG_PASSWORD',
    );
    const backup = await h.wallet.exportBackup({ password: PASSWORD });
    expect(walletMethods['wallet.exportBackup'].result.parse(backup)).toEqual(backup);
    expect(backup.keystore).not.toContain(key.slice(2));
    expect((await h.wallet.status()).state).toBe('locked'); // the password opened it for this only
  });
});

describe('a damaged keystore file', () => {
  it('is reported, kept byte for byte, and replaced only on request', async () => {
    const dir = await tempDir();
    await mkdir(join(dir.path, 'wallet'), { recursive: true });
    const file = keystorePath(dir.path);
    await writeFile(file, '{"version":3,"crypto":', { mode: 0o600 });
    const h = await harness({}, dir.path);
    const status = await h.wallet.status();
    expect(status).toMatchObject({
      state: 'damaged',
      address: null,
      problem: { code: 'WALLET_KEYSTORE_DAMAGED' },
    });
    expect(status.problem?.message).toMatch(/is damaged \(it is not JSON\)\. It was left as it is/);
    expect((await failure(h.wallet.unlock({ password: PASSWORD }))).code).toBe(
      'WALLET_KEYSTORE_DAMAGED',
    );
    expect((await failure(h.wallet.balance())).code).toBe('WALLET_KEYSTORE_DAMAGED');
    expect(
      (
        await failure(
          h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD }),
        )
      ).code,
    ).toBe('WALLET_EXISTS');
    expect(await readFile(file, 'utf8')).toBe('{"version":3,"crypto":');

    await h.wallet.importWallet({
      kind: 'mnemonic',
      mnemonic: VECTOR,
      password: PASSWORD,
      replace: true,
    });
    const kept = await readdir(join(dir.path, 'wallet', 'replaced'));
    expect(await readFile(join(dir.path, 'wallet', 'replaced', kept[0] ?? ''), 'utf8')).toBe(
      '{"version":3,"crypto":',
    );
    expect((await h.wallet.status()).state).toBe('unlocked');
    await dir.remove();
  });

  it('is re-read as the same wallet by a new service (restart)', async () => {
    const h = await harness();
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    const again = await harness({}, h.dir);
    expect(await again.wallet.status()).toMatchObject({
      state: 'locked',
      address: VECTOR_ADDRESS,
      workSigning: false,
    });
    expect((await again.wallet.unlock({ password: PASSWORD })).state).toBe('unlocked');
  });
});

describe('production scrypt', () => {
  it('is used when no test parameters are given, and a lighter file is upgraded on unlock', async () => {
    const light = await harness();
    await light.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    expect(inspectKeystore(await readFile(keystorePath(light.dir), 'utf8'))).toMatchObject({
      kdf: { N: 1024 },
    });
    await light.wallet.close();

    const real = await harness({ scrypt: undefined }, light.dir);
    await real.wallet.unlock({ password: PASSWORD });
    expect(inspectKeystore(await readFile(keystorePath(light.dir), 'utf8'))).toMatchObject({
      kdf: { name: 'scrypt', N: 131_072, r: 8, p: 1 },
    });
    await real.wallet.lock();
    expect((await real.wallet.unlock({ password: PASSWORD })).address).toBe(VECTOR_ADDRESS);
  }, 30_000);
});

describe('what leaves the wallet', () => {
  it('never logs or emits a password, phrase or key; results match the schemas', async () => {
    const h = await harness();
    const made = await h.wallet.create({ password: PASSWORD });
    const words = made.mnemonic.split(' ');
    await failure(
      h.wallet.confirmCreate({
        creationId: made.creationId,
        words: [{ position: 1, word: 'zebra' }],
      }),
    );
    await h.wallet.confirmCreate({
      creationId: made.creationId,
      words: made.positions.map((position) => ({ position, word: words[position - 1] ?? '' })),
    });
    await h.wallet.lock();
    await failure(h.wallet.unlock({ password: 'wrong password here' }));
    const status = await h.wallet.unlock({ password: PASSWORD });
    expect(walletMethods['wallet.unlock'].result.parse(status)).toEqual(status);
    await h.wallet.changePassword({ oldPassword: PASSWORD, newPassword: 'second password' });
    const key = Wallet.createRandom().privateKey;
    await h.wallet.importWallet({
      kind: 'privateKey',
      privateKey: key,
      password: 'third password',
      replace: true,
    });
    await failure(
      h.wallet.importWallet({ kind: 'mnemonic', mnemonic: 'zebra ' + VECTOR, password: PASSWORD }),
    );
    await failure(h.wallet.balance()); // no network here

    const everything = JSON.stringify([h.lines, h.events]);
    expect(h.lines.length).toBeGreaterThan(4);
    for (const secret of [
      PASSWORD,
      'second password',
      'third password',
      'wrong password here',
      made.mnemonic,
      key,
      key.slice(2),
      words.slice(0, 3).join(' '),
    ]) {
      expect(everything).not.toContain(secret);
    }
    for (const e of h.events)
      expect(walletEvents[e.event].safeParse(e.payload).success, e.event).toBe(true);
  });

  it('says clearly when no network is set up', async () => {
    const h = await harness();
    await h.wallet.importWallet({ kind: 'mnemonic', mnemonic: VECTOR, password: PASSWORD });
    const e = await failure(h.wallet.balance());
    expect(e).toEqual({
      code: 'NETWORK_UNAVAILABLE',
      message: expect.stringMatching(/No network is set up/),
    });
    expect((await failure(h.wallet.confirm({ id: 'nope' }))).code).toBe('WALLET_PREPARED_UNKNOWN');
  });
});
