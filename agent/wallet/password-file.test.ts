import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Result } from '../api/contract.ts';
import type { Logger } from '../log.ts';
import { tempDir } from '../../test/support/temp-dir.ts';
import {
  PASSWORD_FILE_WARNING,
  findPasswordFile,
  readPasswordFile,
  unlockWithPasswordFile,
  type PasswordFile,
  type UnlockingAgent,
} from './password-file.ts';

const PASSWORD = 'rig password 7Qx';
let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir('roost-pwfile-');
});
afterEach(async () => {
  await dir.remove();
});

async function passwordFile(name: string, text: string, mode = 0o600): Promise<PasswordFile> {
  const file = join(dir.path, name);
  await writeFile(file, text);
  await chmod(file, mode);
  return { file, from: 'flag' };
}

describe('which password file serve uses', () => {
  const env = { ROOST_WALLET_PASSWORD_FILE: 'from-env', CREDENTIALS_DIRECTORY: '/run/creds' };
  const exists = () => true;

  it('takes --unlock-with first, then ROOST_WALLET_PASSWORD_FILE, then the systemd credential', () => {
    expect(findPasswordFile({ flag: 'pw.txt', env, cwd: '/home/miner', exists })).toEqual({
      file: '/home/miner/pw.txt',
      from: 'flag',
    });
    expect(findPasswordFile({ env, cwd: '/home/miner', exists })).toEqual({
      file: '/home/miner/from-env',
      from: 'env',
    });
    expect(findPasswordFile({ env: { CREDENTIALS_DIRECTORY: '/run/creds' }, exists })).toEqual({
      file: '/run/creds/roost-wallet-password',
      from: 'credential',
    });
  });

  it('uses none when systemd passed no roost-wallet-password (other credentials, or none)', () => {
    expect(
      findPasswordFile({ env: { CREDENTIALS_DIRECTORY: '/run/creds' }, exists: () => false }),
    ).toBeUndefined();
    expect(findPasswordFile({ env: { ROOST_WALLET_PASSWORD_FILE: '' }, exists })).toBeUndefined();
    expect(findPasswordFile({ env: {}, exists })).toBeUndefined();
  });
});

describe('reading the password file', () => {
  it('strips one trailing newline and nothing else', async () => {
    const read = async (text: string) =>
      readPasswordFile(await passwordFile('pw', text), { env: {} });
    expect(await read(`${PASSWORD}\n`)).toEqual({ ok: true, password: PASSWORD });
    expect(await read(`${PASSWORD}\r\n`)).toEqual({ ok: true, password: PASSWORD });
    expect(await read(PASSWORD)).toEqual({ ok: true, password: PASSWORD });
    expect(await read(`${PASSWORD}\n\n`)).toEqual({ ok: true, password: `${PASSWORD}\n` });
    expect(await read(` ${PASSWORD} \n`)).toEqual({ ok: true, password: ` ${PASSWORD} ` });
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a file other users can read, saying chmod 600',
    async () => {
      for (const mode of [0o644, 0o640, 0o604]) {
        const source = await passwordFile(`pw-${mode.toString(8)}`, PASSWORD, mode);
        const read = await readPasswordFile(source, { env: {} });
        expect(read.ok).toBe(false);
        if (!read.ok) {
          expect(read.message).toContain('other users of this computer can read that file');
          expect(read.message).toContain(`chmod 600 '${source.file}'`);
          expect(read.message).not.toContain(PASSWORD);
        }
      }
    },
  );

  it.skipIf(process.platform === 'win32')(
    "takes a file in systemd's credentials folder whatever its mode (systemd keeps it private)",
    async () => {
      const creds = join(dir.path, 'credentials');
      await mkdir(creds);
      const file = join(creds, 'roost-wallet-password');
      await writeFile(file, PASSWORD);
      await chmod(file, 0o440);
      const env = { CREDENTIALS_DIRECTORY: creds };
      expect(await readPasswordFile({ file, from: 'credential' }, { env })).toEqual({
        ok: true,
        password: PASSWORD,
      });
      // Named by --unlock-with, inside the credentials folder: still systemd's.
      expect(await readPasswordFile({ file, from: 'flag' }, { env })).toMatchObject({ ok: true });
      // The same mode elsewhere is refused.
      const outside = await passwordFile('pw', PASSWORD, 0o440);
      expect(await readPasswordFile(outside, { env })).toMatchObject({ ok: false });
    },
  );

  it('says what to do about a missing, empty, oversized or folder "file"', async () => {
    const missing = await readPasswordFile(
      { file: join(dir.path, 'nope'), from: 'env' },
      { env: {} },
    );
    expect(missing).toMatchObject({ ok: false });
    if (!missing.ok) {
      expect(missing.message).toContain(`there is no file ${join(dir.path, 'nope')}`);
      expect(missing.message).toContain('named by ROOST_WALLET_PASSWORD_FILE');
      expect(missing.message).toContain('roost wallet unlock');
    }
    const empty = await readPasswordFile(await passwordFile('empty', '\n'), { env: {} });
    expect(!empty.ok && empty.message).toContain('is empty');
    const big = await readPasswordFile(await passwordFile('big', 'x'.repeat(20_000)), {
      env: {},
    });
    expect(!big.ok && big.message).toContain('too big for a password file');
    const folder = await readPasswordFile({ file: dir.path, from: 'flag' }, { env: {} });
    expect(!folder.ok && folder.message).toContain('is not a file');
  });
});

/** An agent stand-in: what wallet.unlock answers, and what was warned, logged and kept secret. */
function fakeAgent(answer: Result<unknown>) {
  const lines: { level: string; message: string }[] = [];
  const warnings: { code: string; message: string }[] = [];
  const secrets: string[] = [];
  const calls: unknown[] = [];
  const logger = (): Logger => ({
    debug: (message) => lines.push({ level: 'debug', message }),
    info: (message) => lines.push({ level: 'info', message }),
    warn: (message) => lines.push({ level: 'warn', message }),
    error: (message) => lines.push({ level: 'error', message }),
    child: () => logger(),
  });
  const agent: UnlockingAgent = {
    router: {
      methods: [],
      call: async (method, params) => {
        calls.push({ method, params });
        return answer;
      },
    },
    warn: (code, message) => warnings.push({ code, message }),
    log: logger(),
    addSecret: (secret) => secrets.push(secret),
  };
  return { agent, lines, warnings, secrets, calls };
}

describe('unlocking with the password file', () => {
  it('unlocks through wallet.unlock, keeps the password secret, and says so once', async () => {
    const source = await passwordFile('pw', `${PASSWORD}\n`);
    const fake = fakeAgent({ ok: true, value: {} });
    expect(await unlockWithPasswordFile(fake.agent, source, { env: {} })).toBe(true);
    expect(fake.calls).toEqual([{ method: 'wallet.unlock', params: { password: PASSWORD } }]);
    expect(fake.secrets).toEqual([PASSWORD]);
    expect(fake.lines).toEqual([
      { level: 'info', message: `the wallet was unlocked with the password in ${source.file}` },
    ]);
    expect(fake.warnings).toEqual([]);
  });

  it('warns in the log and in agent.status when the password does not open the wallet', async () => {
    const source = await passwordFile('pw', PASSWORD);
    const fake = fakeAgent({
      ok: false,
      error: { code: 'WALLET_WRONG_PASSWORD', message: 'That password does not open the wallet.' },
    });
    expect(await unlockWithPasswordFile(fake.agent, source, { env: {} })).toBe(false);
    expect(fake.warnings).toHaveLength(1);
    expect(fake.warnings[0]!.code).toBe(PASSWORD_FILE_WARNING);
    expect(fake.warnings[0]!.message).toContain(
      `The password in ${source.file} (given with --unlock-with) does not open the wallet`,
    );
    expect(fake.lines).toEqual([{ level: 'warn', message: fake.warnings[0]!.message }]);
    expect(JSON.stringify([fake.lines, fake.warnings])).not.toContain(PASSWORD);
  });

  it('says how to make a wallet when there is none yet', async () => {
    const fake = fakeAgent({
      ok: false,
      error: { code: 'WALLET_NONE', message: 'There is no wallet yet: create one or import one.' },
    });
    await unlockWithPasswordFile(fake.agent, await passwordFile('pw', PASSWORD), { env: {} });
    expect(fake.warnings[0]!.message).toContain('There is no wallet in this data folder yet');
    expect(fake.warnings[0]!.message).toContain('roost wallet create');
  });

  it('does not call wallet.unlock with a file it refused', async () => {
    const fake = fakeAgent({ ok: true, value: {} });
    const missing = { file: join(dir.path, 'gone'), from: 'flag' as const };
    expect(await unlockWithPasswordFile(fake.agent, missing, { env: {} })).toBe(false);
    expect(fake.calls).toEqual([]);
    expect(fake.secrets).toEqual([]);
    expect(fake.warnings[0]!.message).toContain('there is no file');
  });
});
